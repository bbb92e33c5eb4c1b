// Bundles the custom-resource handler and the SDK clients it uses into one file that ships in the npm package.
// bench/handler.ts bundles with the same options, so its figures are the shipped bundle's.
import * as fs from 'fs';
import * as path from 'path';
import { buildSync, BuildOptions } from 'esbuild';

const root = path.join(__dirname, '..');

/** Everything but where the output goes. */
export const HANDLER_BUILD_OPTIONS: BuildOptions = {
  entryPoints: [path.join(root, 'lambda', 'index.ts')],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  // The runtime's own SDK may predate DistributeImage, so nothing is external.
  external: [],
  mainFields: ['module', 'main'],
  // Lambda provides credentials in environment variables: the default provider chain (SSO, ini, process, web
  // identity, IMDS and their nested STS/SSO clients) is replaced by an environment-only provider.
  alias: {
    '@aws-sdk/credential-provider-node': path.join(root, 'lambda', 'shims', 'credential-provider-node.ts'),
    // Only loaded for event-stream operations, which Image Builder has none of.
    '@smithy/core/event-streams': path.join(root, 'lambda', 'shims', 'event-streams.ts'),
  },
  legalComments: 'none',
  logLevel: 'warning',
};

export function bundleHandler(): number {
  const outdir = path.join(root, 'assets', 'handler');
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = buildSync({ ...HANDLER_BUILD_OPTIONS, outfile: path.join(outdir, 'index.js'), metafile: true });
  const bytes = fs.statSync(path.join(outdir, 'index.js')).size;
  // Kept beside, not inside, the asset folder so it does not change the asset hash or ship to Lambda.
  fs.writeFileSync(path.join(root, 'assets', 'handler.meta.json'), JSON.stringify(result.metafile));
  console.log(`handler bundle: ${path.relative(root, path.join(outdir, 'index.js'))} ${bytes} bytes`);
  return bytes;
}

if (require.main === module) bundleHandler();
