import {
  backoffDelay, DEADLINE_MARGIN_MS, DEFAULT_RETRY, eventDeadline, fitsBeforeDeadline, isExpiredToken, isRetryable, withRetries,
} from '../../lambda/retry';

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

describe('the invocation\'s deadline', () => {
  test('eventDeadline: the end of the invocation less the margin; none without a Lambda context', () => {
    expect(DEADLINE_MARGIN_MS).toBe(20_000);
    expect(eventDeadline({ getRemainingTimeInMillis: () => 840_000 }, () => 1_000)).toBe(1_000 + 840_000 - 20_000);
    expect(eventDeadline(undefined)).toBeUndefined();
    expect(eventDeadline({})).toBeUndefined();
    expect(eventDeadline({ getRemainingTimeInMillis: () => NaN })).toBeUndefined();
    const real = eventDeadline({ getRemainingTimeInMillis: () => 60_000 })!;
    expect(Math.abs(real - (Date.now() + 40_000))).toBeLessThan(1_000);
  });

  test('fitsBeforeDeadline: the backoff and one whole attempt must end by it', () => {
    const now = () => 1_000;
    expect(fitsBeforeDeadline(undefined, 1e9, 1e9, now)).toBe(true);
    expect(fitsBeforeDeadline(11_000, 4_000, 6_000, now)).toBe(true);
    expect(fitsBeforeDeadline(11_000, 4_001, 6_000, now)).toBe(false);
  });

  test('retries stop when the next would not end before it; the last error is thrown as it is', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    let calls = 0;
    const last = err('ThrottlingException', 400);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    // Each attempt takes 1 s; a retry needs its backoff (top of the jitter range) plus 2 s before the deadline at 10 s.
    const run = withRetries(async () => {
      calls++;
      clock += 1_000;
      throw calls === 1 ? err('ThrottlingException', 400) : last;
    }, {
      baseDelayMs: 1_000,
      random: () => 0.999,
      deadline: 10_000,
      attemptMs: 2_000,
      now: () => clock,
      sleep: async (ms) => { sleeps.push(ms); clock += ms; },
    });
    await expect(run).rejects.toBe(last);
    // 1 s + 999 ms sleep + 1 s + 1998 ms sleep + 1 s = 5997 ms; the next would need 3996 + 2000 ms more.
    expect(sleeps).toEqual([999, 1998]);
    expect(calls).toBe(3);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Not retrying after attempt 3 (ThrottlingException): another attempt would not end before the invocation\'s deadline'));
    warn.mockRestore();
  });

  test('the per-request timeout is the default attempt length', async () => {
    const saved = process.env.HANDLER_REQUEST_TIMEOUT_MS;
    process.env.HANDLER_REQUEST_TIMEOUT_MS = '5000';
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      let calls = 0;
      const fail = () => withRetries(async () => {
        calls++;
        throw err('ServiceException', 500);
      }, { maxAttempts: 2, random: () => 0, now: () => 0, sleep: async () => {}, deadline: 4_999 });
      await expect(fail()).rejects.toThrow('ServiceException');
      expect(calls).toBe(1);
    } finally {
      warn.mockRestore();
      if (saved === undefined) delete process.env.HANDLER_REQUEST_TIMEOUT_MS;
      else process.env.HANDLER_REQUEST_TIMEOUT_MS = saved;
    }
  });

  test('without a deadline nothing changes (unit tests, a caller without a Lambda context)', async () => {
    let calls = 0;
    await expect(withRetries(async () => {
      calls++;
      throw err('ServiceException', 500);
    }, { maxAttempts: 4, sleep: async () => {}, now: () => 1e15 })).rejects.toThrow('ServiceException');
    expect(calls).toBe(4);
  });
});

describe('ExpiredToken', () => {
  test.each(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired'])('%s is recognised by name or code; other errors are not', (name) => {
    expect(isExpiredToken(err(name, 400))).toBe(true);
    expect(isExpiredToken(Object.assign(new Error('x'), { code: name }))).toBe(true);
    expect(isExpiredToken(err('AccessDenied', 403))).toBe(false);
    expect(isExpiredToken(undefined)).toBe(false);
    expect(isRetryable(err(name, 400))).toBe(false);
  });

  test('renews the credentials and retries once, at once, on top of maxAttempts', async () => {
    const renew = jest.fn(() => true);
    const sleeps: number[] = [];
    let calls = 0;
    const out = await withRetries(async () => {
      calls++;
      if (calls === 1) throw err('ExpiredTokenException', 403);
      return 'ok';
    }, { maxAttempts: 1, renewCredentials: renew, sleep: async (ms) => { sleeps.push(ms); } });
    expect(out).toBe('ok');
    expect(renew).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  test('a second ExpiredToken is thrown; so is the first when there is nothing to renew, or no time', async () => {
    let calls = 0;
    const expired = () => withRetries(async () => {
      calls++;
      throw err('ExpiredToken', 400);
    }, { renewCredentials: () => true, sleep: async () => {} });
    await expect(expired()).rejects.toThrow('ExpiredToken');
    expect(calls).toBe(2);

    calls = 0;
    await expect(withRetries(async () => {
      calls++;
      throw err('ExpiredToken', 400);
    }, { renewCredentials: () => false })).rejects.toThrow('ExpiredToken');
    await expect(withRetries(async () => {
      calls++;
      throw err('ExpiredToken', 400);
    })).rejects.toThrow('ExpiredToken');
    const renew = jest.fn(() => true);
    await expect(withRetries(async () => {
      calls++;
      throw err('ExpiredToken', 400);
    }, { renewCredentials: renew, deadline: 0, now: () => 1 })).rejects.toThrow('ExpiredToken');
    expect(renew).not.toHaveBeenCalled();
    expect(calls).toBe(3);
  });

  test('after the renewed attempt, transient errors are retried as usual', async () => {
    let calls = 0;
    const out = await withRetries(async () => {
      calls++;
      if (calls === 1) throw err('ExpiredTokenException', 403);
      if (calls < 4) throw err('ThrottlingException', 400);
      return 'ok';
    }, { maxAttempts: 3, renewCredentials: () => true, sleep: async () => {} });
    expect(out).toBe('ok');
    expect(calls).toBe(4);
  });
});
