#!/usr/bin/env python3
"""The example app of examples/app.ts in Python: `cdk synth` in this folder (cdk.json) or `python3 app.py`."""
import aws_cdk as cdk

from stack import GoldenImageStack

app = cdk.App()
GoldenImageStack(app, "GoldenImageExample", env=cdk.Environment(account="111111111111", region="us-east-1"))
app.synth()
