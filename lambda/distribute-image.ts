// Custom::ImageBuilderDistributeImage: runs Image Builder's DistributeImage for an existing image and waits, through
// the Provider framework's isComplete, until the distributed image is AVAILABLE.
import { DeleteImageCommand, DistributeImageCommand, GetImageCommand, Image } from '@aws-sdk/client-imagebuilder';
import type {
  CdkCustomResourceEvent,
  CdkCustomResourceIsCompleteEvent,
  CdkCustomResourceIsCompleteResponse,
  CdkCustomResourceResponse,
} from 'aws-lambda';
import * as clients from './clients';
import { DistributeImageOptions, errorText, log } from './distribute-common';
import { deleteAmi } from './distribute-ec2';
import { isRetryable, RetryOptions, withRetries } from './retry';
import { clientToken } from './tokens';
import { DistributeImageAttributes, DistributeImageResourceProperties } from '../src/private/handler-contract';


/**
 * Extra top-level key of onEvent's response. The framework passes every key of that response into each isComplete
 * event (framework.js `createResponseEvent`) but sends only Status/PhysicalResourceId/Data to CloudFormation, so this
 * carries the start time to isComplete without becoming a GetAtt attribute.
 */
export type { DistributeImageOptions } from './distribute-common';

export const STARTED_AT_KEY = 'DistributionStartedAt';

// Statuses in which the distribution has ended and its AMIs exist. DEPRECATED/DISABLED come from lifecycle policies
// after AVAILABLE; failing a no-op Update for them would block unrelated stack changes.
const SUCCEEDED = new Set(['AVAILABLE', 'DEPRECATED', 'DISABLED']);
const FAILED = new Set(['FAILED', 'CANCELLED', 'DELETED']);

const IMAGE_ARN = /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws(?:-[a-z-]+)?):image\/[a-z0-9-_]+\/[0-9]+\.[0-9]+\.[0-9]+\/[0-9]+$/;

// CloudFormation rejects custom-resource responses over 4096 bytes; leave room for the rest of the response body.
const MAX_DATA_BYTES = 3000;

type Props = DistributeImageResourceProperties;

interface ParsedProps {
  readonly sourceImage: string;
  readonly distributionConfigurationArn: string;
  readonly executionRole: string;
  readonly logGroupName?: string;
  readonly tags?: Record<string, string>;
  readonly removalPolicy: 'retain' | 'destroy';
  readonly timeoutSeconds?: number;
}

export async function onEvent(event: CdkCustomResourceEvent, options: DistributeImageOptions = {}): Promise<CdkCustomResourceResponse> {
  const name = describeResource(event);
  switch (event.RequestType) {
    case 'Create':
      return distribute(event, parseProps(event.ResourceProperties as any, name), options);
    case 'Update': {
      const props = parseProps(event.ResourceProperties as any, name);
      const old = parseProps(event.OldResourceProperties as any, `${name} (old properties)`);
      if (needsNewDistribution(props, old)) {
        // New physical id: CloudFormation then deletes the old image per the old properties' RemovalPolicy.
        return distribute(event, props, options);
      }
      log(options, `${name}: no change to SourceImage, DistributionConfigurationArn or Tags; keeping ${event.PhysicalResourceId}`);
      return {
        PhysicalResourceId: event.PhysicalResourceId,
        Data: { [DistributeImageAttributes.IMAGE_BUILD_VERSION_ARN]: event.PhysicalResourceId },
      };
    }
    case 'Delete':
      // The work (if any) happens in isComplete, which can wait for a distribution that is still running.
      return { PhysicalResourceId: event.PhysicalResourceId };
  }
}

export async function isComplete(
  event: CdkCustomResourceIsCompleteEvent,
  options: DistributeImageOptions = {},
): Promise<CdkCustomResourceIsCompleteResponse> {
  if (event.RequestType === 'Delete') return deleteIfDestroy(event, options);

  const name = describeResource(event);
  const arn = event.PhysicalResourceId!;
  const props = parseProps(event.ResourceProperties as any, name);
  const context = callContext(event, options);
  const now = options.now ?? Date.now;
  const startedAt = typeof event[STARTED_AT_KEY] === 'number' ? event[STARTED_AT_KEY] as number : undefined;
  const timedOut = (): boolean =>
    props.timeoutSeconds !== undefined && startedAt !== undefined && now() - startedAt > props.timeoutSeconds * 1000;

  let image: Image | undefined;
  try {
    image = (await getImage(context, arn, options)).image;
  } catch (err: any) {
    // A throttled poll is not a failed distribution: poll again next time, within the timeout.
    if (!isRetryable(err)) throw new Error(`${name}: GetImage ${arn} failed: ${errorText(err)}`);
    if (timedOut()) throw timeoutError(name, arn, props, 'unknown: GetImage kept failing');
    log(options, `${name}: GetImage ${arn} failed transiently (${errorText(err)}); polling again`);
    return { IsComplete: false };
  }

  const status = image?.state?.status ?? 'UNKNOWN';
  if (SUCCEEDED.has(status)) {
    return { IsComplete: true, Data: outputData(arn, image!, stackAccount(event.StackId), options) };
  }
  if (FAILED.has(status)) {
    throw new Error(`${name}: distribution ${arn} of ${props.sourceImage} is ${status}: ${image?.state?.reason ?? 'no reason given by Image Builder'}`);
  }
  if (timedOut()) throw timeoutError(name, arn, props, status);
  return { IsComplete: false };
}

