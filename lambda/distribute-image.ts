// Custom::ImageBuilderDistributeImage: runs Image Builder's DistributeImage for an existing image and waits, through
// the Provider framework's isComplete, until the distributed image is AVAILABLE.
import { CancelImageCreationCommand, DeleteImageCommand, DistributeImageCommand, GetImageCommand, Image } from '@aws-sdk/client-imagebuilder';
import type {
  CdkCustomResourceEvent,
  CdkCustomResourceIsCompleteEvent,
  CdkCustomResourceIsCompleteResponse,
  CdkCustomResourceResponse,
} from 'aws-lambda';
import * as clients from './clients';
import { deleteAmi } from './distribute-ec2';
import { call, errorText } from './errors';
import type { HandlerOptions } from './handler-options';
import { logOf } from './log';
import { isRetryable } from './retry';
import { clientToken, digest } from './tokens';
import { DistributeImageAttributes, DistributeImageResourceProperties } from '../src/private/handler-contract';
import { IMAGE_BUILD_VERSION_ARN_PATTERN } from '../src/private/patterns';

/**
 * Extra top-level key of onEvent's response. The framework passes every key of that response into each isComplete
 * event (framework.js `createResponseEvent`) but sends only Status/PhysicalResourceId/Data to CloudFormation, so this
 * carries the start time to isComplete without becoming a GetAtt attribute.
 */
export const STARTED_AT_KEY = 'DistributionStartedAt';
/**
 * Extra top-level key of onEvent's response, like STARTED_AT_KEY: set when an Update kept the resource's image (no new
 * distribution), so that isComplete does not fail the update for an image deleted since.
 */
export const KEPT_IMAGE_KEY = 'KeptExistingImage';

/**
 * The longest wait for AVAILABLE (src/private/provider.ts MAX_DISTRIBUTION_WAIT): CloudFormation waits an hour at most,
 * and the waiter needs the rest. Also the wait when TimeoutSeconds is absent.
 */
export const MAX_WAIT_SECONDS = 3000;

// Statuses in which the distribution has ended and its AMIs exist. DEPRECATED/DISABLED come from lifecycle policies
// after AVAILABLE; failing a no-op Update for them would block unrelated stack changes.
const SUCCEEDED = new Set(['AVAILABLE', 'DEPRECATED', 'DISABLED']);
const FAILED = new Set(['FAILED', 'CANCELLED', 'DELETED']);

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
  /** Within MAX_WAIT_SECONDS. */
  readonly timeoutSeconds: number;
}

