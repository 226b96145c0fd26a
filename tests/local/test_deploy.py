"""End to end: the reference app deployed with the pinned CDK CLI into the embedded emulator.

One deploy of the reference app per test session (about a minute on 2 cores): bootstrap,
deploy, inventory (every resource must exist in its service's API), a second deploy that must
report no changes, the data-plane smoke, destroy, and nothing left behind. A second, tiny app
shows that updates through the CLI reach the resources.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from ml_constructs.local import ACCOUNT_ID, LocalAws
from ml_constructs.local.cdk import CdkError
from ml_constructs.local.deployment import LocalDeployment
from ml_constructs.local.inventory import still_present
from ml_constructs.local.smoke import run_smoke

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="module")
def cli() -> Path:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: the CDK CLI cannot run")
    executable = ROOT / "node_modules" / ".bin" / "cdk"
    assert executable.exists(), "the pinned CDK CLI is missing: run `make install` (npm ci)"
    return executable


def test_reference_app_deploys_completely_and_destroys_cleanly(
    cli: Path, aws: LocalAws, tmp_path: Path
) -> None:
    log: list[str] = []
    started = time.perf_counter()
    deployment = LocalDeployment(aws, project=ROOT, assembly=tmp_path / "cdk.out", log=log.append)
    deployment.synth()
    deployment.bootstrap()
    deployment.deploy()

    inventory = deployment.inventory()
    assert inventory.missing == [], inventory.format()
    assert len(inventory.rows) > 20

    assert deployment.deploy("second deploy").no_changes, "\n".join(log[-20:])

    smoke = run_smoke(deployment)
    assert [r for r in smoke if r.ok is False] == []
    assert any(r.ok for r in smoke), smoke

    deployment.destroy()
    assert still_present(inventory) == []
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in deployment.timings.items())
    print(f"\n{inventory.format()}\n" + "\n".join(map(str, smoke)))
    print(f"timings: {timings}; total {time.perf_counter() - started:.1f} s")


def test_updates_through_the_cli_reach_the_resources(cli: Path, aws: LocalAws, tmp_path: Path) -> None:
    app = f"{ROOT / '.venv' / 'bin' / 'python'} {Path(__file__).with_name('update_app.py')}"

    def deploy(version: int) -> LocalDeployment:
        deployment = LocalDeployment(
            aws,
            project=ROOT,
            assembly=tmp_path / f"v{version}",
            app=app,
            context={"version": str(version)},
            log=lambda _: None,
        )
        deployment.synth()
        deployment.bootstrap()
        deployment.deploy()
        return deployment

    deploy(1)
    glue, cloudwatch = aws.client("glue"), aws.client("cloudwatch")
    assert glue.get_database(Name="ml_local_update")["Database"]["Description"] == "version 1"
    deployment = deploy(2)
    assert glue.get_database(Name="ml_local_update")["Database"]["Description"] == "version 2"
    assert cloudwatch.describe_alarms(AlarmNames=["ml-local-update"])["MetricAlarms"][0]["Threshold"] == 2.0
    deployment.destroy()
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_database(Name="ml_local_update")


def test_a_stack_never_takes_over_the_bootstrap_bucket(cli: Path, aws: LocalAws, tmp_path: Path) -> None:
    """Naming a bucket that exists (the CDK bootstrap bucket) fails the deploy and rolls back;
    the destroy leaves the bucket and its assets alone."""
    app = f"{ROOT / '.venv' / 'bin' / 'python'} {Path(__file__).with_name('takeover_app.py')}"
    bootstrap_bucket = f"cdk-hnb659fds-assets-{ACCOUNT_ID}-{aws.region}"

    def deployment(bucket: str, version: str) -> LocalDeployment:
        found = LocalDeployment(
            aws,
            project=ROOT,
            assembly=tmp_path / version,
            app=app,
            context={"bucket": bucket},
            log=lambda _: None,
        )
        found.synth()
        found.bootstrap()
        return found

    taking_over = deployment(bootstrap_bucket, "v1")
    s3, cfn = aws.client("s3"), aws.client("cloudformation")
    s3.put_object(Bucket=bootstrap_bucket, Key="assets/marker.txt", Body=b"bootstrap asset")
    with pytest.raises(CdkError, match="already exists"):
        taking_over.deploy()
    assert cfn.describe_stacks(StackName="MlLocalTakeover")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    taking_over.destroy()
    assert (
        s3.get_object(Bucket=bootstrap_bucket, Key="assets/marker.txt")["Body"].read() == b"bootstrap asset"
    )

    own = deployment(f"ml-local-takeover-{int(time.time())}", "v2")
    own.deploy()  # the CLI replaces the rolled-back stack
    assert cfn.describe_stacks(StackName="MlLocalTakeover")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    own.destroy()
    assert (
        s3.get_object(Bucket=bootstrap_bucket, Key="assets/marker.txt")["Body"].read() == b"bootstrap asset"
    )
    s3.delete_object(Bucket=bootstrap_bucket, Key="assets/marker.txt")
