// Bounded concurrency for the handler's fan-out calls (Organizations listings, distribution role checks), which
// AWS throttles per account at a few requests per second.

export interface Semaphore {
  <T>(fn: () => Promise<T>): Promise<T>;
  /** Halves the number of functions run at a time (at least one). */
  shrink(): void;
}

/** Runs at most `n` of the functions given at a time; after one failed, the others not yet started fail too. */
export function semaphore(initial: number): Semaphore {
  let n = initial;
  let running = 0;
  let failed: unknown;
  const waiting: Array<() => void> = [];
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    while (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    if (failed !== undefined) throw failed;
    running++;
    try {
      return await fn();
    } catch (err) {
      failed ??= err;
      throw err;
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  return Object.assign(run, { shrink: () => { n = Math.max(1, Math.floor(n / 2)); } });
}
