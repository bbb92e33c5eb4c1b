#!/usr/bin/env bash
# Proves that the npm package ships the custom-resource handler bundle and works once installed: installs the
# tarball that jsii-pacmak made (dist/js/*.tgz) into a new app outside the repository, with aws-cdk-lib and constructs
# at the versions of package-lock.json (from the npm cache when they are there, else from the registry), and
# synthesizes a stack with every construct. Fails unless the package holds assets/handler/index.js, the app resolves
# the library from its own node_modules (not from this checkout), and the synthesized handler asset is that bundle.
#
# Usage: scripts/check-package.sh [workdir]   (default: a new temporary directory, removed afterwards). The app must
# live outside the repository: tools that look up installed assemblies by name, such as jsii-docgen, would otherwise
# find the installed copy of this package and document it instead of the freshly compiled one.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
if [ -n "${1:-}" ]; then
  WORK="$1"
else
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/pack-check.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
fi
fail() { printf '\nPACKAGE CHECK FAILED: %s\n' "$1" >&2; exit 1; }

shopt -s nullglob
TARBALLS=(dist/js/*.tgz)
[ "${#TARBALLS[@]}" -eq 1 ] || fail "expected one tarball in dist/js/ (run npx projen package:js), found ${#TARBALLS[@]}"
TARBALL="$ROOT/${TARBALLS[0]}"

LISTING="$(tar -tzf "$TARBALL")"
grep -qx 'package/assets/handler/index.js' <<<"$LISTING" || fail "$TARBALL has no assets/handler/index.js"
grep -q '^package/lambda/' <<<"$LISTING" && fail "$TARBALL ships the handler sources (lambda/); only the bundle belongs in it"
printf 'tarball %s: %s bytes, assets/handler/index.js present\n' "${TARBALLS[0]}" "$(wc -c <"$TARBALL")"

locked() {
  local v
  v="$(node -p "require('$ROOT/package-lock.json').packages['node_modules/$1']?.version ?? ''")"
  [ -n "$v" ] || fail "$1 is not in package-lock.json"
  echo "$v"
}
CDK_VERSION="$(locked aws-cdk-lib)"
CONSTRUCTS_VERSION="$(locked constructs)"
rm -rf "$WORK" && mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
cat >"$WORK/package.json" <<EOF
{ "name": "pack-check-app", "version": "1.0.0", "private": true }
EOF
(cd "$WORK" && npm install --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error \
  "$TARBALL" "aws-cdk-lib@$CDK_VERSION" "constructs@$CONSTRUCTS_VERSION" >/dev/null)
INSTALLED="$(cd "$WORK" && node -p "require('aws-cdk-lib/package.json').version")"
[ "$INSTALLED" = "$CDK_VERSION" ] || fail "the app got aws-cdk-lib $INSTALLED, not the locked $CDK_VERSION"
printf 'installed the tarball with aws-cdk-lib %s and constructs %s into %s\n' "$CDK_VERSION" "$CONSTRUCTS_VERSION" "$WORK"

cat >"$WORK/app.js" <<'EOF'
const path = require('path');
const fs = require('fs');
const { App, Stack, RemovalPolicy } = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
const s3 = require('aws-cdk-lib/aws-s3');
const lib = require('cdk-imagebuilder-distribution');

const resolved = require.resolve('cdk-imagebuilder-distribution');
if (!resolved.startsWith(path.join(__dirname, 'node_modules'))) throw new Error(`library resolved outside the app: ${resolved}`);

const app = new App({ outdir: path.join(__dirname, 'cdk.out') });
const stack = new Stack(app, 'PackCheck', { env: { account: '111111111111', region: 'us-east-1' } });
const config = new lib.DistributionConfiguration(stack, 'Config', {
  amiDistributions: [{
    amiName: 'golden-{{ imagebuilder:buildDate }}',
    s3Export: {
      role: new iam.Role(stack, 'VmImport', { assumedBy: new iam.ServicePrincipal('vmie.amazonaws.com') }),
      bucket: new s3.Bucket(stack, 'Exports'),
      diskImageFormat: lib.DiskImageFormat.VMDK,
    },
  }],
});
new lib.InfrastructureConfiguration(stack, 'Infra', {});
new lib.DistributeImage(stack, 'Distribute', {
  source: lib.DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
  distributionConfiguration: config,
  removalPolicy: RemovalPolicy.RETAIN,
});
new lib.DistributionConfigurationPatch(stack, 'Patch', {
  distributionConfiguration: lib.DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Other',
    'arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/other'),
}).addTargetAccounts('us-east-1', '222222222222');
const assembly = app.synth();

const template = assembly.getStackByName('PackCheck').template;
const types = Object.values(template.Resources).map((r) => r.Type);
for (const type of ['AWS::ImageBuilder::DistributionConfiguration', 'AWS::ImageBuilder::InfrastructureConfiguration',
  'Custom::ImageBuilderDistributeImage', 'Custom::ImageBuilderDistributionConfigurationPatch']) {
  if (!types.includes(type)) throw new Error(`the template has no ${type}`);
}
// The handler functions' code is an asset: the bundle from the installed package, copied into cdk.out.
const shipped = fs.readFileSync(path.join(path.dirname(resolved), '..', 'assets', 'handler', 'index.js'));
const handlers = Object.values(template.Resources)
  .filter((r) => r.Type === 'AWS::Lambda::Function' && /^index\.(onEvent|isComplete)$/.test(r.Properties.Handler));
if (handlers.length !== 2) throw new Error(`expected the two handler functions, found ${handlers.length}`);
const assetDirs = fs.readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'))
  .filter((d) => fs.existsSync(path.join(assembly.directory, d, 'index.js')))
  .filter((d) => fs.readFileSync(path.join(assembly.directory, d, 'index.js')).equals(shipped));
if (assetDirs.length !== 1) throw new Error('cdk.out holds no asset equal to the packaged handler bundle');
console.log(`synthesized ${types.length} resources from the installed package; handler asset ${assetDirs[0]} `
  + `(${shipped.length} bytes) is the packaged bundle`);
EOF
(cd "$WORK" && node app.js) || fail "the app that installs the tarball did not synthesize"
echo "package check passed"
