"""The pinned CDK CLI (``node_modules/.bin/cdk``), run against the embedded emulator."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .server import ACCOUNT_ID, REGION

LOCAL_CONTEXT: dict[str, str] = {
    "ml:local": "true",
    "ml:destroy_data_on_delete": "true",
    "ml:tuning_max_jobs": "6",
    "ml:tuning_max_parallel_jobs": "2",
}
"""Context for a local synth: a synthesizer without the bootstrap-version rule (moto has no SSM
parameter for it to read), data that goes away with the stack, and a tuning budget of 6 trials
(2 at a time) instead of 20, so the end-to-end run fits in minutes on 2 cores. Everything else
is the template deployed to AWS; ``-c ml:tuning_max_jobs=20`` restores the budget."""


class CdkError(RuntimeError):
    """A CDK CLI command failed; the message ends with the last lines it printed."""


@dataclass
class CdkRun:
    command: str
    seconds: float
    output: list[str]

    @property
    def no_changes(self) -> bool:
        """Every stack of a ``cdk deploy`` reported "(no changes)"."""
        done = [line for line in self.output if line.strip().startswith("✅")]
        return bool(done) and all("(no changes)" in line for line in done)


@dataclass
class CdkCli:
    """Runs ``cdk`` in ``project`` (the folder with ``cdk.json``) with ``env``.

    ``synth`` writes the cloud assembly to ``assembly``; every later command deploys that
    assembly (``--app assembly``), so the app is synthesized once.
    """

    project: Path
    env: Mapping[str, str]
    assembly: Path
    context: Mapping[str, str] = field(default_factory=lambda: dict(LOCAL_CONTEXT))
    log: Callable[[str], None] = print
    app: str | None = None  # the app command (default: cdk.json's)

    @property
    def executable(self) -> Path:
        return self.project / "node_modules" / ".bin" / "cdk"

    def run(self, *args: str, label: str = "") -> CdkRun:
        if not self.executable.exists():
            raise CdkError(
                f"{self.executable} not found: install the pinned CLI with `make install` (npm ci)"
            )
        env = dict(self.env)
        env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        env.setdefault("CDK_DISABLE_VERSION_CHECK", "true")
        env.setdefault("NODE_NO_WARNINGS", "1")  # the AWS SDK's Node version notice
        command = [str(self.executable), *args, "--no-notices"]
        started = time.perf_counter()
        output: list[str] = []
        with subprocess.Popen(
            command,
            cwd=self.project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                line = line.rstrip("\n")
                output.append(line)
                if line.strip():
                    self.log(f"    {line}")
            returncode = process.wait()
        seconds = time.perf_counter() - started
        name = label or args[0]
        if returncode != 0:
            tail = "\n".join(output[-25:])
            raise CdkError(f"cdk {name} failed (exit {returncode}) after {seconds:.1f} s:\n{tail}")
        return CdkRun(name, seconds, output)

    def _context_args(self) -> list[str]:
        args: list[str] = []
        for key, value in self.context.items():
            args += ["--context", f"{key}={value}"]
        return args

    def synth(self) -> CdkRun:
        app = ["--app", self.app] if self.app else []
        return self.run("synth", *app, "--quiet", "--output", str(self.assembly), *self._context_args())

    def bootstrap(self) -> CdkRun:
        return self.run("bootstrap", f"aws://{ACCOUNT_ID}/{REGION}", "--app", str(self.assembly))

    def deploy(self) -> CdkRun:
        return self.run(
            "deploy",
            "--all",
            "--app",
            str(self.assembly),
            "--method=direct",  # change sets break updates on moto
            "--require-approval",
            "never",
            "--progress",
            "events",
        )

    def destroy(self) -> CdkRun:
        return self.run("destroy", "--all", "--app", str(self.assembly), "--force")


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the working directory) with a cdk.json."""
    here = (start or Path(os.getcwd())).resolve()
    for folder in (here, *here.parents):
        if (folder / "cdk.json").exists():
            return folder
    raise CdkError(f"no cdk.json in {here} or above: run this from the project folder")
