// Bundles the custom-resource handler and the SDK clients it uses into one file that ships in the npm package.
import * as fs from 'fs';
import * as path from 'path';
import { buildSync } from 'esbuild';

const root = path.join(__dirname, '..');
const outdir = path.join(root, 'assets', 'handler');
fs.rmSync(outdir, { recursive: true, force: true });

const result = buildSync({
  entryPoints: [path.join(root, 'lambda', 'index.ts')],
  outfile: path.join(outdir, 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  // The runtime's own SDK may predate DistributeImage, so nothing is external.
  external: [],
  mainFields: ['module', 'main'],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const bytes = fs.statSync(path.join(outdir, 'index.js')).size;
// Kept beside, not inside, the asset folder so it does not change the asset hash or ship to Lambda.
fs.writeFileSync(path.join(root, 'assets', 'handler.meta.json'), JSON.stringify(result.metafile));
console.log(`handler bundle: ${path.relative(root, path.join(outdir, 'index.js'))} ${bytes} bytes`);
