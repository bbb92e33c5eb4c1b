import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  AccountState, DistributionConfiguration, DistributionRoleCheck, OrganizationChangeEvents, OrganizationDistributionRoles,
  OrganizationDistributionTargets, OrganizationsReaderRole, TargetAccounts,
} from '../src';
import { validateTemplate } from './util/cfn-schema';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE } from '../src/private/organization-contract';
import { ORGANIZATIONS_READ_ACTIONS } from '../src/private/organizations-actions';
import { ORGANIZATIONAL_UNIT_ID_PATTERN, ROOT_ID_PATTERN } from '../src/private/organizations-ids';
import { ACCOUNT_ID_PATTERN } from '../src/private/patterns';

const ARN = 'arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/shared';
const OU = 'ou-ab12-abcdefgh';
const MANAGEMENT = '999999999999';

function setup() {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
  const config = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', ARN);
  return { stack, config };
}

function synthErrors(s: Stack): string {
  try {
    Template.fromStack(s);
  } catch (e: any) {
    return e.message;
  }
  throw new Error('expected synth to fail');
}

function resourceOf(stack: Stack): any {
  const [resource] = Object.values(Template.fromStack(stack).findResources(ORGANIZATION_TARGETS_RESOURCE_TYPE)) as any[];
  return resource;
}

test('renders the query, the Regions and the role to assume; the handler role may assume exactly that role', () => {
  const { stack, config } = setup();
  const organizationsRole = OrganizationsReaderRole.fromAccount(stack, 'OrgRole', MANAGEMENT);
  const targets = new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: config,
    regions: ['us-east-1', 'eu-west-1'],
    targetAccounts: [
      TargetAccounts.fromOrganizationalUnits([OU, 'r-ab12'], { recursive: false, exclude: ['222222222222', 'ou-ab12-sandbox1'] }),
      TargetAccounts.fromAccountIds(['333333333333']),
    ],
    organizationsRole,
  });
  const resource = resourceOf(stack);
  expect(JSON.parse(resource.Properties.Query)).toEqual([
    { accountIds: [], parents: [OU, 'r-ab12'], recursive: false, organization: false, exclude: ['222222222222', 'ou-ab12-sandbox1'], states: ['ACTIVE'] },
    { accountIds: ['333333333333'], parents: [], recursive: false, organization: false, exclude: [], states: ['ACTIVE'] },
  ]);
  expect(JSON.parse(resource.Properties.Regions)).toEqual(['us-east-1', 'eu-west-1']);
  expect(resource.Properties.AllowEmpty).toBe('false');
  expect(JSON.parse(resource.Properties.Patch)).toEqual({ distributions: [] });
  expect(stack.resolve(resource.Properties.OrganizationsRoleArn)).toEqual(stack.resolve(organizationsRole.roleArn));
  Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: { Statement: Match.arrayWith([{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: stack.resolve(organizationsRole.roleArn) }]) },
    Roles: [stack.resolve((targets.handlerRole.node.defaultChild as any).ref)],
  });
  expect(stack.resolve(targets.accountCount)).toEqual({ 'Fn::GetAtt': [expect.any(String), 'AccountCount'] });
});

test('distributionRoleCheck: the property, the attributes and metric, and sts:AssumeRole of the distribution role in any account only when on', () => {
  const { stack, config } = setup();
  const checked = new OrganizationDistributionTargets(stack, 'Checked', {
    distributionConfiguration: config,
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([OU])],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'OrgRole', MANAGEMENT),
    distributionRoleCheck: DistributionRoleCheck.EXCLUDE,
    refreshSchedule: events.Schedule.rate(Duration.hours(6)),
  });
  const unchecked = new OrganizationDistributionTargets(stack, 'Unchecked', {
    distributionConfiguration: config,
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([OU])],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'OrgRole2', MANAGEMENT),
  });
  const template = Template.fromStack(stack);
  const props = Object.values(template.findResources(ORGANIZATION_TARGETS_RESOURCE_TYPE)).map((r: any) => r.Properties.DistributionRoleCheck);
  expect(props).toEqual(['EXCLUDE', undefined]);
  // The scheduled refresh checks as the deployment does.
  const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as any[];
  const input = JSON.stringify(rule.Properties.Targets[0].Input);
  expect(input).toMatch(/DistributionRoleCheck\\+":\\+"EXCLUDE/);
  const grant = { Action: 'sts:AssumeRole', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/EC2ImageBuilderDistributionCrossAccountRole']] } };
  const policyOf = (t: OrganizationDistributionTargets) => Object.values(template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [stack.resolve((t.handlerRole.node.defaultChild as any).ref)] },
  })).map((p: any) => p.Properties.PolicyDocument.Statement).flat();
  expect(policyOf(checked)).toContainEqual(grant);
  expect(policyOf(unchecked)).not.toContainEqual(grant);
  expect(JSON.stringify(policyOf(unchecked))).not.toContain('EC2ImageBuilderDistributionCrossAccountRole');
  expect(stack.resolve(checked.missingRoleAccountCount)).toEqual({ 'Fn::GetAtt': [expect.any(String), 'MissingRoleAccountCount'] });
  expect(stack.resolve(checked.missingRoleAccountIds)).toEqual({ 'Fn::GetAtt': [expect.any(String), 'MissingRoleAccountIds'] });
  expect(stack.resolve(checked.metricMissingRoleAccountCount().toMetricConfig().metricStat)).toMatchObject({
    namespace: 'cdk-imagebuilder-distribution', metricName: 'MissingRoleAccountCount', statistic: 'Maximum', dimensions: [{ name: 'DistributionTargets', value: 'Stack/Checked' }],
  });
  // The account wildcard is acknowledged, with its reason.
  const report = new AwsSolutionsChecks(stack).validateScope(stack);
  expect(report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))).toEqual([]);
});

