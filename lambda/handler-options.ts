// What every handler (patch, DistributeImage, organization targets) is given besides its event, in one shape:
// lambda/index.ts passes the event's deadline; tests give their own backoff, clock and log as well.
import type { DistributionRoleCheckTiming } from './distribution-role-check';
import type { Log } from './log';
import type { RetryOptions } from './retry';

export interface HandlerOptions {
  /** Epoch ms by which the event's calls must have ended (retry.ts eventDeadline): retries stop before it. */
  readonly deadline?: number;
  /**
   * The AWS calls' retries (attempts, backoff) and the handler's timing: its sleep, randomness and clock also pace
   * AssumeRole's AccessDenied retries, the lease's waits and DistributeImage's TimeoutSeconds. Real ones by default.
   */
  readonly retry?: RetryOptions;
  /** Where log lines go: the Lambda's console (log.ts consoleLog) by default. */
  readonly log?: Log;
  /**
   * The distribution role check's wait for IAM to show a new grant (distribution-role-check.ts): its budget and
   * timing. Real timing and ACCESS_DENIED_BUDGET_MS by default.
   */
  readonly iamWait?: DistributionRoleCheckTiming;
}
