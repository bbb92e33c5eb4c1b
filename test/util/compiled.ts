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

/** Compiles with jsii (`npx projen compile`) unless lib/ and .jsii are newer than every file of src/. */
export function ensureCompiled(): void {
  const outputs = [path.join(ROOT, 'lib', 'index.js'), path.join(ROOT, '.jsii')];
  const sources = newestMtime(path.join(ROOT, 'src'));
  if (outputs.every((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs >= sources)) return;
  execFileSync('npx', ['projen', 'compile'], { cwd: ROOT, stdio: 'pipe' });
}
