// The one place that constructs SDK clients. Tests swap them with aws-sdk-client-mock (which patches the client
// classes) or point them at a local server with the *_ENDPOINT environment variables.
import { EC2Client } from '@aws-sdk/client-ec2';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SSMClient } from '@aws-sdk/client-ssm';

/** Per-request timeout (ms): a hung answer fails as a retryable TimeoutError instead of eating the Lambda's time. */
export function requestTimeoutMs(): number {
  const fromEnv = Number(process.env.HANDLER_REQUEST_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 20_000;
}

// Our own retry loop (retry.ts) decides on retries, including ResourceInUseException which the SDK would not retry.
function common() {
  return {
    maxAttempts: 1,
    requestHandler: { requestTimeout: requestTimeoutMs(), throwOnRequestTimeout: true, connectionTimeout: 5_000 },
  };
}

const cache = new Map<string, unknown>();

function cached<T>(key: string, make: () => T): T {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

export function imagebuilder(region?: string): ImagebuilderClient {
  return cached(`imagebuilder:${region ?? ''}`, () => new ImagebuilderClient({
    ...common(),
    ...(region ? { region } : {}),
    ...(process.env.IMAGEBUILDER_ENDPOINT ? { endpoint: process.env.IMAGEBUILDER_ENDPOINT } : {}),
  }));
}

export function ssm(): SSMClient {
  return cached('ssm', () => new SSMClient({
    ...common(),
    ...(process.env.SSM_ENDPOINT ? { endpoint: process.env.SSM_ENDPOINT } : {}),
  }));
}

export function ec2(region: string): EC2Client {
  return cached(`ec2:${region}`, () => new EC2Client({
    ...common(),
    region,
    ...(process.env.EC2_ENDPOINT ? { endpoint: process.env.EC2_ENDPOINT } : {}),
  }));
}

/** Forget cached clients (tests that change endpoints between cases); closes their sockets. */
export function resetClients(): void {
  for (const client of cache.values()) (client as { destroy?: () => void }).destroy?.();
  cache.clear();
}
