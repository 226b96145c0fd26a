#!/usr/bin/env python3
"""The reference app: the full ML stack, configured from cdk.json context."""

from stacks.app import build_app

build_app().synth()
