// Over the wire: the real SDK clients, through the handler, against a local Image Builder + SSM on 127.0.0.1.
import { faults, LocalServer } from './local-server';
import { DistributionConfigurations } from './server/imagebuilder';
import {
  ARN, createEvent, deleteEvent, exportPatch, fullDistribution, PARAM, props, S3_EXPORT, sharePatch, updateEvent,
} from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import * as clients from '../../lambda/clients';
import { onEvent as route } from '../../lambda/index';
import { configure } from '../../lambda/update-distribution';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'SSM_ENDPOINT', 'HANDLER_REQUEST_TIMEOUT_MS', 'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let server: LocalServer;
let ib: DistributionConfigurations;
let ssm: Parameters;
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
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    IMAGEBUILDER_ENDPOINT: server.endpoint,
    SSM_ENDPOINT: server.endpoint,
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
