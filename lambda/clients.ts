// The one place that constructs service clients. Tests swap them (aws-sdk-client-mock patches ImagebuilderClient;
// jest.spyOn(clients, 'ec2' | 'ssm') returns fakes) or point them at a local server with the *_ENDPOINT environment
// variables. EC2 and SSM go through our own signed requests (aws-request.ts): their SDK clients would make the
// bundle several times bigger for the six calls we make.
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { JsonClient, QueryClient, xmlChild, xmlItems, xmlText } from './aws-request';

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

const cache = new Map<string, { destroy?: () => void }>();

function cached<T extends { destroy?: () => void }>(key: string, make: () => T): T {
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

/** What DescribeImages tells us about an AMI (the SDK's field names). */
export interface Ec2Image {
  readonly ImageId?: string;
  readonly CreationDate?: string;
  readonly BlockDeviceMappings?: { readonly DeviceName?: string; readonly Ebs?: { readonly SnapshotId?: string } }[];
}

/** The EC2 calls the handler makes (Query protocol, API version 2016-11-15). */
export class Ec2 {
  private readonly client: QueryClient;

  constructor(readonly region: string, endpoint?: string) {
    this.client = new QueryClient({ service: 'ec2', region, endpoint, timeoutMs: requestTimeoutMs() }, '2016-11-15');
  }

  async describeImages(input: { ImageIds: readonly string[]; Owners?: readonly string[] }): Promise<{ Images: Ec2Image[] }> {
    const doc = await this.client.call('DescribeImages', { ImageId: input.ImageIds, Owner: input.Owners });
    const images = xmlItems(xmlChild(xmlChild(doc, 'DescribeImagesResponse'), 'imagesSet')).map((item): Ec2Image => ({
      ImageId: xmlText(item, 'imageId'),
      CreationDate: xmlText(item, 'creationDate'),
      BlockDeviceMappings: xmlItems(xmlChild(item, 'blockDeviceMapping')).map((m) => ({
        DeviceName: xmlText(m, 'deviceName'),
        ...(xmlChild(m, 'ebs') ? { Ebs: { SnapshotId: xmlText(m, 'ebs', 'snapshotId') } } : {}),
      })),
    }));
    return { Images: images };
  }

  async deregisterImage(input: { ImageId: string }): Promise<void> {
    await this.client.call('DeregisterImage', { ImageId: input.ImageId });
  }

  async deleteSnapshot(input: { SnapshotId: string }): Promise<void> {
    await this.client.call('DeleteSnapshot', { SnapshotId: input.SnapshotId });
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** The SSM Parameter Store calls the baseline makes (AWS JSON 1.1). */
export class Ssm {
  private readonly client: JsonClient;

  constructor(readonly region: string, endpoint?: string) {
    this.client = new JsonClient({ service: 'ssm', region, endpoint, timeoutMs: requestTimeoutMs() }, 'AmazonSSM');
  }

  getParameter(input: { Name: string }): Promise<{ Parameter?: { Name?: string; Value?: string; Version?: number } }> {
    return this.client.call('GetParameter', input);
  }

  putParameter(input: { Name: string; Value: string; Type: 'String'; Tier: string; Overwrite: boolean; Description?: string }):
  Promise<{ Version?: number; Tier?: string }> {
    return this.client.call('PutParameter', input);
  }

  async deleteParameter(input: { Name: string }): Promise<void> {
    await this.client.call('DeleteParameter', input);
  }

  destroy(): void {
    this.client.destroy();
  }
}

function lambdaRegion(): string {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('AWS_REGION is not set');
  return region;
}

export function ssm(): Ssm {
  return cached('ssm', () => new Ssm(lambdaRegion(), process.env.SSM_ENDPOINT || undefined));
}

export function ec2(region: string): Ec2 {
  return cached(`ec2:${region}`, () => new Ec2(region, process.env.EC2_ENDPOINT || undefined));
}

/** Forget cached clients (tests that change endpoints between cases); closes their sockets. */
export function resetClients(): void {
  for (const client of cache.values()) client.destroy?.();
  cache.clear();
}
