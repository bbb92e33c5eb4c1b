// Over the wire: the real SDK clients, through the DistributeImage handler, against a local Image Builder, EC2 and
// STS on 127.0.0.1, with IAM: every call is authorized against the roles the constructs synthesize
// (../util/iam-stacks.ts), and the resource properties are those of the synthesized template.
import { setLambdaEnvironment } from './lambda-environment';
import { faults, LocalServer, ReceivedRequest } from './local-server';
import { DistributedImages, Ec2Images, IMAGE_BUILD_VERSION_ARN } from './server/distribute-routes';
import { IamAuthorizer } from './server/iam';
import { verifySigV4 } from './server/sigv4';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { isComplete, onEvent, STARTED_AT_KEY } from '../../lambda/distribute-image';
import type { HandlerOptions } from '../../lambda/handler-options';
import * as router from '../../lambda/index';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE } from '../../src/private/handler-contract';
import { distributeWorld } from '../util/iam-stacks';

const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const STACK_ID = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/wire/00000000-0000-0000-0000-000000000000`;
const CONFIG_ARN = `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/wire-config`;
const T0 = Date.parse('2025-06-01T12:00:00.000Z');

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'EC2_ENDPOINT', 'STS_ENDPOINT',
  'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

const wire = distributeWorld(ACCOUNT, CONFIG_ARN, `arn:aws:iam::${ACCOUNT}:role/ImageBuilderDistribution`);
/** The properties CloudFormation sends: RemovalPolicy retain, and destroy (own role each). */
const props: Record<string, string> = wire.properties.Retain;
const destroyProps: Record<string, string> = wire.properties.Destroy;
/** Properties of a resource without RoleArn: the Lambda's own keys sign its calls. */
const withoutRole = ({ RoleArn: _, ...p }: Record<string, string>) => p;

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
let roles: Roles;
let now: number;
let sleeps: number[];
let logs: string[];
let options: HandlerOptions;
let iam: IamAuthorizer;
let expectedDenials: unknown[] = [];

beforeEach(async () => {
  server = await LocalServer.start();
  ec2 = await Ec2Images.start();
  now = T0;
  images = new DistributedImages(server, { account: ACCOUNT, clock: () => now });
  images.addConfiguration(CONFIG_ARN, [{ region: 'us-east-1' }, { region: 'eu-west-1', accountIds: [OTHER] }]);
  iam = new IamAuthorizer(wire.world, {
    account: ACCOUNT,
    keys: { test: wire.providerRoleArn },
    nextImageArn: (region) => `arn:aws:imagebuilder:${region}:${ACCOUNT}:image/distributed-image/1.0.0/${images.started + 1}`,
  }).attach(server);
  ec2.authorize = iam.ec2Check;
  roles = new Roles(server, { clock: () => now, iam });
  setLambdaEnvironment(server, { EC2_ENDPOINT: ec2.endpoint });
  clients.resetClients();
  sleeps = [];
  logs = [];
  options = { retry: { maxAttempts: 4, sleep: async (ms) => { sleeps.push(ms); }, now: () => now }, log: (m) => logs.push(m) };
});

afterEach(async () => {
  clients.resetClients();
  // Every call the handler made was allowed, unless a test looked for the denial.
  expect(iam.denials).toEqual(expectedDenials);
  expectedDenials = [];
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
async function poll(ev: any, max = 10, opts: HandlerOptions = options): Promise<any[]> {
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
  expect(consoleLog).toHaveBeenCalledWith(expect.stringMatching(/DistributeImage answered arn:aws:imagebuilder:/));
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
  // onEvent's own GetImage (is the image of these properties usable?) saw PENDING.
  expect(answers.map((a) => a.IsComplete)).toEqual([false, true]);
  expect(server.callsTo('GetImage').map((c) => c.query.imageBuildVersionArn)).toEqual(Array(3).fill(created.PhysicalResourceId));
  const data = answers[1].Data;
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
  // onEvent's GetImage (is the image of these properties usable?) saw PENDING already.
  expect(answers.map((a) => a.IsComplete)).toEqual([false, false, true]);
  expect(logs.join('\n')).toMatch(/failed transiently \(CallRateLimitExceededException \(HTTP 429\)/);
});

test('a 5xx on DistributeImage is retried', async () => {
  server.inject('DistributeImage', faults.serverError, 1);
  const created = await onEvent(event('Create'), options);
  expect(created.PhysicalResourceId).toMatch(IMAGE_BUILD_VERSION_ARN);
  expect(server.count('DistributeImage')).toBe(2);
});

test('a re-delivered Create gets the same image; other properties are another distribution', async () => {
  const first = await onEvent(event('Create'), options);
  const again = await onEvent(event('Create'), options);
  expect(again.PhysicalResourceId).toBe(first.PhysicalResourceId);
  expect(images.started).toBe(1);
  const other = await onEvent(event('Create', { ...props, SourceImage: 'ami-0fedcba9876543210' }), options);
  expect(other.PhysicalResourceId).not.toBe(first.PhysicalResourceId);
  expect(images.started).toBe(2);
});

test.each([
  [{ ExecutionRole: 'role with spaces' }, /InvalidRequestException \(HTTP 400\): 1 validation error detected: 'executionRole' Value "role with spaces" must satisfy regular expression pattern/],
  [{ Tags: JSON.stringify({ 'aws:reserved': 'x' }) }, /InvalidRequestException \(HTTP 400\): 1 validation error detected: 'tags.key\(aws:reserved\)' Value "aws:reserved" must satisfy regular expression pattern/],
])('the service\'s validation error reaches CloudFormation: %j', async (change, message) => {
  await expect(onEvent(event('Create', { ...props, ...change }), options)).rejects.toThrow(message);
  expect(server.count('DistributeImage')).toBe(1);
});

test('a configuration the role is not granted is AccessDenied (IAM decides before the service looks it up)', async () => {
  const missing = `${CONFIG_ARN}-missing`;
  await expect(onEvent(event('Create', { ...props, DistributionConfigurationArn: missing }), options)).rejects.toThrow(
    new RegExp(`AccessDeniedException \\(HTTP 403\\): User: arn:aws:sts::${ACCOUNT}:assumed-role/wire-RetainHandlerRole[^/]*/cdk-ibd-req-Create `
      + `is not authorized to perform: imagebuilder:GetDistributionConfiguration on resource: ${missing}`));
  expectedDenials = [expect.objectContaining({ action: 'imagebuilder:GetDistributionConfiguration', resource: missing })];
});

test('an Update of the execution role keeps the distribution and returns the same attributes', async () => {
  const ev = event('Create');
  const created = await onEvent(ev, options);
  const createdDone = (await poll({ ...ev, ...created })).pop();
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
  expect(server.count('GetImage')).toBe(6); // onEvent's, then at 0, 30, 60, 90 s (not yet over) and 120 s (over)
});

/** A distribution, AVAILABLE, with its AMIs in the local EC2, plus an older source AMI also listed as an output. */
async function distributed(p: Record<string, any> = props): Promise<string> {
  const ev = event('Create', p);
  const created = await onEvent(ev, options);
  await poll({ ...ev, ...created });
  const arn = created.PhysicalResourceId!;
  const image = images.images.get(arn)!;
  // The AMIs Image Builder made in this account, plus the source AMI which is older.
  for (const ami of image.amis.filter((a) => a.accountId === ACCOUNT)) {
    ec2.add({
      imageId: ami.image,
      region: ami.region,
      creationDate: new Date(T0 + 60_000).toISOString(),
      snapshotIds: [`snap-${ami.image}`],
      tags: { CreatedBy: 'EC2 Image Builder' },
    });
  }
  const source = `ami-${String(images.started).padStart(5, '0')}000000000099`;
  ec2.add({ imageId: source, region: 'us-east-1', creationDate: '2024-01-01T00:00:00.000Z', snapshotIds: [`snap-source-${images.started}`] });
  image.amis.push({ region: 'us-east-1', accountId: ACCOUNT, image: source });
  return arn;
}

describe('Delete', () => {
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
    const del = event('Delete', destroyProps, { PhysicalResourceId: arn });
    await onEvent(del, options);
    expect(await isComplete(del, options)).toEqual({ IsComplete: true });

    expect([...ec2.amis.keys()]).toEqual(['ami-00001000000000099']); // only the older source AMI is left
    expect([...ec2.snapshots]).toEqual(['snap-source-1']);
    const deregistered = ec2.calls.filter((c) => c.action === 'DeregisterImage').map((c) => [c.region, c.params.ImageId]);
    expect(deregistered).toEqual([['us-east-1', 'ami-00001000000000000'], ['eu-west-1', 'ami-00001000001000000']]);
    expect(ec2.calls[0].action).toBe('DescribeImages'); // the throttled call, then its retry
    expect(ec2.calls[1].action).toBe('DescribeImages');
    expect(images.images.get(arn)!.deleted).toBe(true);
    expect(logs.join('\n')).toMatch(new RegExp(`cannot remove ami-00001000001000001 in eu-west-1 of account ${OTHER}`));

    // CloudFormation may deliver the Delete again: the image is gone, which is success.
    expect(await isComplete(del, options)).toEqual({ IsComplete: true });
  });

  test('destroy cancels a running distribution and deletes it once it stopped', async () => {
    images.nextOutcome = { stepsPerState: 3 };
    const ev = event('Create', destroyProps);
    const created = await onEvent(ev, options);
    const del = event('Delete', destroyProps, { PhysicalResourceId: created.PhysicalResourceId });
    const answers = await poll(del);
    expect(answers.map((a) => a.IsComplete)).toEqual([false, true]);
    expect(server.count('CancelImageCreation')).toBe(1);
    expect(server.count('DeleteImage')).toBe(1);
    // A cancelled distribution lists no AMIs: none to deregister.
    expect(ec2.calls.filter((c) => c.action === 'DescribeImages')).toHaveLength(0);
  });
});

describe('RoleArn: the resource\'s calls are made as its own role', () => {
  const ROLE = destroyProps.RoleArn;
  const OTHER_ROLE = wire.properties.Other.RoleArn;
  /** A role no template has: nothing trusts the handler to assume it. */
  const UNKNOWN_ROLE = `arn:aws:iam::${ACCOUNT}:role/cdk-imagebuilder-distribution/unknown/NotARoleOfThisStack`;
  const withRole = (roleArn: string) => ({ ...destroyProps, RoleArn: roleArn });
  /**
   * The Lambda's own role, as it was when it held the statements of the resources it served (before each resource
   * had a role of its own): what a resource without RoleArn needs.
   */
  const lambdaHoldsResourceStatements = () => {
    iam.world = wire.world.withPoliciesOf(wire.providerRoleArn, ROLE);
  };

  const imagebuilderCalls = () => server.calls.filter((c) => c.operation !== 'AssumeRole');
  /** Asserts `c` is signed (verifiably) for Image Builder with `key` and carries `token`. */
  function expectSignedBy(c: ReceivedRequest, key: string, token: string) {
    expect(c.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${key}/\\d{8}/us-east-1/imagebuilder/aws4_request, `));
    expect(c.headers['x-amz-security-token']).toBe(token);
    expect(verifySigV4(c, 'imagebuilder').accessKeyId).toBe(key);
  }

  test('create, wait and destroy: every Image Builder and EC2 request is signed with the assumed key and carries its token', async () => {
    roles.add(ROLE);
    const arn = await distributed(withRole(ROLE));
    const del = event('Delete', withRole(ROLE), { PhysicalResourceId: arn });
    await router.onEvent(del);
    expect(await isComplete(del, options)).toEqual({ IsComplete: true });
    expect(images.images.get(arn)!.deleted).toBe(true);

    // One session per CloudFormation request, named after it: the Create's serves its onEvent and every isComplete
    // (the framework sends them the Create's RequestId), the Delete gets its own.
    expect(roles.sessions.map((s) => s.sessionName)).toEqual(['cdk-ibd-req-Create', 'cdk-ibd-req-Delete']);
    const [session, deleteSession] = roles.sessions;
    expect(session).toMatchObject({ roleArn: ROLE, durationSeconds: 900, callerKey: 'test', region: 'us-east-1' });
    expect(deleteSession).toMatchObject({ roleArn: ROLE, durationSeconds: 900, callerKey: 'test', region: 'us-east-1' });
    for (const c of server.callsTo('AssumeRole')) expect(c.headers['x-amz-security-token']).toBe('lambda-token');

    expect(new Set(imagebuilderCalls().map((c) => c.operation))).toEqual(new Set(['DistributeImage', 'GetImage', 'DeleteImage']));
    // The Delete's calls come after its AssumeRole.
    const deleteStart = server.calls.indexOf(server.callsTo('AssumeRole')[1]);
    for (const c of imagebuilderCalls()) {
      const s = server.calls.indexOf(c) > deleteStart ? deleteSession : session;
      expectSignedBy(c, s.accessKeyId, s.sessionToken);
    }
    expect(server.calls.slice(deleteStart + 1).map((c) => c.operation)).toEqual(['GetImage', 'DeleteImage']);
    // The local EC2 verified each signature too (in both Regions); only the Delete calls EC2.
    expect(new Set(ec2.calls.map((c) => c.action))).toEqual(new Set(['DescribeImages', 'DeregisterImage', 'DeleteSnapshot']));
    expect(new Set(ec2.calls.map((c) => c.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
    for (const c of ec2.calls) expect(c).toMatchObject({ accessKeyId: deleteSession.accessKeyId, sessionToken: deleteSession.sessionToken });
  });

  test('without RoleArn the Lambda\'s own keys sign every request and STS is not called', async () => {
    lambdaHoldsResourceStatements();
    const arn = await distributed(withoutRole(destroyProps));
    const del = event('Delete', withoutRole(destroyProps), { PhysicalResourceId: arn });
    expect(await isComplete(del, options)).toEqual({ IsComplete: true });
    expect(server.count('AssumeRole')).toBe(0);
    expect(imagebuilderCalls().length).toBeGreaterThanOrEqual(5);
    for (const c of imagebuilderCalls()) expectSignedBy(c, 'test', 'lambda-token');
    expect(ec2.calls.length).toBeGreaterThanOrEqual(5);
    for (const c of ec2.calls) expect(c).toMatchObject({ accessKeyId: 'test', sessionToken: 'lambda-token' });
  });

  test('resources with different roles, or none, in one Lambda container never share a client', async () => {
    lambdaHoldsResourceStatements();
    const sequence = [withRole(ROLE), withoutRole(props), withRole(OTHER_ROLE), withRole(ROLE), withoutRole(props)];
    for (const [i, p] of sequence.entries()) {
      const ev = { ...event('Create', { ...p, SourceImage: `ami-0000000000000000${i}` }), RequestId: `req-${i}`, LogicalResourceId: `Distribute${i}` };
      await isComplete({ ...ev, ...await onEvent(ev, options) }, options);
    }
    // One session per event with a role, named after its request; role A's client is reused by req-3, with req-3's session.
    expect(roles.sessions.map((s) => [s.roleArn, s.sessionName])).toEqual([[ROLE, 'cdk-ibd-req-0'], [OTHER_ROLE, 'cdk-ibd-req-2'], [ROLE, 'cdk-ibd-req-3']]);
    const [a, b, a3] = roles.sessions;
    // DistributeImage, then GetImage twice (onEvent's, isComplete's) for each resource, in order.
    const signers = imagebuilderCalls().map((c) => [/Credential=([^/]+)\//.exec(String(c.headers.authorization))![1], c.headers['x-amz-security-token']]);
    const own = ['test', 'lambda-token'];
    const [asA, asB, asA3] = [a, b, a3].map((s) => [s.accessKeyId, s.sessionToken]);
    expect(signers).toEqual([asA, asA, asA, own, own, own, asB, asB, asB, asA3, asA3, asA3, own, own, own]);
  });

  test('a role IAM has not propagated yet: AccessDenied from AssumeRole is retried, then the distribution starts', async () => {
    roles.add(ROLE, { deniedFor: 3 });
    const created = await onEvent(event('Create', withRole(ROLE)), options);
    expect(created.PhysicalResourceId).toMatch(IMAGE_BUILD_VERSION_ARN);
    expect(roles.denied).toBe(3);
    expect(server.count('AssumeRole')).toBe(4);
    expect(sleeps).toHaveLength(3); // the injected sleep: no real waiting
    expect(server.count('DistributeImage')).toBe(1);
    expectSignedBy(server.callsTo('DistributeImage')[0], roles.sessions[0].accessKeyId, roles.sessions[0].sessionToken);
  });

  test('a role that cannot be assumed fails the event, naming the role and STS\'s reason; Image Builder is never called', async () => {
    // No role of the templates: the provider's role may not assume it, and no trust policy names it.
    await expect(onEvent(event('Create', withRole(UNKNOWN_ROLE)), options)).rejects.toThrow(new RegExp(
      `^Custom::ImageBuilderDistributeImage Distribute: DistributeImage on ami-0123456789abcdef0 with ${CONFIG_ARN} failed: AccessDenied \\(HTTP 403\\): `
      + `AssumeRole of ${UNKNOWN_ROLE} was denied for 90 s \\(\\d+ attempts\\): User: .* is not authorized to perform: sts:AssumeRole on resource: ${UNKNOWN_ROLE}`));
    expectedDenials = iam.denials.map(() => expect.objectContaining({ action: 'sts:AssumeRole', resource: UNKNOWN_ROLE }));
    expect(expectedDenials.length).toBeGreaterThan(1);
    expect(server.count('DistributeImage')).toBe(0);
    expect(sleeps.reduce((x, y) => x + y, 0)).toBe(90_000);
  });

  test('an Update that only changes RoleArn keeps the distribution; the new role makes the calls from then on', async () => {
    roles.add(ROLE).add(OTHER_ROLE);
    const ev = event('Create', withRole(ROLE));
    const created = await onEvent(ev, options);
    await poll({ ...ev, ...created });
    const update = event('Update', withRole(OTHER_ROLE), { OldResourceProperties: withRole(ROLE), PhysicalResourceId: created.PhysicalResourceId });
    const kept = await onEvent(update, options);
    expect(kept.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(server.count('DistributeImage')).toBe(1);
    const [done] = await poll({ ...update, ...kept });
    expect(done.IsComplete).toBe(true);
    const lastGet = server.callsTo('GetImage').pop()!;
    expectSignedBy(lastGet, roles.sessions[1].accessKeyId, roles.sessions[1].sessionToken);
    expect(roles.sessions.map((s) => s.roleArn)).toEqual([ROLE, OTHER_ROLE]);
  });
});
