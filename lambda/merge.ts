// Pure functions over distribution configurations: apply a patch, and undo it with a three-way merge
// (before: as it was before our patch; ours: what our patch made of it; now: what is there today) so that changes
// made by others since survive. No I/O here: the handler and the tests share these.
import { Distribution$ } from '@aws-sdk/client-imagebuilder';
import type { PatchDocument, RegionPatch } from '../src/private/handler-contract';

/** A regional distribution as the SDK returns it; unknown fields are carried along untouched. */
export type Distribution = { region: string; [field: string]: any };

/** The touched regions as they were before the patch; null means the region was not in the configuration. */
export type RegionSnapshot = Record<string, Distribution | null>;

export function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with sorted keys and undefined members left out, so equal values have equal text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonical(x))).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** Items of `a` that are not in `b` (canonical-JSON equality). */
function minus(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const keys = new Set(b.map(canonical));
  return a.filter((x) => !keys.has(canonical(x)));
}

/** `base` and `patch` merged: objects key by key, lists unioned without duplicates, anything else replaced. */
export function mergeValue(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return clone(base);
  if (isPlainObject(base) && isPlainObject(patch)) {
    const out: Record<string, any> = clone(base);
    for (const [k, v] of Object.entries(patch)) {
      const merged = mergeValue(base[k], v);
      if (merged !== undefined) out[k] = merged;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch)) return [...clone(base), ...minus(clone(patch), base).filter(unique())];
  return clone(patch);
}

