// Over the wire: the real SDK clients, through the handler, against a local Image Builder + SSM + STS on 127.0.0.1,
// with IAM: every call is authorized against the roles the constructs synthesize (../util/iam-stacks.ts), and the
// resource properties (role, baseline parameter) are those of the synthesized template.
import { GetDistributionConfigurationCommand, ImagebuilderClient, UpdateDistributionConfigurationCommand } from '@aws-sdk/client-imagebuilder';
import { setLambdaEnvironment } from './lambda-environment';
import { faults, LocalServer, ReceivedRequest } from './local-server';
import { IamAuthorizer } from './server/iam';
import { DistributionConfigurations, FUTURE_FIELDS } from './server/imagebuilder';
import {
  ARN, createEvent, deleteEvent, exportPatch, fullDistribution, S3_EXPORT, sharePatch, updateEvent,
} from './server/patch-fixtures';
import { verifySigV4 } from './server/sigv4';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { entryPoints } from '../../lambda/index';
import { leaseLocation } from '../../lambda/lease';
import { DEADLINE_MARGIN_MS } from '../../lambda/retry';
import { PatchDocument } from '../../src/private/handler-contract';
import { patchWorld } from '../util/iam-stacks';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

/** The handler's log lines (warnings of undone patches and of retries cut short): captured, not printed. */
const logged: string[] = [];
/** The handler's entry points with the tests' backoff (no real sleeping) and log. */
const { onEvent: route } = entryPoints({ retry: { maxAttempts: 5, sleep: async (ms) => { sleeps.push(ms); } }, log: (m) => { logged.push(m); } });

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'SSM_ENDPOINT', 'STS_ENDPOINT',
  'HANDLER_REQUEST_TIMEOUT_MS', 'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

const wire = patchWorld(ARN, S3_EXPORT.roleName);
/** The synthesized patch's properties with the test's patch (BaseHash as a configuration this stack owns has it). */
const props = (patch: PatchDocument, arn = ARN): Record<string, string> =>
  ({ ...wire.properties.Patch, DistributionConfigurationArn: arn, Patch: JSON.stringify(patch), BaseHash: 'h1' });
const PARAM = wire.properties.Patch.BaselineParameterName;
const withoutRole = ({ RoleArn: _, ...p }: Record<string, string>) => p;
let iam: IamAuthorizer;
let expectedDenials: unknown[] = [];
/**
 * The Lambda's own role, as it was when it held the statements of the resources it served (before each resource had
 * a role of its own): what a resource without RoleArn, or a direct SDK call with the Lambda's keys, needs.
 */
const lambdaHoldsResourceStatements = () => {
  iam.world = wire.world.withPoliciesOf(wire.providerRoleArn, wire.properties.Patch.RoleArn);
};

let server: LocalServer;
let ib: DistributionConfigurations;
let ssm: Parameters;
let roles: Roles;
const sleeps: number[] = [];

function seed() {
  ib.put({
    arn: ARN,
    name: 'imported-dist',
    description: 'owned by another team',
    distributions: [fullDistribution('us-east-1'), fullDistribution('us-west-2')],
    tags: { owner: 'team-a' },
  });
}

/** Calls of `operation` on the baseline parameter (not the lease's). */
const baselineCalls = (operation: string) => server.callsTo(operation).filter((c) => c.body?.Name === PARAM).length;

/** Everything but dateUpdated, which the service sets on every write. */
function stored() {
  const { dateUpdated: _d, ...rest } = ib.get(ARN)!;
  return rest;
}

beforeEach(async () => {
  server = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  ssm = new Parameters(server);
  iam = new IamAuthorizer(wire.world, { account: '123456789012', keys: { test: wire.providerRoleArn } }).attach(server);
  roles = new Roles(server, { iam });
  setLambdaEnvironment(server, {
    HANDLER_REQUEST_TIMEOUT_MS: '150',
  });
  clients.resetClients();
  sleeps.length = 0;
  logged.length = 0;
  seed();
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
  // Every call was allowed, unless a test looked for the denial.
  expect(iam.denials).toEqual(expectedDenials);
  expectedDenials = [];
});

