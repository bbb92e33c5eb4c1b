// The distribution role check of Custom::ImageBuilderOrganizationTargets: which resolved accounts have an
// EC2ImageBuilderDistributionCrossAccountRole that this (the distributing) account may assume, which is what Image
// Builder does to copy an AMI there. Nothing else answers that from here: IAM does not show another account's roles,
// and a StackSet's instances list only the roles it made, not whom they trust. So the check does what Image Builder
// does, sts:AssumeRole of the role, as the resource's own role, with a session policy that denies everything: the
// credentials STS gives can do nothing, and are dropped at once. AccessDenied means the role is missing or does not
// trust this account.
import { AwsError, lambdaRegion, QueryClient, requestTimeoutMs } from './aws-request';
import * as clients from './clients';
import { ACCESS_DENIED_BUDGET_MS, stsEndpoint, STS_API_VERSION, DURATION_SECONDS } from './credentials';
import { call } from './errors';
import { backoffDelay, fitsBeforeDeadline, Timing, withRealTiming } from './retry';
import { semaphore } from './semaphore';
import { CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME } from '../src/private/handler-contract';

/** The session policy of every check: the credentials it yields are allowed nothing. */
export const DENY_ALL_SESSION_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
/** Accounts checked at the same time: STS throttles AssumeRole per calling account. */
export const CONCURRENCY = 8;
/** STS's answers for a role this account may not assume there: missing, not trusting us, or STS off in that Region. */
const NOT_ASSUMABLE = new Set(['AccessDenied', 'RegionDisabledException']);
/** Backoff between the checks that wait for IAM to show the resource role's new permission. */
const IAM_WAIT_BACKOFF = { baseDelayMs: 1_000, maxDelayMs: 10_000 };
const IAM_WAIT_MIN_DELAY_MS = 250;

export interface DistributionRoleCheckTiming extends Timing {
  /** How long a check that every account fails is repeated on a deployment. @default ACCESS_DENIED_BUDGET_MS */
  readonly iamWaitBudgetMs?: number;
}

export interface DistributionRoleCheckOptions {
  /** The account that distributes (the configuration's): its own account needs no cross-account role. */
  readonly distributingAccount: string;
  readonly partition: string;
  /** Names the check's sessions in the target accounts' CloudTrail. */
  readonly sessionName: string;
  /**
   * Whether a check that every account fails is repeated for a while. On a deployment the resource role's permission
   * to assume the roles may have been added moments earlier, and IAM takes seconds to show it: until then every
   * account would look as if it lacked the role. A refresh runs with a permission that is long in place.
   */
  readonly waitForIam: boolean;
  /** The wait's budget and timing (HandlerOptions.iamWait). */
  readonly iamWait?: DistributionRoleCheckTiming;
}

export interface DistributionRoleCheckResult {
  /** Sorted: the accounts whose role could not be assumed. */
  readonly missing: string[];
  /** Per missing account, STS's error name. */
  readonly reasons: Map<string, string>;
  /** Accounts checked (the distributing account is not). */
  readonly checked: number;
  /** AssumeRole requests sent, retries included. */
  readonly requests: number;
  /** Requests STS answered with throttling. */
  readonly throttled: number;
}

export const distributionRoleArn = (partition: string, account: string) =>
  `arn:${partition}:iam::${account}:role/${CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME}`;

/**
 * Checks each of `accountIds` (but the distributing account) with AssumeRole, up to {@link CONCURRENCY} at a time,
 * fewer after throttling. Throttling and transient errors are retried (errors.ts `call`); any answer other than
 * {@link NOT_ASSUMABLE} fails the check, naming the account: an account is never reported for a reason that is not
 * about its role.
 */
export async function checkDistributionRoles(
  context: clients.CallContext, accountIds: readonly string[], options: DistributionRoleCheckOptions,
): Promise<DistributionRoleCheckResult> {
  const sts = new QueryClient({
    service: 'sts', region: lambdaRegion(), endpoint: stsEndpoint(), timeoutMs: requestTimeoutMs(), credentials: () => context.credentials(),
  }, STS_API_VERSION);
  let requests = 0;
  let throttled = 0;
  const limit = semaphore(CONCURRENCY);
  /** The error name when the role of `account` cannot be assumed, else undefined. */
  const probe = (account: string): Promise<string | undefined> => limit(async () => {
    const roleArn = distributionRoleArn(options.partition, account);
    try {
      await call(context, 'sts:AssumeRole', roleArn, async () => {
        requests++;
        try {
          return await sts.call('AssumeRole', {
            RoleArn: roleArn, RoleSessionName: options.sessionName, DurationSeconds: DURATION_SECONDS, Policy: DENY_ALL_SESSION_POLICY,
          });
        } catch (err) {
          if (/^Throttling/.test((err as AwsError)?.name ?? '')) {
            throttled++;
            limit.shrink();
          }
          throw err;
        }
      }, (err) => NOT_ASSUMABLE.has((err as AwsError)?.name));
      return undefined;
    } catch (err) {
      const name = (err as AwsError)?.name;
      if (NOT_ASSUMABLE.has(name)) return name;
      throw err;
    }
  });
  try {
    const targets = [...new Set(accountIds)].filter((a) => a !== options.distributingAccount).sort();
    const reasons = new Map<string, string>();
    const record = (accounts: string[], results: Array<string | undefined>) => accounts.forEach((a, i) => {
      if (results[i] === undefined) reasons.delete(a);
      else reasons.set(a, results[i]!);
    });
    record(targets, await Promise.all(targets.map(probe)));
    if (options.waitForIam && targets.length > 0 && reasons.size === targets.length) {
      // Every account failed: more likely IAM does not show our permission yet than no account has the role. One
      // account is asked again until it answers or the wait is over; once it does, the others are asked again.
      const [first, ...rest] = targets;
      if (await waitForOne(() => probe(first), context.deadline, options.iamWait ?? {})) {
        reasons.delete(first);
        record(rest, await Promise.all(rest.map(probe)));
      }
    }
    const missing = [...reasons.keys()].sort();
    return { missing, reasons, checked: targets.length, requests, throttled };
  } finally {
    sts.destroy();
  }
}

/** Repeats `probe` with backoff until it succeeds (true) or the IAM wait budget or the deadline is spent (false). */
async function waitForOne(
  probe: () => Promise<string | undefined>, deadline: number | undefined, timing: DistributionRoleCheckTiming,
): Promise<boolean> {
  const { now, sleep, random } = withRealTiming(timing);
  const budget = timing.iamWaitBudgetMs ?? ACCESS_DENIED_BUDGET_MS;
  const start = now();
  let slept = 0;
  for (let attempt = 1; ; attempt++) {
    // A fake clock (tests) does not move: the time slept counts too.
    const elapsed = Math.max(now() - start, slept);
    const delay = Math.min(budget - elapsed, Math.max(IAM_WAIT_MIN_DELAY_MS, backoffDelay(attempt, IAM_WAIT_BACKOFF, random)));
    if (elapsed >= budget || !fitsBeforeDeadline(deadline, delay, requestTimeoutMs(), now)) return false;
    await sleep(delay);
    slept += delay;
    if (await probe() === undefined) return true;
  }
}