function unique(): (x: unknown) => boolean {
  const seen = new Set<string>();
  return (x) => {
    const k = canonical(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  };
}

export class PatchError extends Error {}

/** The regions a patch touches, in patch order, without duplicates. */
export function touchedRegions(patch: PatchDocument): string[] {
  return [...new Set(patch.distributions.map((d) => d.region))];
}

/** Checks a parsed `Patch` property and returns it typed; throws a PatchError saying what is wrong. */
export function parsePatch(json: string | undefined): PatchDocument {
  let doc: any;
  try {
    doc = typeof json === 'string' ? JSON.parse(json) : json;
  } catch (err) {
    throw new PatchError(`Patch is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(doc) || !Array.isArray(doc.distributions)) {
    throw new PatchError('Patch must be a JSON object with a "distributions" list');
  }
  doc.distributions.forEach((d: any, i: number) => {
    if (!isPlainObject(d) || typeof d.region !== 'string' || d.region === '') {
      throw new PatchError(`Patch distributions[${i}] needs a "region"`);
    }
    if ((d.replace === undefined) === (d.merge === undefined)) {
      throw new PatchError(`Patch distributions[${i}] (${d.region}) needs exactly one of "replace" or "merge"`);
    }
    const body = d.replace ?? d.merge;
    if (!isPlainObject(body)) throw new PatchError(`Patch distributions[${i}] (${d.region}): the ${d.replace ? 'replace' : 'merge'} value must be an object`);
    if ('region' in body && body.region !== d.region) {
      throw new PatchError(`Patch distributions[${i}] (${d.region}) names another region inside: ${body.region}`);
    }
  });
  return doc as PatchDocument;
}

function applyRegion(existing: Distribution | undefined, p: RegionPatch): Distribution {
  if (p.replace !== undefined) return { ...clone(p.replace), region: p.region };
  if (!existing) {
    throw new PatchError(`Cannot merge into region ${p.region}: the distribution configuration has no distribution for it (use "replace" to add one)`);
  }
  return { ...(mergeValue(existing, p.merge) as Distribution), region: p.region };
}

/** The distributions after the patch: patched regions stay in place, added ones go to the end. */
export function applyPatch(distributions: readonly Distribution[], patch: PatchDocument): Distribution[] {
  const out = distributions.map((d) => clone(d));
  for (const p of patch.distributions) {
    const i = out.findIndex((d) => d.region === p.region);
    const next = applyRegion(i >= 0 ? out[i] : undefined, p);
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  return out;
}

/** The given regions of `distributions`, null for those that are absent. */
export function snapshot(distributions: readonly Distribution[], regions: readonly string[]): RegionSnapshot {
  const out: RegionSnapshot = {};
  for (const r of regions) out[r] = clone(distributions.find((d) => d.region === r)) ?? null;
  return out;
}

/** The distributions of a snapshot as a list (absent regions left out). */
export function fromSnapshot(snap: RegionSnapshot): Distribution[] {
  return Object.values(snap).filter((d): d is Distribution => d !== null).map((d) => clone(d));
}

/**
 * The bundled SDK's schema of a shape (`@smithy/types` static schemas: `[3, ns, name, traits, memberNames,
 * memberSchemas, requiredCount]` for structures, whose first `requiredCount` members are the required ones;
 * `[2, ns, name, traits, key, value]` for maps), or a lazy reference to one. Anything else: nothing known.
 */
export type SdkSchema = unknown;

const resolveSchema = (s: SdkSchema): SdkSchema => (typeof s === 'function' ? s() : s);

/** The schema of `key` inside a value of `schema` (a structure's member, a map's value). */
function childSchema(schema: SdkSchema, key: string): SdkSchema {
  const s = resolveSchema(schema);
  if (!Array.isArray(s)) return undefined;
  if (s[0] === 3 && Array.isArray(s[4])) {
    const i = (s[4] as string[]).indexOf(key);
    return i >= 0 ? resolveSchema((s[5] as SdkSchema[])[i]) : undefined;
  }
  return s[0] === 2 ? resolveSchema(s[5]) : undefined;
}

/** The required members of a structure's schema (none when it is not one). */
export function requiredMembers(schema: SdkSchema): string[] {
  const s = resolveSchema(schema);
  return Array.isArray(s) && s[0] === 3 && Array.isArray(s[4]) ? (s[4] as string[]).slice(0, typeof s[6] === 'number' ? s[6] : 0) : [];
}

/**
 * Three-way revert of one value. Where `now` still equals `ours`, the result is `before`; where someone else changed
 * it, their change wins: objects per key, lists keep others' additions and removals while dropping what we added and
 * restoring what we removed. `undefined` means absent. `schema` (the SDK's, see SdkSchema) tells which nested objects
 * are structures with required members.
 *
 * What the merge makes is always something the API accepts, given that `before` and `now` were: a list or map it
 * empties inside the value is left out (the API refuses empty ones, e.g. targetAccountIds and amiTags, and absent
 * means the same), and a structure it would leave without a required member (an S3 export we added, in which
 * someone else then changed a field) stays as the other writer has it, whole.
 */
export function revertValue(before: unknown, ours: unknown, now: unknown, schema?: SdkSchema): unknown {
  return revertAt(before, ours, now, schema, false);
}

function revertAt(before: unknown, ours: unknown, now: unknown, schema: SdkSchema, nested: boolean): unknown {
  if (deepEqual(now, ours)) return clone(before);
  if (isPlainObject(now) && isPlainObject(ours) && (before === undefined || isPlainObject(before))) {
    const b = before ?? {};
    const out: Record<string, any> = {};
    for (const k of new Set([...Object.keys(now), ...Object.keys(ours), ...Object.keys(b)])) {
      const v = revertAt(b[k], ours[k], now[k], childSchema(schema, k), true);
      if (v !== undefined) out[k] = v;
    }
    if (Object.keys(out).length === 0) return before === undefined || nested ? undefined : out;
    const required = requiredMembers(schema);
    if (required.some((r) => out[r] === undefined) && required.every((r) => now[r] !== undefined)) return clone(now);
    return out;
  }
  if (Array.isArray(now) && Array.isArray(ours) && (before === undefined || Array.isArray(before))) {
    const b = before ?? [];
    const kept = minus(now, minus(ours, b));
    const out = [...kept.map(clone), ...minus(minus(b, ours), kept).map(clone)];
    return (before === undefined || nested) && out.length === 0 ? undefined : out;
  }
  return clone(now);
}

/**
 * `now` with our changes to the regions of `before` undone. `ours` is what our patch made of those regions; regions
 * not in `before` are left as they are.
 */
export function revertDistributions(before: RegionSnapshot, ours: RegionSnapshot, now: readonly Distribution[]): Distribution[] {
  const out = now.map((d) => clone(d));
  for (const region of Object.keys(before)) {
    const i = out.findIndex((d) => d.region === region);
    const reverted = revertValue(strip(before[region]), strip(ours[region]), i >= 0 ? strip(out[i]) : undefined, Distribution$);
    const next = isPlainObject(reverted) ? { region, ...reverted } as Distribution : undefined;
    if (i >= 0 && next) out[i] = next;
    else if (i >= 0) out.splice(i, 1);
    else if (next) out.push(next);
  }
  return out;
}

/** A distribution without its `region` key, so that an absent region and an empty one compare as expected. */
function strip(d: Distribution | null | undefined): Record<string, any> | undefined {
  if (!d) return undefined;
  const { region: _region, ...rest } = d;
  return rest;
}
