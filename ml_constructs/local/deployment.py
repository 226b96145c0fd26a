"""Bootstrap, deploy, inventory and destroy the reference app in the embedded emulator."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import api
from .cdk import LOCAL_CONTEXT, CdkCli, CdkError, CdkRun
from .inventory import Inventory, stacks_in_assembly, take_inventory
from .server import LocalAws


@dataclass
class LocalDeployment:
    """The reference app (``project``: the folder with ``cdk.json``) deployed into ``aws``.

    Each step logs what it does and records its wall time in :attr:`timings`.
    """

    aws: LocalAws
    project: Path = field(default_factory=lambda: Path.cwd())
    assembly: Path | None = None
    context: Mapping[str, str] = field(default_factory=dict)
    log: Callable[[str], None] = print
    timings: dict[str, float] = field(default_factory=dict)
    app: str | None = None  # the app command (default: cdk.json's)

    def __post_init__(self) -> None:
        self.project = Path(self.project).resolve()
        if self.assembly is None:
            self.assembly = self.project / ".cache" / "local-aws" / "cdk.out"
        self.assembly = Path(self.assembly).resolve()
        self.cli = CdkCli(
            project=self.project,
            env=self.aws.env(),
            assembly=self.assembly,
            context={**LOCAL_CONTEXT, **self.context},
            log=self.log,
            app=self.app,
        )

    def _step(self, name: str, action: Callable[[], CdkRun]) -> CdkRun:
        self.log(f"==> {name}")
        run = action()
        self.timings[name] = run.seconds
        self.log(f"==> {name}: done in {run.seconds:.1f} s")
        return run

    def synth(self) -> CdkRun:
        return self._step("synth", self.cli.synth)

    def bootstrap(self) -> CdkRun:
        return self._step("bootstrap", self.cli.bootstrap)

    def deploy(self, name: str = "deploy") -> CdkRun:
        return self._step(name, self.cli.deploy)

    def inventory(self) -> Inventory:
        assert self.assembly is not None
        return take_inventory(self.assembly, region=self.aws.region)

    def destroy(self) -> CdkRun:
        """Empty the buckets the stacks delete (CloudFormation cannot delete a non-empty bucket;
        the reference app has no auto-delete custom resource), then ``cdk destroy --all``."""
        started = time.perf_counter()
        self.empty_buckets()
        emptied = time.perf_counter() - started
        try:
            run = self._step("destroy", self.cli.destroy)
        except CdkError as error:
            if "BucketNotEmpty" not in str(error):
                raise
            # A request that landed while the buckets were emptied (an access-log object, a job
            # still finishing) left an object behind: empty again and destroy the rest.
            self.log("==> destroy: a bucket was written to meanwhile; emptying again")
            self.empty_buckets()
            run = self._step("destroy", self.cli.destroy)
        self.timings["destroy"] = run.seconds + emptied
        return run

    def empty_buckets(self) -> None:
        assert self.assembly is not None
        s3 = api.client("s3", self.aws.region)
        cloudformation = api.client("cloudformation", self.aws.region)
        for stack_name, template in stacks_in_assembly(self.assembly):
            try:
                resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
            except Exception:
                continue
            physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
            buckets = [
                (logical_id, resource)
                for logical_id, resource in template.get("Resources", {}).items()
                if resource["Type"] == "AWS::S3::Bucket" and resource.get("DeletionPolicy") != "Retain"
            ]
            # Buckets with access logging first: each request to them writes a log object into
            # their log bucket, which is emptied after them.
            buckets.sort(key=lambda item: "LoggingConfiguration" not in item[1].get("Properties", {}))
            for logical_id, _ in buckets:
                bucket = physical.get(logical_id)
                if bucket:
                    count = empty_bucket(s3, bucket)
                    if count:
                        self.log(f"    emptied {bucket} ({count} object versions)")


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker of ``bucket``; how many there were."""
    deleted = 0
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            items = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if items:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": items, "Quiet": True})
                deleted += len(items)
    except Exception as error:
        if "NoSuchBucket" not in str(error):
            raise
    return deleted


def write_state(path: Path, **state: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2))


def read_state(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
