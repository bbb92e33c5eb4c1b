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
import { BaselineEntry, entryKey, findEntry, laterEntries, readBaseline, withEntry, writeBaseline } from './baseline';
import * as clients from './clients';
import { call } from './errors';
import type { HandlerOptions } from './handler-options';
import { withLease } from './lease';
import { Log, logOf } from './log';
import {
  applyPatch, deepEqual, Distribution, fromSnapshot, isPlainObject, parsePatch, PatchError, revertDistributions, snapshot, touchedRegions,
} from './merge';
import { captureRawJson, RawJsonCapture, sendRawJson, withoutNullMembers } from './raw-json';
import { clientToken, digest } from './tokens';
import type { PatchDocument, PatchResourceProperties } from '../src/private/handler-contract';

const notFound = (err: unknown) => (err as Error)?.name === 'ResourceNotFoundException';

/** Stable for one resource and configuration; a new configuration ARN gives a new ID so that CloudFormation deletes (reverts) the old one. */
export function physicalResourceId(arn: string, event: Pick<CdkCustomResourceEvent, 'StackId' | 'LogicalResourceId'>): string {
  return `${arn}|patch|${createHash('sha256').update(`${event.StackId}|${event.LogicalResourceId}`).digest('hex').slice(0, 16)}`;
}

