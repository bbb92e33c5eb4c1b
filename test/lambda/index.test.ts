// The entry points (lambda/index.ts): routing by ResourceType, and the deadline each event gets from the Lambda context.
import type { CdkCustomResourceEvent, CdkCustomResourceIsCompleteEvent } from 'aws-lambda';
import * as distributeImage from '../../lambda/distribute-image';
import * as patch from '../../lambda/distribution-configuration-patch';
import { entryPoints, isComplete, onEvent } from '../../lambda/index';
import { DEADLINE_MARGIN_MS } from '../../lambda/retry';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE, PATCH_RESOURCE_TYPE } from '../../src/private/handler-contract';

jest.mock('../../lambda/distribution-configuration-patch', () => ({ onEvent: jest.fn(async () => ({ PhysicalResourceId: 'patch' })) }));
jest.mock('../../lambda/distribute-image', () => ({
  onEvent: jest.fn(async () => ({ PhysicalResourceId: 'image' })),
  isComplete: jest.fn(async () => ({ IsComplete: false })),
}));

const event = (resourceType: string): CdkCustomResourceEvent => ({
  RequestType: 'Create',
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
  ResponseURL: 'https://example.invalid/',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/S/1',
  RequestId: 'r',
  LogicalResourceId: 'L',
  ResourceType: resourceType,
  ResourceProperties: { ServiceToken: 'x' },
});
const lambdaContext = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });
const expectDeadline = (fn: jest.Mock, remainingMs: number, started: number) => {
  const { deadline } = fn.mock.calls[0][1];
  expect(deadline).toBeGreaterThanOrEqual(started + remainingMs - DEADLINE_MARGIN_MS);
  expect(deadline).toBeLessThanOrEqual(Date.now() + remainingMs - DEADLINE_MARGIN_MS);
};

beforeEach(() => jest.clearAllMocks());

describe('onEvent', () => {
  test('a patch goes to distribution-configuration-patch, with the deadline of the invocation', async () => {
    const started = Date.now();
    const ev = event(PATCH_RESOURCE_TYPE);
    expect(await onEvent(ev, lambdaContext(840_000))).toEqual({ PhysicalResourceId: 'patch' });
    expect(patch.onEvent).toHaveBeenCalledWith(ev, expect.anything());
    expectDeadline(patch.onEvent as jest.Mock, 840_000, started);
    expect(distributeImage.onEvent).not.toHaveBeenCalled();
  });

  test('DistributeImage goes to distribute-image, with the deadline of the invocation', async () => {
    const started = Date.now();
    const ev = event(DISTRIBUTE_IMAGE_RESOURCE_TYPE);
    expect(await onEvent(ev, lambdaContext(60_000))).toEqual({ PhysicalResourceId: 'image' });
    expect(distributeImage.onEvent).toHaveBeenCalledWith(ev, expect.anything());
    expectDeadline(distributeImage.onEvent as jest.Mock, 60_000, started);
    expect(patch.onEvent).not.toHaveBeenCalled();
  });

  test('entryPoints(seams): each handler gets the same seams, with the invocation\'s deadline', async () => {
    const seams = { retry: { maxAttempts: 1 }, log: jest.fn() };
    const started = Date.now();
    const entry = entryPoints(seams);
    await entry.onEvent(event(PATCH_RESOURCE_TYPE), lambdaContext(60_000));
    await entry.isComplete({ ...event(DISTRIBUTE_IMAGE_RESOURCE_TYPE), PhysicalResourceId: 'p' } as CdkCustomResourceIsCompleteEvent);
    expect(patch.onEvent).toHaveBeenCalledWith(expect.anything(), { ...seams, deadline: expect.any(Number) });
    expectDeadline(patch.onEvent as jest.Mock, 60_000, started);
    expect(distributeImage.isComplete).toHaveBeenCalledWith(expect.anything(), seams);
  });

  test('without a Lambda context (tests, other callers): no deadline', async () => {
    await onEvent(event(PATCH_RESOURCE_TYPE));
    expect(patch.onEvent).toHaveBeenCalledWith(expect.anything(), { deadline: undefined });
  });

  test('an unknown ResourceType fails, naming it and the two it serves', async () => {
    await expect(onEvent(event('Custom::Something'))).rejects.toThrow(
      `Unsupported resource type Custom::Something; expected ${PATCH_RESOURCE_TYPE} or ${DISTRIBUTE_IMAGE_RESOURCE_TYPE}`);
    expect(patch.onEvent).not.toHaveBeenCalled();
    expect(distributeImage.onEvent).not.toHaveBeenCalled();
  });
});

describe('isComplete', () => {
  test('DistributeImage polls distribute-image, with the deadline of the invocation', async () => {
    const started = Date.now();
    const ev = { ...event(DISTRIBUTE_IMAGE_RESOURCE_TYPE), PhysicalResourceId: 'image' } as CdkCustomResourceIsCompleteEvent;
    expect(await isComplete(ev, lambdaContext(300_000))).toEqual({ IsComplete: false });
    expect(distributeImage.isComplete).toHaveBeenCalledWith(ev, expect.anything());
    expectDeadline(distributeImage.isComplete as jest.Mock, 300_000, started);
  });

  test('a patch is complete when onEvent returns (and anything else is not polled)', async () => {
    for (const type of [PATCH_RESOURCE_TYPE, 'Custom::Something']) {
      const ev = { ...event(type), PhysicalResourceId: 'p' } as CdkCustomResourceIsCompleteEvent;
      expect(await isComplete(ev, lambdaContext(300_000))).toEqual({ IsComplete: true });
    }
    expect(distributeImage.isComplete).not.toHaveBeenCalled();
  });
});
