"""The wheel installs from PyPI with the lowest and the highest aws-cdk-lib its range allows, next
to the newest boto3, and synthesizes there; the README's testing snippet runs as written with the
``testing`` extra. Slow (fresh virtual environments, downloads): ``make test-e2e``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.packaging

SYNTH = """
import json, sys
import aws_cdk, boto3
from aws_cdk import App, Stack
from ml_constructs import DataLake, Field, FieldType, ObjectTrigger, RecordSchema
app = App(outdir=sys.argv[1])
stack = Stack(app, "Installed")
lake = DataLake(stack, "Lake")
schema = RecordSchema.from_fields(Field("id"), Field("n", FieldType.INTEGER))
ObjectTrigger(stack, "Files", lake=lake, schema=schema)
assembly = app.synth()
template = assembly.get_stack_by_name("Installed").template
from importlib.metadata import version
print(json.dumps({"cdk": version("aws-cdk-lib"), "boto3": boto3.__version__,
                  "types": sorted({r["Type"] for r in template["Resources"].values()})}))
"""


def _requirement(name: str) -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (found,) = [Requirement(r) for r in project["dependencies"] if Requirement(r).name == name]
    return found


def _available(name: str) -> list[Version]:
    """Versions the registry has (``pip index versions``), or skip when it cannot be reached."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "index", "versions", name, "--disable-pip-version-check"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"the package registry did not answer within 60 s (pip index versions {name})")
    match = re.search(r"Available versions: (.+)", done.stdout)
    if done.returncode != 0 or not match:
        pytest.skip(f"the package registry cannot be reached: {done.stderr.strip()[-300:]}")
    return sorted(Version(v.strip()) for v in match[1].split(","))


def _bounds() -> list[Version]:
    requirement = _requirement("aws-cdk-lib")
    allowed = [v for v in _available("aws-cdk-lib") if v in requirement.specifier and not v.is_prerelease]
    assert allowed, f"no aws-cdk-lib release matches {requirement}"
    lower = min(s.version for s in requirement.specifier if s.operator == ">=")
    # The tested lower bound is a real release: the lowest allowed version is exactly it.
    assert allowed[0] == Version(lower), (allowed[0], lower)
    return [allowed[0], allowed[-1]]


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, capture_output=True)
    return path / "bin" / "python"


def _pip_install(python: Path, *args: str) -> None:
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        CDK_VALIDATION="false",
        JSII_RUNTIME_PACKAGE_CACHE_ROOT=str(work / "jsii-cache"),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    return env


@pytest.fixture(scope="module")
def cdk_versions() -> list[Version]:
    return _bounds()


@pytest.fixture(scope="module")
def installed(cdk_versions, wheel, tmp_path_factory):
    """A fresh virtual environment per allowed aws-cdk-lib bound: the wheel with its ``testing``
    extra, that aws-cdk-lib and the newest boto3 (unpinned, as a team upgrading boto3 would)."""
    made: dict[str, Path] = {}

    def python_with(which: str) -> Path:
        if which not in made:
            cdk = cdk_versions[0 if which == "lowest" else 1]
            python = _venv(tmp_path_factory.mktemp(f"venv-{which}") / "venv")
            _pip_install(python, f"{wheel}[testing]", f"aws-cdk-lib=={cdk}", "boto3")
            made[which] = python
        return made[which]

    return python_with


@pytest.mark.parametrize("which", ["lowest", "highest"])
def test_wheel_installs_and_synthesizes_with_allowed_cdk(which, cdk_versions, installed, tmp_path):
    cdk = cdk_versions[0 if which == "lowest" else 1]
    python = installed(which)
    work = tmp_path / "app"
    work.mkdir()
    done = subprocess.run(
        [str(python), "-c", SYNTH, str(work / "cdk.out")],
        cwd=work,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["cdk"] == str(cdk)
    assert Version(result["boto3"]) >= Version("1.44.5")
    assert {"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Lambda::Function", "AWS::Events::Rule"} <= set(
        result["types"]
    )


def readme_testing_snippet() -> str:
    """The Python block of the README section "Test your stacks"."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Test your stacks", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_testing_snippet_runs_as_written_with_the_testing_extra(installed, tmp_path):
    python = installed("highest")
    work = tmp_path / "project"
    work.mkdir()
    (work / "test_my_stack.py").write_text(readme_testing_snippet())
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_stack.py"]
    first = subprocess.run(
        [*command, "--snapshot-update"], cwd=work, env=_env(tmp_path), capture_output=True, text=True
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    assert list((work / "__snapshots__").glob("*.ambr")), "no snapshot written"
    again = subprocess.run(command, cwd=work, env=_env(tmp_path), capture_output=True, text=True)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "1 passed" in again.stdout