async function distribute(event: CdkCustomResourceEvent, props: ParsedProps, options: DistributeImageOptions): Promise<CdkCustomResourceResponse> {
  const name = describeResource(event);
  const now = options.now ?? Date.now;
  const token = clientToken(event, 'DistributeImage');
  const context = callContext(event, options);
  const startedAt = now();
  let arn: string | undefined;
  try {
    const res = await withRetries(() => clients.imagebuilder(context).send(new DistributeImageCommand({
      sourceImage: props.sourceImage,
      distributionConfigurationArn: props.distributionConfigurationArn,
      executionRole: props.executionRole,
      ...(props.logGroupName ? { loggingConfiguration: { logGroupName: props.logGroupName } } : {}),
      ...(props.tags ? { tags: props.tags } : {}),
      clientToken: token,
    })), retryOptions(context, options));
    arn = res.imageBuildVersionArn;
  } catch (err: any) {
    throw new Error(`${name}: DistributeImage of ${props.sourceImage} with ${props.distributionConfigurationArn} failed: ${errorText(err)}`);
  }
  if (!arn) throw new Error(`${name}: DistributeImage of ${props.sourceImage} returned no imageBuildVersionArn`);
  log(options, `${name}: DistributeImage started ${arn} (client token ${token})`);
  return {
    PhysicalResourceId: arn,
    Data: { [DistributeImageAttributes.IMAGE_BUILD_VERSION_ARN]: arn },
    [STARTED_AT_KEY]: startedAt,
  };
}

async function deleteIfDestroy(
  event: CdkCustomResourceIsCompleteEvent,
  options: DistributeImageOptions,
): Promise<CdkCustomResourceIsCompleteResponse> {
  const name = describeResource(event);
  const arn = event.PhysicalResourceId ?? '';
  const policy = (event.ResourceProperties as any)?.RemovalPolicy ?? 'retain';
  if (policy !== 'destroy') {
    log(options, `${name}: RemovalPolicy ${policy}; retaining ${arn} and its AMIs`);
    return { IsComplete: true };
  }
  if (!IMAGE_ARN.test(arn)) {
    // Not an image this handler created (e.g. a distribution that never started), so nothing to delete.
    log(options, `${name}: physical id ${arn} is not an Image Builder image ARN; nothing to delete`);
    return { IsComplete: true };
  }

  // The resource's role still exists: the resource depends on it, so CloudFormation deletes the role afterwards.
  const context = callContext(event, options);
  let image: Image | undefined;
  try {
    image = (await getImage(context, arn, options)).image;
  } catch (err: any) {
    if (err?.name === 'ResourceNotFoundException') {
      log(options, `${name}: ${arn} is already gone`);
      return { IsComplete: true };
    }
    throw new Error(`${name}: GetImage ${arn} before deletion failed: ${errorText(err)}`);
  }
  const status = image?.state?.status ?? 'UNKNOWN';
  if (status === 'DELETED') {
    log(options, `${name}: ${arn} is already DELETED`);
    return { IsComplete: true };
  }
  if (!SUCCEEDED.has(status) && !FAILED.has(status)) {
    // Deregistering now would race AMIs the running distribution is still creating.
    log(options, `${name}: ${arn} is ${status}; waiting for the distribution to end before deleting`);
    return { IsComplete: false };
  }

  const account = stackAccount(event.StackId);
  const created = Date.parse(image?.dateCreated ?? '');
  for (const ami of image?.outputResources?.amis ?? []) {
    if (!ami.image || !ami.region) continue;
    if (ami.accountId && ami.accountId !== account) {
      log(options, `${name}: cannot remove ${ami.image} in ${ami.region} of account ${ami.accountId} (no credentials there); remove it in that account`);
      continue;
    }
    await deleteAmi(context, name, ami.region, ami.image, created, (event.ResourceProperties as any)?.SourceImage, options);
  }

  try {
    const deleteImage = new DeleteImageCommand({ imageBuildVersionArn: arn });
    await withRetries(() => clients.imagebuilder(context).send(deleteImage), retryOptions(context, options));
  } catch (err: any) {
    if (err?.name !== 'ResourceNotFoundException') throw new Error(`${name}: DeleteImage ${arn} failed: ${errorText(err)}`);
  }
  log(options, `${name}: deleted ${arn}`);
  return { IsComplete: true };
}

