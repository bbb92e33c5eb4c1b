/**
 * The jsii output (lib/, .jsii) that tests of the published package read. The build compiles before it tests; a test
 * run alone after a change to src/ compiles first, so these tests never read a stale assembly.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..');

function newestMtime(dir: string): number {
  return Math.max(0, ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => e.isDirectory()
    ? newestMtime(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs));
}

function isFresh(): boolean {
  const outputs = [path.join(ROOT, 'lib', 'index.js'), path.join(ROOT, '.jsii')];
  const sources = newestMtime(path.join(ROOT, 'src'));
  return outputs.every((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs >= sources);
}

/**
 * Compiles with jsii (`npx projen compile`) unless lib/ and .jsii are newer than every file of src/. Jest workers that
 * need it at the same time take turns (a lock directory), so one compiles and the others find it fresh.
 */
export function ensureCompiled(): void {
  if (isFresh()) return;
  const lock = path.join(ROOT, 'node_modules', '.cache', 'jsii-compile.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw e;
      // A lock older than any compile is left over from a killed run.
      const since = fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > 600_000) fs.rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    if (!isFresh()) execFileSync('npx', ['projen', 'compile'], { cwd: ROOT, stdio: 'pipe' });
  } finally {
    fs.rmdirSync(lock);
  }
}
