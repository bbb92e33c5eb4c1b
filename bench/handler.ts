// Size and cold module-load time of the handler bundle, against a bundle of the whole @aws-sdk/client-imagebuilder.
// Run: npx ts-node --project test/tsconfig.json bench/handler.ts [runs]
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSync } from 'esbuild';
import { HANDLER_BUILD_OPTIONS } from '../scripts/bundle-handler';

const root = path.join(__dirname, '..');

export interface BundleMeasure {
  readonly file: string;
  readonly bytes: number;
  /** Median milliseconds to require() the bundle in a fresh node process (startup excluded). */
  readonly loadMs: number;
}

export interface HandlerBench {
  readonly handler: BundleMeasure;
  readonly fullClient: BundleMeasure;
  readonly sizeRatio: number;
  readonly loadRatio: number;
}

/** The handler as scripts/bundle-handler.ts builds it (same options, alias included). */
function bundleHandler(outfile: string): string {
  buildSync({ ...HANDLER_BUILD_OPTIONS, outfile, metafile: false, logLevel: 'error' });
  return outfile;
}

/** Any other entry with the handler's options but its own entry point and without the handler's alias. */
function bundle(entry: string, outfile: string): string {
  buildSync({ ...HANDLER_BUILD_OPTIONS, entryPoints: [entry], alias: {}, outfile, metafile: false, logLevel: 'error' });
  return outfile;
}

function loadOnce(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (out.status !== 0) throw new Error(`loading ${file} failed: ${out.stderr}`);
  return Number(out.stdout);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function main(runs = 15): HandlerBench {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-bench-'));
  try {
    const fullEntry = path.join(dir, 'full-entry.js');
    // Every command and the aggregated client: what bundling the package without tree-shaking costs.
    fs.writeFileSync(fullEntry, `module.exports = require(${JSON.stringify(require.resolve('@aws-sdk/client-imagebuilder', { paths: [root] }))});\n`);
    const ours = bundleHandler(path.join(dir, 'handler.js'));
    const full = bundle(fullEntry, path.join(dir, 'full.js'));
    const times: Record<string, number[]> = { [ours]: [], [full]: [] };
    loadOnce(ours); // warm the OS file cache for both, so neither pays it alone
    loadOnce(full);
    for (let i = 0; i < runs; i++) {
      // Alternate so drift in machine load hits both alike.
      for (const f of i % 2 ? [full, ours] : [ours, full]) times[f].push(loadOnce(f));
    }
    const measure = (f: string): BundleMeasure => ({ file: path.basename(f), bytes: fs.statSync(f).size, loadMs: median(times[f]) });
    const handler = measure(ours);
    const fullClient = measure(full);
    const result = { handler, fullClient, sizeRatio: handler.bytes / fullClient.bytes, loadRatio: handler.loadMs / fullClient.loadMs };
    console.log(`handler bundle      ${handler.bytes} bytes, cold load ${handler.loadMs.toFixed(1)} ms (median of ${runs})`);
    console.log(`full client bundle  ${fullClient.bytes} bytes, cold load ${fullClient.loadMs.toFixed(1)} ms (median of ${runs})`);
    console.log(`ratio handler/full  size ${result.sizeRatio.toFixed(2)}, load ${result.loadRatio.toFixed(2)} (target: at most 0.50 on both)`);
    // Each pair ran back to back, so its ratio cancels the machine's drift between pairs.
    const pairs = times[ours].map((t, i) => t / times[full][i]).sort((a, b) => a - b);
    const q = (p: number) => pairs[Math.round(p * (pairs.length - 1))].toFixed(2);
    console.log(`                    per-pair load ratio: median ${median(pairs).toFixed(2)}, quartiles ${q(0.25)}-${q(0.75)} over ${runs} pairs`);
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main(Number(process.argv[2]) || 15);
