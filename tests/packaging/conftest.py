"""The wheel, built once per session from a clean copy of the sources."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    # Build from a clean copy: setuptools' build/ folder would otherwise land in the repo and
    # keep files deleted from the source in later wheels.
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(
        ROOT / "ml_constructs", source / "ml_constructs", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet"]
        + ["-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("ml_constructs-*.whl")
    return found
