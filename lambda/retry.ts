// Bounded retries with full-jitter exponential backoff for the errors Image Builder documents as transient, and
// EC2's, SSM's and STS's throttling.

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  // STS's throttling (HTTP 400, so by name only).
  'Throttling',
  'TooManyRequestsException',
  'CallRateLimitExceededException',
  // EC2's throttling (HTTP 503, so also retried by status; by name in case the status is lost on the way).
  'RequestLimitExceeded',
  'ResourceInUseException',
  'ServiceUnavailableException',
  'ServiceException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

export interface RetryOptions {
  /** Total attempts, the first included. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Injected by tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export const DEFAULT_RETRY: Required<Omit<RetryOptions, 'sleep' | 'random'>> = {
  maxAttempts: 8,
  baseDelayMs: 250,
  maxDelayMs: 15_000,
};

export function isRetryable(err: any): boolean {
  if (!err || typeof err !== 'object') return false;
  if (RETRYABLE_NAMES.has(err.name)) return true;
  if (err.code && RETRYABLE_CODES.has(err.code)) return true;
  const status = err.$metadata?.httpStatusCode;
  return status === 429 || (typeof status === 'number' && status >= 500);
}

/** Delay before retry `attempt` (1-based): uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, opts: RetryOptions = {}, random: () => number = Math.random): number {
  const base = opts.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = opts.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  return Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1)));
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withRetries<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= maxAttempts || !isRetryable(err)) throw err;
      await sleep(backoffDelay(attempt, opts, opts.random));
    }
  }
}
