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
