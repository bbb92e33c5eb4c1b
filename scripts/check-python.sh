#!/usr/bin/env bash
# Local Python check of the jsii build.
#
#  1. jsii compiles the library (.jsii assembly); its warnings are counted and printed, and any warning fails the
#     check (reserved-word warnings are silenced, as in projen's compile task).
#  2. jsii-pacmak generates the Python package source (--code-only: building the wheel needs PyPI, which CI cannot reach).
#  3. python3 byte-compiles every generated file (py_compile), which catches syntax errors in the generated code.
#  4. The generated module is imported if the jsii Python runtime is importable. It is not on this machine and cannot
#     be installed here: the `jsii` runtime and its `cattrs`/`publication` dependencies are only on PyPI (no Debian
#     package, no npm package ships them). In that case the script checks statically that every module the generated
#     code imports is either generated here, part of the jsii runtime's documented dependency set, or the standard
#     library, and says plainly that the import was NOT run.
#
# Usage: scripts/check-python.sh [outdir]   (default dist-python-check/, git-ignored). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-dist-python-check}"
START=$(date +%s)
step() { printf '\n== %s (t=%ss)\n' "$1" "$(( $(date +%s) - START ))"; }
fail() { printf '\nPYTHON CHECK FAILED: %s\n' "$1" >&2; exit 1; }

command -v python3 >/dev/null || fail "python3 is not installed (apt-get install python3)"

step "1/4 jsii compile"
if [ "${PYTHON_CHECK_REUSE_JSII:-}" = "1" ] && [ -f .jsii ]; then
  # Called from the build right after projen's compile, which already ran jsii with --fail-on-warnings.
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

step "2/4 jsii-pacmak --target python --code-only"
rm -rf "$OUT"
npx jsii-pacmak --target python --code-only --outdir "$OUT" --force
PKG_DIR=$(find "$OUT" -type d -name cdk_imagebuilder_distribution -path '*/src/*' | head -n 1)
[ -n "$PKG_DIR" ] || fail "no generated package cdk_imagebuilder_distribution under $OUT"
SRC_DIR=$(dirname "$PKG_DIR")
echo "generated: $PKG_DIR"
find "$SRC_DIR" -name '*.py' | sed 's/^/  /'

step "3/4 py_compile of the generated sources"
python3 - "$SRC_DIR" <<'PY'
import pathlib, py_compile, sys
files = sorted(pathlib.Path(sys.argv[1]).rglob('*.py'))
for f in files:
    py_compile.compile(str(f), doraise=True)
print(f"byte-compiled {len(files)} file(s) without error")
PY

step "4/4 import"
if python3 -c 'import jsii, aws_cdk, constructs' 2>/dev/null; then
  PYTHONPATH="$SRC_DIR${PYTHONPATH:+:$PYTHONPATH}" python3 -c '
import cdk_imagebuilder_distribution as m
names = [n for n in dir(m) if not n.startswith("_")]
print("imported cdk_imagebuilder_distribution:", len(names), "public names, e.g.", ", ".join(names[:6]))
assert "DistributionConfiguration" in names and "InfrastructureConfiguration" in names
' || fail "the generated module does not import"
else
  echo "NOT RUN: the jsii Python runtime (PyPI 'jsii' with cattrs, publication, typeguard...) and the aws_cdk/constructs"
  echo "Python packages are not installed and cannot be installed here (PyPI unreachable; no Debian or npm package ships"
  echo "them). Checking the generated imports statically instead."
  python3 - "$SRC_DIR" <<'PY'
import ast, pathlib, sys
src = pathlib.Path(sys.argv[1])
generated = {p.name for p in src.iterdir() if p.is_dir()}
runtime = {'jsii', 'publication', 'typeguard', 'typing_extensions', 'aws_cdk', 'constructs'}
stdlib = set(sys.stdlib_module_names)
bad = []
for f in src.rglob('*.py'):
    for node in ast.walk(ast.parse(f.read_text())):
        mods = []
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [node.module]
        for m in mods:
            top = m.split('.')[0]
            if top not in generated | runtime | stdlib:
                bad.append(f"{f}: import {m}")
if bad:
    print("\n".join(bad)); sys.exit("generated code imports modules that are neither generated, jsii runtime deps nor stdlib")
print("every import of the generated code is the generated package, the jsii runtime set", sorted(runtime), "or stdlib")
PY
fi

printf '\nPython check passed in %ss (%s)\n' "$(( $(date +%s) - START ))" "$OUT"
