// Idempotency tokens for Image Builder write calls, derived from the CloudFormation request so that a retried call
// (by retry.ts, or a re-delivered Lambda event) carries the same token and the service does not act twice.
import { createHash } from 'crypto';

/** Image Builder's `ClientToken` shape allows 1 to 36 characters (a sha256 hex digest, at 64, is rejected). */
export const CLIENT_TOKEN_MAX_LENGTH = 36;

/** The parts of a CloudFormation custom-resource event that identify one request. */
export interface TokenSource {
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly RequestId: string;
}

/**
 * A deterministic, UUID-shaped (36 characters) token for `operation` within one CloudFormation request.
 *
 * `extra` separates calls that must not share a token within one request: pass e.g. a digest of the request body,
 * because the service rejects a reused token whose parameters differ (IdempotentParameterMismatchException).
 */
export function clientToken(source: TokenSource, operation: string, ...extra: string[]): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([source.StackId, source.LogicalResourceId, source.RequestId, operation, ...extra]))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Short digest of any JSON value, for `clientToken`'s `extra`. */
export function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value) ?? 'undefined').digest('hex').slice(0, 16);
}
