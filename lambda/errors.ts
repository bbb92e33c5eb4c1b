// Service calls with bounded retries, and failures that tell CloudFormation which call on which resource failed
// and the service's own reason.
import { CallContext, retryOptions } from './clients';
import { consoleLog, errorDetail, Log } from './log';
import { withRetries } from './retry';

/** The service's error name, else the network error's code, else `Error`. */
export function errorName(err: unknown): string {
  const e = err as { name?: string; code?: string };
  return e?.name && e.name !== 'Error' ? e.name : e?.code ?? 'Error';
}

/** `Name (HTTP status): message` of an SDK error, the service's reason included. */
export function errorText(err: unknown): string {
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return `${errorName(err)}${status ? ` (HTTP ${status})` : ''}: ${(err as Error)?.message || String(err)}`;
}

/** A failure `describeFailure` described: it names its call already. */
export class CallFailure extends Error {}

/** `err` rethrown as `<operation> on <target> failed: <name> (HTTP <status>): <message>`, the original kept as `cause`. */
export function describeFailure(operation: string, target: string, err: unknown): Error {
  return new CallFailure(`${operation} on ${target} failed: ${errorText(err)}`, { cause: err });
}

/**
 * The one wrapper of the handlers' AWS calls: `fn` with retries on transient errors (the context's backoff), within
 * the context's deadline and renewing its credentials once on ExpiredToken; other errors, and the last transient
 * one, are described (describeFailure), except those `quiet` expects, which the caller gets as they are.
 */
export async function call<T>(
  context: CallContext, operation: string, target: string, fn: () => Promise<T>, quiet: (err: unknown) => boolean = () => false,
): Promise<T> {
  try {
    return await withRetries(fn, retryOptions(context));
  } catch (err) {
    // Expected answers (e.g. "not found") go back to the caller as they are; so does the failure of a call made for
    // this one (AssumeRole of the role it is signed with), which names itself.
    if (quiet(err) || err instanceof CallFailure) throw err;
    throw describeFailure(operation, target, err);
  }
}

/** CloudFormation rejects a custom-resource response body larger than this. */
export const RESPONSE_LIMIT_BYTES = 4096;
/** The physical ID aws-cdk-lib's Provider framework answers a failed Create with (cfn-response.js). */
const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
/** Room for what this code cannot see: a framework that adds a little more to the body. */
const RESPONSE_MARGIN_BYTES = 128;

/** The parts of an event that the Provider framework copies into its FAILED response. */
export interface ResponseFields {
  readonly StackId?: string;
  readonly RequestId?: string;
  readonly LogicalResourceId?: string;
  readonly PhysicalResourceId?: string;
  readonly Data?: unknown;
}

/**
 * `err` as the handler's entry points throw it: a message on one line, cut so that the FAILED response the Provider
 * framework builds from it fits CloudFormation's limit, and a stack of that line only. The framework's Reason is the
 * error's stack: the message, "Logs: /aws/lambda/<function>", then the stack lines after the first (as Lambda reports
 * them), so a stack trace, or a message on several lines, would be sent twice. The whole error goes to the log first.
 */
export function forCloudFormation(err: unknown, event: ResponseFields, log: Log = consoleLog): Error {
  const e = (err ?? {}) as Error;
  const name = e.name && e.name !== 'Error' ? e.name : 'Error';
  const full = (e.message || String(err)).replace(/\s*\n\s*/g, ' ');
  const suffix = `\n\nLogs: /aws/lambda/${process.env.AWS_LAMBDA_FUNCTION_NAME ?? ''}\n`;
  const bytes = (message: string) => Buffer.byteLength(JSON.stringify({
    Status: 'FAILED',
    Reason: message + suffix,
    StackId: event.StackId,
    RequestId: event.RequestId,
    PhysicalResourceId: event.PhysicalResourceId || CREATE_FAILED_MARKER,
    LogicalResourceId: event.LogicalResourceId,
    Data: event.Data,
  }));
  const limit = RESPONSE_LIMIT_BYTES - RESPONSE_MARGIN_BYTES;
  let message = full;
  if (bytes(full) > limit) {
    log(`The whole error (the response to CloudFormation carries it shortened): ${errorDetail(err)}`, 'error');
    const tail = (cut: number) => ` [... ${cut} characters cut, see the log]`;
    // Characters, not bytes, are cut; the longest prefix that fits is found by bisection.
    let lo = 0;
    let hi = full.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (bytes(full.slice(0, mid) + tail(full.length - mid)) <= limit) lo = mid;
      else hi = mid - 1;
    }
    message = full.slice(0, lo) + tail(full.length - lo);
  }
  const out = new Error(message, { cause: err });
  out.name = name;
  out.stack = `${name}: ${message}`;
  return out;
}
