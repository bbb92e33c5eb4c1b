/**
 * The custom-resource provider is shared per stack: the resources it adds must be the same, in number and type,
 * whether a stack uses the custom-resource constructs once, 10 or 100 times (issue 7). The stacks are those of
 * bench/custom-resources.ts, which also prints the template bytes per extra use. Also: each resource's own handler
 * role, and the provider's poll interval from the stack context.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  buildCustomResourceStack,
  CUSTOM_RESOURCE_USES,
  PROVIDER_ID,
  providerResourceCounts,
  total,
  USE_COUNTS,
} from '../bench/custom-resources';
import { DistributeImage, DistributeImageSource, DistributionConfiguration } from '../src';
import { POLL_INTERVAL_CONTEXT_KEY } from '../src/private/provider';

interface Measured {
  readonly uses: number;
  readonly provider: Record<string, number>;
  /** Template resources whose logical ID comes from a path under the provider construct. */
  readonly providerLogicalIds: number;
  readonly stackResources: number;
}

function measure(stack: Stack, uses: number): Measured {
  // Synthesizes (and so also runs the schema validators of test/util/jest-setup.ts); resources that aws-cdk-lib adds
  // while synthesizing, such as overflow policies of a role whose policy grew too large, exist only after this.
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, unknown>;
  return {
    uses,
    provider: providerResourceCounts(stack),
    providerLogicalIds: Object.keys(resources).filter((id) => id.startsWith(PROVIDER_ID)).length,
    stackResources: Object.keys(resources).length,
  };
}

describe.each(CUSTOM_RESOURCE_USES)('%s', (kind) => {
  test(`the provider adds the same resources for ${USE_COUNTS.join(', ')} uses`, () => {
    const measured = USE_COUNTS.map((uses) => measure(buildCustomResourceStack(kind, uses), uses));

    // The provider exists, is counted from the construct tree and from the template alike, and every stack really
    // holds more uses than the one before (so equal counts are not an accident of an empty measurement).
    for (const m of measured) {
      expect(m.provider['AWS::Lambda::Function']).toBeGreaterThanOrEqual(2);
      // The waiter only where a resource waits: DistributeImage (patches have a provider without one).
      expect(m.provider['AWS::StepFunctions::StateMachine'] ?? 0).toBe(kind === 'DistributeImage' ? 1 : 0);
      expect(m.providerLogicalIds).toBe(total(m.provider));
    }
    for (let i = 1; i < measured.length; i++) {
      expect(measured[i].stackResources).toBeGreaterThan(measured[i - 1].stackResources);
    }

    const byUses = Object.fromEntries(measured.map((m) => [m.uses, m.provider]));
    const once = measured[0].provider;
    expect(byUses).toEqual(Object.fromEntries(measured.map((m) => [m.uses, once])));
  });
});

describe('per-resource handler roles', () => {
  const kinds = CUSTOM_RESOURCE_USES;

  test.each(kinds)('%s: the resource passes its own role, trusted by the provider role only, under the provider path', (kind) => {
    const stack = buildCustomResourceStack(kind, 2);
    const template = Template.fromStack(stack).toJSON();
    const resources = template.Resources as Record<string, any>;
    const customResources = Object.entries(resources).filter(([, r]) => String(r.Type).startsWith('Custom::'));
    expect(customResources).toHaveLength(2);

    const providerRoleId = Object.keys(resources)
      .find((id) => id.startsWith(`${PROVIDER_ID}Role`) && resources[id].Type === 'AWS::IAM::Role')!;
    expect(providerRoleId).toBeDefined();
    const roleIds = new Set<string>();
    for (const [, resource] of customResources) {
      // The role is passed by reference, and the resource waits for the role and for its policy.
      const roleId: string = resource.Properties.RoleArn['Fn::GetAtt'][0];
      expect(resource.Properties.RoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
      roleIds.add(roleId);
      const role = resources[roleId];
      expect(role.Type).toBe('AWS::IAM::Role');
      // Under the provider's path, then the resource's own logical ID: the handler assumes it only for that resource.
      const resourceId = Object.keys(resources).find((id) => resources[id] === resource);
      expect(role.Properties.Path).toMatch(new RegExp(`^/cdk-imagebuilder-distribution/c8[0-9a-f]{40}/${resourceId}/$`));
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::GetAtt': [providerRoleId, 'Arn'] } },
      }]);
      const policyId = Object.keys(resources).find((id) => resources[id].Type === 'AWS::IAM::Policy'
        && JSON.stringify(resources[id].Properties.Roles) === JSON.stringify([{ Ref: roleId }]))!;
      expect(policyId).toBeDefined();
      expect(resource.DependsOn).toEqual(expect.arrayContaining([roleId, policyId]));
    }
    // One role per resource, not a shared one.
    expect(roleIds.size).toBe(2);

    // The provider's role may assume the roles under its own path, and holds nothing about any one resource.
    const providerPolicies = Object.values(resources).filter((r: any) => r.Type === 'AWS::IAM::Policy'
      && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: providerRoleId }]));
    expect(providerPolicies).toHaveLength(1);
    const statements = (providerPolicies[0] as any).Properties.PolicyDocument.Statement;
    expect(statements.map((s: any) => s.Action)).toEqual([['logs:CreateLogStream', 'logs:PutLogEvents'], 'sts:AssumeRole']);
    const providerPath = (resources[[...roleIds][0]].Properties.Path as string).replace(/[^/]+\/$/, '');
    expect(JSON.stringify(statements[1].Resource)).toContain(`:role${providerPath}*"`);
  });
});

describe('poll interval from the stack context', () => {
  function waiter(context: Record<string, unknown>): string {
    const app = new App({ context });
    const stack = new Stack(app, 'Poll', { env: { account: '111111111111', region: 'us-east-1' } });
    new DistributeImage(stack, 'Distribute', {
      source: DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
      distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Config',
        'arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/x'),
    });
    const machines = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(1);
    return JSON.stringify(Object.values(machines)[0]);
  }

  test('30 seconds by default, over 55 minutes (within CloudFormation\'s hour)', () => {
    const definition = waiter({});
    expect(definition).toContain('\\"IntervalSeconds\\":30');
    expect(definition).toContain('\\"MaxAttempts\\":110');
  });

  // 55 minutes rounded down to whole intervals: 7 s gives 471 attempts (3297 s).
  test.each([[60, 55], ['600', 5], [7, 471], [1800, 1]])('%p seconds from the context', (value, attempts) => {
    const definition = waiter({ [POLL_INTERVAL_CONTEXT_KEY]: value });
    expect(definition).toContain(`\\"IntervalSeconds\\":${Number(value)}`);
    expect(definition).toContain(`\\"MaxAttempts\\":${attempts}`);
  });

  test.each([4, 1801, 'fast', 12.5, ''])('%p fails synthesis naming the context key', (value) => {
    expect(() => waiter({ [POLL_INTERVAL_CONTEXT_KEY]: value }))
      .toThrow(`context "${POLL_INTERVAL_CONTEXT_KEY}": ${JSON.stringify(value)} is invalid; must be a whole number of seconds from 5 to 1800`);
  });
});
