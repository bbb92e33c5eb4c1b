/**
 * Where a patch's baseline lives when it outgrows one SSM parameter (lambda/baseline-chunks.ts): types and names only,
 * shared by the handler, which writes the chunks, and the constructs, which grant access to exactly these names.
 */

/** The most parameters (the head included) one baseline may use. */
export const MAX_BASELINE_CHUNKS = 8;

/** The two slots chunks alternate between, so that a new value never overwrites the one the head still names. */
export const BASELINE_CHUNK_SLOTS = ['a', 'b'] as const;

/** The name of chunk `index` (1-based; the head is the baseline parameter itself) in `slot`. */
export function baselineChunkName(baselineName: string, slot: string, index: number): string {
  return `${baselineName}-${slot}${index}`;
}
