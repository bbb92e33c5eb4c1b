// Temporary credentials of the per-resource roles. Each custom resource passes the ARN of its own small IAM role in
// its RoleArn property (so the handler's shared role holds no resource's permissions), and the handler makes that
// resource's AWS calls as that role (clients.ts). STS AssumeRole goes through the lean Query client of
// aws-request.ts, signed with the Lambda's own credentials; the STS SDK client would add its weight to the bundle.
import {
  awsError, AwsCredentials, AwsError, lambdaRegion, QueryClient, regionalEndpoint, requestTimeoutMs, XmlNode, xmlChild, xmlText,
} from './aws-request';
import { Log, logOf } from './log';
import { backoffDelay, fitsBeforeDeadline, Timing, withRealTiming } from './retry';
import { HANDLER_ROLE_ARN_PREFIX_ENV, HANDLER_STACK_ID_ENV } from '../src/private/handler-contract';

export const STS_API_VERSION = '2011-06-15';
/** STS's minimum: an event's calls take seconds, and a refresh is one request. */
export const DURATION_SECONDS = 900;
/**
 * Cached credentials are used until this long before they expire, then refreshed. The SDK's own credential cache
 * (@smithy/core memoizeIdentityProvider) treats credentials as expired 5 minutes early; clients.ts makes the Image
 * Builder client ask us for every request instead, but with the same margin the two agree should the SDK cache them
 * again: whenever it would ask for new credentials, it gets new ones. Credentials of 15 minutes serve 10.
 */
export const REFRESH_MARGIN_MS = 300_000;
/**
 * How long AccessDenied from AssumeRole is retried. A role created moments earlier in the same deployment is often
 * not assumable yet: IAM is eventually consistent, and a new role or trust policy usually takes seconds to propagate.
 * The invocation's deadline (AssumeRoleOptions.deadline) can end the retries sooner.
 */
export const ACCESS_DENIED_BUDGET_MS = 90_000;
/** Full-jitter exponential backoff between AccessDenied attempts (retry.ts's backoffDelay), with a floor. */
const ACCESS_DENIED_BACKOFF = { baseDelayMs: 1_000, maxDelayMs: 10_000 };
const ACCESS_DENIED_MIN_DELAY_MS = 250;

export interface TemporaryCredentials extends AwsCredentials {
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Injected by tests; the handler uses the defaults, and passes the event's deadline. */
export interface AssumeRoleOptions extends Timing {
  readonly accessDeniedBudgetMs?: number;
  /** Epoch ms by which an AssumeRole attempt must have ended (retry.ts eventDeadline): AccessDenied is not retried past it. */
  readonly deadline?: number;
  /** The longest one AssumeRole request can take: the per-request timeout unless given. */
  readonly attemptMs?: number;
  /** Where a failed refresh is logged (HandlerOptions.log). */
  readonly log?: Log;
}

/**
 * Refuses, before any call, an event that would make the handler act with a role that is not one of its provider's
 * (another provider's, another stack's, any other role) or for a stack that is not the provider's (a reused service
 * token). What is allowed comes from the functions' environment, which the provider construct sets
 * (HANDLER_ROLE_ARN_PREFIX_ENV: `arn:<partition>:iam::<account>:role/<the provider's path>/`; HANDLER_STACK_ID_ENV),
 * never from the event: events are input from anyone who may invoke the functions or reuse the stack's service
 * token. Without the environment (a handler run outside a provider, as in tests) nothing is confined.
 */
export function confineRole(
  event: { readonly StackId?: string; readonly LogicalResourceId?: string; readonly ResourceProperties?: Record<string, unknown> },
  env: NodeJS.ProcessEnv = process.env,
): void {
  const stackId = env[HANDLER_STACK_ID_ENV];
  const prefix = env[HANDLER_ROLE_ARN_PREFIX_ENV];
  if (stackId && event.StackId !== stackId) {
    throw new Error(`Refused: the event is for stack ${event.StackId}, but this custom-resource provider serves only its own stack `
      + `${stackId}. Each stack gets its own provider; do not reuse another stack's service token`);
  }
  if (prefix) {
    // Each resource's role has the path <the provider's path><the resource's logical ID>/ (src/private/provider.ts).
    // Roles directly under the provider's path are those of earlier versions of the library, which had no
    // per-resource path: accepted so that the update that replaces them can roll back. They are deleted when it
    // succeeds, so none is left to borrow.
    const own = `${prefix}${event.LogicalResourceId}/`;
    const roleArn = event.ResourceProperties?.RoleArn;
    const nameAfter = (p: string) => typeof roleArn === 'string' && roleArn.startsWith(p) && /^[\w+=,.@-]+$/.test(roleArn.slice(p.length));
    if (!nameAfter(own) && !nameAfter(prefix)) {
      throw new Error(`Refused: RoleArn ${JSON.stringify(roleArn)} is not the role of resource ${event.LogicalResourceId}; `
        + `the handler assumes only the role the library created for it, whose ARN starts with ${own}`);
    }
  }
}

/** STS's endpoint: `STS_ENDPOINT` (tests), else the Lambda's Region's own (regional endpoints are STS's default). */
export function stsEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.STS_ENDPOINT || regionalEndpoint('sts', lambdaRegion(env));
}

