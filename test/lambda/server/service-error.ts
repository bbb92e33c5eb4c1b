/** An error answered in the protocol's error format (re-exported by ../local-server.ts, where tests import it). */
export class ServiceError extends Error {
  /**
   * @param fields members of the error's shape besides its message, as the model names them (e.g. Organizations'
   *   InvalidInputException `{ Reason: 'INVALID_PATTERN' }`)
   */
  constructor(readonly status: number, readonly type: string, message: string, readonly fields: Record<string, unknown> = {}) {
    super(message);
  }
}
