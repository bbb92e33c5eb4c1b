/**
 * The environment the handler sees in over-the-wire tests: the Lambda's own (test) keys and session token, us-east-1,
 * no instance metadata, and every service endpoint at the local server; `extra` adds or overrides variables.
 */
import type { LocalServer } from './local-server';

export function setLambdaEnvironment(server: LocalServer, extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: 'lambda-token',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    IMAGEBUILDER_ENDPOINT: server.endpoint,
    SSM_ENDPOINT: server.endpoint,
    STS_ENDPOINT: server.endpoint,
    ...extra,
  });
}

/** The variables the over-the-wire tests set for the handler (setLambdaEnvironment, and the Organizations endpoint and request timeout). */
const LAMBDA_ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'SSM_ENDPOINT',
  'STS_ENDPOINT', 'ORGANIZATIONS_ENDPOINT', 'HANDLER_REQUEST_TIMEOUT_MS', 'AWS_EC2_METADATA_DISABLED'];

/** Puts the handler's environment variables back as they were when this was called, after the file's (or block's) tests. */
export function restoreLambdaEnvironmentAfterAll(): void {
  const saved = Object.fromEntries(LAMBDA_ENV_KEYS.map((k) => [k, process.env[k]]));
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}
