import { DeleteImageCommand, DistributeImageCommand, GetImageCommand, ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import type { CdkCustomResourceEvent, CdkCustomResourceIsCompleteEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as clients from '../../lambda/clients';
import { distributionClientToken, isComplete, KEPT_IMAGE_KEY, onEvent, STARTED_AT_KEY, stackAccount } from '../../lambda/distribute-image';
import type { HandlerOptions } from '../../lambda/handler-options';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE } from '../../src/private/handler-contract';

const ib = mockClient(ImagebuilderClient);
// The three EC2 calls of clients.Ec2, as jest mocks; clients.ec2(context, region) is spied to return them and record the Region.
const ec2 = { describeImages: jest.fn(), deregisterImage: jest.fn(), deleteSnapshot: jest.fn() };
const ec2Calls = () => Object.values(ec2).flatMap((fn) => fn.mock.calls);
/** `fn` answers `answer` for calls whose input matches `input` (later rules win), and the fallback otherwise. */
function answerFor(fn: jest.Mock, rules: [Record<string, unknown>, () => unknown][], fallback: () => unknown = () => undefined) {
  fn.mockImplementation(async (input: Record<string, unknown>) => {
    const rule = [...rules].reverse().find(([match]) => Object.entries(match).every(([k, v]) => JSON.stringify(input[k]) === JSON.stringify(v)));
    return (rule?.[1] ?? fallback)();
  });
}
const reject = (err: Error) => () => {
  throw err;
};
let ec2Regions: string[];
let ec2Contexts: clients.CallContext[];

const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const STACK_ID = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/my-stack/0a1b2c3d-0000-0000-0000-000000000000`;
const CONFIG_ARN = `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/my-config`;
const IMAGE_ARN = `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:image/my-recipe/1.0.0/3`;
const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const ROLE = `arn:aws:iam::${ACCOUNT}:role/cdk-ibd/DistributeRole`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/cdk-ibd/OtherRole`;
const IMAGE_CREATED = '2025-06-01T12:00:01.000Z';

const baseProps = {
  ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:provider',
  SourceImage: 'ami-0123456789abcdef0',
  DistributionConfigurationArn: CONFIG_ARN,
  ExecutionRole: 'ImageBuilderDistributionRole',
  LogGroupName: '/aws/imagebuilder/distribute',
  Tags: JSON.stringify({ team: 'platform', env: 'prod' }),
};

function event(requestType: 'Create' | 'Update' | 'Delete', props: Record<string, any> = baseProps, extra: Record<string, any> = {}): any {
  return {
    RequestType: requestType,
    ServiceToken: baseProps.ServiceToken,
    ResponseURL: 'https://example.invalid/response',
    StackId: STACK_ID,
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'Distribute',
    ResourceType: DISTRIBUTE_IMAGE_RESOURCE_TYPE,
    ResourceProperties: props,
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: IMAGE_ARN }),
    ...extra,
  };
}

let sleeps: number[];
let logs: string[];
let now: number;
let options: HandlerOptions;

beforeEach(() => {
  ib.reset();
  for (const fn of Object.values(ec2)) fn.mockReset();
  ec2.describeImages.mockResolvedValue({ Images: [] });
  ec2Regions = [];
  ec2Contexts = [];
  jest.spyOn(clients, 'ec2').mockImplementation((context, region: string) => {
    ec2Regions.push(region);
    ec2Contexts.push(context);
    return ec2 as unknown as clients.Ec2;
  });
  sleeps = [];
  logs = [];
  now = NOW;
  options = {
    retry: { sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.5, now: () => now },
    log: (m) => logs.push(m),
  };
});

afterEach(() => jest.restoreAllMocks());

function awsError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

function image(status: string, extra: Record<string, any> = {}): any {
  return { image: { arn: IMAGE_ARN, dateCreated: IMAGE_CREATED, state: { status, ...(extra.reason ? { reason: extra.reason } : {}) }, ...extra } };
}

