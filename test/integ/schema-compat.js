// Preloaded into every integ app (see the --app of the integ snapshot check). integ-runner 2.197.10, the latest, bundles
// Cloud Assembly schema 53 and refuses the schema 54 manifests of aws-cdk-lib 2.270 ("Maximum schema version supported
// is 53.x.x, but found 54.0.0"). After the app has synthesized, this labels the assembly's manifests 53.0.0 so that the
// snapshot check can read them. Remove it once integ-runner supports schema 54.
const fs = require('fs');
const path = require('path');

process.on('exit', () => {
  const outdir = process.env.CDK_OUTDIR;
  if (!outdir || !fs.existsSync(outdir)) return;
  const visit = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name.startsWith('assembly-')) visit(full);
      } else if (entry.name === 'manifest.json' || entry.name.endsWith('.assets.json') || entry.name === 'integ.json') {
        const json = JSON.parse(fs.readFileSync(full, 'utf-8'));
        if (typeof json.version === 'string' && /^5[4-9]\./.test(json.version)) {
          json.version = '53.0.0';
          fs.writeFileSync(full, JSON.stringify(json, undefined, 2));
        }
      }
    }
  };
  visit(outdir);
});
