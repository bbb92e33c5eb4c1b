// The one place that constructs SDK clients. Tests swap them with aws-sdk-client-mock (which patches the client
// classes) or point them at a local server with the *_ENDPOINT environment variables.
import { EC2Client } from '@aws-sdk/client-ec2';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SSMClient } from '@aws-sdk/client-ssm';

// Our own retry loop (retry.ts) decides on retries, including ResourceInUseException which the SDK would not retry.
const common = { maxAttempts: 1 } as const;

const cache = new Map<string, unknown>();

function cached<T>(key: string, make: () => T): T {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

export function imagebuilder(region?: string): ImagebuilderClient {
  return cached(`imagebuilder:${region ?? ''}`, () => new ImagebuilderClient({
    ...common,
    ...(region ? { region } : {}),
    ...(process.env.IMAGEBUILDER_ENDPOINT ? { endpoint: process.env.IMAGEBUILDER_ENDPOINT } : {}),
  }));
}

export function ssm(): SSMClient {
  return cached('ssm', () => new SSMClient({
    ...common,
    ...(process.env.SSM_ENDPOINT ? { endpoint: process.env.SSM_ENDPOINT } : {}),
  }));
}

export function ec2(region: string): EC2Client {
  return cached(`ec2:${region}`, () => new EC2Client({
    ...common,
    region,
    ...(process.env.EC2_ENDPOINT ? { endpoint: process.env.EC2_ENDPOINT } : {}),
  }));
}

/** Forget cached clients (tests that change endpoints between cases). */
export function resetClients(): void {
  cache.clear();
}
