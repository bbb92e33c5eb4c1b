import { backoffDelay, DEFAULT_RETRY, isRetryable, withRetries } from '../../lambda/retry';

const err = (name: string, status?: number, code?: string) => Object.assign(new Error(name), { name, code, $metadata: { httpStatusCode: status } });

describe('isRetryable', () => {
  test.each([
    ['CallRateLimitExceededException', 429],
    ['ThrottlingException', 400],
    ['ResourceInUseException', 400],
    ['ServiceException', 500],
    ['ServiceUnavailableException', 503],
    ['TimeoutError', undefined],
    ['RequestLimitExceeded', 503], // EC2's throttling
    ['RequestLimitExceeded', undefined], // by name alone
    ['Throttling', 400], // STS's throttling
    ['SomethingNew', 502],
    ['SomethingElse', 429],
  ])('%s (%s) is retried', (name, status) => expect(isRetryable(err(name, status))).toBe(true));

  test.each([
    ['InvalidParameterValueException', 400],
    ['ResourceNotFoundException', 404],
    ['ForbiddenException', 403],
    ['IdempotentParameterMismatchException', 400],
  ])('%s (%s) is not retried', (name, status) => expect(isRetryable(err(name, status))).toBe(false));

  test('network errors by code; non-objects never', () => {
    expect(isRetryable(err('Error', undefined, 'ECONNRESET'))).toBe(true);
    expect(isRetryable(err('Error', undefined, 'EACCES'))).toBe(false);
    expect(isRetryable('boom')).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
  });
});

describe('backoffDelay', () => {
  test('doubles up to the cap, scaled by the jitter draw', () => {
    const top = (a: number) => backoffDelay(a, { baseDelayMs: 100, maxDelayMs: 1_000 }, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6].map(top)).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, { baseDelayMs: 100 }, () => 0)).toBe(0);
    expect(backoffDelay(2, { baseDelayMs: 100 }, () => 0.5)).toBe(100);
  });

  test('defaults stay bounded: the worst case of all waits is under the Lambda limit', () => {
    let total = 0;
    for (let a = 1; a < DEFAULT_RETRY.maxAttempts; a++) total += backoffDelay(a, {}, () => 1);
    expect(total).toBeLessThan(60_000);
  });
});

describe('withRetries', () => {
  test('retries transient errors with growing delays, then returns', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const out = await withRetries(async () => {
      calls++;
      if (calls < 4) throw err('CallRateLimitExceededException', 429);
      return 'ok';
    }, { baseDelayMs: 10, sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.999 });
    expect(out).toBe('ok');
    expect(calls).toBe(4);
    expect(sleeps).toEqual([9, 19, 39]);
  });

  test('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    const run = withRetries(async () => {
      calls++;
      throw err('ServiceException', 500);
    }, { maxAttempts: 3, sleep: async () => {} });
    await expect(run).rejects.toThrow('ServiceException');
    expect(calls).toBe(3);
  });

  test('does not retry other errors', async () => {
    let calls = 0;
    await expect(withRetries(async () => {
      calls++;
      throw err('InvalidRequestException', 400);
    }, { sleep: async () => {} })).rejects.toThrow('InvalidRequestException');
    expect(calls).toBe(1);
  });

  test('real sleep is used when none is injected (tiny delays)', async () => {
    let calls = 0;
    const started = Date.now();
    await withRetries(async () => {
      if (++calls === 1) throw err('ResourceInUseException', 400);
    }, { baseDelayMs: 2, random: () => 1 });
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
