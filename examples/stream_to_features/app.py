#!/usr/bin/env python3
"""Example app: a click stream into my existing bucket, sessionized nightly by my Glue job."""

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks
from stack import StreamToFeaturesStack

app = App()
StreamToFeaturesStack(app, "StreamToFeatures")
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
