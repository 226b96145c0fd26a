"""The wheel users install carries every runtime asset, and constructs synthesize from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.packaging  # builds the wheel (pip, setuptools): make test-e2e

SYNTH_FROM_INSTALLED_COPY = """
import json, sys
from aws_cdk import App, Stack
import ml_constructs
from ml_constructs import DataLake, Field, FieldType, ObjectTrigger, RecordSchema
assert ml_constructs.__file__.startswith(sys.argv[1]), ml_constructs.__file__
app = App(outdir=sys.argv[2])
stack = Stack(app, "Installed")
lake = DataLake(stack, "Lake")
schema = RecordSchema.from_fields(Field("id"), Field("n", FieldType.INTEGER))
ObjectTrigger(stack, "Files", lake=lake, schema=schema)
assembly = app.synth()
print(json.dumps({"file": ml_constructs.__file__, "stacks": [s.stack_name for s in assembly.stacks]}))
"""


def test_wheel_contains_runtime_assets_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    runtime = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "ml_constructs" / "runtime").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert "ml_constructs/py.typed" in names
    assert runtime and runtime <= names, sorted(runtime - names)
    data_files = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "ml_constructs").rglob("*")
        if p.suffix in (".json", ".sh", ".txt") and "__pycache__" not in p.parts
    }
    assert data_files <= names, sorted(data_files - names)
    assert not any(n.startswith(("tests/", "stacks/")) for n in names)


def test_constructs_synthesize_from_the_installed_wheel_outside_the_repo(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "user-app"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "CDK_VALIDATION": "false"}
    done = subprocess.run(
        [sys.executable, "-c", SYNTH_FROM_INSTALLED_COPY, str(target), str(work / "cdk.out")],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["stacks"] == ["Installed"]
    # The Lambda asset was staged from the installed package, not from the source tree.
    assets = json.loads((work / "cdk.out" / "Installed.assets.json").read_text())["files"]
    staged = [a["source"]["path"] for a in assets.values() if a["source"].get("packaging") == "zip"]
    assert staged, assets
    for path in staged:
        bundle = work / "cdk.out" / path
        assert (bundle / "object_preprocess.py").exists() and (bundle / "record_schema.py").exists()


def test_wheel_metadata_has_the_version_ranges_and_the_testing_extra(wheel):
    import ml_constructs

    archive = zipfile.ZipFile(wheel)
    (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    metadata = archive.read(metadata_name).decode()
    assert f"Version: {ml_constructs.__version__}" in metadata
    assert wheel.name.startswith(f"ml_constructs-{ml_constructs.__version__}-")
    requires = [
        line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")
    ]
    core = [r for r in requires if "extra ==" not in r]
    assert core and all("==" not in r and "<" in r and ">=" in r for r in core), core
    testing = {
        r.split(";")[0].split("<")[0].split(">")[0].strip() for r in requires if 'extra == "testing"' in r
    }
    assert testing == {"pytest", "syrupy", "cfn-lint"}, testing
