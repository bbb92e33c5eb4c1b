// Service calls with bounded retries, and failures that tell CloudFormation which call on which resource failed
// and the service's own reason.
import { CallContext, retryOptions as contextRetryOptions } from './clients';
import { RetryOptions, withRetries } from './retry';

let retryOptions: RetryOptions = {};

/** Tests shorten or stub the backoff here (e.g. `{ sleep: async () => {} }`). */
export function setRetryOptions(opts: RetryOptions): void {
  retryOptions = opts;
}

export function errorName(err: unknown): string {
  const e = err as { name?: string; code?: string };
  return e?.name && e.name !== 'Error' ? e.name : e?.code ?? 'Error';
}

/** `err` rethrown as `<operation> on <target> failed: <name>: <message>`, the original kept as `cause`. */
export function describeFailure(operation: string, target: string, err: unknown): Error {
  const message = (err as Error)?.message || String(err);
  return new Error(`${operation} on ${target} failed: ${errorName(err)}: ${message}`, { cause: err });
}

/**
 * Calls `fn` with retries on transient errors, within the context's deadline and renewing its credentials once on
 * ExpiredToken; other errors, and the last transient one, are described.
 */
export async function call<T>(
  context: CallContext, operation: string, target: string, fn: () => Promise<T>, quiet: (err: unknown) => boolean = () => false,
): Promise<T> {
  try {
    return await withRetries(fn, contextRetryOptions(context, retryOptions));
  } catch (err) {
    // Expected answers (e.g. "not found") go back to the caller as they are.
    if (quiet(err)) throw err;
    throw describeFailure(operation, target, err);
  }
}
