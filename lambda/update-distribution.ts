// Custom::ImageBuilderDistributionConfigurationPatch: changes a distribution configuration through the Image Builder
// API (GetDistributionConfiguration, then UpdateDistributionConfiguration only when something differs) and undoes the
// change on delete with a three-way merge, so that what others changed in the meantime survives.
//
// UpdateDistributionConfiguration replaces the whole configuration, so the write carries everything the read
// returned, fields this library (and its bundled SDK) does not model included: both calls go through the SDK client,
// but the configuration is read from, and written to, the wire as JSON (raw-json.ts), and the merge works on that
// JSON (the API's camelCase members, the names of the SDK's types). Unknown fields inside `distributions` entries,
// at any depth, go back as they came (null members, which AWS JSON treats as absent, are left out). At the top level the write sends only what the operation takes
// (`description`, `distributions`): the configuration's other top-level fields (name, tags, dates, timeoutMinutes)
// are not writable here, and a field a newer API adds there cannot be told writable from read-only.
import { createHash } from 'crypto';
import {
  GetDistributionConfigurationCommand,
  UpdateDistributionConfigurationCommand,
  UpdateDistributionConfigurationCommandInput,
} from '@aws-sdk/client-imagebuilder';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { BaselineDocument, BaselineEntry, readBaseline, writeBaseline } from './baseline';
import * as clients from './clients';
import type { AssumeRoleOptions } from './credentials';
import { call, setRetryOptions } from './errors';
import {
  applyPatch, deepEqual, Distribution, fromSnapshot, isPlainObject, parsePatch, PatchError, revertDistributions, snapshot, touchedRegions,
} from './merge';
import { withLease } from './lease';
import { captureRawJson, RawJsonCapture, sendRawJson, withoutNullMembers } from './raw-json';
import type { RetryOptions } from './retry';
import { clientToken, digest } from './tokens';
import type { PatchDocument, PatchResourceProperties } from '../src/private/handler-contract';

let assumeRoleOptions: AssumeRoleOptions = {};

/** Tests shorten the backoff, or give a clock (of the calls, and of AccessDenied from AssumeRole). */
export function configure(opts: { retry?: RetryOptions }): void {
  setRetryOptions(opts.retry ?? {});
  assumeRoleOptions = { sleep: opts.retry?.sleep, random: opts.retry?.random, now: opts.retry?.now };
}

const notFound = (err: unknown) => (err as Error)?.name === 'ResourceNotFoundException';

/** Stable for one resource and configuration; a new configuration ARN gives a new ID so that CloudFormation deletes (reverts) the old one. */
export function physicalResourceId(arn: string, event: Pick<CdkCustomResourceEvent, 'StackId' | 'LogicalResourceId'>): string {
  return `${arn}|patch|${createHash('sha256').update(`${event.StackId}|${event.LogicalResourceId}`).digest('hex').slice(0, 16)}`;
}

/** Per event (lambda/index.ts). */
export interface PatchOptions {
  /** Epoch ms by which the event's calls must have ended (retry.ts eventDeadline): retries stop before it. */
  readonly deadline?: number;
}

export async function onEvent(event: CdkCustomResourceEvent, options: PatchOptions = {}): Promise<CdkCustomResourceResponse> {
  const props = readProps(event.ResourceProperties);
  // Every call is made as the resource's own role (RoleArn; on Delete too: the resource depends on the role, so
  // CloudFormation deletes the role afterwards). RoleArn is not part of Props: changing it alone changes nothing else.
  const context = clients.callContext(event, { ...assumeRoleOptions, deadline: options.deadline });
  switch (event.RequestType) {
    case 'Create':
      return reconcile(context, event, props, props.BaselineParameterName);
    case 'Update': {
      const old = readProps(event.OldResourceProperties);
      // A new configuration is patched like on create; CloudFormation then deletes the old physical ID, which reverts the old one.
      if (old.DistributionConfigurationArn !== props.DistributionConfigurationArn) {
        return reconcile(context, event, props, props.BaselineParameterName);
      }
      return reconcile(context, event, props, old.BaselineParameterName, old.Patch);
    }
    case 'Delete':
      await revert(context, event, props);
      return { PhysicalResourceId: event.PhysicalResourceId };
  }
}

interface Props {
  readonly DistributionConfigurationArn: string;
  readonly BaselineParameterName: string;
  readonly Patch: string;
}

function readProps(raw: Record<string, any>): Props {
  const p = raw as Partial<PatchResourceProperties>;
  for (const key of ['DistributionConfigurationArn', 'BaselineParameterName', 'Patch'] as const) {
    if (typeof p[key] !== 'string' || p[key] === '') throw new Error(`Property ${key} is required`);
  }
  return p as Props;
}

function parse(arn: string, json: string): PatchDocument {
  try {
    return parsePatch(json);
  } catch (err) {
    throw new Error(`Patch for ${arn}: ${(err as Error).message}`);
  }
}

/** A distribution configuration as GetDistributionConfiguration's JSON has it, unknown fields included. */
interface RawConfiguration {
  readonly description?: string;
  readonly distributions?: Distribution[];
  readonly [field: string]: unknown;
}

