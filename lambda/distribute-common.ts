// Shared by distribute-image.ts and distribute-ec2.ts; no SDK imports, so it costs the bundle nothing.
import type { RetryOptions } from './retry';

/** Injected by tests; the Lambda entry points use the defaults. */
export interface DistributeImageOptions {
  readonly retry?: RetryOptions;
  readonly now?: () => number;
  readonly log?: (message: string) => void;
  /** Epoch ms by which the event's calls must have ended (retry.ts eventDeadline): retries stop before it. */
  readonly deadline?: number;
}

/** `Name (HTTP status): message` of an SDK error, the service's reason included. */
export function errorText(err: any): string {
  const status = err?.$metadata?.httpStatusCode;
  return `${err?.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${err?.message ?? String(err)}`;
}

export function log(options: DistributeImageOptions, message: string): void {
  (options.log ?? console.log)(message);
}
