"""``python -m ml_constructs.local deploy|destroy|serve|types`` (see the package docstring)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import LocalAws

STATE = Path(".cache") / "local-aws" / "state.json"
LOCAL_TIME_SCALE = 0.01


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ml_constructs.local",
        description="Deploy the reference app with the real CDK CLI into AWS emulated in-process (moto).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    deploy = commands.add_parser(
        "deploy", help="bootstrap, deploy, inventory, smoke, then destroy (or --keep)"
    )
    deploy.add_argument(
        "--keep", action="store_true", help="keep the emulator serving until Ctrl-C; no destroy"
    )
    deploy.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    deploy.add_argument(
        "--redeploy", action="store_true", help="deploy a second time; it must report no changes"
    )
    deploy.add_argument("--no-smoke", dest="smoke", action="store_false", help="skip the data-plane smoke")
    deploy.add_argument(
        "--no-pipeline",
        dest="pipeline",
        action="store_false",
        help="skip the end-to-end run (sample data -> workflow -> endpoint predictions)",
    )
    deploy.add_argument(
        "--output", type=Path, help="cloud assembly folder (default .cache/local-aws/cdk.out)"
    )
    deploy.add_argument(
        "-c", "--context", action="append", default=[], metavar="KEY=VALUE", help="extra cdk context"
    )

    destroy = commands.add_parser("destroy", help="destroy the stacks in an emulator kept by `deploy --keep`")
    destroy.add_argument(
        "--port", type=int, default=0, help="its port (default: from .cache/local-aws/state.json)"
    )

    serve = commands.add_parser("serve", help="only run the emulator (models taught) until Ctrl-C")
    serve.add_argument("--port", type=int, default=0)

    types = commands.add_parser("types", help="which resource types moto knows, which are taught here")
    types.add_argument("--assembly", type=Path, help="also list the types of this cloud assembly")

    args = parser.parse_args(argv)
    return {"deploy": _deploy, "destroy": _destroy, "serve": _serve, "types": _types}[args.command](args)


def _print(line: str) -> None:
    print(line, flush=True)


def _banner(aws: LocalAws) -> None:
    import moto

    from .server import ACCOUNT_ID

    _print(
        f"ml-constructs local AWS: moto {moto.__version__} at {aws.endpoint} "
        f"(account {ACCOUNT_ID}, {aws.region})"
    )


def _deploy(args: argparse.Namespace) -> int:
    from .cdk import CdkError, project_root
    from .deployment import LocalDeployment, write_state
    from .inventory import still_present
    from .server import UNSUPPORTED, LocalAws

    project = project_root()
    context = dict(item.split("=", 1) for item in args.context)
    # Waits of a minute between endpoint polls, and retry intervals, at 1/100 of AWS's pace.
    os.environ.setdefault("ML_CONSTRUCTS_LOCAL_SFN_TIME_SCALE", str(LOCAL_TIME_SCALE))
    started = time.perf_counter()
    problems: list[str] = []
    with LocalAws(args.port) as aws:
        _banner(aws)
        deployment = LocalDeployment(aws, project=project, assembly=args.output, context=context, log=_print)
        try:
            deployment.synth()
            deployment.bootstrap()
            deployment.deploy()
            if args.redeploy:
                again = deployment.deploy("second deploy")
                _print(f"==> second deploy: {'no changes' if again.no_changes else 'CHANGES REPORTED'}")
                if not again.no_changes:
                    problems.append("the second deploy reported changes")
        except CdkError as error:
            _print(f"FAILED: {error}")
            return 2
        inventory = deployment.inventory()
        _print(inventory.format())
        if UNSUPPORTED.types:
            _print(
                "moto's CloudFormation skipped types it does not know: "
                + ", ".join(sorted(UNSUPPORTED.types))
            )
        if args.smoke:
            from .smoke import run_smoke

            _print("==> data-plane smoke")
            for result in run_smoke(deployment):
                _print(f"    {result}")
                if result.ok is False:
                    problems.append(f"smoke failed: {result.name}")
        if not inventory.ok:
            problems.append(f"{len(inventory.missing)} resource(s) missing")
        pipeline = None
        if args.pipeline:
            from .pipeline import run_pipeline

            _print("==> the pipeline, end to end, on sample data")
            started_pipeline = time.perf_counter()
            try:
                pipeline = run_pipeline(deployment.assembly, log=_print)
            except Exception as error:  # noqa: BLE001 - reported, and the run fails
                problems.append(f"pipeline: {type(error).__name__}: {error}")
            else:
                _print(pipeline.format())
                if not pipeline.ok:
                    problems.append(f"pipeline: workflow {pipeline.status} {pipeline.error}".strip())
            deployment.timings["pipeline"] = time.perf_counter() - started_pipeline
        status = 1 if problems else 0
        if args.keep:
            write_state(
                project / STATE, port=aws.port, endpoint=aws.endpoint, assembly=str(deployment.assembly)
            )
            _serve_until_interrupted(aws)
            return status
        try:
            deployment.destroy()
        except CdkError as error:
            _print(f"FAILED: {error}")
            return 2
        left = still_present(inventory)
        if left:
            _print(f"after destroy, {len(left)} resource(s) still exist:")
            for row in left:
                _print(f"  {row.type} {row.logical_id} {row.detail}")
            problems.append(f"{len(left)} resource(s) left after destroy")
            status = 1
        else:
            _print(f"==> after destroy: all {len(inventory.rows)} resources gone (except retained ones)")
    figures = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in deployment.timings.items())
    _print(f"timings: {figures}; total {time.perf_counter() - started:.1f} s")
    if problems:
        _print(f"RESULT: FAILED: {'; '.join(problems)}")
    elif pipeline is not None:
        _print(f"RESULT: {_pipeline_summary(pipeline)}")
    else:
        _print("RESULT: all resources present, smoke passed")
    return status


def _pipeline_summary(result: object) -> str:
    from .pipeline import PipelineResult

    assert isinstance(result, PipelineResult)
    metric = f"{result.best_objective[0]} {result.best_objective[1]:.3f}" if result.best_objective else "n/a"
    predictions = ", ".join(f"{p:.3f}" for _, p in result.predictions[:3])
    version = f"model version {result.model_package[1]}; " if result.model_package else ""
    return (
        f"workflow {result.status}; best {metric} of {result.trials} trials; {version}"
        f"{result.scored_rows} rows scored; endpoint predictions [{predictions}]"
    )


def _serve_until_interrupted(aws: LocalAws) -> None:
    endpoint = aws.endpoint
    _print(
        f"\nThe emulator keeps serving at {endpoint} until Ctrl-C. In another shell:\n"
        f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
        f"AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1\n"
        f"  aws s3 ls            # or boto3 with the same environment\n"
        f"  make destroy-local   # destroys the stacks; the emulator keeps running"
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    _print("stopping the emulator (its state goes with it)")


def _destroy(args: argparse.Namespace) -> int:
    from .cdk import CdkError, project_root
    from .deployment import LocalDeployment, read_state
    from .inventory import still_present
    from .server import LocalAws

    project = project_root()
    state = read_state(project / STATE) or {}
    port = args.port or int(state.get("port", 0))
    if not port:
        _print(
            "No kept emulator (start one with `python -m ml_constructs.local deploy --keep`): "
            "nothing to destroy."
        )
        return 0
    try:
        aws = LocalAws.attach(port)
    except ConnectionError:
        _print(
            f"No emulator answers on 127.0.0.1:{port} (it lives as long as `deploy --keep`): "
            "nothing to destroy."
        )
        return 0
    _banner(aws)
    assembly = Path(state["assembly"]) if state.get("assembly") else None
    deployment = LocalDeployment(aws, project=project, assembly=assembly, log=_print)
    before = deployment.inventory()
    try:
        deployment.destroy()
    except CdkError as error:
        _print(f"FAILED: {error}")
        return 2
    left = still_present(before)
    for row in left:
        _print(f"  still there: {row.type} {row.logical_id} {row.detail}")
    _print(f"==> destroyed; {len(left)} resource(s) left")
    return 1 if left else 0


def _serve(args: argparse.Namespace) -> int:
    from .cdk import project_root
    from .deployment import write_state
    from .server import LocalAws

    with LocalAws(args.port) as aws:
        _banner(aws)
        with contextlib.suppress(Exception):
            write_state(project_root() / STATE, port=aws.port, endpoint=aws.endpoint)
        _serve_until_interrupted(aws)
    return 0


def _types(args: argparse.Namespace) -> int:
    from .coverage import TARGET_TYPES, format_support, type_support

    types = list(TARGET_TYPES)
    if args.assembly:
        from .inventory import stacks_in_assembly

        for _, template in stacks_in_assembly(args.assembly):
            for resource in template.get("Resources", {}).values():
                if resource["Type"] not in types:
                    types.append(resource["Type"])
    rows = type_support(types)
    _print(format_support(rows))
    return 0 if all(r.status != "MISSING" and r.checked for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
