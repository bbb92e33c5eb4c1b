// Bounded retries with full-jitter exponential backoff for the errors Image Builder documents as transient, and
// EC2's, SSM's and STS's throttling; retries stop early when the invocation's time runs out (its deadline), and a
// call refused for expired credentials is made once more with fresh ones.
import { requestTimeoutMs } from './aws-request';
import { Log, logOf } from './log';

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

/**
 * How services say that the session token of the request's credentials has expired (SSM, EC2: ExpiredToken). EC2
 * also answers RequestExpired for expired temporary credentials, as for a stale signature date: a new request with
 * fresh credentials cures both.
 */
const EXPIRED_TOKEN_NAMES = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);

/** The clock, sleep and randomness of waiting and backoff: tests inject them; the handler uses the real ones. */
export interface Timing {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** The real clock, sleep and randomness wherever `timing` gives none. */
export function withRealTiming(timing: Timing): Required<Timing> {
  return { sleep: timing.sleep ?? realSleep, random: timing.random ?? Math.random, now: timing.now ?? Date.now };
}

function realSleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}

/**
 * Time kept back from the end of the invocation: for the answer to CloudFormation (the Provider framework sends it
 * after our function returns) and the last log lines.
 */
export const DEADLINE_MARGIN_MS = 20_000;

export interface RetryOptions extends Timing {
  /** Total attempts, the first included. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /**
   * Epoch milliseconds by which every attempt must have ended (see {@link eventDeadline}). A retry is only made when
   * its backoff and one whole attempt ({@link attemptMs}) fit before it; otherwise the last error is thrown.
   * Undefined: no deadline (the attempts and delays are bounded anyway).
   */
  readonly deadline?: number;
  /** The longest one attempt can take: the per-request timeout (`requestTimeoutMs()`) unless given. */
  readonly attemptMs?: number;
  /**
   * Forgets the cached credentials the calls are signed with, so that the next attempt gets fresh ones; false when
   * there is nothing to renew. Called when a call fails with ExpiredToken (see {@link isExpiredToken}).
   */
  readonly renewCredentials?: () => boolean;
  /** Where giving up before the deadline is logged. */
  readonly log?: Log;
}

export const DEFAULT_RETRY: Required<Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>> = {
  maxAttempts: 8,
  baseDelayMs: 250,
  maxDelayMs: 15_000,
};

/** The part of the Lambda context that tells how much time the invocation has left. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/**
 * The deadline of one event: the end of the invocation less {@link DEADLINE_MARGIN_MS}. Undefined without a Lambda
 * context (tests, or a caller that passes none): then retries are bounded by their count only.
 */
export function eventDeadline(context: Partial<InvocationContext> | undefined, now: () => number = Date.now): number | undefined {
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
  return typeof remaining === 'number' && Number.isFinite(remaining) ? now() + remaining - DEADLINE_MARGIN_MS : undefined;
}

/**
 * Whether waiting `delayMs` and then one attempt of `attemptMs` still ends by `deadline` (always true without one).
 * The retry loops here and of AssumeRole (credentials.ts) ask this before every retry.
 */
export function fitsBeforeDeadline(deadline: number | undefined, delayMs: number, attemptMs: number, now: () => number = Date.now): boolean {
  return deadline === undefined || now() + delayMs + attemptMs <= deadline;
}

export function isRetryable(err: any): boolean {
  if (!err || typeof err !== 'object') return false;
  if (RETRYABLE_NAMES.has(err.name)) return true;
  if (err.code && RETRYABLE_CODES.has(err.code)) return true;
  const status = err.$metadata?.httpStatusCode;
  return status === 429 || (typeof status === 'number' && status >= 500);
}

export function isExpiredToken(err: any): boolean {
  return !!err && typeof err === 'object' && (EXPIRED_TOKEN_NAMES.has(err.name) || EXPIRED_TOKEN_NAMES.has(err.code));
}

/** Delay before retry `attempt` (1-based): uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, opts: RetryOptions = {}, random: () => number = Math.random): number {
  const base = opts.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = opts.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  return Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1)));
}

/**
 * `fn` until it succeeds, fails with an error that is not transient, has been tried `maxAttempts` times, or another
 * try would not end before the deadline; then its last error is thrown as it is (callers describe it). ExpiredToken
 * is retried once, at once and on top of `maxAttempts`, after `renewCredentials` forgot the expired credentials.
 */
export async function withRetries<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const { sleep, now } = withRealTiming(opts);
  const attemptMs = opts.attemptMs ?? requestTimeoutMs();
  let renewed = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!renewed && isExpiredToken(err) && fitsBeforeDeadline(opts.deadline, 0, attemptMs, now) && opts.renewCredentials?.()) {
        renewed = true;
        attempt--;
        continue;
      }
      if (attempt >= maxAttempts || !isRetryable(err)) throw err;
      const delay = backoffDelay(attempt, opts, opts.random);
      if (!fitsBeforeDeadline(opts.deadline, delay, attemptMs, now)) {
        logOf(opts)(`Not retrying after attempt ${attempt} (${(err as Error)?.name}): another attempt would not end before the invocation's deadline`, 'warn');
        throw err;
      }
      await sleep(delay);
    }
  }
}
