// The handler acts only with its own provider's roles, each only for its own resource, and only for its own stack.
// The handler's environment, the resources' properties and the role ARNs come from templates the constructs
// synthesize (two stacks, each with its provider); the events are those CloudFormation would send, then crafted.
import { App, Stack } from 'aws-cdk-lib';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { setLambdaEnvironment } from './lambda-environment';
import { LocalServer } from './local-server';
import { DistributionConfigurations } from './server/imagebuilder';
import { ARN, fullDistribution } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { entryPoints } from '../../lambda/index';
import { DistributionConfiguration, DistributionConfigurationPatch } from '../../src';
import { HANDLER_ROLE_ARN_PREFIX_ENV, HANDLER_STACK_ID_ENV, PATCH_RESOURCE_TYPE } from '../../src/private/handler-contract';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

/** The handler's entry points with the tests' backoff: no real sleeping. */
const { onEvent: route } = entryPoints({ retry: { sleep: async () => {} } });

const ACCOUNT = '123456789012';
const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'SSM_ENDPOINT', 'STS_ENDPOINT',
  'HANDLER_REQUEST_TIMEOUT_MS', 'AWS_EC2_METADATA_DISABLED', HANDLER_ROLE_ARN_PREFIX_ENV, HANDLER_STACK_ID_ENV];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

/** A deployed stack as the handler sees it: its ID, its template, and intrinsics resolved as CloudFormation would. */
class Deployed {
  readonly template: any;
  constructor(readonly stack: Stack, readonly stackId: string) {
    this.template = App.of(stack)!.synth().getStackByName(stack.stackName).template;
  }

  /** Ref and GetAtt of roles, pseudo parameters and Fn::Join, as CloudFormation resolves them at deployment. */
  resolve(v: any): any {
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    if (v && typeof v === 'object') {
      if ('Ref' in v) {
        const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::AccountId': ACCOUNT, 'AWS::Region': 'us-east-1', 'AWS::StackId': this.stackId };
        if (v.Ref in pseudo) return pseudo[v.Ref];
        throw new Error(`unresolved Ref ${v.Ref}`);
      }
      if ('Fn::GetAtt' in v) {
        const [id, attr] = v['Fn::GetAtt'];
        const resource = this.template.Resources[id];
        if (resource.Type === 'AWS::IAM::Role' && attr === 'Arn') return `arn:aws:iam::${ACCOUNT}:role${resource.Properties.Path ?? '/'}${this.stack.stackName}-${id}`;
        throw new Error(`unresolved GetAtt ${id}.${attr}`);
      }
      if ('Fn::Join' in v) return this.resolve(v['Fn::Join'][1]).join(v['Fn::Join'][0]);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.resolve(x)]));
    }
    return v;
  }

  /** The environment of the provider's onEvent function. */
  handlerEnvironment(): Record<string, string> {
    const [fn] = Object.values<any>(this.template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'index.onEvent');
    return this.resolve(fn.Properties.Environment.Variables);
  }

  /** The Create event CloudFormation sends for the patch resource `logicalId` (properties as resolved). */
  createEvent(logicalId: string): CdkCustomResourceEvent {
    const resource = this.template.Resources[logicalId];
    const { ServiceToken: _, ...properties } = resource.Properties;
    return {
      RequestType: 'Create',
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent',
      ResponseURL: 'https://example/',
      StackId: this.stackId,
      RequestId: `req-${logicalId}`,
      LogicalResourceId: logicalId,
      ResourceType: resource.Type,
      ResourceProperties: { ServiceToken: 'x', ...this.resolve(properties) },
    };
  }

  patchIds(): string[] {
    return Object.entries<any>(this.template.Resources).filter(([, r]) => r.Type === PATCH_RESOURCE_TYPE).map(([id]) => id);
  }
}

function deploy(name: string, patches: number): Deployed {
  const app = new App();
  const stack = new Stack(app, name, { env: { account: ACCOUNT, region: 'us-east-1' } });
  const config = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', ARN);
  for (let i = 0; i < patches; i++) {
    const patch = new DistributionConfigurationPatch(stack, `Patch${i}`, { distributionConfiguration: config });
    patch.addTargetAccounts('us-east-1', String(600000000000 + i));
  }
  return new Deployed(stack, `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/${name}/0000000${name.length}-0000-0000-0000-000000000000`);
}

let server: LocalServer;
let ib: DistributionConfigurations;
let roles: Roles;
const a = deploy('StackA', 2);
const b = deploy('StackB', 1);

