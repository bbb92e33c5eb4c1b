// The one place that constructs service clients. Tests swap them (aws-sdk-client-mock patches ImagebuilderClient;
// jest.spyOn(clients, 'ec2' | 'ssm') returns fakes) or point them at a local server with the *_ENDPOINT environment
// variables. EC2 and SSM go through our own signed requests (aws-request.ts): their SDK clients would make the
// bundle several times bigger for the six calls we make.
//
// Every factory takes the event's CallContext: the credentials of the role named in the resource's RoleArn property
// (credentials.ts), or the Lambda's own, and the event's deadline. The context is made once per event by
// onEvent/isComplete and passed down explicitly, so the code that makes a call shows as whom it makes it.
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { AwsCredentials, envCredentials, JsonClient, lambdaRegion, QueryClient, requestTimeoutMs, xmlChild, xmlItems, xmlText } from './aws-request';
import { assumeRole, confineRole, forgetCredentials, resetCredentials, roleSessionName } from './credentials';
import type { HandlerOptions } from './handler-options';
import { consoleLog, Log, logOf } from './log';
import type { RetryOptions } from './retry';

/** As whom, and until when, one event's AWS calls are made. */
export interface CallContext {
  /** The role of the event's resource (its RoleArn property); undefined: the Lambda's own role. */
  readonly roleArn?: string;
  /** Called for every request, so that a long invocation gets refreshed credentials. */
  readonly credentials: () => Promise<AwsCredentials>;
  /** Forgets the role's cached credentials after a service answered ExpiredToken; absent for the Lambda's own. */
  readonly renewCredentials?: () => boolean;
  /** Epoch ms by which the event's calls must have ended (retry.ts eventDeadline); undefined: none. */
  readonly deadline?: number;
  /** The calls' retries and the handler's timing (HandlerOptions.retry); undefined: the defaults. */
  readonly retry?: RetryOptions;
  /** Where the event's log lines go (HandlerOptions.log). */
  readonly log: Log;
}

/** The Lambda's own credentials (its environment variables): for resources without RoleArn, without a deadline or test seams. */
export const LAMBDA_CREDENTIALS: CallContext = { credentials: async () => envCredentials(), log: consoleLog };

/**
 * The context of one event: its resource's RoleArn (ResourceProperties, on Delete too: the role outlives the
 * resource, which depends on it), assumed with a session named after the CloudFormation request; without RoleArn,
 * the Lambda's own credentials. RoleArn is not compared between old and new properties anywhere: changing the
 * role alone changes nothing but who makes the calls. `options.deadline` bounds the retries of the event's calls
 * and of AccessDenied from AssumeRole; `options.retry` and `options.log` go with the context to every call.
 */
export function callContext(
  event: {
    readonly RequestId?: string;
    readonly StackId?: string;
    readonly LogicalResourceId?: string;
    readonly ResourceProperties?: Record<string, unknown>;
  },
  options: HandlerOptions = {},
): CallContext {
  confineRole(event);
  const roleArn = event.ResourceProperties?.RoleArn;
  const { deadline, retry } = options;
  const log = logOf(options);
  const seams = { log, ...(deadline !== undefined ? { deadline } : {}), ...(retry ? { retry } : {}) };
  if (roleArn === undefined) return deadline === undefined && !retry && !options.log ? LAMBDA_CREDENTIALS : { ...LAMBDA_CREDENTIALS, ...seams };
  if (typeof roleArn !== 'string' || roleArn === '') {
    throw new Error(`Property RoleArn must be the ARN of the IAM role to make the calls with (got ${JSON.stringify(roleArn)})`);
  }
  const sessionName = roleSessionName(event.RequestId);
  const assumeRoleOptions = { sleep: retry?.sleep, random: retry?.random, now: retry?.now, deadline, log };
  return {
    roleArn,
    credentials: () => assumeRole(roleArn, sessionName, assumeRoleOptions),
    renewCredentials: () => forgetCredentials(roleArn, sessionName),
    ...seams,
  };
}