/** Every failure of this handler names its resource first: `<ResourceType> <LogicalResourceId>: ...`. */
async function named<T>(event: { LogicalResourceId?: string; ResourceType?: string }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${describeResource(event)}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

export function onEvent(event: CdkCustomResourceEvent, options: HandlerOptions = {}): Promise<CdkCustomResourceResponse> {
  return named(event, () => handleEvent(event, options));
}

export function isComplete(event: CdkCustomResourceIsCompleteEvent, options: HandlerOptions = {}): Promise<CdkCustomResourceIsCompleteResponse> {
  return named(event, () => (event.RequestType === 'Delete' ? deleteIfDestroy(event, options) : checkDistribution(event, options)));
}

async function handleEvent(event: CdkCustomResourceEvent, options: HandlerOptions): Promise<CdkCustomResourceResponse> {
  const name = describeResource(event);
  switch (event.RequestType) {
    case 'Create':
      return distribute(event, parseProps(event.ResourceProperties as any), options);
    case 'Update': {
      const props = parseProps(event.ResourceProperties as any);
      // In CloudFormation's rollback Update the old properties are those of the update that failed, maybe because they
      // were malformed: then no distribution was started under them, and the resource's image is still the one of
      // `props`.
      const old = tryParseProps(event.OldResourceProperties as any);
      if (old && needsNewDistribution(props, old)) {
        // New physical id: CloudFormation then deletes the old image per the old properties' RemovalPolicy. In the
        // rollback of a replacement, the client token (by properties) gives back the image of these properties.
        return distribute(event, props, options);
      }
      logOf(options)(`${name}: ${old ? 'no change to SourceImage, DistributionConfigurationArn or Tags' : 'old properties unreadable'}; keeping ${event.PhysicalResourceId}`);
      return {
        PhysicalResourceId: event.PhysicalResourceId,
        Data: { [DistributeImageAttributes.IMAGE_BUILD_VERSION_ARN]: event.PhysicalResourceId },
        [KEPT_IMAGE_KEY]: true,
      };
    }
    case 'Delete':
      // The work (if any) happens in isComplete, which can wait for a distribution that is still running.
      return { PhysicalResourceId: event.PhysicalResourceId };
  }
}

/** Whether the distribution of a Create or Update has ended: AVAILABLE (done), failed, or still running. */
async function checkDistribution(event: CdkCustomResourceIsCompleteEvent, options: HandlerOptions): Promise<CdkCustomResourceIsCompleteResponse> {
  const name = describeResource(event);
  const arn = event.PhysicalResourceId!;
  const props = parseProps(event.ResourceProperties as any);
  const context = clients.callContext(event, options);
  const now = options.retry?.now ?? Date.now;
  const startedAt = typeof event[STARTED_AT_KEY] === 'number' ? event[STARTED_AT_KEY] as number : undefined;
  const timedOut = (): boolean => startedAt !== undefined && now() - startedAt > props.timeoutSeconds * 1000;
  const kept = event[KEPT_IMAGE_KEY] === true;

  let image: Image | undefined;
  try {
    // A throttled poll is not a failed distribution (isRetryable: polled again below, within the timeout).
    image = (await getImage(context, arn, (err) => (kept && notFound(err)) || isRetryable(err))).image;
  } catch (err: any) {
    if (notFound(err)) {
      // The image was deleted outside the stack. Nothing this update asked for needs it, and failing would fail the
      // rollback alike; the AMI ID attributes cannot be read any more (change SourceImage or Tags to distribute again).
      context.log(`${name}: ${arn} no longer exists; keeping the resource without its AMI ID attributes`);
      return { IsComplete: true, Data: { [DistributeImageAttributes.IMAGE_BUILD_VERSION_ARN]: arn } };
    }
    if (!isRetryable(err)) throw err;
    if (timedOut()) throw timeoutError(arn, props, 'unknown: GetImage kept failing');
    context.log(`${name}: GetImage ${arn} failed transiently (${errorText(err)}); polling again`);
    return { IsComplete: false };
  }

  const status = image?.state?.status ?? 'UNKNOWN';
  if (SUCCEEDED.has(status) || (kept && FAILED.has(status))) {
    if (!SUCCEEDED.has(status)) context.log(`${name}: ${arn} is ${status} (changed outside the stack); keeping the resource`);
    return { IsComplete: true, Data: outputData(context, arn, image!, stackAccount(event.StackId)) };
  }
  if (FAILED.has(status)) {
    throw new Error(`distribution ${arn} of ${props.sourceImage} is ${status}: ${image?.state?.reason ?? 'no reason given by Image Builder'}`);
  }
  if (timedOut()) throw timeoutError(arn, props, status);
  return { IsComplete: false };
}

const notFound = (err: unknown) => (err as Error)?.name === 'ResourceNotFoundException';

async function distribute(event: CdkCustomResourceEvent, props: ParsedProps, options: HandlerOptions): Promise<CdkCustomResourceResponse> {
  const name = describeResource(event);
  const now = options.retry?.now ?? Date.now;
  const context = clients.callContext(event, options);
  const startedAt = now();
  // The token names the distribution these properties ask for, not the request: the same properties give back the
  // same image (a re-delivered event; the rollback of a replacement, which must return to the old image rather than
  // distribute it again). An image of these properties that has since failed or gone is not given back: then the
  // request's own token starts a new distribution.
  const byProperties = propertiesToken(event, props);
  let arn = await startDistribution(context, name, props, byProperties);
  if (!(await usable(context, arn))) {
    context.log(`${name}: ${arn}, the earlier distribution of these properties, has failed or is gone; distributing again`);
    arn = await startDistribution(context, name, props, clientToken(event, 'DistributeImage', digest(distributionRequest(props))));
  }
  return {
    PhysicalResourceId: arn,
    Data: { [DistributeImageAttributes.IMAGE_BUILD_VERSION_ARN]: arn },
    [STARTED_AT_KEY]: startedAt,
  };
}

/** The client token of the distribution of `props` by the event's resource (any request of it). */
function propertiesToken(event: Pick<CdkCustomResourceEvent, 'StackId' | 'LogicalResourceId'>, props: ParsedProps): string {
  return clientToken({ StackId: event.StackId, LogicalResourceId: event.LogicalResourceId, RequestId: '' },
    'DistributeImage', digest(distributionRequest(props)));
}

/** The token the first DistributeImage of an event that distributes is sent with (tests check it). */
export function distributionClientToken(event: CdkCustomResourceEvent): string {
  return propertiesToken(event, parseProps(event.ResourceProperties as any));
}

/** The DistributeImage request of `props`, without the client token. */
function distributionRequest(props: ParsedProps) {
  return {
    sourceImage: props.sourceImage,
    distributionConfigurationArn: props.distributionConfigurationArn,
    executionRole: props.executionRole,
    ...(props.logGroupName ? { loggingConfiguration: { logGroupName: props.logGroupName } } : {}),
    ...(props.tags ? { tags: props.tags } : {}),
  };
}

async function startDistribution(context: clients.CallContext, name: string, props: ParsedProps, token: string): Promise<string> {
  const res = await call(context, 'DistributeImage', `${props.sourceImage} with ${props.distributionConfigurationArn}`,
    () => clients.imagebuilder(context).send(new DistributeImageCommand({ ...distributionRequest(props), clientToken: token })));
  const arn = res.imageBuildVersionArn;
  if (!arn) throw new Error(`DistributeImage of ${props.sourceImage} returned no imageBuildVersionArn`);
  context.log(`${name}: DistributeImage answered ${arn} (client token ${token})`);
  return arn;
}

/** Whether the image exists and has not failed (running or done). */
async function usable(context: clients.CallContext, arn: string): Promise<boolean> {
  try {
    const status = (await getImage(context, arn, () => true)).image?.state?.status;
    return !status || !FAILED.has(status);
  } catch (err: any) {
    if (notFound(err)) return false;
    // Unknown for now: isComplete polls it, and reports what keeps failing.
    return true;
  }
}

async function deleteIfDestroy(event: CdkCustomResourceIsCompleteEvent, options: HandlerOptions): Promise<CdkCustomResourceIsCompleteResponse> {
  const name = describeResource(event);
  const arn = event.PhysicalResourceId ?? '';
  const policy = (event.ResourceProperties as any)?.RemovalPolicy ?? 'retain';
  const log = logOf(options);
  if (policy !== 'destroy') {
    log(`${name}: RemovalPolicy ${policy}; retaining ${arn} and its AMIs`);
    return { IsComplete: true };
  }
  if (!IMAGE_BUILD_VERSION_ARN_PATTERN.test(arn)) {
    // Not an image this handler created (e.g. a distribution that never started), so nothing to delete.
    log(`${name}: physical id ${arn} is not an Image Builder image ARN; nothing to delete`);
    return { IsComplete: true };
  }

  // The resource's role still exists: the resource depends on it, so CloudFormation deletes the role afterwards.
  const context = clients.callContext(event, options);
  let image: Image | undefined;
  try {
    image = (await getImage(context, arn, notFound, 'GetImage before deletion')).image;
  } catch (err: any) {
    if (!notFound(err)) throw err;
    log(`${name}: ${arn} is already gone`);
    return { IsComplete: true };
  }
  const status = image?.state?.status ?? 'UNKNOWN';
  if (status === 'DELETED') {
    log(`${name}: ${arn} is already DELETED`);
    return { IsComplete: true };
  }
  if (!SUCCEEDED.has(status) && !FAILED.has(status)) {
    // Deregistering now would race AMIs the running distribution is still creating: cancel it, and delete once it
    // has stopped (a distribution can run longer than CloudFormation waits for this Delete).
    await cancel(context, name, arn, event);
    log(`${name}: ${arn} is ${status}; cancelled, waiting for the distribution to stop before deleting`);
    return { IsComplete: false };
  }

  const account = stackAccount(event.StackId);
  const created = Date.parse(image?.dateCreated ?? '');
  for (const ami of image?.outputResources?.amis ?? []) {
    if (!ami.image || !ami.region) continue;
    if (ami.accountId && ami.accountId !== account) {
      log(`${name}: cannot remove ${ami.image} in ${ami.region} of account ${ami.accountId} (no credentials there); remove it in that account`);
      continue;
    }
    await deleteAmi(context, name, ami.region, ami.image, created, (event.ResourceProperties as any)?.SourceImage);
  }

  try {
    const deleteImage = new DeleteImageCommand({ imageBuildVersionArn: arn });
    await call(context, 'DeleteImage', arn, () => clients.imagebuilder(context).send(deleteImage), notFound);
  } catch (err: any) {
    if (!notFound(err)) throw err;
  }
  log(`${name}: deleted ${arn}`);
  return { IsComplete: true };
}

async function cancel(context: clients.CallContext, name: string, arn: string, event: CdkCustomResourceIsCompleteEvent): Promise<void> {
  // Ended meanwhile (the next poll sees how), or cancelled already.
  const ended = (err: unknown) => notFound(err) || (err as Error)?.name === 'InvalidRequestException';
  try {
    const command = new CancelImageCreationCommand({ imageBuildVersionArn: arn, clientToken: clientToken(event as any, 'CancelImageCreation') });
    await call(context, 'CancelImageCreation', arn, () => clients.imagebuilder(context).send(command), ended);
  } catch (err: any) {
    if (!ended(err)) throw err;
    context.log(`${name}: CancelImageCreation ${arn}: ${errorText(err)}`);
  }
}

function outputData(context: clients.CallContext, arn: string, image: Image, account: string | undefined): Record<string, string> {
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
    context.log(`attribute ${DistributeImageAttributes.AMIS} left out: with ${amis.length} AMIs the response would exceed CloudFormation's 4 KB limit; use AmiId.<region>.<account>`);
  }
  return data;
}

