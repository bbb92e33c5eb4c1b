/**
 * One command for every benchmark: `ts-node --project test/tsconfig.json bench/run.ts`
 * (projen task `bench`, which bundles the handler first). Synth time and template bytes against raw L1 and the alpha
 * module (bench/synth.ts), provider resources and bytes per use of the custom-resource constructs
 * (bench/custom-resources.ts), handler bundle size and load time (bench/handler.ts). Results are printed as ratios
 * measured side by side in this one run; nothing is asserted (test/provider-sharing.test.ts asserts provider sharing).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCustomResourceBench } from './custom-resources';
import { runSynthBench } from './synth';

async function main(): Promise<void> {
  const cdkVersion = JSON.parse(fs.readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf8')).version;
  process.stdout.write(`node ${process.version}, ${os.cpus().length} cpu(s), aws-cdk-lib ${cdkVersion}\n`);
  runSynthBench();
  try {
    // Needs the handler bundle (the projen task builds it first: scripts/bundle-handler.ts).
    runCustomResourceBench();
  } catch (e) {
    process.stdout.write(`\nCustom-resource benchmark failed: ${(e as Error).message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  await require('./organizations').main();
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