/**
 * `cdk-ibd-<request id>`: RoleSessionName shows in CloudTrail next to every call made with the credentials, so it
 * names the CloudFormation request. Characters outside the parameter's `[\w+=,.@-]` become `-`; cut to its 64.
 */
export function roleSessionName(requestId: string | undefined): string {
  return `cdk-ibd-${requestId || 'unknown'}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/** The credentials in an AssumeRole answer: `AssumeRoleResponse > AssumeRoleResult > Credentials`. */
export function parseAssumeRoleResponse(doc: XmlNode): TemporaryCredentials {
  const credentials = xmlChild(xmlChild(xmlChild(doc, 'AssumeRoleResponse'), 'AssumeRoleResult'), 'Credentials');
  const accessKeyId = xmlText(credentials, 'AccessKeyId');
  const secretAccessKey = xmlText(credentials, 'SecretAccessKey');
  const sessionToken = xmlText(credentials, 'SessionToken');
  const expiration = new Date(xmlText(credentials, 'Expiration') ?? '');
  const missing = Object.entries({ AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken })
    .filter(([, v]) => !v).map(([k]) => k);
  if (isNaN(expiration.getTime())) missing.push('Expiration');
  if (missing.length > 0) {
    throw awsError('DeserializationError', `AssumeRole answered without ${missing.join(', ')} in AssumeRoleResponse > AssumeRoleResult > Credentials`, 200);
  }
  return { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey!, sessionToken: sessionToken!, expiration };
}

// Per role ARN and session name: the session name names the CloudFormation request (CloudTrail shows it with every
// call), so each event assumes its role once, and credentials never sign another request's calls. The Lambda
// container serves many events one after the other; expired entries are dropped whenever one is added.
const cache = new Map<string, TemporaryCredentials>();
const inFlight = new Map<string, Promise<TemporaryCredentials>>();
let stsClient: QueryClient | undefined;

const cacheKey = (roleArn: string, sessionName: string) => `${roleArn}|${sessionName}`;

function sts(): QueryClient {
  stsClient ??= new QueryClient({ service: 'sts', region: lambdaRegion(), endpoint: stsEndpoint(), timeoutMs: requestTimeoutMs() }, STS_API_VERSION);
  return stsClient;
}

/**
 * Credentials of `roleArn` in session `sessionName`: cached ones until {@link REFRESH_MARGIN_MS} before they expire,
 * else AssumeRole (one request at a time per role and session). AccessDenied is retried for
 * {@link ACCESS_DENIED_BUDGET_MS} (or until the deadline); any other error is thrown at once, its name and HTTP status
 * kept, so the caller's retry loop (retry.ts) treats it like the failure of the call it was signing: throttling and
 * 5xx are retried there, the rest fail. A refresh (cached credentials within the margin) is one attempt; when it fails,
 * the cached credentials are used for as long as they have not expired. Errors name the role and carry STS's reason.
 */
export function assumeRole(roleArn: string, sessionName: string, options: AssumeRoleOptions = {}): Promise<TemporaryCredentials> {
  const { now } = withRealTiming(options);
  const key = cacheKey(roleArn, sessionName);
  const cached = cache.get(key);
  if (cached && cached.expiration.getTime() - REFRESH_MARGIN_MS > now()) return Promise.resolve(cached);
  let pending = inFlight.get(key);
  if (!pending) {
    const valid = cached && cached.expiration.getTime() > now() ? cached : undefined;
    // A refresh does not wait for IAM: the role was assumable minutes ago, and the cached credentials still work.
    const fetched = assumeWithRetries(roleArn, sessionName, valid ? { ...options, accessDeniedBudgetMs: 0 } : options);
    pending = fetched
      .then((credentials) => {
        for (const [k, c] of cache) if (c.expiration.getTime() <= now()) cache.delete(k);
        cache.set(key, credentials);
        return credentials;
      }, (err) => {
        if (!valid || valid.expiration.getTime() <= now()) throw err;
        logOf(options)(`Refreshing the credentials of ${roleArn} failed; using the cached ones until they expire at ${valid.expiration.toISOString()}: ${(err as Error)?.message}`, 'warn');
        return valid;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

/**
 * Drops the cached credentials of `roleArn` in `sessionName`, so that the next request assumes the role again. True
 * when there was something to drop. For a service that answered ExpiredToken(Exception) to credentials this cache
 * still held valid (the Lambda's clock ahead of STS's, or a session cut short): the CallContext's renewCredentials.
 * The one retry with fresh credentials is made by retry.ts withRetries, the loop every call of an event goes through
 * with its context; not here, which never sees the services' answers, nor in the SDK, whose own retries are off
 * (clients.ts, maxAttempts 1) and which would not know to drop our cache. The Image Builder client asks this cache
 * for every request (clients.ts, `memoized`), so the retry is signed with the new credentials.
 */
export function forgetCredentials(roleArn: string, sessionName: string): boolean {
  return cache.delete(cacheKey(roleArn, sessionName));
}

async function assumeWithRetries(roleArn: string, sessionName: string, options: AssumeRoleOptions): Promise<TemporaryCredentials> {
  const { now, sleep } = withRealTiming(options);
  const budget = options.accessDeniedBudgetMs ?? ACCESS_DENIED_BUDGET_MS;
  const attemptMs = options.attemptMs ?? requestTimeoutMs();
  const start = now();
  let slept = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const doc = await sts().call('AssumeRole', { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: DURATION_SECONDS });
      return parseAssumeRoleResponse(doc);
    } catch (err) {
      const reason = (err as Error)?.message || String(err);
      if ((err as AwsError)?.name !== 'AccessDenied') throw withMessage(err, `AssumeRole of ${roleArn} failed: ${reason}`);
      // A fake clock (tests) does not move: the time slept counts too.
      const elapsed = Math.max(now() - start, slept);
      const delay = Math.min(budget - elapsed, Math.max(ACCESS_DENIED_MIN_DELAY_MS, backoffDelay(attempt, ACCESS_DENIED_BACKOFF, options.random)));
      const outOfTime = !fitsBeforeDeadline(options.deadline, delay, attemptMs, now);
      if (elapsed >= budget || outOfTime) {
        throw withMessage(err, `AssumeRole of ${roleArn} was denied for ${Math.round(elapsed / 1000)} s (${attempt} attempts`
          + `${outOfTime ? '; no time left for another before the invocation ends' : ''}): ${reason}. `
          + 'The role must trust the handler\'s role, and the handler\'s role must be allowed sts:AssumeRole on it');
      }
      await sleep(delay);
      slept += delay;
    }
  }
}

/** `err` with another message; name, code, fault and HTTP status kept (isRetryable and errorText read them). */
function withMessage(err: unknown, message: string): Error {
  const e = (err ?? {}) as Partial<AwsError> & { code?: string };
  return Object.assign(new Error(message, { cause: err }), {
    name: e.name ?? 'Error',
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.$fault !== undefined ? { $fault: e.$fault } : {}),
    ...(e.$metadata !== undefined ? { $metadata: e.$metadata } : {}),
  });
}

/** Forget cached credentials and close the STS client's sockets (tests; clients.resetClients() calls it). */
export function resetCredentials(): void {
  cache.clear();
  inFlight.clear();
  stsClient?.destroy();
  stsClient = undefined;
}
