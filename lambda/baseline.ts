// The baseline: for each patch of a distribution configuration, the touched regions as they were before the patch and
// the patch that was applied over them. Kept in one SSM parameter per stack and configuration, shared by the stack's
// patches of that configuration (the README's section "Where the baseline is kept, and why" says why SSM):
// CloudFormation does not send a custom resource's Data back on Delete, and a physical ID holds 1 KB. Sharing the
// parameter is what lets a renamed or moved patch hand its baseline over: CloudFormation creates the new resource
// before it deletes the old one, so the new one's "before" holds the old one's change, and the old one's undo must
// leave that change in place (docs/sharing.md).
import { gunzipSync, gzipSync } from 'zlib';
import { forgetChunks, isChunked, noteUnchunked, readChunks, writeChunks } from './baseline-chunks';
import * as clients from './clients';
import { call } from './errors';
import type { RegionSnapshot } from './merge';
import type { PatchDocument } from '../src/private/handler-contract';

export interface BaselineEntry {
  /** The touched regions before the patch (null: absent). */
  readonly before: RegionSnapshot;
  /** The patch applied over `before`. */
  readonly patch: PatchDocument;
  /** The CloudFormation request that wrote this entry. */
  readonly requestId: string;
  /** Order in which the entries of the document were first written: a later entry's `before` holds the earlier ones' changes. */
  readonly seq?: number;
}

export interface BaselineDocument {
  readonly v: 1;
  /**
   * By `<configuration ARN>#<logical ID of the patch resource>` ({@link entryKey}); documents written before
   * parameters were shared have one entry keyed by the ARN alone, which {@link findEntry} still finds.
   */
  readonly entries: Record<string, BaselineEntry>;
}

/** The key of a patch resource's entry. */
export function entryKey(arn: string, logicalId: string): string {
  return `${arn}#${logicalId}`;
}

/** The resource's entry: by its key, else (a document of an earlier version of the handler) by the ARN alone. */
export function findEntry(doc: BaselineDocument, arn: string, logicalId: string): { key: string; entry: BaselineEntry } | undefined {
  for (const key of [entryKey(arn, logicalId), arn]) {
    const entry = doc.entries[key];
    if (entry) return { key, entry };
  }
  return undefined;
}

/**
 * `doc` with the entry of `key` set (or removed when `entry` is undefined). A new entry goes after every other one;
 * a rewritten one keeps its place.
 */
export function withEntry(doc: BaselineDocument, key: string, entry: BaselineEntry | undefined): BaselineDocument {
  const entries = { ...doc.entries };
  if (entry) {
    const seqs = Object.values(doc.entries).map((e) => e.seq ?? 0);
    const seq = entry.seq ?? doc.entries[key]?.seq ?? Math.max(0, ...seqs) + 1;
    entries[key] = { ...entry, seq };
  } else {
    delete entries[key];
  }
  return { v: 1, entries };
}

/** The entries of other patches of `arn` written after the entry of `key`, oldest first. */
export function laterEntries(doc: BaselineDocument, arn: string, key: string): Array<[string, BaselineEntry]> {
  const seq = doc.entries[key]?.seq ?? 0;
  return Object.entries(doc.entries)
    .filter(([k, e]) => k !== key && (k === arn || k.startsWith(`${arn}#`)) && (e.seq ?? 0) > seq)
    .sort(([, a], [, b]) => (a.seq ?? 0) - (b.seq ?? 0));
}

export const STANDARD_LIMIT = 4096;
export const ADVANCED_LIMIT = 8192;
const GZIP_PREFIX = 'gz:';

/** The parameter value: plain JSON (readable in the console) unless it needs compressing to fit. */
export function encode(doc: BaselineDocument): { value: string; tier: 'Intelligent-Tiering' | 'Advanced' } {
  const json = JSON.stringify(doc);
  const value = Buffer.byteLength(json) <= STANDARD_LIMIT ? json : GZIP_PREFIX + gzipSync(json).toString('base64');
  const bytes = Buffer.byteLength(value);
  if (bytes > ADVANCED_LIMIT) {
    throw new Error(`The baseline (${Buffer.byteLength(json)} bytes, ${bytes} compressed) exceeds the ${ADVANCED_LIMIT}-byte limit of an SSM parameter; patch fewer regions per resource`);
  }
  // Intelligent-Tiering stays Standard (free) when the value fits, and does not fail on a parameter that an earlier,
  // larger value made Advanced (SSM cannot downgrade a parameter).
  return { value, tier: bytes <= STANDARD_LIMIT ? 'Intelligent-Tiering' : 'Advanced' };
}

export function decode(value: string): BaselineDocument {
  const json = value.startsWith(GZIP_PREFIX) ? gunzipSync(Buffer.from(value.slice(GZIP_PREFIX.length), 'base64')).toString('utf8') : value;
  const doc = JSON.parse(json);
  if (doc?.v !== 1 || typeof doc.entries !== 'object') throw new Error('unrecognised baseline format');
  return doc;
}

const notFound = (err: unknown) => (err as Error)?.name === 'ParameterNotFound';

/** The stored document, or an empty one when the parameter does not exist. */
export async function readBaseline(context: clients.CallContext, name: string): Promise<BaselineDocument> {
  try {
    const out = await call(context, 'ssm:GetParameter', name, () => clients.ssm(context).getParameter({ Name: name }), notFound);
    let value = out.Parameter?.Value ?? '';
    // A baseline too large for one parameter continues in others (baseline-chunks.ts).
    if (isChunked(value)) value = await readChunks(context, name, value);
    else noteUnchunked(name);
    try {
      return decode(value);
    } catch (err) {
      throw new Error(`SSM parameter ${name} does not hold a baseline written by this handler: ${(err as Error).message}`);
    }
  } catch (err) {
    if (notFound(err)) return { v: 1, entries: {} };
    throw err;
  }
}

/** Stores `doc`; an empty document deletes the parameter. */
export async function writeBaseline(context: clients.CallContext, name: string, doc: BaselineDocument): Promise<void> {
  if (Object.keys(doc.entries).length === 0) {
    try {
      await call(context, 'ssm:DeleteParameter', name, () => clients.ssm(context).deleteParameter({ Name: name }), notFound);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    await forgetChunks(context, name);
    return;
  }
  let encoded: ReturnType<typeof encode>;
  try {
    encoded = encode(doc);
  } catch (err) {
    if (!/exceeds the \d+-byte limit of an SSM parameter/.test((err as Error).message)) throw err;
    const json = JSON.stringify(doc);
    await writeChunks(context, name, GZIP_PREFIX + gzipSync(json).toString('base64'), `The baseline (${Buffer.byteLength(json)} bytes)`);
    return;
  }
  const { value, tier } = encoded;
  await call(context, 'ssm:PutParameter', name, () => clients.ssm(context).putParameter({
    Name: name,
    Value: value,
    Type: 'String',
    Tier: tier,
    Overwrite: true,
    Description: 'Baseline of an Image Builder distribution configuration patch (cdk-imagebuilder-distribution). Deleted with the patch.',
  }));
  await forgetChunks(context, name);
}
