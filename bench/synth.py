"""Synth speed of the reference app: where the time goes, and the library's share.

Prints, in one process: jsii/aws-cdk-lib start-up, the import of ml_constructs, building the
reference app's construct tree (the library's Python + its jsii calls), CDK's synthesis, and the
floor: the same template rebuilt as plain ``CfnResource`` objects (what aws-cdk-lib costs for
that many resources with no library on top). Then the top library functions by cumulative time.
Also, with ``--cli``, the wall time of ``cdk synth`` through the pinned CLI (validator on).

    .venv/bin/python bench/synth.py [--cli] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", action="store_true", help="also time `cdk synth` through the CLI")
    parser.add_argument("--profile", action="store_true", help="print the library's hot spots")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import aws_cdk
    from aws_cdk import App, CfnResource, Stack

    t1 = time.perf_counter()
    import ml_constructs  # noqa: F401
    from stacks.app import build_app

    t2 = time.perf_counter()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    app = build_app(App(outdir=tempfile.mkdtemp()), nag=False)
    if profiler:
        profiler.disable()
    t3 = time.perf_counter()
    assembly = app.synth()
    t4 = time.perf_counter()
    template = assembly.stacks[0].template
    resources = template["Resources"]

    floor_app = App(outdir=tempfile.mkdtemp())
    floor_stack = Stack(floor_app, "Floor")
    t5 = time.perf_counter()
    for logical_id, resource in resources.items():
        CfnResource(floor_stack, logical_id, type=resource["Type"], properties=resource.get("Properties"))
    t6 = time.perf_counter()
    floor_app.synth()
    t7 = time.perf_counter()

    n = len(resources)
    print(f"aws-cdk-lib {aws_cdk.__version__ if hasattr(aws_cdk, '__version__') else ''} | resources: {n}")
    print(f"import aws_cdk (jsii start-up)     {t1 - t0:6.2f} s")
    print(f"import ml_constructs + stacks      {t2 - t1:6.2f} s")
    print(f"build the reference app            {t3 - t2:6.2f} s  ({(t3 - t2) / n * 1000:5.1f} ms/resource)")
    print(f"synthesize it                      {t4 - t3:6.2f} s")
    print(f"floor: build as CfnResource        {t6 - t5:6.2f} s  ({(t6 - t5) / n * 1000:5.1f} ms/resource)")
    print(f"floor: synthesize                  {t7 - t6:6.2f} s")
    print(f"library overhead over the floor    {(t3 - t2) - (t6 - t5):6.2f} s to build")

    if profiler:
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream).sort_stats("cumulative")
        stats.print_stats(r"ml_constructs|stacks", 25)
        print(stream.getvalue())

    if args.cli:
        env = {**os.environ}
        env.pop("CDK_VALIDATION", None)
        start = time.perf_counter()
        subprocess.run(
            [str(ROOT / "node_modules/.bin/cdk"), "synth", "--quiet", "-o", tempfile.mkdtemp()],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        print(f"cdk synth (CLI, validator on)      {time.perf_counter() - start:6.2f} s")


if __name__ == "__main__":
    main()
