// Over the wire: the real SDK clients, through the DistributeImage handler, against a local Image Builder and EC2
// on 127.0.0.1.
import { faults, LocalServer } from './local-server';
import { DistributedImages, Ec2Images, IMAGE_BUILD_VERSION_ARN } from './server/distribute-routes';
import * as clients from '../../lambda/clients';
import { DistributeImageOptions, isComplete, onEvent, STARTED_AT_KEY } from '../../lambda/distribute-image';
import * as router from '../../lambda/index';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE } from '../../src/private/handler-contract';

const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const STACK_ID = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/wire/00000000-0000-0000-0000-000000000000`;
const CONFIG_ARN = `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/wire-config`;
const T0 = Date.parse('2025-06-01T12:00:00.000Z');

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'EC2_ENDPOINT', 'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

const props = {
  ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:provider',
  SourceImage: 'ami-0123456789abcdef0',
  DistributionConfigurationArn: CONFIG_ARN,
  ExecutionRole: `arn:aws:iam::${ACCOUNT}:role/ImageBuilderDistribution`,
  LogGroupName: '/aws/imagebuilder/wire',
  Tags: JSON.stringify({ team: 'platform' }),
};

function event(requestType: 'Create' | 'Update' | 'Delete', p: Record<string, any> = props, extra: Record<string, any> = {}): any {
  return {
    RequestType: requestType,
    ServiceToken: props.ServiceToken,
    ResponseURL: 'https://example.invalid/response',
    StackId: STACK_ID,
    RequestId: `req-${requestType}`,
    LogicalResourceId: 'Distribute',
    ResourceType: DISTRIBUTE_IMAGE_RESOURCE_TYPE,
    ResourceProperties: p,
    ...extra,
  };
}

let server: LocalServer;
let ec2: Ec2Images;
let images: DistributedImages;
let now: number;
let sleeps: number[];
let logs: string[];
let options: DistributeImageOptions;

beforeEach(async () => {
  server = await LocalServer.start();
  ec2 = await Ec2Images.start();
  now = T0;
  images = new DistributedImages(server, { account: ACCOUNT, clock: () => now });
  images.addConfiguration(CONFIG_ARN, [{ region: 'us-east-1' }, { region: 'eu-west-1', accountIds: [OTHER] }]);
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    IMAGEBUILDER_ENDPOINT: server.endpoint,
    EC2_ENDPOINT: ec2.endpoint,
  });
  clients.resetClients();
  sleeps = [];
  logs = [];
  options = { retry: { maxAttempts: 4, sleep: async (ms) => { sleeps.push(ms); } }, now: () => now, log: (m) => logs.push(m) };
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
  await ec2.close();
});

afterAll(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

/** Polls as the framework's waiter does, at most `max` times; returns every answer. */
async function poll(ev: any, max = 10, opts: DistributeImageOptions = options): Promise<any[]> {
  const answers: any[] = [];
  for (let i = 0; i < max; i++) {
    const answer = await isComplete(ev, opts);
    answers.push(answer);
    if (answer.IsComplete) break;
    now += 30_000;
  }
  return answers;
}

test('Create through the router: PENDING, DISTRIBUTING, then AVAILABLE with the AMIs', async () => {
  const consoleLog = jest.spyOn(console, 'log').mockImplementation(() => {});
  const ev = event('Create');
  const created = await router.onEvent(ev);
  expect(consoleLog).toHaveBeenCalledWith(expect.stringMatching(/DistributeImage started arn:aws:imagebuilder:/));
  consoleLog.mockRestore();
  expect(created.PhysicalResourceId).toMatch(IMAGE_BUILD_VERSION_ARN);
  const [req] = server.callsTo('DistributeImage');
  expect(req.method).toBe('PUT');
  expect(req.body).toEqual({
    sourceImage: 'ami-0123456789abcdef0',
    distributionConfigurationArn: CONFIG_ARN,
    executionRole: props.ExecutionRole,
    loggingConfiguration: { logGroupName: '/aws/imagebuilder/wire' },
    tags: { team: 'platform' },
    clientToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
  });

  const waiting = { ...ev, ...created };
  const answers: any[] = [];
  for (let i = 0; i < 5 && !answers.some((a) => a.IsComplete); i++) answers.push(await router.isComplete(waiting));
  expect(answers.map((a) => a.IsComplete)).toEqual([false, false, true]);
  expect(server.callsTo('GetImage').map((c) => c.query.imageBuildVersionArn)).toEqual(Array(3).fill(created.PhysicalResourceId));
  const data = answers[2].Data;
  expect(data.ImageBuildVersionArn).toBe(created.PhysicalResourceId);
  expect(data['AmiId.us-east-1']).toBe('ami-00001000000000000');
  expect(data['AmiId.eu-west-1']).toBe('ami-00001000001000000');
  expect(data[`AmiId.eu-west-1.${OTHER}`]).toBe('ami-00001000001000001');
  expect(JSON.parse(data.Amis)).toHaveLength(3);
});

test('FAILED ends the wait with the service\'s reason', async () => {
  images.nextOutcome = { fail: 'Distribution failed: not authorized to perform ec2:CopyImage in eu-west-1' };
  const ev = event('Create');
  const created = await onEvent(ev, options);
  await expect(poll({ ...ev, ...created })).rejects.toThrow(
    /Distribute: distribution .* is FAILED: Distribution failed: not authorized to perform ec2:CopyImage in eu-west-1/);
  expect(server.count('GetImage')).toBe(3);
});

test('throttled DistributeImage and GetImage calls are retried with the same client token', async () => {
  server.inject('DistributeImage', faults.throttle, 2);
  server.inject('DistributeImage', faults.inUse, 1);
  const ev = event('Create');
  const created = await onEvent(ev, options);
  const tokens = server.callsTo('DistributeImage').map((c) => c.body.clientToken);
  expect(tokens).toHaveLength(4);
  expect(new Set(tokens).size).toBe(1);
  expect(images.started).toBe(1);
  expect(sleeps).toHaveLength(3);

  // A poll throttled past its retries is not a failure: the next poll carries on.
  server.inject('GetImage', faults.throttle, 4);
  const answers = await poll({ ...ev, ...created });
  expect(answers.map((a) => a.IsComplete)).toEqual([false, false, false, true]);
  expect(logs.join('\n')).toMatch(/failed transiently \(CallRateLimitExceededException \(HTTP 429\)/);
});

test('a 5xx on DistributeImage is retried', async () => {
  server.inject('DistributeImage', faults.serverError, 1);
  const created = await onEvent(event('Create'), options);
  expect(created.PhysicalResourceId).toMatch(IMAGE_BUILD_VERSION_ARN);
  expect(server.count('DistributeImage')).toBe(2);
});

test('a re-delivered Create gets the same image; the same token with other parameters is refused', async () => {
  const first = await onEvent(event('Create'), options);
  const again = await onEvent(event('Create'), options);
  expect(again.PhysicalResourceId).toBe(first.PhysicalResourceId);
  expect(images.started).toBe(1);
  await expect(onEvent(event('Create', { ...props, SourceImage: 'ami-0fedcba9876543210' }), options)).rejects.toThrow(
    /DistributeImage of ami-0fedcba9876543210 with .* failed: IdempotentParameterMismatchException \(HTTP 400\)/);
});

test.each([
  [{ ExecutionRole: 'role with spaces' }, /InvalidRequestException \(HTTP 400\): executionRole role with spaces does not match/],
  [{ Tags: JSON.stringify({ 'aws:reserved': 'x' }) }, /InvalidRequestException \(HTTP 400\): Tag key aws:reserved is invalid/],
  [{ DistributionConfigurationArn: `${CONFIG_ARN}-missing` }, /ResourceNotFoundException \(HTTP 404\): Distribution configuration .* not found/],
])('the service\'s validation error reaches CloudFormation: %j', async (change, message) => {
  await expect(onEvent(event('Create', { ...props, ...change }), options)).rejects.toThrow(message);
  expect(server.count('DistributeImage')).toBe(1);
});

test('an Update of the execution role keeps the distribution and returns the same attributes', async () => {
  const ev = event('Create');
  const created = await onEvent(ev, options);
  const [, , createdDone] = await poll({ ...ev, ...created });
  const update = event('Update', { ...props, ExecutionRole: 'OtherRole' }, { OldResourceProperties: props, PhysicalResourceId: created.PhysicalResourceId });
  const kept = await onEvent(update, options);
  expect(kept.PhysicalResourceId).toBe(created.PhysicalResourceId);
  expect(server.count('DistributeImage')).toBe(1);
  const [updateDone] = await poll({ ...update, ...kept });
  expect(updateDone).toEqual(createdDone);
});

test('an Update of the tags distributes again under a new physical id', async () => {
  const created = await onEvent(event('Create'), options);
  const update = event('Update', { ...props, Tags: '{"team":"security"}' }, { OldResourceProperties: props, PhysicalResourceId: created.PhysicalResourceId });
  const replaced = await onEvent(update, options);
  expect(replaced.PhysicalResourceId).not.toBe(created.PhysicalResourceId);
  expect(server.callsTo('DistributeImage')[1].body.tags).toEqual({ team: 'security' });
});

test('TimeoutSeconds fails a distribution that stays DISTRIBUTING', async () => {
  images.nextOutcome = { stepsPerState: 100 };
  const ev = event('Create', { ...props, TimeoutSeconds: '90' });
  const created = await onEvent(ev, options);
  expect(created[STARTED_AT_KEY]).toBe(T0);
  await expect(poll({ ...ev, ...created })).rejects.toThrow(/did not become AVAILABLE within TimeoutSeconds=90 \(last status PENDING\)/);
  expect(server.count('GetImage')).toBe(5); // at 0, 30, 60, 90 s (not yet over) and 120 s (over)
});

describe('Delete', () => {
  async function distributed(): Promise<string> {
    const ev = event('Create');
    const created = await onEvent(ev, options);
    await poll({ ...ev, ...created });
    const arn = created.PhysicalResourceId!;
    const image = images.images.get(arn)!;
    // The AMIs Image Builder made in this account, plus the source AMI which is older.
    for (const ami of image.amis.filter((a) => a.accountId === ACCOUNT)) {
      ec2.add({ imageId: ami.image, region: ami.region, creationDate: new Date(T0 + 60_000).toISOString(), snapshotIds: [`snap-${ami.image}`] });
    }
    ec2.add({ imageId: 'ami-00001000000000099', region: 'us-east-1', creationDate: '2024-01-01T00:00:00.000Z', snapshotIds: ['snap-source'] });
    image.amis.push({ region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00001000000000099' });
    return arn;
  }

  test('retain (the default) leaves the image and its AMIs', async () => {
    const arn = await distributed();
    const del = event('Delete', props, { PhysicalResourceId: arn });
    expect(await onEvent(del, options)).toEqual({ PhysicalResourceId: arn });
    expect(await isComplete(del, options)).toEqual({ IsComplete: true });
    expect(images.images.get(arn)!.deleted).toBe(false);
    expect(ec2.calls).toHaveLength(0);
    expect(ec2.amis.size).toBe(3);
  });

  test('destroy deregisters this account\'s AMIs in each Region, deletes their snapshots and the image', async () => {
    const arn = await distributed();
    ec2.throttleNext = 1;
    const del = event('Delete', { ...props, RemovalPolicy: 'destroy' }, { PhysicalResourceId: arn });
    await onEvent(del, options);
    expect(await isComplete(del, options)).toEqual({ IsComplete: true });

    expect([...ec2.amis.keys()]).toEqual(['ami-00001000000000099']); // only the older source AMI is left
    expect([...ec2.snapshots]).toEqual(['snap-source']);
    const deregistered = ec2.calls.filter((c) => c.action === 'DeregisterImage').map((c) => [c.region, c.params.ImageId]);
    expect(deregistered).toEqual([['us-east-1', 'ami-00001000000000000'], ['eu-west-1', 'ami-00001000001000000']]);
    expect(ec2.calls[0].action).toBe('DescribeImages'); // the throttled call, then its retry
    expect(ec2.calls[1].action).toBe('DescribeImages');
    expect(images.images.get(arn)!.deleted).toBe(true);
    expect(logs.join('\n')).toMatch(new RegExp(`cannot remove ami-00001000001000001 in eu-west-1 of account ${OTHER}`));

    // CloudFormation may deliver the Delete again: the image is gone, which is success.
    expect(await isComplete(del, options)).toEqual({ IsComplete: true });
  });

  test('destroy waits for a running distribution before deleting', async () => {
    const ev = event('Create', { ...props, RemovalPolicy: 'destroy' });
    const created = await onEvent(ev, options);
    const del = event('Delete', { ...props, RemovalPolicy: 'destroy' }, { PhysicalResourceId: created.PhysicalResourceId });
    const answers = await poll(del);
    expect(answers.map((a) => a.IsComplete)).toEqual([false, false, true]);
    expect(server.count('DeleteImage')).toBe(1);
    // Deregistration was attempted only after the distribution ended; these AMIs were never in the local EC2.
    expect(ec2.calls.filter((c) => c.action === 'DescribeImages')).toHaveLength(2);
  });
});