/** GetImage through `call`; the errors `quiet` expects come back as they are. */
function getImage(context: clients.CallContext, arn: string, quiet: (err: unknown) => boolean, operation = 'GetImage') {
  return call(context, operation, arn, () => clients.imagebuilder(context).send(new GetImageCommand({ imageBuildVersionArn: arn })), quiet);
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

function parseProps(raw: Partial<Record<keyof Props, unknown>> | undefined): ParsedProps {
  const p = raw ?? {};
  const required = (key: keyof Props): string => {
    const v = p[key];
    if (v === undefined || v === null || v === '') throw new Error(`property ${key} is required`);
    if (typeof v !== 'string') throw new Error(`property ${key} must be a string (got ${preview(v)})`);
    return v;
  };
  const optional = (key: keyof Props): string | undefined => {
    const v = p[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new Error(`property ${key} must be a string (got ${preview(v)})`);
    return v;
  };
  const removalPolicy = optional('RemovalPolicy') ?? 'retain';
  if (removalPolicy !== 'retain' && removalPolicy !== 'destroy') {
    throw new Error(`property RemovalPolicy must be "retain" or "destroy" (got ${preview(removalPolicy)})`);
  }
  let timeoutSeconds = MAX_WAIT_SECONDS;
  const timeout = optional('TimeoutSeconds');
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!Number.isInteger(seconds) || seconds <= 0) {
      throw new Error(`property TimeoutSeconds must be a positive whole number (got ${preview(timeout)})`);
    }
    // A larger value (from a deploy-time token, or an older version of the construct) cannot be honoured: CloudFormation
    // stops waiting after an hour.
    timeoutSeconds = Math.min(seconds, MAX_WAIT_SECONDS);
  }
  return {
    sourceImage: required('SourceImage'),
    distributionConfigurationArn: required('DistributionConfigurationArn'),
    executionRole: required('ExecutionRole'),
    logGroupName: optional('LogGroupName'),
    tags: parseTags(p.Tags),
    removalPolicy,
    timeoutSeconds,
  };
}