test('without an organizations role, the resource role itself reads Organizations (stack in the management account)', () => {
  const { stack, config } = setup();
  new OrganizationDistributionTargets(stack, 'Targets', { distributionConfiguration: config, targetAccounts: [TargetAccounts.fromOrganization()] });
  Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: { Statement: Match.arrayWith([{ Action: [...ORGANIZATIONS_READ_ACTIONS], Effect: 'Allow', Resource: '*' }]) },
  });
  expect(JSON.parse(resourceOf(stack).Properties.Query)[0]).toMatchObject({ organization: true, parents: [] });
  // The wildcard those actions need is acknowledged, with its reason.
  const report = new AwsSolutionsChecks(stack).validateScope(stack);
  expect(report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))).toEqual([]);
});

test('every invalid input is reported at synth, with its path', () => {
  const { stack, config } = setup();
  new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: config,
    regions: ['us-east-1', 'nowhere', 'us-east-1'],
    targetAccounts: [
      TargetAccounts.fromOrganizationalUnits(['ou-AB12-abcdefgh', 'o-abcdefghij', OU], { exclude: ['12345', OU], states: [] }),
      TargetAccounts.fromAccountIds(['1234']),
      TargetAccounts.fromOrganization({ states: ['GONE' as AccountState, AccountState.ACTIVE, AccountState.ACTIVE] }),
    ],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'OrgRole', MANAGEMENT),
  });
  const message = synthErrors(stack);
  for (const expected of [
    'regions[1]: "nowhere" is invalid',
    'regions: "us-east-1" is invalid; each value may appear only once',
    'targetAccounts[0].organizationalUnitIds[0]: "ou-AB12-abcdefgh" is invalid',
    'targetAccounts[0].organizationalUnitIds[1]: "o-abcdefghij" is invalid',
    'targetAccounts[0].exclude[0]: "12345" is invalid',
    'targetAccounts[0].exclude[1]: "ou-ab12-abcdefgh" is invalid; excludes an organizational unit that is itself a target',
    'targetAccounts[0].states: must not be an empty list',
    'targetAccounts[1].accountIds[0]: "1234" is invalid',
    'targetAccounts[2].states[0]: "GONE" is invalid',
    'targetAccounts[2].states: "ACTIVE" is invalid; each value may appear only once',
  ]) expect(message).toContain(expected);
});

test('an organizations role with only literal accounts is reported', () => {
  const { stack, config } = setup();
  new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: config,
    targetAccounts: [TargetAccounts.fromAccountIds(['333333333333'])],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'OrgRole', MANAGEMENT),
  });
  expect(synthErrors(stack)).toContain('organizationsRole: is not used');
});