afterAll(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test('create, update and delete leave the stored configuration exactly where it started', async () => {
  const start = stored();
  const created = await route(createEvent(props(exportPatch)));
  expect(stored().distributions[0].s3ExportConfiguration).toEqual(S3_EXPORT);
  expect(ssm.params.has(PARAM)).toBe(true);

  const updated = await route(updateEvent(created.PhysicalResourceId!, props(sharePatch), props(exportPatch)));
  expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
  const afterUpdate = stored();
  expect(afterUpdate.distributions[0].s3ExportConfiguration).toBeUndefined();
  expect(afterUpdate.distributions[0].amiDistributionConfiguration.targetAccountIds).toEqual(['111111111111', '333333333333']);
  expect(afterUpdate.distributions.map((d: any) => d.region)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);

  await route(deleteEvent(updated.PhysicalResourceId!, props(sharePatch)));
  expect(stored()).toEqual(start);
  expect(ssm.params.has(PARAM)).toBe(false);
  // Every write carried the untouched fields (description, all regions) and a valid token.
  for (const call of server.callsTo('UpdateDistributionConfiguration')) {
    expect(call.body.description).toBe('owned by another team');
    expect(call.body.clientToken).toMatch(/^[0-9a-f-]{36}$/);
  }
  expect(ib.applied).toBe(3);
  // The baseline's SSM calls are signed for the Lambda's Region (the server verifies every signature).
  expect(ssm.regions.length).toBeGreaterThanOrEqual(4);
  expect(new Set(ssm.regions)).toEqual(new Set(['us-east-1']));
});

test('a slow or throttled SSM answer is retried (per-request timeout, ThrottlingException)', async () => {
  server.inject('GetParameter', faults.slow(1_000));
  server.inject('PutParameter', faults.error(400, 'ThrottlingException', 'Rate exceeded'), 2);
  await route(createEvent(props(exportPatch)));
  expect(ssm.params.has(PARAM)).toBe(true);
  // The lease's calls included: its PutParameter (throttled twice), the baseline's Get (slow once) and Put, the
  // lease's Get and Delete at its release.
  expect(server.count('GetParameter')).toBe(3);
  expect(server.count('PutParameter')).toBe(4);
  expect(sleeps).toHaveLength(3);
});

test('an SSM error that is not transient names the call, the parameter and the service\'s reason', async () => {
  // The first PutParameter is the lease's.
  server.inject('PutParameter', faults.error(400, 'AccessDeniedException', 'not authorized to perform ssm:PutParameter'));
  await expect(route(createEvent(props(exportPatch)))).rejects.toThrow(
    `ssm:PutParameter on ${leaseLocation(ARN).name} failed: AccessDeniedException (HTTP 400): not authorized to perform ssm:PutParameter`);
  expect(server.count('PutParameter')).toBe(1);
});

test('a concurrent change by another writer survives our delete', async () => {
  const created = await route(createEvent(props(sharePatch)));
  ib.modify(ARN, (c) => {
    const east = c.distributions[0].amiDistributionConfiguration;
    east.targetAccountIds.push('555555555555');
    east.name = 'renamed-by-console';
    c.distributions.find((d: any) => d.region === 'us-west-2').amiDistributionConfiguration.amiTags.env = 'prod';
  });

  await route(deleteEvent(created.PhysicalResourceId!, props(sharePatch)));
  const after = stored();
  const east = after.distributions[0].amiDistributionConfiguration;
  expect(east.targetAccountIds).toEqual(['111111111111', '555555555555']);
  expect(east.launchPermission.userIds).toEqual(['222222222222']);
  expect(east.name).toBe('renamed-by-console');
  expect(after.distributions[1].amiDistributionConfiguration.amiTags).toEqual({ team: 'platform', env: 'prod' });
  expect(after.distributions.map((d: any) => d.region)).toEqual(['us-east-1', 'us-west-2']);
});

test('a no-op update is one Get and no Update, no SSM write', async () => {
  const created = await route(createEvent(props(exportPatch)));
  const gets = server.count('GetDistributionConfiguration');
  const puts = baselineCalls('PutParameter');
  await route(updateEvent(created.PhysicalResourceId!, { ...props(exportPatch), BaseHash: 'h2' }, props(exportPatch)));
  expect(server.count('GetDistributionConfiguration')).toBe(gets + 1);
  expect(server.count('UpdateDistributionConfiguration')).toBe(1);
  expect(baselineCalls('PutParameter')).toBe(puts);
});

test('the patch is applied again after the owner rewrote the configuration (BaseHash changed)', async () => {
  const created = await route(createEvent(props(exportPatch)));
  // CloudFormation replaced the whole configuration from the owner's template: our export is gone, a name changed.
  ib.modify(ARN, (c) => {
    delete c.distributions[0].s3ExportConfiguration;
    c.distributions[0].amiDistributionConfiguration.name = 'app-v2';
  });
  await route(updateEvent(created.PhysicalResourceId!, { ...props(exportPatch), BaseHash: 'h2' }, props(exportPatch)));
  expect(stored().distributions[0].s3ExportConfiguration).toEqual(S3_EXPORT);
  expect(stored().distributions[0].amiDistributionConfiguration.name).toBe('app-v2');

  await route(deleteEvent(created.PhysicalResourceId!, props(exportPatch)));
  expect(stored().distributions[0].s3ExportConfiguration).toBeUndefined();
  expect(stored().distributions[0].amiDistributionConfiguration.name).toBe('app-v2');
});

test('throttling, 500s, ResourceInUse and slow answers are retried with growing jittered delays', async () => {
  server.inject('GetDistributionConfiguration', faults.throttle, 2);
  server.inject('GetDistributionConfiguration', faults.slow(1_000));
  server.inject('PutParameter', faults.error(400, 'ThrottlingException', 'Rate exceeded'));
  server.inject('UpdateDistributionConfiguration', faults.serverError);
  server.inject('UpdateDistributionConfiguration', faults.inUse);

  await route(createEvent(props(exportPatch)));
  expect(stored().distributions[0].s3ExportConfiguration).toEqual(S3_EXPORT);
  // Three answered with faults, one read, one read-back of the write.
  expect(server.count('GetDistributionConfiguration')).toBe(5);
  expect(server.count('UpdateDistributionConfiguration')).toBe(3);
  expect(ib.applied).toBe(1);
  // One token for all attempts of the same write.
  expect(new Set(server.callsTo('UpdateDistributionConfiguration').map((c) => c.body.clientToken)).size).toBe(1);
  expect(sleeps).toHaveLength(6);
});

test('a slow answer that the client gave up on is not applied twice (same client token)', async () => {
  server.inject('UpdateDistributionConfiguration', faults.slow(400));
  // The slow attempt is applied by the service after the client timed out; the retry replays the same token.
  await route(createEvent(props(exportPatch)));
  await new Promise((r) => setTimeout(r, 450));
  expect(server.count('UpdateDistributionConfiguration')).toBe(2);
  expect(ib.applied).toBe(1);
});

test('a failure that is not transient reaches CloudFormation naming the configuration and the reason', async () => {
  server.inject('UpdateDistributionConfiguration', faults.error(400, 'InvalidParameterValueException', 'The role vmimport cannot be used'));
  await expect(route(createEvent(props(exportPatch)))).rejects.toThrow(
    `UpdateDistributionConfiguration on ${ARN} failed: InvalidParameterValueException (HTTP 400): The role vmimport cannot be used`);
  expect(server.count('UpdateDistributionConfiguration')).toBe(1);
  expect(logged).toEqual([`Undid the patch of ${ARN} after the failure`]);
});

test('retries are bounded: persistent throttling fails after maxAttempts', async () => {
  server.inject('GetDistributionConfiguration', faults.throttle, 10);
  await expect(route(createEvent(props(exportPatch)))).rejects.toThrow(/GetDistributionConfiguration on .* failed: CallRateLimitExceededException \(HTTP 429\): Rate exceeded/);
  expect(server.count('GetDistributionConfiguration')).toBe(5);
});

describe('the invocation\'s deadline (the Lambda context\'s remaining time)', () => {
  // The per-request timeout here is 150 ms: a retry needs its backoff plus 150 ms before the deadline, which is the
  // remaining time less DEADLINE_MARGIN_MS.
  const lambdaContext = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

  test('with time enough, persistent throttling is retried maxAttempts times', async () => {
    server.inject('GetDistributionConfiguration', faults.throttle, 10);
    await expect(route(createEvent(props(exportPatch)), lambdaContext(840_000))).rejects.toThrow(/CallRateLimitExceededException/);
    expect(server.count('GetDistributionConfiguration')).toBe(5);
  });

  test('near the end of the invocation, retries stop and CloudFormation gets the call, the configuration and the reason', async () => {
    server.inject('GetDistributionConfiguration', faults.throttle, 10);
    await expect(route(createEvent(props(exportPatch)), lambdaContext(DEADLINE_MARGIN_MS + 100))).rejects.toThrow(
      `GetDistributionConfiguration on ${ARN} failed: CallRateLimitExceededException (HTTP 429): Rate exceeded`);
    expect(server.count('GetDistributionConfiguration')).toBe(1);
    expect(sleeps).toEqual([]);
  });

  test('AccessDenied from AssumeRole is not retried for 90 s when the invocation ends sooner', async () => {
    const ROLE = 'arn:aws:iam::123456789012:role/cdk-ibd/TestStack-PatchRole-Unknown';
    expectedDenials = [expect.objectContaining({ action: 'sts:AssumeRole', resource: ROLE })];
    await expect(route(createEvent({ ...props(exportPatch), RoleArn: ROLE }), lambdaContext(DEADLINE_MARGIN_MS + 100))).rejects.toThrow(new RegExp(
      `^ssm:PutParameter on ${leaseLocation(ARN).name} failed: AccessDenied \\(HTTP 403\\): AssumeRole of ${ROLE} was denied for 0 s \\(1 attempts; no time left for another `
      + `before the invocation ends\\): User: .* is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`));
    expect(server.count('AssumeRole')).toBe(1);
    expect(server.count('GetDistributionConfiguration')).toBe(0);
  });
});

test('a configuration that does not exist fails the create clearly; a delete after it is gone succeeds', async () => {
  // The role is granted its configuration's ARN; the configuration is gone.
  const saved = ib.configs.get(ARN)!;
  ib.configs.delete(ARN);
  await expect(route(createEvent(props(exportPatch)))).rejects.toThrow(`Distribution configuration ${ARN} not found`);
  ib.configs.set(ARN, saved);
  // Another configuration: IAM denies before the service looks it up.
  const other = ARN.replace('imported-dist', 'missing');
  // (The first call of a patch is its lease's, next to the configuration, which the role is not granted either.)
  await expect(route(createEvent(props(exportPatch, other)))).rejects.toThrow(
    `ssm:PutParameter on ${leaseLocation(other).name} failed: AccessDeniedException (HTTP 400): User: arn:aws:sts::123456789012:assumed-role/`);
  expectedDenials = [expect.objectContaining({ action: 'ssm:PutParameter', resource: expect.stringContaining(leaseLocation(other).name) })];
  clients.resetClients();

  const created = await route(createEvent(props(exportPatch)));
  ib.configs.delete(ARN);
  await route(deleteEvent(created.PhysicalResourceId!, props(exportPatch)));
  expect(ssm.params.has(PARAM)).toBe(false);
  expect(server.count('UpdateDistributionConfiguration')).toBe(1);
});

test('a large baseline is stored compressed and still reverts', async () => {
  const bigTags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`tag-${i}`, `value-${i}-${'x'.repeat(60)}`]));
  ib.modify(ARN, (c) => {
    c.distributions[0].amiDistributionConfiguration.amiTags = bigTags;
    c.distributions[1].amiDistributionConfiguration.amiTags = bigTags;
  });
  const start = stored();
  const patch = { distributions: [{ region: 'us-east-1', replace: { amiDistributionConfiguration: { name: 'app-x' } } }, { region: 'us-west-2', replace: { amiDistributionConfiguration: { name: 'app-y' } } }] };
  const created = await route(createEvent(props(patch)));
  expect(ssm.params.get(PARAM)!.value.startsWith('gz:')).toBe(true);
  await route(deleteEvent(created.PhysicalResourceId!, props(patch)));
  expect(stored()).toEqual(start);
});

