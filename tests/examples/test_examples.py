"""The example apps in examples/ synthesize, comply, and match their snapshots.

They are tested the way a user tests their own app: ml_constructs.testing only.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from aws_cdk import App
from syrupy.extensions.json import JSONSnapshotExtension

from ml_constructs.testing import COMPLIANCE_CONTEXT, compliance_problems, stack_template

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_stack_class(example: str, class_name: str):
    spec = importlib.util.spec_from_file_location(f"example_{example}", EXAMPLES / example / "stack.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return getattr(module, class_name)


CASES = {
    "gpu_training_endpoint": ("GpuTrainingEndpointStack", "GpuTrainingEndpoint"),
    "stream_to_features": ("StreamToFeaturesStack", "StreamToFeatures"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def example(request):
    class_name, stack_name = CASES[request.param]
    app = App(context=COMPLIANCE_CONTEXT)
    load_stack_class(request.param, class_name)(app, stack_name)
    return request.param, stack_name, app, compliance_problems(app)


def test_example_is_compliant(example):
    _, _, _, problems = example
    assert problems == []


def test_example_matches_its_snapshot(example, snapshot):
    name, stack_name, app, _ = example
    assert stack_template(app, stack_name) == snapshot.use_extension(JSONSnapshotExtension)(name=name)


def test_every_example_has_an_app_and_cdk_json():
    for name in CASES:
        assert (EXAMPLES / name / "app.py").is_file() and (EXAMPLES / name / "cdk.json").is_file()