test('OrganizationsReaderRole: read-only Organizations actions, trusted only by the library\'s handler roles of the distributing accounts', () => {
  const stack = new Stack(new App(), 'Management', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  const role = new OrganizationsReaderRole(stack, 'Reader', { distributingAccountIds: ['111111111111', '222222222222'] });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::IAM::Role', {
    RoleName: 'cdk-imagebuilder-distribution-organizations-reader',
    AssumeRolePolicyDocument: {
      // One statement per account (aws-cdk-lib's rendering of a composite principal), each narrowed to the library's roles.
      Statement: ['111111111111', '222222222222'].map((account) => ({
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:root`]] } },
        Condition: {
          ArnLike: {
            'aws:PrincipalArn': [
              { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/cdk-imagebuilder-distribution/*']] },
              { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/cdk-imagebuilder-distribution/*']] },
            ],
          },
        },
      })),
    },
  });
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: { Statement: [{ Action: [...ORGANIZATIONS_READ_ACTIONS], Effect: 'Allow', Resource: '*' }] },
  });
  expect(role.roleArn).toBeDefined();
});

test('OrganizationsReaderRole validates the distributing accounts', () => {
  const stack = new Stack(new App(), 'Management', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  new OrganizationsReaderRole(stack, 'Reader', { distributingAccountIds: ['12', '111111111111', '111111111111'] });
  const message = synthErrors(stack);
  expect(message).toContain('distributingAccountIds[0]: "12" is invalid');
  expect(message).toContain('distributingAccountIds: "111111111111" is invalid; each value may appear only once');
});

test('refreshSchedule: a rule invokes the onEvent handler with the resource\'s own properties; metrics name the construct', () => {
  const { stack, config } = setup();
  const targets = new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: config,
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([OU])],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'OrgRole', MANAGEMENT),
    refreshSchedule: events.Schedule.rate(Duration.hours(6)),
    resolutionKey: 'build-1',
  });
  const template = Template.fromStack(stack);
  const [ruleId, rule] = Object.entries(template.findResources('AWS::Events::Rule'))[0] as [string, any];
  expect(rule.Properties.ScheduleExpression).toBe('rate(6 hours)');
  const [target] = rule.Properties.Targets;
  const input = JSON.stringify(stack.resolve(target.Input));
  for (const fragment of ['\\"Refresh\\":true', '\\"RequestType\\":\\"Update\\"', ORGANIZATION_TARGETS_RESOURCE_TYPE, '\\"Query\\":', '\\"MetricDimension\\":\\"Stack/Targets\\"']) {
    expect(input).toContain(fragment);
  }
  expect(input).not.toContain('build-1');
  const resourceId = Object.keys(template.findResources(ORGANIZATION_TARGETS_RESOURCE_TYPE))[0];
  expect(rule.DependsOn).toContain(resourceId);
  template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] } });
  const metric = stack.resolve(targets.metricRefreshFailed());
  expect(metric).toMatchObject({ namespace: 'cdk-imagebuilder-distribution', metricName: 'RefreshFailed', dimensions: { DistributionTargets: 'Stack/Targets' } });
  expect(resourceOf(stack).Properties.MetricDimension).toBe('Stack/Targets');
});

test('an owned configuration: its rewrite by CloudFormation updates the resource (BaseHash), which applies the accounts again', () => {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
  const config = new DistributionConfiguration(stack, 'Config', { amiDistributions: [{ amiName: 'golden-{{ imagebuilder:buildDate }}' }] });
  new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: config,
    targetAccounts: [TargetAccounts.fromOrganization()],
  });
  const [id, resource] = Object.entries(Template.fromStack(stack).findResources(ORGANIZATION_TARGETS_RESOURCE_TYPE))[0] as [string, any];
  expect(resource.Properties.BaseHash).toMatch(/^[0-9a-f]{64}$/);
  expect(resource.DependsOn).toEqual(expect.arrayContaining([stack.resolve((config.node.defaultChild as any).logicalId)]));
  expect(id).toBeDefined();
});

test('OU IDs and Regions given as tokens are rendered for CloudFormation and not validated at synth', () => {
  const { stack, config } = setup();
  const ou = new CfnParameter(stack, 'Ou').valueAsString;
  new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: config,
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([ou], { exclude: [new CfnParameter(stack, 'Sandbox').valueAsString] })],
  });
  const query = resourceOf(stack).Properties.Query;
  expect(JSON.stringify(query)).toContain('{"Ref":"Ou"}');
  expect(JSON.stringify(query)).toContain('{"Ref":"Sandbox"}');
});

test('the ID patterns are the Organizations API model\'s', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const model = require('../../shared/reference/organizations-2016-11-28.service-2.json');
  expect(ORGANIZATIONAL_UNIT_ID_PATTERN.source).toBe(model.shapes.OrganizationalUnitId.pattern);
  // ParentId: a root or an OU.
  expect(model.shapes.ParentId.pattern).toBe(`^(${ROOT_ID_PATTERN.source.slice(1, -1)})|(${ORGANIZATIONAL_UNIT_ID_PATTERN.source.slice(1, -1)})$`);
  const accountId = new RegExp(model.shapes.AccountId.pattern);
  for (const sample of ['123456789012', '12345678901', '1234567890123', '12345678901a', '']) {
    expect(ACCOUNT_ID_PATTERN.test(sample)).toBe(accountId.test(sample));
  }
});

test('refreshOnOrganizationChanges: the management account forwards Organizations\' account changes; this stack refreshes on them', () => {
  const management = new Stack(new App(), 'Management', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  new OrganizationChangeEvents(management, 'Changes', { destinations: [{ account: '111111111111', region: 'us-east-1' }] });
  const forwarded = Template.fromStack(management);
  const [forward] = Object.values(forwarded.findResources('AWS::Events::Rule')) as any[];
  expect(forward.Properties.EventPattern).toEqual({
    source: ['aws.organizations'],
    detail: { eventSource: ['organizations.amazonaws.com'], eventName: expect.arrayContaining(['CreateAccountResult', 'MoveAccount', 'RemoveAccountFromOrganization', 'CloseAccount']) },
  });
  expect(JSON.stringify(management.resolve(forward.Properties.Targets[0].Arn))).toContain(':events:us-east-1:111111111111:event-bus/default');
  expect(new AwsSolutionsChecks(management).validateScope(management).violations).toEqual([]);

  const { stack, config } = setup();
  new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: config,
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([OU])],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'OrgRole', MANAGEMENT),
    refreshOnOrganizationChanges: true,
  });
  const template = Template.fromStack(stack);
  const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as any[];
  expect(rule.Properties.EventPattern).toEqual({ ...forward.Properties.EventPattern, account: [MANAGEMENT] });
  expect(JSON.stringify(stack.resolve(rule.Properties.Targets[0].Input))).toContain('\\"Refresh\\":true');
  template.hasResourceProperties('AWS::Events::EventBusPolicy', {
    Statement: Match.objectLike({ Action: 'events:PutEvents', Principal: { AWS: Match.anyValue() } }),
  });
  expect(JSON.stringify(Object.values(template.findResources('AWS::Events::EventBusPolicy'))[0])).toContain(`:iam::${MANAGEMENT}:root`);
});

test('OrganizationChangeEvents must be in Organizations\' home Region and validates its destinations', () => {
  const management = new Stack(new App(), 'Management', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
  new OrganizationChangeEvents(management, 'Changes', { destinations: [{ account: '1111', region: 'nowhere' }] });
  const message = synthErrors(management);
  expect(message).toContain('stack region: "eu-west-1" is invalid');
  expect(message).toContain('destinations[0].account: "1111" is invalid');
  expect(message).toContain('destinations[0].region: "nowhere" is invalid');
});

test('OrganizationDistributionRoles: a service-managed StackSet puts the cross-account distribution role into every account of the OUs', () => {
  const management = new Stack(new App(), 'Management', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  new OrganizationDistributionRoles(management, 'Roles', { organizationalUnitIds: [OU], distributingAccountIds: ['111111111111'], encryptedAmis: true });
  const [stackSet] = Object.values(Template.fromStack(management).findResources('AWS::CloudFormation::StackSet')) as any[];
  expect(stackSet.Properties).toMatchObject({
    PermissionModel: 'SERVICE_MANAGED',
    AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
    Capabilities: ['CAPABILITY_NAMED_IAM'],
    StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: [OU] }, Regions: ['us-east-1'] }],
  });
  const inner = JSON.parse(stackSet.Properties.TemplateBody);
  const role = inner.Resources.DistributionRole;
  expect(role.Properties.RoleName).toBe('EC2ImageBuilderDistributionCrossAccountRole');
  expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::111111111111:root' }]);
  expect(role.Properties.ManagedPolicyArns).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/Ec2ImageBuilderCrossAccountDistributionAccess' }]);
  expect(role.Properties.Policies[0].PolicyDocument.Statement[0].Action).toContain('kms:CreateGrant');
  // The instances' template is valid CloudFormation (resource schemas).
  expect(validateTemplate(inner)).toEqual([]);
  expect(new AwsSolutionsChecks(management).validateScope(management).violations).toEqual([]);
});

test('OrganizationDistributionRoles validates its OUs, accounts and Region', () => {
  const management = new Stack(new App(), 'Management', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  new OrganizationDistributionRoles(management, 'Roles', { organizationalUnitIds: ['o-abc'], distributingAccountIds: [], region: 'moon' });
  const message = synthErrors(management);
  expect(message).toContain('organizationalUnitIds[0]: "o-abc" is invalid');
  expect(message).toContain('distributingAccountIds: must not be an empty list');
  expect(message).toContain('region: "moon" is invalid');
});