describe('fields of a newer Image Builder API, unknown to the bundled SDK', () => {
  // Values with nesting, lists, numbers and non-ASCII text: they must come back exactly.
  const FUTURE_DISTRIBUTION = { mode: 'warm', weights: [3, 1, 0.5], nested: { keep: true, note: 'é € "quoted" \\ done', empty: {} } };
  const FUTURE_AMI_EAST = { retainDays: 90, tiers: ['archive', 'standard'] };
  const FUTURE_AMI_WEST = { retainDays: 7 };
  const { distribution: DIST_FIELD, amiDistributionConfiguration: AMI_FIELD } = FUTURE_FIELDS;

  beforeEach(() => {
    ib.modify(ARN, (c) => {
      c.distributions[0][DIST_FIELD] = FUTURE_DISTRIBUTION;
      c.distributions[0].amiDistributionConfiguration[AMI_FIELD] = FUTURE_AMI_EAST;
      c.distributions[1].amiDistributionConfiguration[AMI_FIELD] = FUTURE_AMI_WEST;
    });
  });

  /** The stored configuration as the server would send it, less dateUpdated. */
  const storedJson = () => JSON.stringify(stored());

  test('the SDK alone loses them: its deserializer drops them, its serializer does not send them', async () => {
    lambdaHoldsResourceStatements(); // the SDK signs with the Lambda's keys
    const client = new ImagebuilderClient({ endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1 });
    try {
      const out = await client.send(new GetDistributionConfigurationCommand({ distributionConfigurationArn: ARN }));
      const [east] = out.distributionConfiguration!.distributions! as any[];
      expect(east[DIST_FIELD]).toBeUndefined();
      expect(east.amiDistributionConfiguration[AMI_FIELD]).toBeUndefined();
      // ... while the server did send them.
      expect(server.calls.length).toBe(1);
      expect(ib.get(ARN)!.distributions[0][DIST_FIELD]).toEqual(FUTURE_DISTRIBUTION);

      await client.send(new UpdateDistributionConfigurationCommand({
        distributionConfigurationArn: ARN, clientToken: 'sdk-alone', distributions: [{ ...east, [DIST_FIELD]: FUTURE_DISTRIBUTION }],
      }));
      expect(server.callsTo('UpdateDistributionConfiguration')[0].body.distributions[0][DIST_FIELD]).toBeUndefined();
      expect(ib.get(ARN)!.distributions).toHaveLength(1);
      expect(ib.get(ARN)!.distributions[0][DIST_FIELD]).toBeUndefined();
    } finally {
      client.destroy();
    }
  });

  test('the server still refuses unknown fields that are not declared, and known ones in the wrong place', async () => {
    lambdaHoldsResourceStatements(); // the SDK signs with the Lambda's keys
    const client = new ImagebuilderClient({ endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1 });
    const put = (distributions: any[]) => {
      const command = new UpdateDistributionConfigurationCommand({ distributionConfigurationArn: ARN, clientToken: 'x', distributions });
      // The raw body, as the handler sends it.
      command.middlewareStack.add((next) => async (args: any) => {
        args.request.body = JSON.stringify({ distributionConfigurationArn: ARN, clientToken: 'x', distributions });
        delete args.request.headers['content-length'];
        return next(args);
      }, { step: 'build', priority: 'high' });
      return client.send(command);
    };
    try {
      await expect(put([{ region: 'us-east-1', somethingElse: 1 }])).rejects.toThrow("'distributions.1.somethingElse' is not a member of Distribution");
      await expect(put([{ region: 'us-east-1', amiDistributionConfiguration: { somethingElse: 1 } }])).rejects.toThrow("'distributions.1.amiDistributionConfiguration.somethingElse' is not a member of AmiDistributionConfiguration");
      await expect(put([{ region: 'us-east-1', amiDistributionConfiguration: { [DIST_FIELD]: 1 } }])).rejects.toThrow(`'distributions.1.amiDistributionConfiguration.${DIST_FIELD}' is not a member of AmiDistributionConfiguration`);
      await expect(put([{ region: 'us-east-1', [AMI_FIELD]: 1 }])).rejects.toThrow(`'distributions.1.${AMI_FIELD}' is not a member of Distribution`);
      expect(ib.applied).toBe(0);
    } finally {
      client.destroy();
    }
  });

  test('create, update and delete through the handler keep them: the stored configuration ends byte-identical to the start', async () => {
    const start = storedJson();
    const created = await route(createEvent(props(exportPatch)));
    const afterCreate = stored();
    const east = fullDistribution('us-east-1');
    expect(afterCreate.distributions[0]).toEqual({
      ...east,
      s3ExportConfiguration: S3_EXPORT,
      [DIST_FIELD]: FUTURE_DISTRIBUTION,
      amiDistributionConfiguration: { ...east.amiDistributionConfiguration, [AMI_FIELD]: FUTURE_AMI_EAST },
    });
    expect(afterCreate.distributions[1].amiDistributionConfiguration[AMI_FIELD]).toEqual(FUTURE_AMI_WEST);
    // The baseline holds them too: the revert restores them from it.
    expect(ssm.params.get(PARAM)!.value).toContain(DIST_FIELD);

    const updated = await route(updateEvent(created.PhysicalResourceId!, props(sharePatch), props(exportPatch)));
    const afterUpdate = stored();
    expect(afterUpdate.distributions[0][DIST_FIELD]).toEqual(FUTURE_DISTRIBUTION);
    expect(afterUpdate.distributions[0].amiDistributionConfiguration[AMI_FIELD]).toEqual(FUTURE_AMI_EAST);
    expect(afterUpdate.distributions[0].amiDistributionConfiguration.targetAccountIds).toEqual(['111111111111', '333333333333']);
    expect(afterUpdate.distributions[1].amiDistributionConfiguration[AMI_FIELD]).toEqual(FUTURE_AMI_WEST);

    await route(deleteEvent(updated.PhysicalResourceId!, props(sharePatch)));
    expect(storedJson()).toBe(start);
    expect(ib.applied).toBe(3);
    // Every write sent them, with a content-length that matches the body sent, signed over that body (its sha256).
    for (const c of server.callsTo('UpdateDistributionConfiguration')) {
      expect(c.body.distributions[0][DIST_FIELD]).toEqual(FUTURE_DISTRIBUTION);
      expect(c.body.distributions[1].amiDistributionConfiguration[AMI_FIELD]).toEqual(FUTURE_AMI_WEST);
      expect(Number(c.headers['content-length'])).toBe(Buffer.byteLength(c.rawBody));
      expect(roles.sessionOfKey(verifySigV4(c, 'imagebuilder').accessKeyId)?.roleArn).toBe(wire.properties.Patch.RoleArn);
    }
  });

  test('null members are absent (AWS JSON): not sent back, as the SDK would not send them', async () => {
    // A service answer with nulls (AWS JSON: the same as absent), here in the patched region and another.
    ib.modify(ARN, (c) => {
      c.distributions[0].amiDistributionConfiguration.kmsKeyId = null;
      c.distributions[1][DIST_FIELD] = null;
    });
    const created = await route(createEvent(props(exportPatch)));
    const [write] = server.callsTo('UpdateDistributionConfiguration');
    expect(write.rawBody).not.toContain('null');
    expect('kmsKeyId' in write.body.distributions[0].amiDistributionConfiguration).toBe(false);
    expect(DIST_FIELD in write.body.distributions[1]).toBe(false);
    await route(deleteEvent(created.PhysicalResourceId!, props(exportPatch)));
    expect(stored().distributions[1][DIST_FIELD]).toBeUndefined();
  });

  test('a patch can change them too, and the delete undoes that (the merge works on the JSON)', async () => {
    const start = storedJson();
    const patch = { distributions: [{ region: 'us-west-2', merge: { amiDistributionConfiguration: { [AMI_FIELD]: { retainDays: 30, tiers: ['archive'] } } } }] };
    const created = await route(createEvent(props(patch)));
    expect(stored().distributions[1].amiDistributionConfiguration[AMI_FIELD]).toEqual({ retainDays: 30, tiers: ['archive'] });
    await route(deleteEvent(created.PhysicalResourceId!, props(patch)));
    expect(storedJson()).toBe(start);
  });

  test('with RoleArn: the same, signed with the role\'s session', async () => {
    const ROLE = wire.properties.Patch.RoleArn;
    const start = storedJson();
    const created = await route(createEvent({ ...props(exportPatch), RoleArn: ROLE }));
    await route(deleteEvent(created.PhysicalResourceId!, { ...props(exportPatch), RoleArn: ROLE }));
    expect(storedJson()).toBe(start);
    const writes = server.callsTo('UpdateDistributionConfiguration');
    expect(writes).toHaveLength(2);
    for (const [i, c] of writes.entries()) {
      expect(c.body.distributions[0][DIST_FIELD]).toEqual(FUTURE_DISTRIBUTION);
      expect(verifySigV4(c, 'imagebuilder').accessKeyId).toBe(roles.sessions[i].accessKeyId);
    }
  });
});

