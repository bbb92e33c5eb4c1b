// Over the wire: the real SDK clients, through the handler, against a local Image Builder + SSM + STS on 127.0.0.1.
import { faults, LocalServer, ReceivedRequest } from './local-server';
import { DistributionConfigurations } from './server/imagebuilder';
import {
  ARN, createEvent, deleteEvent, exportPatch, fullDistribution, PARAM, props, S3_EXPORT, sharePatch, updateEvent,
} from './server/patch-fixtures';
import { verifySigV4 } from './server/sigv4';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { onEvent as route } from '../../lambda/index';
import { configure } from '../../lambda/update-distribution';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'SSM_ENDPOINT', 'STS_ENDPOINT',
  'HANDLER_REQUEST_TIMEOUT_MS', 'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

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

/** Everything but dateUpdated, which the service sets on every write. */
function stored() {
  const { dateUpdated: _d, ...rest } = ib.get(ARN)!;
  return rest;
}

beforeEach(async () => {
  server = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  ssm = new Parameters(server);
  roles = new Roles(server);
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: 'lambda-token',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    IMAGEBUILDER_ENDPOINT: server.endpoint,
    SSM_ENDPOINT: server.endpoint,
    STS_ENDPOINT: server.endpoint,
    HANDLER_REQUEST_TIMEOUT_MS: '150',
  });
  clients.resetClients();
  sleeps.length = 0;
  configure({ retry: { maxAttempts: 5, sleep: async (ms) => { sleeps.push(ms); } } });
  seed();
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
});

afterAll(() => {
  configure({});
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
  expect(server.count('GetParameter')).toBe(2);
  expect(server.count('PutParameter')).toBe(3);
  expect(sleeps).toHaveLength(3);
});

test('an SSM error that is not transient names the call, the parameter and the service\'s reason', async () => {
  server.inject('PutParameter', faults.error(400, 'AccessDeniedException', 'not authorized to perform ssm:PutParameter'));
  await expect(route(createEvent(props(exportPatch)))).rejects.toThrow(
    `ssm:PutParameter on ${PARAM} failed: AccessDeniedException: not authorized to perform ssm:PutParameter`);
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
  const puts = server.count('PutParameter');
  await route(updateEvent(created.PhysicalResourceId!, { ...props(exportPatch), BaseHash: 'h2' }, props(exportPatch)));
  expect(server.count('GetDistributionConfiguration')).toBe(gets + 1);
  expect(server.count('UpdateDistributionConfiguration')).toBe(1);
  expect(server.count('PutParameter')).toBe(puts);
});

test('the patch is applied again after the owner rewrote the configuration (BaseHash changed)', async () => {
  const created = await route(createEvent(props(exportPatch)));
  // CloudFormation replaced the whole configuration from the owner's template: our export is gone, a name changed.
  ib.modify(ARN, (c) => {
    delete c.distributions[0].s3ExportConfiguration;
    c.distributions[0].amiDistributionConfiguration.name = 'v2';
  });
  await route(updateEvent(created.PhysicalResourceId!, { ...props(exportPatch), BaseHash: 'h2' }, props(exportPatch)));
  expect(stored().distributions[0].s3ExportConfiguration).toEqual(S3_EXPORT);
  expect(stored().distributions[0].amiDistributionConfiguration.name).toBe('v2');

  await route(deleteEvent(created.PhysicalResourceId!, props(exportPatch)));
  expect(stored().distributions[0].s3ExportConfiguration).toBeUndefined();
  expect(stored().distributions[0].amiDistributionConfiguration.name).toBe('v2');
});

test('throttling, 500s, ResourceInUse and slow answers are retried with growing jittered delays', async () => {
  server.inject('GetDistributionConfiguration', faults.throttle, 2);
  server.inject('GetDistributionConfiguration', faults.slow(1_000));
  server.inject('PutParameter', faults.error(400, 'ThrottlingException', 'Rate exceeded'));
  server.inject('UpdateDistributionConfiguration', faults.serverError);
  server.inject('UpdateDistributionConfiguration', faults.inUse);

  await route(createEvent(props(exportPatch)));
  expect(stored().distributions[0].s3ExportConfiguration).toEqual(S3_EXPORT);
  expect(server.count('GetDistributionConfiguration')).toBe(4);
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
    `UpdateDistributionConfiguration on ${ARN} failed: InvalidParameterValueException: The role vmimport cannot be used`);
  expect(server.count('UpdateDistributionConfiguration')).toBe(1);
});

test('retries are bounded: persistent throttling fails after maxAttempts', async () => {
  server.inject('GetDistributionConfiguration', faults.throttle, 10);
  await expect(route(createEvent(props(exportPatch)))).rejects.toThrow(/GetDistributionConfiguration on .* failed: CallRateLimitExceededException: Rate exceeded/);
  expect(server.count('GetDistributionConfiguration')).toBe(5);
});

