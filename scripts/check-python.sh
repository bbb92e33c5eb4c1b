#!/usr/bin/env bash
# The Python check: the library's jsii Python package is installed into an offline virtualenv and used from Python.
#
#  1. jsii compiles the library (.jsii assembly); any warning fails (reserved-word warnings are silenced, as in
#     projen's compile task). In the build, the compile step's assembly is reused (PYTHON_CHECK_REUSE_JSII=1).
#  2. A virtualenv with the jsii Python runtime and the Python packages of the library's jsii dependencies
#     (constructs, aws-cdk-lib and aws-cdk-lib's own jsii dependencies, found from the assemblies in node_modules).
#     Python wheels come only from $PYTHON_WHEELS (default ../shared/python, `pip --no-index`: PyPI is unreachable);
#     the dependency packages are generated from the locked npm packages in node_modules with jsii-pacmak. The
#     virtualenv is cached in .python-check/<key>/ (git-ignored), keyed by the Python version, the wheel files, the
#     jsii-pacmak version and every dependency's name@version, so only a change of those rebuilds it.
#  3. jsii-rosetta translates the README's examples (.jsii.tabl.json), jsii-pacmak generates the library's Python
#     package into dist-python-check/ (git-ignored); every file is byte-compiled; it is installed into the virtualenv
#     and `pip check` verifies its declared requirements.
#  4. `import cdk_imagebuilder_distribution`, then the Python tests (stdlib unittest, test/python/): the Python example
#     (examples/python/) synthesizes the same cloud assembly as the TypeScript example, aws_cdk.assertions on the
#     constructs, validation errors as Python exceptions, the README's examples in Python, and an audit of the
#     generated Python API.
#
# Usage: scripts/check-python.sh [outdir]   (default dist-python-check/). Exits non-zero on any failure.
# PYTHON_CHECK_SKIP_TESTS=1 stops after the import.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="${1:-dist-python-check}"
WHEELS="${PYTHON_WHEELS:-$ROOT/../shared/python}"
CACHE_ROOT="$ROOT/.python-check"
START=$(date +%s)
# Node 20 is past jsii's end of support; the banner would be repeated by every jsii-pacmak call and every Python
# process (the jsii kernel runs on node). Only the Node 20 banner is silenced.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
step() { printf '\n== %s (t=%ss)\n' "$1" "$(( $(date +%s) - START ))"; }
fail() { printf '\nPYTHON CHECK FAILED: %s\n' "$1" >&2; exit 1; }

command -v python3 >/dev/null || fail "python3 is not installed"
python3 -c 'import venv, ensurepip' 2>/dev/null \
  || fail "python3 has no venv/ensurepip module (apt-get install python3-venv)"
[ -d "$WHEELS" ] && ls "$WHEELS"/jsii-*.whl >/dev/null 2>&1 \
  || fail "no jsii runtime wheel in $WHEELS (set PYTHON_WHEELS to the folder of the offline Python wheels)"

step "1/5 jsii compile"
if [ "${PYTHON_CHECK_REUSE_JSII:-}" = "1" ] && [ -f .jsii ]; then
  echo "reusing the .jsii assembly of the build's compile step (jsii --fail-on-warnings passed)"
else
  JSII_LOG="$(mktemp)"
  if ! npx jsii --silence-warnings=reserved-word >"$JSII_LOG" 2>&1; then
    cat "$JSII_LOG"; fail "jsii compilation failed"
  fi
  cat "$JSII_LOG"
  WARNINGS=$(grep -c -E 'warning JSII|: warning' "$JSII_LOG" || true)
  echo "jsii warnings (reserved-word silenced): ${WARNINGS}"
  [ "$WARNINGS" -eq 0 ] || fail "jsii printed ${WARNINGS} warning(s)"
fi
[ -f .jsii ] || fail "jsii produced no .jsii assembly"

step "2/5 virtualenv with the jsii runtime, constructs and aws-cdk-lib"
# The jsii dependency closure of the library, from the package.json of each package in node_modules: a dependency
# counts when its package.json has a "jsii" section. One line per package: "<name> <version> <dir>".
DEPS=$(node -e '
const path = require("path"), fs = require("fs");
const seen = new Map();
function visit(name, fromDir) {
  const pj = require.resolve(name + "/package.json", { paths: [fromDir] });
  const pkg = JSON.parse(fs.readFileSync(pj, "utf8"));
  if (!pkg.jsii || seen.has(name)) return;
  seen.set(name, [pkg.version, path.dirname(pj)]);
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) {
    try { visit(dep, path.dirname(pj)); } catch (e) { /* a bundled or optional non-jsii dependency */ }
  }
}
const own = JSON.parse(fs.readFileSync("package.json", "utf8"));
for (const dep of Object.keys(own.peerDependencies || {})) visit(dep, process.cwd());
for (const [name, [version, dir]] of [...seen].sort()) console.log(name, version, dir);
')
[ -n "$DEPS" ] || fail "found no jsii dependency in node_modules (run npm install)"
echo "$DEPS" | awk '{print "  " $1 "@" $2}'
PACMAK_VERSION=$(node -p 'require("jsii-pacmak/package.json").version')
KEY=$( { python3 --version; ls "$WHEELS"; echo "jsii-pacmak $PACMAK_VERSION"; echo "$DEPS" | awk '{print $1, $2}'; } \
  | sha256sum | cut -c1-16)
