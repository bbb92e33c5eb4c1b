/** An error answered in the protocol's error format (re-exported by ../local-server.ts, where tests import it). */
export class ServiceError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(message);
  }
}