export async function onEvent(event: CdkCustomResourceEvent, options: HandlerOptions = {}): Promise<CdkCustomResourceResponse> {
  // Every call is made as the resource's own role (RoleArn; on Delete too: the resource depends on the role, so
  // CloudFormation deletes the role afterwards). RoleArn is not part of Props: changing it alone changes nothing else.
  switch (event.RequestType) {
    case 'Create': {
      const props = readProps(event.ResourceProperties);
      const context = clients.callContext(event, options);
      // After a failed Create the Provider framework answers CloudFormation's rollback Delete itself (marker physical
      // ID), so this is the last chance to undo what the Create wrote.
      return undoIfFails(context, event, props, (progress) => reconcile(context, event, props, props.BaselineParameterName, undefined, progress));
    }
    case 'Update': {
      const props = readProps(event.ResourceProperties);
      const context = clients.callContext(event, options);
      // Read as leniently as possible: in CloudFormation's rollback Update these are the properties of the update that
      // failed, possibly because they were malformed (then nothing was written under them).
      const old = readOldProps(event.OldResourceProperties, props);
      if (old.DistributionConfigurationArn === props.DistributionConfigurationArn) {
        return reconcile(context, event, props, old.BaselineParameterName, old.Patch, { mustExist: false });
      }
      // Another configuration. Patched like on create; if this fails after writing, nobody else would undo it.
      const result = await undoIfFails(context, event, props,
        (progress) => reconcile(context, event, props, props.BaselineParameterName, undefined, progress));
      // As the old properties' role: each configuration's patch has a role of its own (src/private/patch-resource.ts).
      const oldRole = event.OldResourceProperties?.RoleArn;
      const oldContext = typeof oldRole === 'string' && oldRole !== ''
        ? clients.callContext({ ...event, ResourceProperties: event.OldResourceProperties }, options)
        : context;
      await revertLeftBehind(oldContext, event, old);
      return result;
    }
    case 'Delete': {
      const props = tryReadProps(event.ResourceProperties);
      if (!props) {
        // Nothing can have been written under unreadable properties; failing would only block the stack's delete.
        logOf(options)(`Delete of ${event.PhysicalResourceId}: properties unreadable (${describeProps(event.ResourceProperties)}); nothing to revert`, 'warn');
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      const context = clients.callContext(event, options);
      await revert(context, event, props);
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
  }
}

interface Props {
  readonly DistributionConfigurationArn: string;
  readonly BaselineParameterName: string;
  readonly Patch: string;
}

const PROP_KEYS = ['DistributionConfigurationArn', 'BaselineParameterName', 'Patch'] as const satisfies readonly (keyof PatchResourceProperties)[];

/** What is wrong with one property ("is required", "must be a string..."), or undefined. */
function propProblem(raw: Record<string, any> | undefined, key: keyof Props): string | undefined {
  const v = raw?.[key];
  if (v === undefined || v === null || v === '') return 'is required';
  if (typeof v !== 'string') return `must be a string (got ${Array.isArray(v) ? 'a list' : typeof v})`;
  return undefined;
}

function readProps(raw: Record<string, any> | undefined): Props {
  for (const key of PROP_KEYS) {
    const problem = propProblem(raw, key);
    if (problem) throw new Error(`Property ${key} ${problem}`);
  }
  return raw as Props;
}

function tryReadProps(raw: Record<string, any> | undefined): Props | undefined {
  return PROP_KEYS.every((key) => !propProblem(raw, key)) ? raw as Props : undefined;
}

/** Old properties as far as they are readable (Patch may be missing). */
type OldProps = Omit<Props, 'Patch'> & { readonly Patch?: string };

/** The old properties, each one that is unreadable taken from the new ones (Patch: none). */
function readOldProps(raw: Record<string, any> | undefined, props: Props): OldProps {
  const pick = (key: keyof Props) => (propProblem(raw, key) ? undefined : raw![key] as string);
  return {
    DistributionConfigurationArn: pick('DistributionConfigurationArn') ?? props.DistributionConfigurationArn,
    BaselineParameterName: pick('BaselineParameterName') ?? props.BaselineParameterName,
    Patch: pick('Patch'),
  };
}

function describeProps(raw: unknown): string {
  return PROP_KEYS.map((key) => `${key} ${propProblem(raw as Record<string, any>, key) ?? 'ok'}`).join(', ');
}

/** How a reconcile runs, and what it had found when it stopped (for undoIfFails). */
interface Progress {
  /**
   * The configuration must exist: on Create, and when an Update moves the patch to it. Otherwise (an Update of the
   * patch of the same configuration, or its rollback) a configuration deleted meanwhile leaves nothing to do.
   */
  readonly mustExist: boolean;
  /** Whether the baseline held an entry for the configuration before (undefined: not read yet, nothing written). */
  hadEntry?: boolean;
}

/**
 * `apply` (a reconcile of `props`), and when it fails after it could have written (the baseline had no entry for the
 * configuration, so this event made it), the configuration restored and the entry removed before the failure is
 * reported.
 */
async function undoIfFails(
  context: clients.CallContext, event: CdkCustomResourceEvent, props: Props, apply: (progress: Progress) => Promise<CdkCustomResourceResponse>,
): Promise<CdkCustomResourceResponse> {
  const arn = props.DistributionConfigurationArn;
  const progress: Progress = { mustExist: true };
  try {
    return await apply(progress);
  } catch (err) {
    if (progress.hadEntry !== false) throw err;
    try {
      await revert(context, event, props);
    } catch (undoErr) {
      throw new Error(`${(err as Error).message}. Undoing the patch failed too, so ${arn} may keep it (its earlier `
        + `state is in SSM parameter ${props.BaselineParameterName}): ${(undoErr as Error).message}`, { cause: err });
    }
    context.log(`Undid the patch of ${arn} after the failure`, 'warn');
    throw err;
  }
}

/**
 * After an Update that moved the patch from `old`'s configuration: when CloudFormation will not delete the old physical
 * ID (it is not the one it holds, as in the rollback of an update that failed after patching the other configuration),
 * the old configuration's patch is reverted here, since no Delete will come for it.
 */
async function revertLeftBehind(
  context: clients.CallContext, event: CdkCustomResourceEvent, old: OldProps,
): Promise<void> {
  if (event.RequestType !== 'Update' || physicalResourceId(old.DistributionConfigurationArn, event) === event.PhysicalResourceId) return;
  await revert(context, event, { ...old, Patch: old.Patch ?? '' });
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
 * The read-modify-write of one configuration, under its lease: read it and the baseline, write the baseline, write the
 * configuration, then read back. When the read-back shows our change undone (a writer that does not take the lease
 * wrote in between), the round is made again, up to MAX_WRITE_ROUNDS. undoIfFails and revertLeftBehind run before or
 * after it, each under a lease of its own.
 */
async function reconcile(
  context: clients.CallContext, event: CdkCustomResourceEvent, props: Props, previousParameter: string, previousPatch: string | undefined,
  progress: Progress,
): Promise<CdkCustomResourceResponse> {
  const arn = props.DistributionConfigurationArn;
  const patch = parse(arn, props.Patch);
  const done = { PhysicalResourceId: physicalResourceId(arn, event), Data: { DistributionConfigurationArn: arn } };
  return withLease(context, arn, leaseOwner(event), async (locked) => {
    for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
      // After the first round the baseline is this resource's own (a handover from the old parameter is done).
      const desired = round === 0
        ? await reconcileOnce(locked, event, props, patch, previousParameter, previousPatch, round, progress)
        : await reconcileOnce(locked, event, props, patch, props.BaselineParameterName, props.Patch, round, progress);
      if (!desired) return done;
      const after = await getConfiguration(locked, arn);
      if (!after) throw new Error(`Distribution configuration ${arn} was deleted right after our write`);
      const now = (after.distributions ?? []) as Distribution[];
      if (deepEqual(now, desired) || patchPresent(now, patch)) return done;
      locked.log(`Round ${round + 1}: the patch of ${arn} was undone by another writer right after our write; applying it again`, 'warn');
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
  previousPatch: string | undefined, round: number, progress: Progress,
): Promise<Distribution[] | undefined> {
  const arn = props.DistributionConfigurationArn;
  const config = await getConfiguration(context, arn);
  const oldDoc = await readBaseline(context, previousParameter);
  const found = findEntry(oldDoc, arn, event.LogicalResourceId);
  if (round === 0) progress.hadEntry = found !== undefined;
  if (!config) {
    if (progress.mustExist) {
      throw new Error(`Distribution configuration ${arn} not found: GetDistributionConfiguration answered ResourceNotFoundException`);
    }
    // Deleted since the patch was applied: there is nothing to patch or to restore any more. Failing would fail this
    // update and its rollback alike (UPDATE_ROLLBACK_FAILED).
    context.log(`Distribution configuration ${arn} no longer exists; nothing to patch, its baseline is dropped`, 'warn');
    if (found) await writeBaseline(context, previousParameter, withEntry(oldDoc, found.key, undefined));
    return undefined;
  }
  const now = (config.distributions ?? []) as Distribution[];

  const entry = found?.entry;
  const key = entryKey(arn, event.LogicalResourceId);
  const candidates = [patch, ...(previousPatch ? [tryParse(previousPatch)].filter((p): p is PatchDocument => !!p) : [])];
  const state0 = entry ? undo(entry, now, candidates) : now;
  const regions = [...new Set([...(entry ? Object.keys(entry.before) : []), ...touchedRegions(patch)])];
  const sameParameter = previousParameter === props.BaselineParameterName;
  // The stack's patches of this configuration applied after this one: undoing our old patch may have taken some of
  // their change too (the same account added, say), so they are applied again, and their "before" holds our new
  // patch instead of the old one.
  const later = entry && sameParameter ? laterEntries(oldDoc, arn, found!.key) : [];
  let desired: Distribution[];
  try {
    desired = later.reduce((d, [k, e]) => reapply(d, e.patch, k, context.log), applyPatch(state0, patch));
  } catch (err) {
    throw new Error(`Patch for ${arn}: ${(err as Error).message}`);
  }
  const nextEntry: BaselineEntry = {
    before: snapshot(state0, regions), patch, requestId: event.RequestId, ...(entry?.seq !== undefined ? { seq: entry.seq } : {}),
  };
  const rebased = later.map(([k, e]): [string, BaselineEntry] =>
    [k, { ...e, before: snapshot(applyWhereItApplies(undo(entry!, fromSnapshot(e.before), candidates), patch), Object.keys(e.before)) }])
    .filter(([k, e]) => !deepEqual(e, oldDoc.entries[k]));

  // The baseline is written before the configuration, so that a failure in between leaves a baseline a rollback can revert with.
  if (!entry || !sameParameter || found!.key !== key || rebased.length > 0
    || !deepEqual({ ...entry, requestId: '' }, { ...nextEntry, requestId: '' })) {
    const newDoc = sameParameter ? withEntry(oldDoc, found?.key ?? key, undefined) : await readBaseline(context, props.BaselineParameterName);
    const doc = rebased.reduce((d, [k, e]) => withEntry(d, k, e), withEntry(newDoc, key, nextEntry));
    await writeBaseline(context, props.BaselineParameterName, doc);
  }
  const write = !deepEqual(desired, now);
  if (write) await putDistributions(context, event, config, arn, desired, round);
  if (!sameParameter && found) await writeBaseline(context, previousParameter, withEntry(oldDoc, found.key, undefined));
  return write ? desired : undefined;
}

function tryParse(json: string): PatchDocument | undefined {
  try {
    return parsePatch(json);
  } catch {
    return undefined;
  }
}

async function revert(context: clients.CallContext, event: CdkCustomResourceEvent, props: Props): Promise<void> {
  const arn = props.DistributionConfigurationArn;
  await withLease(context, arn, leaseOwner(event), async (locked) => {
    const doc = await readBaseline(locked, props.BaselineParameterName);
    const found = findEntry(doc, arn, event.LogicalResourceId);
    if (!found) return; // nothing was applied (e.g. create failed before storing the baseline)
    const { key, entry } = found;
    const patch = tryParse(props.Patch);
    const candidates = patch ? [patch] : [];
    // Patches of the stack applied after this one (a renamed or moved patch is one: created before this one's
    // delete): their change stays, and their "before", which holds this one's change, loses it.
    const later = laterEntries(doc, arn, key);
    for (let round = 0; ; round++) {
      if (round >= MAX_WRITE_ROUNDS) throw notPresent(arn, 'The undo of our patch of');
      const config = await getConfiguration(locked, arn);
      if (!config) break;
      const now = (config.distributions ?? []) as Distribution[];
      const desired = later.reduce((d, [k, e]) => reapply(d, e.patch, k, locked.log), undo(entry, now, candidates));
      if (desired.length === 0) {
        // The service refuses a configuration without distributions; leaving ours is better than blocking the delete.
        locked.log(`Not reverting ${arn}: no distribution would remain (others removed the rest)`, 'warn');
        break;
      }
      if (deepEqual(desired, now)) break;
      await putDistributions(locked, event, config, arn, desired, round);
      // Read back: the undo must be there before the baseline that allows it is deleted.
      const after = await getConfiguration(locked, arn);
      if (!after || deepEqual(after.distributions ?? [], desired)) break;
      locked.log(`Round ${round + 1}: the undo of our patch of ${arn} was overwritten by another writer right after our write; undoing again`, 'warn');
    }
    const rebased = later.reduce((d, [k, e]) => withEntry(d, k, {
      ...e, before: snapshot(undo(entry, fromSnapshot(e.before), candidates), Object.keys(e.before)),
    }), withEntry(doc, key, undefined));
    await writeBaseline(locked, props.BaselineParameterName, rebased);
  });
}

/** `distributions` with each Region of `patch` applied where it applies (a merge needs its Region). */
function applyWhereItApplies(distributions: Distribution[], patch: PatchDocument): Distribution[] {
  return patch.distributions.reduce((d, region) => {
    try {
      return applyPatch(d, { distributions: [region] });
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
      return d;
    }
  }, distributions);
}

/** `distributions` with a later patch applied again; one that no longer applies (a Region gone) is left out, with a warning. */
function reapply(distributions: Distribution[], patch: PatchDocument, key: string, log: Log): Distribution[] {
  try {
    return applyPatch(distributions, patch);
  } catch (err) {
    if (!(err instanceof PatchError)) throw err;
    log(`Not applying the patch of ${key} again: ${err.message}`, 'warn');
    return distributions;
  }
}