describe('RoleArn: the resource\'s calls are made as its own role', () => {
  const ROLE = wire.properties.Patch.RoleArn;
  /** A role no template has: nothing trusts the handler to assume it. */
  const UNKNOWN_ROLE = 'arn:aws:iam::123456789012:role/cdk-imagebuilder-distribution/unknown/NotARoleOfThisStack';
  const withRole = (p: Record<string, string>, roleArn: string) => ({ ...p, RoleArn: roleArn });
  const isSsm = (c: ReceivedRequest) => c.headers['x-amz-target'] !== undefined;
  const serviceCalls = () => server.calls.filter((c) => c.operation !== 'AssumeRole');
  /** Asserts every request in `calls` is signed (verifiably) with `key` for its service and carries `token`. */
  function expectSignedBy(calls: ReceivedRequest[], key: string, token: string) {
    for (const c of calls) {
      const service = isSsm(c) ? 'ssm' : 'imagebuilder';
      expect(c.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${key}/\\d{8}/us-east-1/${service}/aws4_request, `));
      expect(c.headers['x-amz-security-token']).toBe(token);
      expect(verifySigV4(c, service).accessKeyId).toBe(key);
    }
  }

  test('create, update and delete: every Image Builder and SSM request is signed with the assumed key and carries its token', async () => {
    roles.add(ROLE);
    const start = stored();
    const created = await route(createEvent(withRole(props(exportPatch), ROLE), 'create-request'));
    const updated = await route(updateEvent(created.PhysicalResourceId!, withRole(props(sharePatch), ROLE), withRole(props(exportPatch), ROLE), 'update-request'));
    await route({ ...deleteEvent(updated.PhysicalResourceId!, withRole(props(sharePatch), ROLE)), RequestId: 'delete-request' });
    expect(stored()).toEqual(start);
    expect(ssm.params.has(PARAM)).toBe(false);

    // One session per event, named after its CloudFormation request (CloudTrail shows it with every call).
    expect(roles.sessions.map((s) => s.sessionName)).toEqual(['cdk-ibd-create-request', 'cdk-ibd-update-request', 'cdk-ibd-delete-request']);
    for (const session of roles.sessions) {
      expect(session).toMatchObject({ roleArn: ROLE, durationSeconds: 900, callerKey: 'test', region: 'us-east-1' });
    }
    const operations = new Set(serviceCalls().map((c) => c.operation));
    expect(operations).toEqual(new Set(['GetDistributionConfiguration', 'UpdateDistributionConfiguration', 'GetParameter', 'PutParameter', 'DeleteParameter']));
    // Each event's calls come after its AssumeRole and are signed with its session's key.
    const starts = server.callsTo('AssumeRole').map((c) => server.calls.indexOf(c));
    expect(starts[0]).toBe(0);
    roles.sessions.forEach((session, i) => {
      expectSignedBy(server.calls.slice(starts[i] + 1, starts[i + 1]), session.accessKeyId, session.sessionToken);
    });
  });

  test('without RoleArn the Lambda\'s own keys sign every request and STS is not called', async () => {
    lambdaHoldsResourceStatements();
    const created = await route(createEvent(withoutRole(props(exportPatch))));
    await route(deleteEvent(created.PhysicalResourceId!, withoutRole(props(exportPatch))));
    expect(server.count('AssumeRole')).toBe(0);
    expect(serviceCalls().filter(isSsm).length).toBeGreaterThanOrEqual(3);
    expect(serviceCalls().filter((c) => !isSsm(c)).length).toBeGreaterThanOrEqual(3);
    expectSignedBy(serviceCalls(), 'test', 'lambda-token');
  });

  test('an Update that only changes RoleArn writes nothing; the Delete uses the role in its properties', async () => {
    // The role replaced (a new name, the same statements), as CloudFormation replaces it.
    const OTHER_ROLE = `${ROLE}Replaced`;
    iam.world = wire.world.withRoleCopy(ROLE, OTHER_ROLE);
    const created = await route(createEvent(withRole(props(exportPatch), ROLE)));
    const beforeUpdate = server.calls.length;
    const update = updateEvent(created.PhysicalResourceId!, withRole(props(exportPatch), OTHER_ROLE), withRole(props(exportPatch), ROLE));
    const updated = await route(update);
    expect(updated).toEqual(created);
    // The new role is assumed, takes the lease, reads the configuration and the baseline, releases the lease; nothing else is written.
    const [updateAssume, ...updateCalls] = server.calls.slice(beforeUpdate);
    expect([updateAssume, ...updateCalls].map((c) => c.operation))
      .toEqual(['AssumeRole', 'PutParameter', 'GetDistributionConfiguration', 'GetParameter', 'GetParameter', 'DeleteParameter']);
    expect(updateCalls.filter((c) => c.operation !== 'GetDistributionConfiguration' && c.body.Name !== PARAM).map((c) => c.body.Name))
      .toEqual(Array(3).fill(leaseLocation(ARN).name));
    expect(roles.sessions.map((s) => s.roleArn)).toEqual([ROLE, OTHER_ROLE]);
    const [asRole, asOther] = roles.sessions;
    expectSignedBy(updateCalls, asOther.accessKeyId, asOther.sessionToken);

    const beforeDelete = server.calls.length;
    await route(deleteEvent(updated.PhysicalResourceId!, withRole(props(exportPatch), OTHER_ROLE)));
    expect(stored().distributions[0].s3ExportConfiguration).toBeUndefined();
    // The Delete is another request: OTHER_ROLE is assumed again, in a session named after it.
    const [deleteAssume, ...deleteCalls] = server.calls.slice(beforeDelete);
    expect([deleteAssume, ...deleteCalls].map((c) => c.operation)).toEqual(['AssumeRole', 'PutParameter', 'GetParameter',
      'GetDistributionConfiguration', 'UpdateDistributionConfiguration', 'GetDistributionConfiguration', 'DeleteParameter', 'GetParameter', 'DeleteParameter']);
    const asOtherOnDelete = roles.sessions[2];
    expect(asOtherOnDelete).toMatchObject({ roleArn: OTHER_ROLE, sessionName: deleteAssume.body.RoleSessionName });
    expectSignedBy(deleteCalls, asOtherOnDelete.accessKeyId, asOtherOnDelete.sessionToken);
    expect(new Set([asRole.accessKeyId, asOther.accessKeyId, asOtherOnDelete.accessKeyId]).size).toBe(3);
  });

  test('a role IAM has not propagated yet is retried; one that never becomes assumable fails naming the role', async () => {
    roles.add(ROLE, { deniedFor: 2 });
    await route(createEvent(withRole(props(exportPatch), ROLE)));
    expect(roles.denied).toBe(2);
    expect(sleeps).toHaveLength(2); // the seams' sleep: no real waiting
    expect(ssm.params.has(PARAM)).toBe(true);

    clients.resetClients();
    sleeps.length = 0;
    const calls = serviceCalls().length;
    await expect(route(createEvent(withRole(props(exportPatch), UNKNOWN_ROLE)))).rejects.toThrow(new RegExp(
      `^ssm:PutParameter on ${leaseLocation(ARN).name} failed: AccessDenied \\(HTTP 403\\): AssumeRole of ${UNKNOWN_ROLE} was denied for 90 s \\(\\d+ attempts\\): `
      + `User: .* is not authorized to perform: sts:AssumeRole on resource: ${UNKNOWN_ROLE}`));
    expectedDenials = iam.denials.map(() => expect.objectContaining({ action: 'sts:AssumeRole', resource: UNKNOWN_ROLE }));
    expect(serviceCalls()).toHaveLength(calls);
  });
});

describe('undoing a patch always sends what the API model accepts (the fake refuses anything else)', () => {
  test('lists and maps others emptied are left out, not sent empty: the delete completes', async () => {
    const patch = { distributions: [{ region: 'us-east-1', merge: { amiDistributionConfiguration: { targetAccountIds: ['333333333333'], amiTags: { app: 'x' } } } }] };
    const created = await route(createEvent(props(patch)));
    // Another writer removes the original account and tag: only what the patch added is left.
    ib.modify(ARN, (c) => {
      c.distributions[0].amiDistributionConfiguration.targetAccountIds = ['333333333333'];
      c.distributions[0].amiDistributionConfiguration.amiTags = { app: 'x' };
    });
    await route(deleteEvent(created.PhysicalResourceId!, props(patch)));
    const ami = stored().distributions[0].amiDistributionConfiguration;
    expect(ami.targetAccountIds).toBeUndefined();
    expect(ami.amiTags).toBeUndefined();
    expect(ami.name).toBe(fullDistribution('us-east-1').amiDistributionConfiguration.name);
    expect(ssm.params.has(PARAM)).toBe(false);
  });

  test('an export the patch added and someone else edited stays whole (theirs), never reduced to the edited key', async () => {
    const created = await route(createEvent(props(exportPatch)));
    ib.modify(ARN, (c) => {
      c.distributions[0].s3ExportConfiguration.s3Prefix = 'theirs/';
    });
    await route(deleteEvent(created.PhysicalResourceId!, props(exportPatch)));
    expect(stored().distributions[0].s3ExportConfiguration).toEqual({ ...S3_EXPORT, s3Prefix: 'theirs/' });
    expect(ssm.params.has(PARAM)).toBe(false);
  });

  test('an export the patch added and nobody touched is removed whole', async () => {
    const created = await route(createEvent(props(exportPatch)));
    await route(deleteEvent(created.PhysicalResourceId!, props(exportPatch)));
    expect(stored().distributions[0].s3ExportConfiguration).toBeUndefined();
  });
});

test('a configuration in another Region is read and written at that Region\'s endpoint, with its lease; the baseline stays in the Lambda\'s Region', async () => {
  const arn = 'arn:aws:imagebuilder:eu-west-1:123456789012:distribution-configuration/imported-dist';
  // The roles a stack in us-east-1 synthesizes for a patch of that configuration.
  const eu = patchWorld(arn, S3_EXPORT.roleName, 'us-east-1');
  iam.world = eu.world;
  ib.put({ arn, name: 'imported-dist', distributions: [fullDistribution('eu-west-1')] });
  const start = ib.get(arn)!;
  const p = {
    ...eu.properties.Patch,
    DistributionConfigurationArn: arn,
    BaseHash: 'h1',
    Patch: JSON.stringify({ distributions: [{ region: 'eu-west-1', merge: { s3ExportConfiguration: S3_EXPORT } }] }),
  };
  const created = await route(createEvent(p));
  expect(ib.get(arn)!.distributions[0].s3ExportConfiguration).toEqual(S3_EXPORT);
  await route(deleteEvent(created.PhysicalResourceId!, p));
  expect(ib.get(arn)!.distributions).toEqual(start.distributions);
  const ibCalls = server.calls.filter((c) => !c.headers['x-amz-target'] && c.operation !== 'AssumeRole');
  // Each write is read back (lease.ts).
  const writeAndReadBack = ['GetDistributionConfiguration', 'UpdateDistributionConfiguration', 'GetDistributionConfiguration'];
  expect(ibCalls.map((c) => c.operation)).toEqual([...writeAndReadBack, ...writeAndReadBack]);
  for (const c of ibCalls) expect(verifySigV4(c, 'imagebuilder').region).toBe('eu-west-1');
  const ssmCalls = server.calls.filter((c) => c.headers['x-amz-target']);
  const baselineRegions = ssmCalls.filter((c) => c.body?.Name === eu.properties.Patch.BaselineParameterName).map((c) => verifySigV4(c, 'ssm').region);
  const leaseRegions = ssmCalls.filter((c) => String(c.body?.Name).includes('/leases/')).map((c) => verifySigV4(c, 'ssm').region);
  expect(new Set(baselineRegions)).toEqual(new Set(['us-east-1']));
  expect(leaseRegions.length).toBeGreaterThan(0);
  expect(new Set(leaseRegions)).toEqual(new Set(['eu-west-1']));
});