function tryParseProps(raw: Partial<Record<keyof Props, unknown>> | undefined): ParsedProps | undefined {
  try {
    return parseProps(raw);
  } catch {
    return undefined;
  }
}

/** A value in an error message: its JSON, cut short. */
function preview(v: unknown): string {
  const json = JSON.stringify(v) ?? String(v);
  return json.length > 200 ? `${json.slice(0, 200)}... (${json.length} characters)` : json;
}

function parseTags(raw: unknown): Record<string, string> | undefined {
  if (raw === undefined || raw === '') return undefined;
  let tags: unknown;
  try {
    tags = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch (err: any) {
    throw new Error(`property Tags is not valid JSON: ${err.message}`);
  }
  if (!tags || typeof tags !== 'object' || Array.isArray(tags) || Object.values(tags).some((v) => typeof v !== 'string')) {
    throw new Error(`property Tags must be a JSON object of string values (got ${preview(raw)})`);
  }
  const entries = Object.entries(tags as Record<string, string>);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function timeoutError(arn: string, props: ParsedProps, status: string): Error {
  return new Error(`distribution ${arn} of ${props.sourceImage} did not become AVAILABLE within TimeoutSeconds=${props.timeoutSeconds} (last status ${status}); Image Builder goes on with it: the rollback cancels and deletes it with RemovalPolicy destroy, and leaves it otherwise`);
}


/** The account of the stack, from `arn:<partition>:cloudformation:<region>:<account>:stack/...`. */
export function stackAccount(stackId: string | undefined): string | undefined {
  const account = stackId?.split(':')[4];
  return account && /^[0-9]{12}$/.test(account) ? account : undefined;
}

function describeResource(event: { LogicalResourceId?: string; ResourceType?: string }): string {
  return `${event.ResourceType ?? 'Custom::ImageBuilderDistributeImage'} ${event.LogicalResourceId ?? '?'}`;
}