function outputData(arn: string, image: Image, account: string | undefined, options: DistributeImageOptions): Record<string, string> {
  const amis = (image.outputResources?.amis ?? [])
    .filter((a) => a.image && a.region)
    .map((a) => ({ region: a.region!, accountId: a.accountId ?? account ?? '', image: a.image! }));
  const data: Record<string, string> = {
    [DistributeImageAttributes.IMAGE_BUILD_VERSION_ARN]: arn,
  };
  for (const ami of amis) {
    if (ami.accountId === account) data[DistributeImageAttributes.amiIdInRegion(ami.region)] = ami.image;
    if (ami.accountId) data[DistributeImageAttributes.amiIdInRegionAndAccount(ami.region, ami.accountId)] = ami.image;
  }
  const amisJson = JSON.stringify(amis);
  if (Buffer.byteLength(JSON.stringify({ ...data, [DistributeImageAttributes.AMIS]: amisJson })) <= MAX_DATA_BYTES) {
    data[DistributeImageAttributes.AMIS] = amisJson;
  } else {
    log(options, `attribute ${DistributeImageAttributes.AMIS} left out: with ${amis.length} AMIs the response would exceed CloudFormation's 4 KB limit; use AmiId.<region>.<account>`);
  }
  return data;
}

/**
 * As whom and until when the event's calls are made: the role in its RoleArn property (clients.callContext),
 * AccessDenied retries with the tests' sleep and clock, the event's deadline. RoleArn is not a ParsedProps field: it
 * never decides on a new distribution.
 */
function callContext(event: CdkCustomResourceEvent | CdkCustomResourceIsCompleteEvent, options: DistributeImageOptions): clients.CallContext {
  return clients.callContext(event, { sleep: options.retry?.sleep, random: options.retry?.random, now: options.now, deadline: options.deadline });
}

/** The tests' backoff, with the event's deadline and the renewal of expired credentials (clients.retryOptions). */
function retryOptions(context: clients.CallContext, options: DistributeImageOptions): RetryOptions {
  return clients.retryOptions(context, options.retry);
}

function getImage(context: clients.CallContext, arn: string, options: DistributeImageOptions) {
  return withRetries(() => clients.imagebuilder(context).send(new GetImageCommand({ imageBuildVersionArn: arn })), retryOptions(context, options));
}

/** Only these properties make a new image; ExecutionRole, LogGroupName, RemovalPolicy, TimeoutSeconds, RoleArn do not. */
function needsNewDistribution(props: ParsedProps, old: ParsedProps): boolean {
  return props.sourceImage !== old.sourceImage
    || props.distributionConfigurationArn !== old.distributionConfigurationArn
    || canonicalTags(props.tags) !== canonicalTags(old.tags);
}

function canonicalTags(tags: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function parseProps(raw: Partial<Record<keyof Props, unknown>> | undefined, name: string): ParsedProps {
  const p = raw ?? {};
  const required = (key: keyof Props): string => {
    const v = p[key];
    if (typeof v !== 'string' || v.length === 0) throw new Error(`${name}: property ${key} is required (got ${JSON.stringify(v)})`);
    return v;
  };
  const removalPolicy = p.RemovalPolicy ?? 'retain';
  if (removalPolicy !== 'retain' && removalPolicy !== 'destroy') {
    throw new Error(`${name}: property RemovalPolicy must be "retain" or "destroy" (got ${JSON.stringify(removalPolicy)})`);
  }
  let timeoutSeconds: number | undefined;
  if (p.TimeoutSeconds !== undefined && p.TimeoutSeconds !== '') {
    timeoutSeconds = Number(p.TimeoutSeconds);
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) {
      throw new Error(`${name}: property TimeoutSeconds must be a positive whole number (got ${JSON.stringify(p.TimeoutSeconds)})`);
    }
  }
  return {
    sourceImage: required('SourceImage'),
    distributionConfigurationArn: required('DistributionConfigurationArn'),
    executionRole: required('ExecutionRole'),
    logGroupName: typeof p.LogGroupName === 'string' && p.LogGroupName !== '' ? p.LogGroupName : undefined,
    tags: parseTags(p.Tags, name),
    removalPolicy,
    timeoutSeconds,
  };
}

function parseTags(raw: unknown, name: string): Record<string, string> | undefined {
  if (raw === undefined || raw === '') return undefined;
  let tags: unknown;
  try {
    tags = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch (err: any) {
    throw new Error(`${name}: property Tags is not valid JSON: ${err.message}`);
  }
  if (!tags || typeof tags !== 'object' || Array.isArray(tags) || Object.values(tags).some((v) => typeof v !== 'string')) {
    throw new Error(`${name}: property Tags must be a JSON object of string values (got ${JSON.stringify(raw)})`);
  }
  const entries = Object.entries(tags as Record<string, string>);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function timeoutError(name: string, arn: string, props: ParsedProps, status: string): Error {
  return new Error(`${name}: distribution ${arn} of ${props.sourceImage} did not become AVAILABLE within TimeoutSeconds=${props.timeoutSeconds} (last status ${status}); it keeps running in Image Builder`);
}


/** The account of the stack, from `arn:<partition>:cloudformation:<region>:<account>:stack/...`. */
export function stackAccount(stackId: string | undefined): string | undefined {
  const account = stackId?.split(':')[4];
  return account && /^[0-9]{12}$/.test(account) ? account : undefined;
}

function describeResource(event: { LogicalResourceId?: string; ResourceType?: string }): string {
  return `${event.ResourceType ?? 'Custom::ImageBuilderDistributeImage'} ${event.LogicalResourceId ?? '?'}`;
}


