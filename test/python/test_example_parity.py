"""The Python example (examples/python/) synthesizes the same cloud assembly as the TypeScript example (examples/).

Both apps are synthesized here, at test time, into temporary folders (CDK_OUTDIR), so a change of either example is
compared as it is now.
- Compared exactly: the stack template, the asset manifest, the cloud assembly manifest, the set of files and the
  asset folders (same hashes, same handler bundle).
- Compared without stack traces (`trace` and `stackTraces` fields, `aws:cdk:creationStack` entries): the stack
  metadata and the validation report. Their annotations (warnings, acknowledgements, logical IDs) must be the same; a
  stack trace lists the frames of the language that created the construct, so it cannot be.
- Not compared: tree.json, whose construct info names the jsii type of each construct in Python but not in the
  TypeScript example (which imports ../src, not the jsii package).
"""
import filecmp
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
STACK = "GoldenImageExample"


def synth(cmd, cwd, outdir):
    env = dict(os.environ, CDK_OUTDIR=str(outdir))
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return outdir


def load(path):
    return json.loads(pathlib.Path(path).read_text())


def without_traces(value):
    """Drops stack traces: `trace` and `stackTraces` fields, `aws:cdk:creationStack` entries."""
    if isinstance(value, dict):
        return {k: without_traces(v) for k, v in value.items() if k not in ("trace", "stackTraces")}
    if isinstance(value, list):
        return [without_traces(v) for v in value
                if not (isinstance(v, dict) and v.get("type") == "aws:cdk:creationStack")]
    return value


def differences(a, b, path="$"):
    """JSON paths where a and b differ (a readable failure message instead of two whole templates)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'TypeScript' if k in a else 'Python'}")
            else:
                out += differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: TypeScript {json.dumps(a)[:300]} != Python {json.dumps(b)[:300]}"]


class ExampleParityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="python-parity-")
        tmp = pathlib.Path(cls.tmp.name)
        cls.ts = synth(["npx", "ts-node", "--project", "test/tsconfig.json", "--transpile-only", "examples/app.ts"],
                       ROOT, tmp / "ts")
        cls.py = synth([sys.executable, "app.py"], ROOT / "examples" / "python", tmp / "py")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assertSameJson(self, name, transform=lambda v: v):
        ts, py = transform(load(self.ts / name)), transform(load(self.py / name))
        diffs = differences(ts, py)
        self.assertEqual(diffs, [],
                         f"{name} differs between the TypeScript and the Python example:\n" + "\n".join(diffs[:40]))
        return ts

    def test_template(self):
        template = self.assertSameJson(f"{STACK}.template.json")
        types = {r["Type"] for r in template["Resources"].values()}
        # Guards against comparing two empty stacks: the example uses every construct of the library.
        for t in ("AWS::ImageBuilder::DistributionConfiguration", "AWS::ImageBuilder::InfrastructureConfiguration",
                  "Custom::ImageBuilderDistributeImage", "Custom::ImageBuilderDistributionConfigurationPatch"):
            self.assertIn(t, types)

    def test_asset_manifest_and_assets(self):
        self.assertSameJson(f"{STACK}.assets.json")
        ts_files = sorted(p.name for p in self.ts.iterdir())
        self.assertEqual(ts_files, sorted(p.name for p in self.py.iterdir()))
        assets = [n for n in ts_files if n.startswith("asset.")]
        self.assertTrue(assets, "the example has no asset (the handler bundle)")
        for name in assets:
            cmp = filecmp.dircmp(self.ts / name, self.py / name)
            self.assertEqual((cmp.left_only, cmp.right_only, cmp.diff_files), ([], [], []), name)

    def test_cloud_assembly_manifest(self):
        self.assertSameJson("manifest.json")

    def test_metadata_and_validation_report_without_traces(self):
        metadata = self.assertSameJson(f"{STACK}.metadata.json", without_traces)
        types = {entry["type"] for entries in metadata.values() for entry in entries}
        self.assertIn("aws:cdk:logicalId", types, "nothing left to compare in the metadata")
        self.assertSameJson("validation-report.json", without_traces)


if __name__ == "__main__":
    unittest.main()