/**
 * The configuration as the service sent it: the JSON of the answer (captureRawJson), or, when the answer was not
 * seen on the wire (aws-sdk-client-mock), the SDK's output.
 */
async function getConfiguration(context: clients.CallContext, arn: string): Promise<RawConfiguration | undefined> {
  try {
    const capture: RawJsonCapture = {};
    const out = await call(context, 'GetDistributionConfiguration', arn, () => {
      const command = new GetDistributionConfigurationCommand({ distributionConfigurationArn: arn });
      captureRawJson(command.middlewareStack, capture);
      return clients.imagebuilder(context, clients.arnRegion(arn)).send(command);
    }, notFound);
    const raw = isPlainObject(capture.json) ? capture.json.distributionConfiguration : undefined;
    return (isPlainObject(raw) ? withoutNullMembers(raw) : out.distributionConfiguration) as RawConfiguration | undefined;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

/**
 * Replaces the whole configuration: everything read is sent back, only `distributions` differs. The document is
 * the command's input (for the SDK's checks and the mocks) and, through sendRawJson, the request's body, so that
 * the distributions' unknown fields are sent too.
 */
async function putDistributions(
  context: clients.CallContext, event: CdkCustomResourceEvent, config: RawConfiguration, arn: string, distributions: Distribution[], round = 0,
): Promise<void> {
  const input: UpdateDistributionConfigurationCommandInput = {
    distributionConfigurationArn: arn,
    // name, timeoutMinutes, tags and dates are read-only here: the operation does not accept them.
    ...(config.description !== undefined ? { description: config.description } : {}),
    distributions,
    // Same request and same body: same token, so a repeated call is a no-op. A different body (another writer got
    // in between a lost answer and our retry) gets a new token instead of IdempotentParameterMismatchException.
    // A later round (our change was undone between our write and its read-back) may send the same body again: it
    // must be applied again, not answered from the first write's token.
    clientToken: clientToken(event, 'UpdateDistributionConfiguration', digest([arn, config.description, distributions, ...(round > 0 ? [round] : [])])),
  };
  await call(context, 'UpdateDistributionConfiguration', arn, () => {
    const command = new UpdateDistributionConfigurationCommand(input);
    sendRawJson(command.middlewareStack, input);
    return clients.imagebuilder(context, clients.arnRegion(arn)).send(command);
  });
}

/**
 * `now` with the entry's patch undone. When the touched regions equal exactly what one of the candidate patches
 * makes of the baseline (nobody else changed them), the baseline comes back as it is; this also covers an earlier
 * run that stopped between writing the baseline and the configuration. Otherwise a three-way merge keeps others' changes.
 */
function undo(entry: BaselineEntry, now: Distribution[], candidates: PatchDocument[]): Distribution[] {
  const regions = Object.keys(entry.before);
  const base = fromSnapshot(entry.before);
  const current = snapshot(now, regions);
  let ours: ReturnType<typeof snapshot> | undefined;
  for (const patch of [entry.patch, ...candidates]) {
    try {
      const candidate = snapshot(applyPatch(base, patch), regions);
      ours ??= candidate;
      if (deepEqual(candidate, current)) {
        ours = candidate;
        break;
      }
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
    }
  }
  return revertDistributions(entry.before, ours ?? entry.before, now);
}

/** Writes made, read back and found undone by a writer outside the lease, before a writer gives up. */
export const MAX_WRITE_ROUNDS = 3;

/** Who holds a lease: the stack, the resource and the CloudFormation request (shown to writers that wait). */
function leaseOwner(event: CdkCustomResourceEvent): string {
  return `${event.StackId} ${event.LogicalResourceId} ${event.RequestId}`;
}

function notPresent(arn: string, what: string): Error {
  return new Error(`${what} ${arn} was undone by another writer each time, between our write and its read-back `
    + `(${MAX_WRITE_ROUNDS} rounds): a writer outside this library's lease (the console, another tool, CloudFormation `
    + 'updating the configuration) is changing it at the same time. Nothing is reported done that is not there; deploy again when it has finished');
}

/**
 * Under the configuration's lease: read, merge, write, then read back. When the read-back shows our change undone
 * (a writer that does not take the lease wrote in between), the round is made again, up to MAX_WRITE_ROUNDS.
 */
async function reconcile(
  context: clients.CallContext, event: CdkCustomResourceEvent, props: Props, previousParameter: string, previousPatch?: string,
): Promise<CdkCustomResourceResponse> {
  const arn = props.DistributionConfigurationArn;
  const patch = parse(arn, props.Patch);
  return withLease(context, arn, leaseOwner(event), async (locked) => {
    for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
      // After the first round the baseline is this resource's own (a handover from the old parameter is done).
      const desired = round === 0
        ? await reconcileOnce(locked, event, props, patch, previousParameter, previousPatch, round)
        : await reconcileOnce(locked, event, props, patch, props.BaselineParameterName, props.Patch, round);
      if (!desired) return { PhysicalResourceId: physicalResourceId(arn, event), Data: { DistributionConfigurationArn: arn } };
      const after = await getConfiguration(locked, arn);
      if (!after) throw new Error(`Distribution configuration ${arn} was deleted right after our write`);
      const now = (after.distributions ?? []) as Distribution[];
      if (deepEqual(now, desired) || patchPresent(now, patch)) {
        return { PhysicalResourceId: physicalResourceId(arn, event), Data: { DistributionConfigurationArn: arn } };
      }
      console.warn(`Round ${round + 1}: the patch of ${arn} was undone by another writer right after our write; applying it again`);
    }
    throw notPresent(arn, 'The patch of');
  });
}

/** Whether applying `patch` to `now` changes nothing: its change is all there. */
function patchPresent(now: Distribution[], patch: PatchDocument): boolean {
  try {
    return deepEqual(applyPatch(now, patch), now);
  } catch (err) {
    if (err instanceof PatchError) return false; // e.g. a merged Region was removed: the next round says so
    throw err;
  }
}

/** One read-merge-write; the distributions written, or undefined when the configuration needed no write. */
async function reconcileOnce(
  context: clients.CallContext, event: CdkCustomResourceEvent, props: Props, patch: PatchDocument, previousParameter: string,
  previousPatch: string | undefined, round: number,
): Promise<Distribution[] | undefined> {
  const arn = props.DistributionConfigurationArn;
  const config = await getConfiguration(context, arn);
  if (!config) throw new Error(`Distribution configuration ${arn} not found: GetDistributionConfiguration answered ResourceNotFoundException`);
  const now = (config.distributions ?? []) as Distribution[];

  const oldDoc = await readBaseline(context, previousParameter);
  const entry = oldDoc.entries[arn];
  const candidates = [patch, ...(previousPatch ? [tryParse(previousPatch)].filter((p): p is PatchDocument => !!p) : [])];
  const state0 = entry ? undo(entry, now, candidates) : now;
  const regions = [...new Set([...(entry ? Object.keys(entry.before) : []), ...touchedRegions(patch)])];
  let desired: Distribution[];
  try {
    desired = applyPatch(state0, patch);
  } catch (err) {
    throw new Error(`Patch for ${arn}: ${(err as Error).message}`);
  }
  const nextEntry: BaselineEntry = { before: snapshot(state0, regions), patch, requestId: event.RequestId };

  // The baseline is written before the configuration, so that a failure in between leaves a baseline a rollback can revert with.
  const sameParameter = previousParameter === props.BaselineParameterName;
  if (!entry || !sameParameter || !deepEqual({ ...entry, requestId: '' }, { ...nextEntry, requestId: '' })) {
    const newDoc = sameParameter ? oldDoc : await readBaseline(context, props.BaselineParameterName);
    await writeBaseline(context, props.BaselineParameterName, withEntry(newDoc, arn, nextEntry));
  }
  const write = !deepEqual(desired, now);
  if (write) await putDistributions(context, event, config, arn, desired, round);
  if (!sameParameter && entry) await writeBaseline(context, previousParameter, withEntry(oldDoc, arn, undefined));
  return write ? desired : undefined;
}

function tryParse(json: string): PatchDocument | undefined {
  try {
    return parsePatch(json);
  } catch {
    return undefined;
  }
}

function withEntry(doc: BaselineDocument, arn: string, entry: BaselineEntry | undefined): BaselineDocument {
  const entries = { ...doc.entries };
  if (entry) entries[arn] = entry;
  else delete entries[arn];
  return { v: 1, entries };
}

async function revert(context: clients.CallContext, event: CdkCustomResourceEvent, props: Props): Promise<void> {
  const arn = props.DistributionConfigurationArn;
  await withLease(context, arn, leaseOwner(event), async (locked) => {
    const doc = await readBaseline(locked, props.BaselineParameterName);
    const entry = doc.entries[arn];
    if (!entry) return; // nothing was applied (e.g. create failed before storing the baseline)
    const patch = tryParse(props.Patch);
    for (let round = 0; ; round++) {
      if (round >= MAX_WRITE_ROUNDS) throw notPresent(arn, 'The undo of our patch of');
      const config = await getConfiguration(locked, arn);
      if (!config) break;
      const now = (config.distributions ?? []) as Distribution[];
      const desired = undo(entry, now, patch ? [patch] : []);
      if (desired.length === 0) {
        // The service refuses a configuration without distributions; leaving ours is better than blocking the delete.
        console.warn(`Not reverting ${arn}: no distribution would remain (others removed the rest)`);
        break;
      }
      if (deepEqual(desired, now)) break;
      await putDistributions(locked, event, config, arn, desired, round);
      // Read back: the undo must be there before the baseline that allows it is deleted.
      const after = await getConfiguration(locked, arn);
      if (!after || deepEqual(after.distributions ?? [], desired)) break;
      console.warn(`Round ${round + 1}: the undo of our patch of ${arn} was overwritten by another writer right after our write; undoing again`);
    }
    await writeBaseline(locked, props.BaselineParameterName, withEntry(doc, arn, undefined));
  });
}