describe('onEvent Create', () => {
  test('calls DistributeImage with every property and the request-derived client token', async () => {
    ib.on(DistributeImageCommand).resolves({ imageBuildVersionArn: IMAGE_ARN, clientToken: 'x' });
    const ev = event('Create');
    const res = await onEvent(ev, options);

    expect(res).toEqual({
      PhysicalResourceId: IMAGE_ARN,
      Data: { ImageBuildVersionArn: IMAGE_ARN },
      [STARTED_AT_KEY]: NOW,
    });
    const calls = ib.commandCalls(DistributeImageCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      sourceImage: 'ami-0123456789abcdef0',
      distributionConfigurationArn: CONFIG_ARN,
      executionRole: 'ImageBuilderDistributionRole',
      loggingConfiguration: { logGroupName: '/aws/imagebuilder/distribute' },
      tags: { team: 'platform', env: 'prod' },
      clientToken: distributionClientToken(ev),
    });
    const token = calls[0].args[0].input.clientToken!;
    expect(token.length).toBeGreaterThanOrEqual(1);
    expect(token.length).toBeLessThanOrEqual(64);
  });

  test('leaves out loggingConfiguration and tags when not given', async () => {
    ib.on(DistributeImageCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    const { LogGroupName: _l, Tags: _t, ...props } = baseProps;
    await onEvent(event('Create', { ...props, Tags: '{}' }), options);
    const input = ib.commandCalls(DistributeImageCommand)[0].args[0].input;
    expect(input).not.toHaveProperty('loggingConfiguration');
    expect(input).not.toHaveProperty('tags');
  });

  test.each([
    ['CallRateLimitExceededException', 429],
    ['TooManyRequestsException', 429],
    ['ResourceInUseException', 400],
    ['ServiceException', 500],
    ['ServiceUnavailableException', 503],
  ])('retries %s with backoff and the same client token', async (name, status) => {
    ib.on(DistributeImageCommand)
      .rejectsOnce(awsError(name, status))
      .rejectsOnce(awsError(name, status))
      .resolves({ imageBuildVersionArn: IMAGE_ARN });
    const res = await onEvent(event('Create'), options);
    expect(res.PhysicalResourceId).toBe(IMAGE_ARN);
    const tokens = ib.commandCalls(DistributeImageCommand).map((c) => c.args[0].input.clientToken);
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
    expect(sleeps).toEqual([125, 250]); // jittered (random 0.5) exponential backoff from 250 ms
  });

  test('fails at once on a client error, naming the resource and the service reason', async () => {
    ib.on(DistributeImageCommand).rejects(awsError('InvalidRequestException', 400, 'The source image ami-0123456789abcdef0 does not exist'));
    await expect(onEvent(event('Create'), options)).rejects.toThrow(
      `Custom::ImageBuilderDistributeImage Distribute: DistributeImage on ami-0123456789abcdef0 with ${CONFIG_ARN} failed: `
      + 'InvalidRequestException (HTTP 400): The source image ami-0123456789abcdef0 does not exist');
    expect(ib.commandCalls(DistributeImageCommand)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  test('gives up after the bounded number of attempts', async () => {
    ib.on(DistributeImageCommand).rejects(awsError('CallRateLimitExceededException', 429, 'Rate exceeded'));
    await expect(onEvent(event('Create'), { ...options, retry: { ...options.retry, maxAttempts: 3 } }))
      .rejects.toThrow(/CallRateLimitExceededException \(HTTP 429\): Rate exceeded/);
    expect(ib.commandCalls(DistributeImageCommand)).toHaveLength(3);
  });

  test('stops retrying before the invocation\'s deadline and fails with the same message', async () => {
    ib.on(DistributeImageCommand).rejects(awsError('CallRateLimitExceededException', 429, 'Rate exceeded'));
    // A clock that moves only when the retries sleep; each attempt is counted as 1 s (attemptMs).
    let clock = NOW;
    const retry = { random: () => 0.999, now: () => clock, attemptMs: 1_000, sleep: async (ms: number) => { sleeps.push(ms); clock += ms; } };
    await expect(onEvent(event('Create'), { ...options, retry, deadline: NOW + 3_000 })).rejects.toThrow(
      `Custom::ImageBuilderDistributeImage Distribute: DistributeImage on ami-0123456789abcdef0 with ${CONFIG_ARN} failed: `
      + 'CallRateLimitExceededException (HTTP 429): Rate exceeded');
    // 249 + 499 + 999 ms slept; a fourth retry (1998 ms) plus an attempt would end after the deadline.
    expect(sleeps).toEqual([249, 499, 999]);
    expect(ib.commandCalls(DistributeImageCommand)).toHaveLength(4);
    expect(logs).toContainEqual(expect.stringContaining('Not retrying after attempt 4'));
  });

  test('fails when the service returns no image ARN', async () => {
    ib.on(DistributeImageCommand).resolves({});
    await expect(onEvent(event('Create'), options)).rejects.toThrow(/returned no imageBuildVersionArn/);
  });

  test.each([
    [{ SourceImage: undefined }, /property SourceImage is required/],
    [{ DistributionConfigurationArn: '' }, /property DistributionConfigurationArn is required/],
    [{ ExecutionRole: 42 }, /property ExecutionRole must be a string \(got 42\)/],
    [{ RemovalPolicy: 'snapshot' }, /RemovalPolicy must be "retain" or "destroy"/],
    [{ TimeoutSeconds: '1.5' }, /TimeoutSeconds must be a positive whole number/],
    [{ TimeoutSeconds: '0' }, /TimeoutSeconds must be a positive whole number/],
    [{ Tags: '{not json' }, /Tags is not valid JSON/],
    [{ Tags: '["a"]' }, /Tags must be a JSON object of string values/],
    [{ Tags: '{"a":1}' }, /Tags must be a JSON object of string values/],
    [{ Tags: 'null' }, /Tags must be a JSON object of string values/],
  ])('rejects invalid properties %j before calling the service', async (change, message) => {
    await expect(onEvent(event('Create', { ...baseProps, ...change }), options)).rejects.toThrow(message);
    expect(ib.calls()).toHaveLength(0);
  });

  test('reports missing ResourceProperties', async () => {
    await expect(onEvent({ ...event('Create'), ResourceProperties: undefined }, options)).rejects.toThrow(/SourceImage is required/);
  });
});

describe('onEvent Update', () => {
  test.each<[string, Record<string, string>, Record<string, string>?]>([
    ['tags in another key order', { Tags: JSON.stringify({ env: 'prod', team: 'platform' }) }],
    ['another execution role', { ExecutionRole: 'arn:aws:iam::111111111111:role/Other' }],
    ['another log group', { LogGroupName: '/other' }],
    ['another removal policy and timeout', { RemovalPolicy: 'destroy', TimeoutSeconds: '600' }],
    ['a RoleArn where there was none', { RoleArn: ROLE }],
    ['another RoleArn', { RoleArn: ROLE }, { RoleArn: OTHER_ROLE }],
    ['no RoleArn any more', {}, { RoleArn: ROLE }],
  ])('keeps the distribution for %s', async (_what, change, oldChange = {}) => {
    const res = await onEvent(event('Update', { ...baseProps, ...change }, { OldResourceProperties: { ...baseProps, ...oldChange } }), options);
    expect(res).toEqual({ PhysicalResourceId: IMAGE_ARN, Data: { ImageBuildVersionArn: IMAGE_ARN }, [KEPT_IMAGE_KEY]: true });
    expect(res).not.toHaveProperty(STARTED_AT_KEY);
    expect(ib.calls()).toHaveLength(0);
  });

  test.each([
    ['source image', { SourceImage: 'ami-0fedcba9876543210' }],
    ['distribution configuration', { DistributionConfigurationArn: `${CONFIG_ARN}-2` }],
    ['a tag value', { Tags: JSON.stringify({ team: 'platform', env: 'dev' }) }],
    ['removed tags', { Tags: undefined }],
  ])('distributes again, with a new physical id, for a new %s', async (_what, change) => {
    const newArn = IMAGE_ARN.replace(/\/3$/, '/4');
    ib.on(DistributeImageCommand).resolves({ imageBuildVersionArn: newArn });
    const ev = event('Update', { ...baseProps, ...change }, { OldResourceProperties: baseProps });
    const res = await onEvent(ev, options);
    expect(res.PhysicalResourceId).toBe(newArn);
    expect(res[STARTED_AT_KEY]).toBe(NOW);
    const input = ib.commandCalls(DistributeImageCommand)[0].args[0].input;
    // The token names the distribution of these properties: other properties, another token.
    expect(input.clientToken).toBe(distributionClientToken(ev));
    expect(input.clientToken).not.toBe(distributionClientToken(event('Create')));
  });
});

describe('onEvent Delete', () => {
  test('does nothing itself and keeps the physical id', async () => {
    const res = await onEvent(event('Delete', { ...baseProps, RemovalPolicy: 'destroy' }), options);
    expect(res).toEqual({ PhysicalResourceId: IMAGE_ARN });
    expect(ib.calls()).toHaveLength(0);
    expect(ec2Calls()).toHaveLength(0);
  });
});

describe('isComplete for Create and Update', () => {
  const created = (props: Record<string, any> = baseProps): CdkCustomResourceIsCompleteEvent =>
    event('Create', props, { PhysicalResourceId: IMAGE_ARN, Data: { ImageBuildVersionArn: IMAGE_ARN }, [STARTED_AT_KEY]: NOW });

  test('AVAILABLE completes with the AMIs as attributes', async () => {
    ib.on(GetImageCommand, { imageBuildVersionArn: IMAGE_ARN }).resolves(image('AVAILABLE', {
      outputResources: {
        amis: [
          { region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00000000000000001' },
          { region: 'eu-west-1', accountId: ACCOUNT, image: 'ami-00000000000000002' },
          { region: 'eu-west-1', accountId: OTHER, image: 'ami-00000000000000003' },
          { region: 'ap-south-1', image: 'ami-00000000000000004' }, // no account: the service's own
          { region: 'us-west-2' }, // no image id yet: left out
        ],
      },
    }));
    const res = await isComplete(created(), options);
    expect(res).toEqual({
      IsComplete: true,
      Data: {
        'ImageBuildVersionArn': IMAGE_ARN,
        'AmiId.us-east-1': 'ami-00000000000000001',
        'AmiId.us-east-1.111111111111': 'ami-00000000000000001',
        'AmiId.eu-west-1': 'ami-00000000000000002',
        'AmiId.eu-west-1.111111111111': 'ami-00000000000000002',
        'AmiId.eu-west-1.222222222222': 'ami-00000000000000003',
        'AmiId.ap-south-1': 'ami-00000000000000004',
        'AmiId.ap-south-1.111111111111': 'ami-00000000000000004',
        'Amis': JSON.stringify([
          { region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00000000000000001' },
          { region: 'eu-west-1', accountId: ACCOUNT, image: 'ami-00000000000000002' },
          { region: 'eu-west-1', accountId: OTHER, image: 'ami-00000000000000003' },
          { region: 'ap-south-1', accountId: ACCOUNT, image: 'ami-00000000000000004' },
        ]),
      },
    });
  });

  test('an Update that kept the distribution returns the same Data as the Create', async () => {
    ib.on(GetImageCommand).resolves(image('AVAILABLE', {
      outputResources: { amis: [{ region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00000000000000001' }] },
    }));
    const fromCreate = await isComplete(created(), options);
    const kept = await onEvent(event('Update', baseProps, { OldResourceProperties: baseProps }), options);
    const fromUpdate = await isComplete({ ...event('Update', baseProps, { OldResourceProperties: baseProps }), ...kept } as any, options);
    expect(fromUpdate).toEqual(fromCreate);
  });

  test.each(['DEPRECATED', 'DISABLED'])('%s (set by a lifecycle policy after AVAILABLE) counts as complete', async (status) => {
    ib.on(GetImageCommand).resolves(image(status, { outputResources: { amis: [] } }));
    expect(await isComplete(created(), options)).toEqual({ IsComplete: true, Data: { ImageBuildVersionArn: IMAGE_ARN, Amis: '[]' } });
  });

  test.each(['PENDING', 'DISTRIBUTING', 'CREATING', 'INTEGRATING'])('%s is not complete yet', async (status) => {
    ib.on(GetImageCommand).resolves(image(status));
    expect(await isComplete(created(), options)).toEqual({ IsComplete: false });
  });

  test('an image without a state is not complete yet', async () => {
    ib.on(GetImageCommand).resolves({});
    expect(await isComplete(created(), options)).toEqual({ IsComplete: false });
  });

  test.each([
    ['FAILED', 'Failed to copy AMI to eu-west-1: not authorized to perform ec2:CopyImage'],
    ['CANCELLED', 'Cancelled by user'],
    ['DELETED', undefined],
  ])('%s fails with the service reason', async (status, reason) => {
    ib.on(GetImageCommand).resolves(image(status, { reason }));
    await expect(isComplete(created(), options)).rejects.toThrow(
      `Custom::ImageBuilderDistributeImage Distribute: distribution ${IMAGE_ARN} of ami-0123456789abcdef0 is ${status}: `
      + (reason ?? 'no reason given by Image Builder'));
  });

  test('TimeoutSeconds counts from the start of the distribution', async () => {
    ib.on(GetImageCommand).resolves(image('DISTRIBUTING'));
    const ev = created({ ...baseProps, TimeoutSeconds: '600' });
    now = NOW + 600_000;
    expect(await isComplete(ev, options)).toEqual({ IsComplete: false });
    now = NOW + 600_001;
    await expect(isComplete(ev, options)).rejects.toThrow(
      /did not become AVAILABLE within TimeoutSeconds=600 \(last status DISTRIBUTING\); Image Builder goes on with it/);
  });

  test('AVAILABLE after the timeout still succeeds', async () => {
    ib.on(GetImageCommand).resolves(image('AVAILABLE'));
    now = NOW + 10_000_000;
    expect(await isComplete(created({ ...baseProps, TimeoutSeconds: '60' }), options)).toMatchObject({ IsComplete: true });
  });

  test('without a start time (an Update that kept the distribution) TimeoutSeconds does not apply', async () => {
    ib.on(GetImageCommand).resolves(image('DISTRIBUTING'));
    now = NOW + 10_000_000;
    const ev = event('Update', { ...baseProps, TimeoutSeconds: '60' }, { OldResourceProperties: baseProps });
    expect(await isComplete(ev, options)).toEqual({ IsComplete: false });
  });

  test('a poll that stays throttled after retries polls again instead of failing', async () => {
    ib.on(GetImageCommand).rejects(awsError('ThrottlingException', 400, 'Rate exceeded'));
    expect(await isComplete(created(), { ...options, retry: { ...options.retry, maxAttempts: 2 } })).toEqual({ IsComplete: false });
    expect(ib.commandCalls(GetImageCommand)).toHaveLength(2);
    expect(logs.join('\n')).toMatch(/failed transiently \(ThrottlingException/);
  });

  test('a poll whose retries the deadline cut short polls again', async () => {
    ib.on(GetImageCommand).rejects(awsError('ThrottlingException', 400, 'Rate exceeded'));
    // The deadline has passed: no retry at all.
    expect(await isComplete(created(), { ...options, deadline: now - 1 })).toEqual({ IsComplete: false });
    expect(ib.commandCalls(GetImageCommand)).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(logs.filter((l) => l.startsWith('Not retrying after attempt 1 (ThrottlingException)'))).toHaveLength(1);
  });

  test('a throttled poll past the timeout fails', async () => {
    ib.on(GetImageCommand).rejects(awsError('ThrottlingException', 400));
    now = NOW + 61_000;
    await expect(isComplete(created({ ...baseProps, TimeoutSeconds: '60' }), { ...options, retry: { ...options.retry, maxAttempts: 1 } }))
      .rejects.toThrow(/within TimeoutSeconds=60 \(last status unknown: GetImage kept failing\)/);
  });

  test('a poll that the service refuses fails with its reason', async () => {
    ib.on(GetImageCommand).rejects(awsError('AccessDeniedException', 403, 'not authorized to perform imagebuilder:GetImage'));
    await expect(isComplete(created(), options)).rejects.toThrow(
      `Distribute: GetImage on ${IMAGE_ARN} failed: AccessDeniedException (HTTP 403): not authorized to perform imagebuilder:GetImage`);
  });

  test('an AMI without an account, in a stack whose ARN names none, is listed without one', async () => {
    ib.on(GetImageCommand).resolves(image('AVAILABLE', { outputResources: { amis: [{ region: 'us-east-1', image: 'ami-1' }] } }));
    const res = await isComplete({ ...created(), StackId: 'not-an-arn' }, options) as any;
    expect(JSON.parse(res.Data.Amis)).toEqual([{ region: 'us-east-1', accountId: '', image: 'ami-1' }]);
  });

  test('leaves out the Amis list when the response would exceed CloudFormation\'s 4 KB', async () => {
    const regions = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-central-1', 'ap-south-1'];
    const accounts = ['111111111111', '222222222222', '333333333333'];
    const amis = regions.flatMap((region, r) => accounts.map((accountId, a) => ({ region, accountId, image: `ami-${String(r * 10 + a).padStart(17, '0')}` })));
    ib.on(GetImageCommand).resolves(image('AVAILABLE', { outputResources: { amis } }));
    const res = await isComplete(created(), options) as any;
    expect(res.Data).not.toHaveProperty('Amis');
    expect(res.Data['AmiId.eu-west-1.333333333333']).toBe('ami-00000000000000042');
    expect(Buffer.byteLength(JSON.stringify(res.Data))).toBeLessThan(3000);
    expect(logs.join('\n')).toMatch(/attribute Amis left out: with 24 AMIs/);
  });
});

describe('isComplete for Delete', () => {
  const destroy = { ...baseProps, RemovalPolicy: 'destroy' };

  test.each([undefined, 'retain'])('RemovalPolicy %s retains everything', async (policy) => {
    const res = await isComplete(event('Delete', { ...baseProps, RemovalPolicy: policy }), options);
    expect(res).toEqual({ IsComplete: true });
    expect(ib.calls()).toHaveLength(0);
    expect(ec2Calls()).toHaveLength(0);
    expect(logs.join('\n')).toMatch(/retaining/);
  });

  test('without ResourceProperties, retains', async () => {
    expect(await isComplete({ ...event('Delete'), ResourceProperties: undefined }, options)).toEqual({ IsComplete: true });
    expect(ib.calls()).toHaveLength(0);
  });

  test('a physical id that is not an image ARN has nothing to delete', async () => {
    const res = await isComplete(event('Delete', destroy, { PhysicalResourceId: 'request-Create' }), options);
    expect(res).toEqual({ IsComplete: true });
    expect(ib.calls()).toHaveLength(0);
  });

  test('without a physical id there is nothing to delete', async () => {
    expect(await isComplete(event('Delete', destroy, { PhysicalResourceId: undefined }), options)).toEqual({ IsComplete: true });
    expect(ib.calls()).toHaveLength(0);
  });

  test('an image without a status waits; one without outputs or creation date is deleted without touching EC2', async () => {
    ib.on(GetImageCommand).resolves({ image: { arn: IMAGE_ARN } });
    expect(await isComplete(event('Delete', destroy), options)).toEqual({ IsComplete: false });
    expect(logs.join('\n')).toMatch(/is UNKNOWN; cancelled, waiting/);
    ib.on(GetImageCommand).resolves({ image: { arn: IMAGE_ARN, state: { status: 'AVAILABLE' } } });
    ib.on(DeleteImageCommand).resolves({});
    expect(await isComplete(event('Delete', destroy), options)).toEqual({ IsComplete: true });
    expect(ib.commandCalls(DeleteImageCommand)).toHaveLength(1);
    expect(ec2Calls()).toHaveLength(0);
  });

  test('an image that is already gone is deleted', async () => {
    ib.on(GetImageCommand).rejects(awsError('ResourceNotFoundException', 404));
    expect(await isComplete(event('Delete', destroy), options)).toEqual({ IsComplete: true });
    expect(ib.commandCalls(DeleteImageCommand)).toHaveLength(0);
  });

  test('an image in state DELETED needs nothing more', async () => {
    ib.on(GetImageCommand).resolves(image('DELETED'));
    expect(await isComplete(event('Delete', destroy), options)).toEqual({ IsComplete: true });
    expect(ib.commandCalls(DeleteImageCommand)).toHaveLength(0);
  });

  test.each(['PENDING', 'DISTRIBUTING'])('waits while the distribution is %s', async (status) => {
    ib.on(GetImageCommand).resolves(image(status));
    expect(await isComplete(event('Delete', destroy), options)).toEqual({ IsComplete: false });
    expect(ec2Calls()).toHaveLength(0);
    expect(ib.commandCalls(DeleteImageCommand)).toHaveLength(0);
  });

  test('a GetImage error other than not-found fails', async () => {
    ib.on(GetImageCommand).rejects(awsError('AccessDeniedException', 403, 'denied'));
    await expect(isComplete(event('Delete', destroy), options)).rejects.toThrow(
      `Distribute: GetImage before deletion on ${IMAGE_ARN} failed: AccessDeniedException (HTTP 403): denied`);
  });

  test('destroy deregisters this account\'s AMIs, deletes their snapshots, then the image; other accounts are logged', async () => {
    ib.on(GetImageCommand).resolves(image('AVAILABLE', {
      outputResources: {
        amis: [
          { region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00000000000000001' },
          { region: 'eu-west-1', image: 'ami-00000000000000002' },
          { region: 'eu-west-1', accountId: OTHER, image: 'ami-00000000000000003' },
          { region: 'eu-west-1', accountId: ACCOUNT }, // no image id: skipped
        ],
      },
    }));
    ib.on(DeleteImageCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    answerFor(ec2.describeImages, [
      [{ ImageIds: ['ami-00000000000000001'], Owners: ['self'] }, () => ({
        Images: [{
          ImageId: 'ami-00000000000000001',
          CreationDate: '2025-06-01T12:30:00.000Z',
          BlockDeviceMappings: [
            { DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-1' } },
            { DeviceName: '/dev/sdb' }, // instance store: no snapshot
          ],
        }],
      })],
      [{ ImageIds: ['ami-00000000000000002'], Owners: ['self'] }, () => ({
        Images: [{ ImageId: 'ami-00000000000000002', CreationDate: '2025-06-01T12:40:00.000Z', BlockDeviceMappings: [{ Ebs: { SnapshotId: 'snap-2' } }] }],
      })],
    ], () => ({ Images: [] }));

    expect(await isComplete(event('Delete', destroy), options)).toEqual({ IsComplete: true });

    expect(ec2.describeImages.mock.calls).toEqual([
      [{ ImageIds: ['ami-00000000000000001'], Owners: ['self'] }], [{ ImageIds: ['ami-00000000000000002'], Owners: ['self'] }],
    ]);
    expect(ec2.deregisterImage.mock.calls).toEqual([[{ ImageId: 'ami-00000000000000001' }], [{ ImageId: 'ami-00000000000000002' }]]);
    expect(ec2.deleteSnapshot.mock.calls).toEqual([[{ SnapshotId: 'snap-1' }], [{ SnapshotId: 'snap-2' }]]);
    expect(ec2Regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(ib.commandCalls(DeleteImageCommand).map((c) => c.args[0].input)).toEqual([{ imageBuildVersionArn: IMAGE_ARN }]);
    // Deregistration comes before snapshot deletion, and both before the image goes.
    const deregistered = ec2.deregisterImage.mock.invocationCallOrder;
    const snapshotsDeleted = ec2.deleteSnapshot.mock.invocationCallOrder;
    expect(deregistered[0]).toBeLessThan(snapshotsDeleted[0]);
    expect(deregistered[1]).toBeLessThan(snapshotsDeleted[1]);
    expect(snapshotsDeleted[0]).toBeLessThan(deregistered[1]); // one AMI after the other
    expect(logs.join('\n')).toMatch(/cannot remove ami-00000000000000003 in eu-west-1 of account 222222222222/);
  });

  test('never deregisters the source AMI or an AMI older than the distribution', async () => {
    ib.on(GetImageCommand).resolves(image('FAILED', {
      outputResources: {
        amis: [
          { region: 'us-east-1', accountId: ACCOUNT, image: 'ami-0123456789abcdef0' }, // the SourceImage itself
          { region: 'us-east-1', accountId: ACCOUNT, image: 'ami-0000000000000000a' }, // e.g. resolved from an SSM parameter
          { region: 'us-east-1', accountId: ACCOUNT, image: 'ami-0000000000000000b' }, // no creation date
        ],
      },
    }));
    answerFor(ec2.describeImages, [
      [{ ImageIds: ['ami-0000000000000000a'] }, () => ({ Images: [{ ImageId: 'ami-0000000000000000a', CreationDate: '2024-01-01T00:00:00.000Z' }] })],
      [{ ImageIds: ['ami-0000000000000000b'] }, () => ({ Images: [{ ImageId: 'ami-0000000000000000b' }] })],
    ]);
    expect(await isComplete(event('Delete', destroy), options)).toEqual({ IsComplete: true });
    expect(ec2.deregisterImage).not.toHaveBeenCalled();
    expect(ec2.deleteSnapshot).not.toHaveBeenCalled();
    expect(ec2.describeImages).toHaveBeenCalledTimes(2);
    expect(ib.commandCalls(DeleteImageCommand)).toHaveLength(1);
    expect(logs.join('\n')).toMatch(/keeping ami-0123456789abcdef0 in us-east-1: it is the source image/);
    expect(logs.join('\n')).toMatch(/keeping ami-0000000000000000a in us-east-1: created 2024-01-01/);
  });

  test('tolerates AMIs, snapshots and the image being gone already, and snapshots still in use', async () => {
    ib.on(GetImageCommand).resolves(image('AVAILABLE', {
      outputResources: {
        amis: [
          { region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00000000000000001' }, // DescribeImages: not found
          { region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00000000000000002' }, // DescribeImages: empty
          { region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00000000000000003' }, // Deregister: not found
        ],
      },
    }));
    answerFor(ec2.describeImages, [
      [{ ImageIds: ['ami-00000000000000001'] }, reject(awsError('InvalidAMIID.NotFound', 400))],
      [{ ImageIds: ['ami-00000000000000002'] }, () => ({ Images: [] })],
      [{ ImageIds: ['ami-00000000000000003'] }, () => ({
        Images: [{
          ImageId: 'ami-00000000000000003',
          CreationDate: '2025-06-01T13:00:00.000Z',
          BlockDeviceMappings: [{ Ebs: { SnapshotId: 'snap-gone' } }, { Ebs: { SnapshotId: 'snap-shared' } }],
        }],
      })],
    ]);
    ec2.deregisterImage.mockRejectedValue(awsError('InvalidAMIID.Unavailable', 400));
    answerFor(ec2.deleteSnapshot, [
      [{ SnapshotId: 'snap-gone' }, reject(awsError('InvalidSnapshot.NotFound', 400))],
      [{ SnapshotId: 'snap-shared' }, reject(awsError('InvalidSnapshot.InUse', 400, 'in use by ami-x'))],
    ]);
    ib.on(DeleteImageCommand).rejects(awsError('ResourceNotFoundException', 404));

    expect(await isComplete(event('Delete', destroy), options)).toEqual({ IsComplete: true });
    expect(ec2.deleteSnapshot).toHaveBeenCalledTimes(2);
    expect(logs.join('\n')).toMatch(/keeping snapshot snap-shared in us-east-1: still used by another AMI \(in use by ami-x\)/);
    expect(logs.join('\n')).toMatch(/ami-00000000000000001 in us-east-1 is already gone/);
  });

  test('retries EC2 throttling (RequestLimitExceeded, HTTP 503)', async () => {
    ib.on(GetImageCommand).resolves(image('AVAILABLE', {
      outputResources: { amis: [{ region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00000000000000001' }] },
    }));
    ec2.describeImages
      .mockRejectedValueOnce(awsError('RequestLimitExceeded', 503))
      .mockResolvedValue({ Images: [{ ImageId: 'ami-00000000000000001', CreationDate: '2025-06-01T13:00:00.000Z' }] });
    ec2.deregisterImage.mockRejectedValueOnce(awsError('RequestLimitExceeded', 503)).mockResolvedValue(undefined);
    expect(await isComplete(event('Delete', destroy), options)).toEqual({ IsComplete: true });
    expect(ec2.deregisterImage).toHaveBeenCalledTimes(2);
    expect(sleeps).toHaveLength(2);
  });

  const oneAmi = () => {
    ib.on(GetImageCommand).resolves(image('AVAILABLE', {
      outputResources: { amis: [{ region: 'eu-west-1', accountId: ACCOUNT, image: 'ami-00000000000000001' }] },
    }));
    ec2.describeImages.mockResolvedValue({
      Images: [{ ImageId: 'ami-00000000000000001', CreationDate: '2025-06-01T13:00:00.000Z', BlockDeviceMappings: [{ Ebs: { SnapshotId: 'snap-1' } }] }],
    });
  };

  test.each([
    ['DescribeImages', () => ec2.describeImages.mockRejectedValue(awsError('UnauthorizedOperation', 403, 'no')),
      'DescribeImages on ami-00000000000000001 in eu-west-1 failed: UnauthorizedOperation (HTTP 403): no'],
    ['DeregisterImage', () => ec2.deregisterImage.mockRejectedValue(awsError('UnauthorizedOperation', 403, 'no')),
      'DeregisterImage on ami-00000000000000001 in eu-west-1 failed: UnauthorizedOperation (HTTP 403): no'],
    ['DeleteSnapshot', () => ec2.deleteSnapshot.mockRejectedValue(awsError('UnauthorizedOperation', 403, 'no')),
      'DeleteSnapshot on snap-1 in eu-west-1 failed: UnauthorizedOperation (HTTP 403): no'],
    ['DeleteImage', () => ib.on(DeleteImageCommand).rejects(awsError('ResourceDependencyException', 400, 'in use')),
      `DeleteImage on ${IMAGE_ARN} failed: ResourceDependencyException (HTTP 400): in use`],
  ])('a %s failure fails the deletion with the service reason', async (_op, arrange, message) => {
    oneAmi();
    arrange();
    await expect(isComplete(event('Delete', destroy), options)).rejects.toThrow(`Custom::ImageBuilderDistributeImage Distribute: ${message}`);
  });
});

describe('RoleArn', () => {
  /** The role of the context of every Image Builder and EC2 client the handler asked for ('' for the Lambda's own). */
  function contextsUsed(run: () => Promise<unknown>) {
    const spy = jest.spyOn(clients, 'imagebuilder');
    return run().then(() => ({
      imagebuilder: spy.mock.calls.map(([context]) => context.roleArn ?? ''),
      ec2: ec2Contexts.map((context) => context.roleArn ?? ''),
    }));
  }
  const destroyAmi = () => {
    ib.on(GetImageCommand).resolves(image('AVAILABLE', { outputResources: { amis: [{ region: 'us-east-1', accountId: ACCOUNT, image: 'ami-00000000000000001' }] } }));
    ib.on(DeleteImageCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    ec2.describeImages.mockResolvedValue({ Images: [{ ImageId: 'ami-00000000000000001', CreationDate: '2025-06-01T13:00:00.000Z', BlockDeviceMappings: [{ Ebs: { SnapshotId: 'snap-1' } }] }] });
  };

  test('onEvent, isComplete and the Delete make every call with the context of the event\'s RoleArn', async () => {
    ib.on(DistributeImageCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    destroyAmi();
    const props = { ...baseProps, RoleArn: ROLE, RemovalPolicy: 'destroy' };
    const used = await contextsUsed(async () => {
      const ev = event('Create', props);
      await isComplete({ ...ev, ...await onEvent(ev, options) }, options);
      await isComplete(event('Delete', props), options);
    });
    // DistributeImage and GetImage (whether the image of these properties is usable); GetImage; GetImage and
    // DeleteImage of the Delete.
    expect(used.imagebuilder).toEqual([ROLE, ROLE, ROLE, ROLE, ROLE]);
    // DescribeImages, DeregisterImage, DeleteSnapshot: one client.
    expect(used.ec2).toEqual([ROLE]);
  });

  test('without RoleArn, the Lambda\'s own credentials', async () => {
    ib.on(DistributeImageCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    destroyAmi();
    const props = { ...baseProps, RemovalPolicy: 'destroy' };
    const spy = jest.spyOn(clients, 'imagebuilder');
    const ev = event('Create', props);
    await isComplete({ ...ev, ...await onEvent(ev, options) }, options);
    await isComplete(event('Delete', props), options);
    const contexts = [...spy.mock.calls.map(([context]) => context), ...ec2Contexts];
    expect(contexts).toHaveLength(5 + 1);
    for (const context of contexts) {
      expect(context.roleArn).toBeUndefined();
      expect(context.credentials).toBe(clients.LAMBDA_CREDENTIALS.credentials);
    }
  });

  test('a RoleArn that is not a string fails the event before any call', async () => {
    await expect(onEvent(event('Create', { ...baseProps, RoleArn: '' }), options)).rejects.toThrow('Property RoleArn must be the ARN of the IAM role');
    expect(ib.calls()).toHaveLength(0);
  });
});

describe('stackAccount', () => {
  test.each([
    [STACK_ID, ACCOUNT],
    ['arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/s/id', '123456789012'],
    ['not-an-arn', undefined],
    [undefined, undefined],
  ])('%s -> %s', (stackId, account) => {
    expect(stackAccount(stackId)).toBe(account);
  });
});

test('works with the typed event of the router', async () => {
  ib.on(DistributeImageCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
  const consoleLog = jest.spyOn(console, 'log').mockImplementation(() => {});
  const ev: CdkCustomResourceEvent = event('Create');
  await expect(onEvent(ev)).resolves.toMatchObject({ PhysicalResourceId: IMAGE_ARN });
  // Without injected options the handler logs to the Lambda's console.
  expect(consoleLog).toHaveBeenCalledWith(expect.stringMatching(/DistributeImage answered/));
  consoleLog.mockRestore();
});