CACHE="$CACHE_ROOT/$KEY"
VENV="$CACHE/venv"
PY="$VENV/bin/python"
if [ -f "$CACHE/ready" ]; then
  echo "cached: $CACHE ($(cat "$CACHE/ready"))"
else
  rm -rf "$CACHE_ROOT"   # an older key's virtualenv is about 400 MB: keep one
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
  "$PY" -m pip install --quiet --disable-pip-version-check --no-index --find-links "$WHEELS" jsii setuptools wheel
  GEN_SECONDS=0; INSTALL_SECONDS=0
  while read -r NAME VERSION DIR; do
    T0=$(date +%s)
    GEN="$CACHE/gen/${NAME//\//_}"
    npx jsii-pacmak --target python --code-only --outdir "$GEN" "$DIR" >/dev/null \
      || fail "jsii-pacmak could not generate the Python package of $NAME@$VERSION"
    T1=$(date +%s)
    "$PY" -m pip install --quiet --disable-pip-version-check --no-index --no-deps --no-build-isolation "$GEN/python" \
      || fail "pip could not install the generated Python package of $NAME@$VERSION"
    T2=$(date +%s)
    rm -rf "$GEN"   # aws-cdk-lib's generated sources are about 200 MB; the virtualenv keeps the installed copy
    echo "  $NAME@$VERSION: generated in $((T1 - T0)) s, installed in $((T2 - T1)) s"
    GEN_SECONDS=$((GEN_SECONDS + T1 - T0)); INSTALL_SECONDS=$((INSTALL_SECONDS + T2 - T1))
  done <<< "$DEPS"
  rm -rf "$CACHE/gen"
  echo "built $(date -u +%FT%TZ): generation ${GEN_SECONDS} s, installation ${INSTALL_SECONDS} s" > "$CACHE/ready"
  echo "cached for the next run: $CACHE"
fi
# jsii interfaces are checked as the runtime users install checks them (see test/python/jsii_interface_check.py).
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp test/python/jsii_interface_check.py "$SITE/"
echo "import jsii_interface_check" > "$SITE/jsii_interface_check.pth"

step "3/5 the library's Python package (jsii-rosetta, jsii-pacmak), byte-compiled and installed"
# jsii-rosetta translates the README's TypeScript examples for the generated docs (.jsii.tabl.json beside .jsii, which
# jsii-pacmak reads). The build's rosetta:extract task makes it; run alone, this script makes it when it is stale.
if [ ! -f .jsii.tabl.json ] || [ .jsii -nt .jsii.tabl.json ]; then
  npx jsii-rosetta extract || fail "jsii-rosetta could not extract the examples"
else
  echo "reusing .jsii.tabl.json (newer than .jsii)"
fi
rm -rf "$OUT"
npx jsii-pacmak --target python --code-only --outdir "$OUT" --force
PKG_DIR=$(find "$OUT" -type d -name cdk_imagebuilder_distribution -path '*/src/*' | head -n 1)
[ -n "$PKG_DIR" ] || fail "no generated package cdk_imagebuilder_distribution under $OUT"
python3 - "$(dirname "$PKG_DIR")" <<'PY'
import pathlib, py_compile, sys
files = sorted(pathlib.Path(sys.argv[1]).rglob('*.py'))
for f in files:
    py_compile.compile(str(f), doraise=True)
print(f"byte-compiled {len(files)} generated file(s) without error")
PY
"$PY" -m pip install --quiet --disable-pip-version-check --no-index --no-deps --no-build-isolation --force-reinstall \
  "$OUT/python" \
  || fail "pip could not install the generated package"
"$PY" -m pip check || fail "the installed packages do not satisfy the declared requirements"

step "4/5 import cdk_imagebuilder_distribution"
(cd /tmp && "$PY" -c '
import cdk_imagebuilder_distribution as m
names = [n for n in m.__all__ if not n.startswith("_")]
print("imported", m.__name__, "from", m.__file__)
print(len(names), "public names:", ", ".join(names))
for n in ("DistributionConfiguration", "InfrastructureConfiguration", "DistributeImage",
          "DistributionConfigurationPatch"):
    assert n in names, n
') || fail "the installed package does not import"

if [ "${PYTHON_CHECK_SKIP_TESTS:-}" = "1" ]; then
  echo "PYTHON_CHECK_SKIP_TESTS=1: the Python tests were NOT run"
else
  step "5/5 Python tests (unittest, test/python/)"
  "$PY" -m unittest discover --start-directory test/python --pattern 'test_*.py' --top-level-directory test/python -v \
    || fail "the Python tests failed"
fi

printf '\nPython check passed in %ss\n' "$(( $(date +%s) - START ))"
