/**
 * One command for every benchmark: `ts-node --project test/tsconfig.json bench/run.ts`
 * (projen task `bench`). Results are printed as ratios measured side by side in this one run; nothing is asserted.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCustomResourceBench } from './custom-resources';
import { runSynthBench } from './synth';

async function main(): Promise<void> {
  process.stdout.write(`node ${process.version}, ${require('os').cpus().length} cpu(s), aws-cdk-lib ${require('aws-cdk-lib/package.json').version}\n`);
  runSynthBench();
  runCustomResourceBench();
  const handler = path.join(__dirname, 'handler.ts');
  if (fs.existsSync(handler)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('./handler');
    if (typeof mod.main === 'function') await mod.main();
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
