"""Wall time of the local deploy of the reference app with the pinned CDK CLI.

    .venv/bin/python bench/deploy_local.py [--runs N] [--plain-synth]

Steps, each timed on its own (the emulator runs in this process, the CLI in a child process):
emulator start, ``cdk synth`` (the local assembly), ``cdk bootstrap``, ``cdk deploy``, the
inventory, a second ``cdk deploy`` (must report no changes), the data-plane smoke, ``cdk
destroy`` (buckets emptied first). ``--plain-synth`` also times ``cdk synth`` of the reference
app as ``make synth`` runs it. Figures go to stdout and ``bench/out/deploy_local.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_VERSION_CHECK", "true")


def one_run(work: Path) -> dict[str, float]:
    from ml_constructs.local import LocalAws
    from ml_constructs.local.deployment import LocalDeployment
    from ml_constructs.local.inventory import still_present
    from ml_constructs.local.smoke import run_smoke

    figures: dict[str, float] = {}
    started = time.perf_counter()
    with LocalAws() as aws:
        figures["emulator start"] = time.perf_counter() - started
        deployment = LocalDeployment(aws, project=ROOT, assembly=work / "cdk.out", log=lambda _: None)
        deployment.synth()
        deployment.bootstrap()
        deployment.deploy()
        clock = time.perf_counter()
        inventory = deployment.inventory()
        figures["inventory"] = time.perf_counter() - clock
        if not inventory.ok:
            raise SystemExit(inventory.format())
        again = deployment.deploy("second deploy (no changes)")
        if not again.no_changes:
            raise SystemExit("the second deploy reported changes")
        clock = time.perf_counter()
        smoke = run_smoke(deployment)
        figures["smoke"] = time.perf_counter() - clock
        if any(r.ok is False for r in smoke):
            raise SystemExit("\n".join(map(str, smoke)))
        deployment.destroy()
        if still_present(inventory):
            raise SystemExit("resources left after destroy")
        figures.update({f"cdk {name}": seconds for name, seconds in deployment.timings.items()})
        figures["resources"] = float(len(inventory.rows))
    figures["total"] = time.perf_counter() - started
    return figures


def plain_synth(work: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "cdk"),
            "synth",
            "--quiet",
            "--no-notices",
            "--output",
            str(work / "plain"),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--plain-synth", action="store_true", help="also time `cdk synth` as `make synth` runs it"
    )
    args = parser.parse_args()
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="deploy-local-bench-") as folder:
        for _ in range(args.runs):
            runs.append(one_run(Path(folder)))
        if args.plain_synth:
            for run in runs:
                run["cdk synth (make synth)"] = plain_synth(Path(folder))
    names = list(runs[0])
    print(f"local deploy of the reference app, {args.runs} run(s), {os.cpu_count()} CPU(s):")
    result = {}
    for name in names:
        values = [run[name] for run in runs]
        result[name] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
        unit = "" if name == "resources" else " s"
        print(
            f"  {name:<32} {statistics.median(values):7.1f}{unit}"
            + (f"  (min {min(values):.1f}, max {max(values):.1f})" if len(values) > 1 else "")
        )
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "deploy_local.json").write_text(json.dumps({"runs": runs, "summary": result}, indent=2))


if __name__ == "__main__":
    main()