test('a configuration that does not exist fails the create clearly; a delete after it is gone succeeds', async () => {
  const missing = ARN.replace('imported-dist', 'missing');
  await expect(route(createEvent(props(exportPatch, missing)))).rejects.toThrow(`Distribution configuration ${missing} not found`);

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
  const patch = { distributions: [{ region: 'us-east-1', replace: { amiDistributionConfiguration: { name: 'x' } } }, { region: 'us-west-2', replace: { amiDistributionConfiguration: { name: 'y' } } }] };
  const created = await route(createEvent(props(patch)));
  expect(ssm.params.get(PARAM)!.value.startsWith('gz:')).toBe(true);
  await route(deleteEvent(created.PhysicalResourceId!, props(patch)));
  expect(stored()).toEqual(start);
});

describe('RoleArn: the resource\'s calls are made as its own role', () => {
  const ROLE = 'arn:aws:iam::123456789012:role/cdk-ibd/TestStack-PatchRole-1A2B3C';
  const OTHER_ROLE = 'arn:aws:iam::123456789012:role/cdk-ibd/TestStack-PatchRole-4D5E6F';
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
    const updated = await route(updateEvent(created.PhysicalResourceId!, withRole(props(sharePatch), ROLE), withRole(props(exportPatch), ROLE)));
    await route(deleteEvent(updated.PhysicalResourceId!, withRole(props(sharePatch), ROLE)));
    expect(stored()).toEqual(start);
    expect(ssm.params.has(PARAM)).toBe(false);

    expect(roles.sessions).toHaveLength(1); // cached per role across the three events
    const [session] = roles.sessions;
    expect(session).toMatchObject({ roleArn: ROLE, sessionName: 'cdk-ibd-create-request', durationSeconds: 900, callerKey: 'test', region: 'us-east-1' });
    const operations = new Set(serviceCalls().map((c) => c.operation));
    expect(operations).toEqual(new Set(['GetDistributionConfiguration', 'UpdateDistributionConfiguration', 'GetParameter', 'PutParameter', 'DeleteParameter']));
    expectSignedBy(serviceCalls(), session.accessKeyId, session.sessionToken);
  });

  test('without RoleArn the Lambda\'s own keys sign every request and STS is not called', async () => {
    const created = await route(createEvent(props(exportPatch)));
    await route(deleteEvent(created.PhysicalResourceId!, props(exportPatch)));
    expect(server.count('AssumeRole')).toBe(0);
    expect(serviceCalls().filter(isSsm).length).toBeGreaterThanOrEqual(3);
    expect(serviceCalls().filter((c) => !isSsm(c)).length).toBeGreaterThanOrEqual(3);
    expectSignedBy(serviceCalls(), 'test', 'lambda-token');
  });

  test('an Update that only changes RoleArn writes nothing; the Delete uses the role in its properties', async () => {
    roles.add(ROLE).add(OTHER_ROLE);
    const created = await route(createEvent(withRole(props(exportPatch), ROLE)));
    const beforeUpdate = server.calls.length;
    const update = updateEvent(created.PhysicalResourceId!, withRole(props(exportPatch), OTHER_ROLE), withRole(props(exportPatch), ROLE));
    const updated = await route(update);
    expect(updated).toEqual(created);
    // The new role is assumed and reads the configuration and the baseline; nothing is written.
    const [updateAssume, ...updateCalls] = server.calls.slice(beforeUpdate);
    expect([updateAssume, ...updateCalls].map((c) => c.operation)).toEqual(['AssumeRole', 'GetDistributionConfiguration', 'GetParameter']);
    expect(roles.sessions.map((s) => s.roleArn)).toEqual([ROLE, OTHER_ROLE]);
    const [asRole, asOther] = roles.sessions;
    expectSignedBy(updateCalls, asOther.accessKeyId, asOther.sessionToken);

    const beforeDelete = server.calls.length;
    await route(deleteEvent(updated.PhysicalResourceId!, withRole(props(exportPatch), OTHER_ROLE)));
    expect(stored().distributions[0].s3ExportConfiguration).toBeUndefined();
    const deleteCalls = server.calls.slice(beforeDelete);
    expect(deleteCalls.map((c) => c.operation)).toEqual(['GetParameter', 'GetDistributionConfiguration', 'UpdateDistributionConfiguration', 'DeleteParameter']);
    expectSignedBy(deleteCalls, asOther.accessKeyId, asOther.sessionToken);
    expect(asRole.accessKeyId).not.toBe(asOther.accessKeyId);
  });

  test('a role IAM has not propagated yet is retried; one that never becomes assumable fails naming the role', async () => {
    roles.add(ROLE, { deniedFor: 2 });
    await route(createEvent(withRole(props(exportPatch), ROLE)));
    expect(roles.denied).toBe(2);
    expect(sleeps).toHaveLength(2); // configure()'s sleep: no real waiting
    expect(ssm.params.has(PARAM)).toBe(true);

    clients.resetClients();
    sleeps.length = 0;
    const calls = serviceCalls().length;
    await expect(route(createEvent(withRole(props(exportPatch), OTHER_ROLE)))).rejects.toThrow(new RegExp(
      `^GetDistributionConfiguration on ${ARN} failed: AccessDenied: AssumeRole of ${OTHER_ROLE} was denied for 90 s \\(\\d+ attempts\\): `
      + `User: .* is not authorized to perform: sts:AssumeRole on resource: ${OTHER_ROLE}`));
    expect(serviceCalls()).toHaveLength(calls);
  });
});