beforeEach(async () => {
  server = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  new Parameters(server);
  roles = new Roles(server);
  ib.put({ arn: ARN, name: 'imported-dist', distributions: [fullDistribution('us-east-1')] });
  setLambdaEnvironment(server, {
    HANDLER_REQUEST_TIMEOUT_MS: '1000',
    // The handler runs as stack A's provider.
    ...a.handlerEnvironment(),
  });
  // Every role of both stacks trusts the handler (the worst case: only the handler's own check stands in the way).
  for (const d of [a, b]) for (const id of d.patchIds()) roles.add(d.createEvent(id).ResourceProperties.RoleArn);
  clients.resetClients();
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
});

afterAll(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const accounts = () => ib.get(ARN)!.distributions[0].amiDistributionConfiguration.targetAccountIds as string[];

test('the environment comes from the template: this provider\'s role path, this stack', () => {
  const env = a.handlerEnvironment();
  expect(env[HANDLER_STACK_ID_ENV]).toBe(a.stackId);
  expect(env[HANDLER_ROLE_ARN_PREFIX_ENV]).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/cdk-imagebuilder-distribution/[0-9a-f]{42}/$`));
  expect(b.handlerEnvironment()[HANDLER_ROLE_ARN_PREFIX_ENV]).not.toBe(env[HANDLER_ROLE_ARN_PREFIX_ENV]);
});

test('the genuine event of each resource is served with its own role', async () => {
  const [p0, p1] = a.patchIds();
  for (const id of [p0, p1]) await route(a.createEvent(id));
  expect(accounts()).toEqual(expect.arrayContaining(['600000000000', '600000000001']));
  expect(roles.sessions.map((s) => s.roleArn)).toEqual([p0, p1].map((id) => a.createEvent(id).ResourceProperties.RoleArn));
});

test('a role of an earlier version (directly under the provider\'s path, before roles had a path per resource) is accepted: an upgrade can roll back', async () => {
  const [p0] = a.patchIds();
  const legacy = `${a.handlerEnvironment()[HANDLER_ROLE_ARN_PREFIX_ENV]}StackA-Patch0ResourceHandlerRole-1A2B3C`;
  roles.add(legacy);
  await route({ ...a.createEvent(p0), ResourceProperties: { ...a.createEvent(p0).ResourceProperties, RoleArn: legacy } } as CdkCustomResourceEvent);
  expect(roles.sessions.map((s) => s.roleArn)).toEqual([legacy]);
});

describe('crafted events are refused before any call, and nothing changes', () => {
  const [p0, p1] = a.patchIds();
  const withRole = (event: CdkCustomResourceEvent, roleArn: unknown) =>
    ({ ...event, ResourceProperties: { ...event.ResourceProperties, RoleArn: roleArn } }) as CdkCustomResourceEvent;
  const cases: Array<[string, () => CdkCustomResourceEvent, RegExp]> = [
    ['another resource\'s role (same stack, same provider)', () => withRole(a.createEvent(p0), a.createEvent(p1).ResourceProperties.RoleArn),
      new RegExp(`^Refused: RoleArn ".*/${p1}/.*" is not the role of resource ${p0}`)],
    ['another provider\'s role (another stack\'s resource of the same logical ID)', () => withRole(a.createEvent(p0), b.createEvent(b.patchIds()[0]).ResourceProperties.RoleArn),
      /^Refused: RoleArn .* is not the role of resource/],
    ['a role outside the stack', () => withRole(a.createEvent(p0), `arn:aws:iam::${ACCOUNT}:role/Admin`), /^Refused: RoleArn "arn:aws:iam::123456789012:role\/Admin"/],
    ['a role under the resource\'s path, one level down', () => withRole(a.createEvent(p0), `${a.handlerEnvironment()[HANDLER_ROLE_ARN_PREFIX_ENV]}${p0}/x/Admin`),
      /^Refused: RoleArn/],
    ['no role (the handler\'s own credentials)', () => withRole(a.createEvent(p0), undefined), /^Refused: RoleArn undefined/],
    ['another stack\'s event through this stack\'s service token', () => b.createEvent(b.patchIds()[0]), /^Refused: the event is for stack .*StackB/],
    ['another stack\'s event naming this stack\'s role', () => withRole({ ...a.createEvent(p0), StackId: b.stackId }, a.createEvent(p0).ResourceProperties.RoleArn),
      /^Refused: the event is for stack .*StackB/],
  ];

  test.each(cases)('%s', async (_, event, reason) => {
    const before = ib.get(ARN);
    await expect(route(event())).rejects.toThrow(reason);
    expect(server.calls).toEqual([]);
    expect(roles.sessions).toEqual([]);
    expect(ib.get(ARN)).toEqual(before);
  });
});