/**
 * The retries of a call made in `context`: its backoff and timing, its deadline, its log, and renewing its
 * credentials once when a call fails with ExpiredToken (retry.ts withRetries).
 */
export function retryOptions(context: CallContext): RetryOptions {
  return { ...context.retry, deadline: context.deadline, renewCredentials: context.renewCredentials, log: context.log };
}

// Our own retry loop (retry.ts) decides on retries, including ResourceInUseException which the SDK would not retry.
function common() {
  return {
    maxAttempts: 1,
    requestHandler: { requestTimeout: requestTimeoutMs(), throwOnRequestTimeout: true, connectionTimeout: 5_000 },
  };
}

interface CacheEntry {
  client?: { destroy?: () => void };
  /** The context that last asked for the client: always of the role in the cache key. */
  context: CallContext;
}
const cache = new Map<string, CacheEntry>();

/**
 * One client per `kind` (service and Region) and role: the key ends with the role ARN ('' for the Lambda's own
 * credentials), so a client made for one role is never used for another role or for none. A client outlives the
 * event that made it (its connections are reused); it signs with the credentials of the context that asked for it
 * last: the same role, in the session of the current event (credentials.ts caches per role and session name).
 */
function cached<T extends { destroy?: () => void }>(kind: string, context: CallContext, make: (credentials: () => Promise<AwsCredentials>) => T): T {
  const key = `${kind}|${context.roleArn ?? ''}`;
  let entry = cache.get(key);
  if (entry) {
    entry.context = context;
  } else {
    const created: CacheEntry = { context };
    created.client = make(() => created.context.credentials());
    cache.set(key, created);
    entry = created;
  }
  return entry.client as T;
}

/**
 * The Region field of an ARN (`arn:partition:service:region:account:resource`); undefined when it has none. A
 * resource of another Region is only known to that Region's endpoint: `imagebuilder(context, arnRegion(arn))`.
 */
export function arnRegion(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region ? region : undefined;
}

export function imagebuilder(context: CallContext, region?: string): ImagebuilderClient {
  return cached(`imagebuilder:${region ?? ''}`, context, (credentials) => new ImagebuilderClient({
    ...common(),
    // `memoized` tells the SDK (@aws-sdk/core normalizeCredentialProvider) that the provider caches by itself, so it
    // asks for credentials on every request, as our own clients do, instead of keeping the first ones until 5 minutes
    // before they expire. credentials.ts is then the only cache: the client, shared by the events of a role, signs
    // with the session of the current event, and credentials dropped after ExpiredToken are not used again.
    credentials: Object.assign(credentials, { memoized: true }),
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

  constructor(readonly region: string, endpoint?: string, credentials?: () => Promise<AwsCredentials>) {
    this.client = new QueryClient({ service: 'ec2', region, endpoint, timeoutMs: requestTimeoutMs(), credentials }, '2016-11-15');
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

  constructor(readonly region: string, endpoint?: string, credentials?: () => Promise<AwsCredentials>) {
    this.client = new JsonClient({ service: 'ssm', region, endpoint, timeoutMs: requestTimeoutMs(), credentials }, 'AmazonSSM');
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

/** Parameter Store in `region`: by default the Lambda's (where the baselines are kept); leases are in the configuration's. */
export function ssm(context: CallContext, region: string = lambdaRegion()): Ssm {
  return cached(`ssm:${region}`, context, (credentials) => new Ssm(region, process.env.SSM_ENDPOINT || undefined, credentials));
}

export function ec2(context: CallContext, region: string): Ec2 {
  return cached(`ec2:${region}`, context, (credentials) => new Ec2(region, process.env.EC2_ENDPOINT || undefined, credentials));
}

/** Forget cached clients and credentials (tests that change endpoints between cases); closes their sockets. */
export function resetClients(): void {
  for (const { client } of cache.values()) client?.destroy?.();
  cache.clear();
  resetCredentials();
}
