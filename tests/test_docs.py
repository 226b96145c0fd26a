"""Docs that run: every Python block of README.md and docs/*.md is executed.

The blocks of a page run in order in one stack, with the shared preamble of docs/snippets.py; a
block that defines its own classes or functions runs on its own. Constructing is where the
library validates (bad arguments, duplicate ids, wrong types fail here); the whole-app block is
synthesized by its own ``app.synth()``.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
# Blocks that need more than a stack: run by the end-to-end tests named here.
E2E = {
    ("local_deploy.md", 0): "deploy",  # a whole local deploy (moto, the CDK CLI), see below
    ("README.md", 2): "packaging",  # a pytest file: tests/packaging/test_dependency_range.py runs it
}


def _snippets_module():
    spec = importlib.util.spec_from_file_location("docs_snippets", ROOT / "docs" / "snippets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SNIPPETS = _snippets_module()


def blocks(page: Path) -> list[str]:
    return [m.group(1) for m in _BLOCK.finditer(page.read_text())]


def standalone(code: str) -> bool:
    """A whole program (its own classes or functions), not a stack body."""
    return any(isinstance(node, (ast.ClassDef, ast.FunctionDef)) for node in ast.parse(code).body)


def test_every_page_with_code_is_covered():
    pages = {page.name: len(blocks(page)) for page in PAGES}
    assert sum(pages.values()) >= 20, pages
    for (name, index), mark in E2E.items():
        assert index < pages[name], (name, index, mark)


def test_every_block_parses():
    for page in PAGES:
        for index, code in enumerate(blocks(page)):
            try:
                ast.parse(code)
            except SyntaxError as error:
                pytest.fail(f"{page.name} block {index}: {error}")


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: p.name)
def test_page_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a whole-app block's synth writes nowhere in the repository
    context = SNIPPETS.new_context()
    context["__name__"] = f"doc_{page.stem}"
    for index, code in enumerate(blocks(page)):
        if (page.name, index) in E2E:
            continue
        compiled = compile(code, f"{page.name}[block {index}]", "exec")
        if standalone(code):
            exec(compiled, {"__name__": f"doc_{page.stem}_{index}"})
        else:
            # The context is the globals: comprehensions and lambdas in a block see its names too.
            exec(compiled, context)


@pytest.mark.deploy
def test_local_deploy_block_runs(tmp_path):
    """The Python block of docs/local_deploy.md: a whole deploy into the emulator and destroy."""
    (code,) = blocks(ROOT / "docs" / "local_deploy.md")
    cwd = os.getcwd()
    os.chdir(ROOT)  # "the project in the working directory (cdk.json)"
    try:
        exec(compile(code, "local_deploy.md[block 0]", "exec"), {"__name__": "doc_local_deploy"})
    finally:
        os.chdir(cwd)
