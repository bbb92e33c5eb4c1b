// A baseline larger than one SSM parameter (8 KB, advanced tier) spread over several: the head parameter (the
// baseline's own name) says how many chunks follow and in which of two slots, and holds the first part; the others are
// `<name>-<slot><i>`. The chunks of a new value go into the slot the head does not name, and only then is the head
// (one PutParameter, atomic) switched to them, so a writer that stops half-way leaves the previous value readable.
// The previous slot's chunks are deleted afterwards. A digest of the whole value tells torn reads from whole ones.
//
// Target accounts resolved from an OU are random 12-digit IDs: about 9 bytes each once compressed, so one parameter
// holds the undo of about 850 of them; Image Builder takes 1536 per Region.
import { createHash } from 'crypto';
import * as clients from './clients';
import { call } from './errors';
import { BASELINE_CHUNK_SLOTS, MAX_BASELINE_CHUNKS, baselineChunkName } from '../src/private/baseline-contract';

export const CHUNKED_PREFIX = 'gzc:';
const LIMIT = 8192;

/** How many chunks each baseline parameter had, and in which slot, when last read or written in this process. */
const known = new Map<string, { slot: string; count: number }>();

const digestOf = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);
const notFound = (err: unknown) => (err as Error)?.name === 'ParameterNotFound';

interface Head {
  readonly slot: string;
  readonly count: number;
  readonly digest: string;
  readonly first: string;
}

function parseHead(value: string): Head | undefined {
  const m = /^gzc:([ab]):(\d+):([0-9a-f]{16}):/.exec(value);
  return m ? { slot: m[1], count: Number(m[2]), digest: m[3], first: value.slice(m[0].length) } : undefined;
}

/** Whether the stored head value is chunked. */
export function isChunked(value: string): boolean {
  return value.startsWith(CHUNKED_PREFIX);
}

/** The whole value (as `encode` would give it unchunked) of a chunked head; records the chunk count. */
export async function readChunks(context: clients.CallContext, name: string, headValue: string): Promise<string> {
  const head = parseHead(headValue);
  if (!head) throw new Error(`SSM parameter ${name} holds an unreadable chunked baseline head`);
  const parts = [head.first];
  for (let i = 1; i < head.count; i++) {
    const chunk = baselineChunkName(name, head.slot, i);
    const out = await call(context, 'ssm:GetParameter', chunk, () => clients.ssm(context).getParameter({ Name: chunk }));
    parts.push(out.Parameter?.Value ?? '');
  }
  const value = parts.join('');
  if (digestOf(value) !== head.digest) {
    throw new Error(`The baseline in ${name} and its ${head.count - 1} chunks do not match (another writer changed them while we read); try again`);
  }
  known.set(name, { slot: head.slot, count: head.count });
  return value;
}

/** Records that `name` holds an unchunked value (its read found no chunks). */
export function noteUnchunked(name: string): void {
  if (!known.has(name)) known.set(name, { slot: 'b', count: 1 });
}

/**
 * Stores `value` (too large for one parameter) as a head and chunks in the slot the head does not name now; returns
 * after the previous slot's chunks are deleted.
 */
export async function writeChunks(context: clients.CallContext, name: string, value: string, describe: string): Promise<void> {
  const previous = known.get(name);
  const slot = previous?.slot === BASELINE_CHUNK_SLOTS[0] ? BASELINE_CHUNK_SLOTS[1] : BASELINE_CHUNK_SLOTS[0];
  const header = `${CHUNKED_PREFIX}${slot}:${MAX_BASELINE_CHUNKS}:${digestOf(value)}:`;
  const firstSize = LIMIT - header.length;
  const count = 1 + Math.ceil(Math.max(0, value.length - firstSize) / LIMIT);
  if (count > MAX_BASELINE_CHUNKS) {
    throw new Error(`${describe} exceeds the ${MAX_BASELINE_CHUNKS * LIMIT}-byte limit of the ${MAX_BASELINE_CHUNKS} SSM parameters a baseline may use`);
  }
  const parts = [value.slice(0, firstSize)];
  for (let at = firstSize; at < value.length; at += LIMIT) parts.push(value.slice(at, at + LIMIT));
  for (let i = 1; i < parts.length; i++) await put(context, baselineChunkName(name, slot, i), parts[i]);
  await put(context, name, `${CHUNKED_PREFIX}${slot}:${parts.length}:${digestOf(value)}:${parts[0]}`);
  known.set(name, { slot, count: parts.length });
  if (previous) await deleteChunks(context, name, previous.slot, previous.count);
}

/** Deletes the chunks the previous value had, if it was chunked (after an unchunked write, or the baseline's deletion). */
export async function forgetChunks(context: clients.CallContext, name: string): Promise<void> {
  const previous = known.get(name);
  known.delete(name);
  if (previous) await deleteChunks(context, name, previous.slot, previous.count);
}

async function deleteChunks(context: clients.CallContext, name: string, slot: string, count: number): Promise<void> {
  for (let i = 1; i < count; i++) {
    const chunk = baselineChunkName(name, slot, i);
    try {
      await call(context, 'ssm:DeleteParameter', chunk, () => clients.ssm(context).deleteParameter({ Name: chunk }), notFound);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
}

async function put(context: clients.CallContext, name: string, value: string): Promise<void> {
  await call(context, 'ssm:PutParameter', name, () => clients.ssm(context).putParameter({
    Name: name,
    Value: value,
    Type: 'String',
    Tier: 'Advanced',
    Overwrite: true,
    Description: 'Part of the baseline of an Image Builder distribution configuration patch (cdk-imagebuilder-distribution). Deleted with the patch.',
  }));
}
