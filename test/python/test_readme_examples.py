"""The README's examples as a Python user reads them (the package's docstring, also its PyPI page), and docs/python.md.

jsii-rosetta translates the README's TypeScript examples into Python when it can compile them against the library's
types (`jsii-rosetta extract`, run before jsii-pacmak; the build's `rosetta:extract` task). An example it cannot compile
is translated loosely, with nested props as dicts of snake_case keys, which the jsii kernel drops when they sit in a
list (test_constructs.ValidationTest.test_dicts_in_lists); without the extraction they stay TypeScript. So: every
example compiled, none is left in TypeScript, and every Python example runs and synthesizes.
"""
import json
import os
import pathlib
import re
import tempfile
import unittest

import aws_cdk as cdk
from aws_cdk import cx_api as cxapi

import cdk_imagebuilder_distribution as lib

ROOT = pathlib.Path(__file__).resolve().parents[2]
def warnings(assembly):
    """The warnings and errors of every stack, as the TypeScript doc tests (test/docs.test.ts) reject them."""
    return [f"{m.level} at {m.id}: {m.entry.data}" for stack in assembly.stacks_recursively for m in stack.messages
            if m.level != cxapi.SynthesisMessageLevel.INFO]


BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


class ReadmeExamplesTest(unittest.TestCase):
    def test_rosetta_compiled_every_readme_example(self):
        tablet = ROOT / ".jsii.tabl.json"
        self.assertTrue(tablet.exists(), "no .jsii.tabl.json: run `npx jsii-rosetta extract` (task rosetta:extract)")
        snippets = [s for s in json.loads(tablet.read_text())["snippets"].values()
                    if s["location"]["api"]["api"] == "moduleReadme"]
        self.assertTrue(snippets, "the tablet has no README example")
        failed = [f"README line {s['location']['field']['line']}" for s in snippets if not s.get("didCompile")]
        self.assertEqual(failed, [], "jsii-rosetta could not compile these examples, so their Python is untyped")

    def test_python_examples_run_and_synthesize(self):
        blocks = BLOCK.findall(lib.__doc__)
        self.assertEqual([lang for lang, _ in blocks if lang in ("ts", "typescript", "js", "javascript")], [],
                         "the Python package's docs still show TypeScript")
        examples = [source for lang, source in blocks if lang == "python"]
        self.assertTrue(examples, "the package docstring has no Python example")
        for i, source in enumerate(examples, start=1):
            with self.subTest(example=i, first_line=source.splitlines()[0]), tempfile.TemporaryDirectory() as out:
                os.environ["CDK_OUTDIR"] = out
                try:
                    namespace = {"__name__": f"readme_example_{i}"}
                    exec(compile(source, f"<README Python example {i}>", "exec"), namespace)
                    apps = [v for v in namespace.values() if isinstance(v, cdk.App)]
                    self.assertTrue(apps, "the example makes no App")
                    for app in apps:
                        assembly = app.synth()
                        self.assertTrue(assembly.stacks, "the example synthesizes no stack")
                        self.assertEqual(warnings(assembly), [], "the example synthesizes with warnings")
                finally:
                    del os.environ["CDK_OUTDIR"]

    def test_docs_python_md_examples_run(self):
        """The Python blocks of docs/python.md run in order, in one namespace (the later ones use `stack`)."""
        docs = (ROOT / "docs" / "python.md").read_text()
        blocks = re.findall(r"^```python\n(.*?)^```$", docs, re.MULTILINE | re.DOTALL)
        self.assertGreaterEqual(len(blocks), 2)
        with tempfile.TemporaryDirectory() as out:
            os.environ["CDK_OUTDIR"] = out
            try:
                namespace = {"__name__": "docs_python_md"}
                for i, source in enumerate(blocks, start=1):
                    exec(compile(source, f"<docs/python.md Python block {i}>", "exec"), namespace)
                self.assertEqual(warnings(namespace["app"].synth()), [], "the example synthesizes with warnings")
            finally:
                del os.environ["CDK_OUTDIR"]


if __name__ == "__main__":
    unittest.main()
