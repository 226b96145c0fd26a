"""Data-plane smoke: push data through what the stacks deployed, where the emulator allows.

Found from the templates, so it follows the reference app as it grows:

- every Firehose delivery stream: JSON records go into it, or into its Kinesis source stream
  (from the processor's record schema when it has one: one valid record, one invalid), and the
  delivered object must land under the stream's prefix in its bucket, processed by its Lambda
  (see :mod:`.firehose`), the failed record under the error prefix;
- every Kinesis data stream: a record goes in and must come back out of ``GetRecords``;
- every EventBridge rule on S3 "Object Created" for a bucket and key prefix (``ObjectTrigger``):
  a CSV is uploaded under the prefix (built from the processor's record schema when it has one:
  one valid row, one invalid), the rule's Lambda target must run (locally, see :mod:`.runner`)
  without error and write new objects (the processed rows, the quarantined one), and a state
  machine target must get a new execution.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import api
from .inventory import stacks_in_assembly
from .pipeline import executions, stop_running


@dataclass(frozen=True)
class SmokeResult:
    name: str
    ok: bool | None  # None: not possible in the emulator (the detail says why)
    detail: str

    def __str__(self) -> str:
        mark = {True: "ok     ", False: "FAILED ", None: "skipped"}[self.ok]
        return f"{mark} {self.name}: {self.detail}"


@dataclass
class _Stack:
    region: str
    physical: dict[str, str]
    resources: dict[str, Any] = field(default_factory=dict)  # the template's
    buckets: list[str] = field(default_factory=list)
    access_logs: list[tuple[str, str]] = field(default_factory=list)  # (bucket, prefix)

    def ref(self, value: Any) -> str | None:
        """The physical id behind ``{"Ref": X}`` or ``{"Fn::GetAtt": [X, ...]}``."""
        if isinstance(value, dict):
            if "Ref" in value:
                return self.physical.get(value["Ref"])
            if "Fn::GetAtt" in value:
                return self.physical.get(value["Fn::GetAtt"][0])
        return value if isinstance(value, str) else None

    def objects(self) -> dict[str, set[str]]:
        """Every object key in the stack's buckets, except access logs moto writes."""
        s3 = api.client("s3", self.region)
        found: dict[str, set[str]] = {}
        for bucket in self.buckets:
            skip = tuple(prefix for target, prefix in self.access_logs if target == bucket)
            try:
                keys = {o["Key"] for o in _list(s3, bucket, "")}
            except Exception:
                continue
            found[bucket] = {k for k in keys if not (skip and k.startswith(skip))}
        return found


def run_smoke(deployment: Any) -> list[SmokeResult]:
    """Run every applicable check against ``deployment`` (a :class:`LocalDeployment`)."""
    region = deployment.aws.region
    cloudformation = api.client("cloudformation", region)
    results: list[SmokeResult] = []
    for stack_name, template in stacks_in_assembly(deployment.assembly):
        try:
            described = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
        except Exception as error:
            results.append(SmokeResult(stack_name, False, f"stack not deployed: {error}"))
            continue
        resources = template.get("Resources", {})
        stack = _Stack(
            region,
            {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in described},
            resources,
        )
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::S3::Bucket" and logical_id in stack.physical:
                stack.buckets.append(stack.physical[logical_id])
                logging = resource.get("Properties", {}).get("LoggingConfiguration") or {}
                target = stack.ref(logging.get("DestinationBucketName")) or stack.physical[logical_id]
                if logging:
                    stack.access_logs.append((target, str(logging.get("LogFilePrefix", ""))))
        for logical_id, resource in resources.items():
            check = _CHECKS.get(resource["Type"])
            if check is None or logical_id not in stack.physical:
                continue
            try:
                result = check(logical_id, resource.get("Properties", {}), stack)
            except Exception as error:
                result = SmokeResult(logical_id, False, f"{type(error).__name__}: {error}")
            if result is not None:
                results.append(result)
    return results


def _firehose(logical_id: str, props: dict[str, Any], stack: _Stack) -> SmokeResult | None:
    name = stack.physical[logical_id]
    destination = props.get("ExtendedS3DestinationConfiguration") or props.get("S3DestinationConfiguration")
    if not destination:
        return None
    bucket = stack.ref(destination.get("BucketARN"))
    if not bucket:
        return SmokeResult(name, False, "destination bucket not found")
    prefixes = [str(destination.get(k) or "").split("!{", 1)[0] for k in ("Prefix", "ErrorOutputPrefix")]
    processor = _processor_of(destination, stack)
    schema = None
    if processor:
        config = api.client("lambda", stack.region).get_function_configuration(FunctionName=processor)
        schema = config.get("Environment", {}).get("Variables", {}).get("SCHEMA")
    marker = uuid.uuid4().hex
    records, described = _sample_records(schema, marker)
    s3 = api.client("s3", stack.region)
    before = {o["Key"] for p in prefixes for o in _list(s3, bucket, p)}
    source = (props.get("KinesisStreamSourceConfiguration") or {}).get("KinesisStreamARN")
    if props.get("DeliveryStreamType") == "KinesisStreamAsSource":
        feed = stack.ref(source)
        api.client("kinesis", stack.region).put_records(
            StreamName=feed, Records=[{"Data": r, "PartitionKey": str(n)} for n, r in enumerate(records)]
        )
        via = f"kinesis stream {feed} -> firehose {name}"
    else:
        api.client("firehose", stack.region).put_record_batch(
            DeliveryStreamName=name, Records=[{"Data": r} for r in records]
        )
        via = f"firehose {name}"
    expected = 2 if schema else 1  # the delivered object, and the failed record's
    deadline = time.time() + 60
    new: list[str] = []
    while time.time() < deadline:
        new = sorted({o["Key"] for p in prefixes for o in _list(s3, bucket, p)} - before)
        if len(new) >= expected:
            break
        time.sleep(0.5)
    if not new:
        return SmokeResult(
            name, False, f"{described} into {via}: nothing landed in s3://{bucket}/{prefixes[0]}"
        )
    delivered = [
        k for k in new if k.startswith(prefixes[0]) and not (prefixes[1] and k.startswith(prefixes[1]))
    ]
    body = _read(s3, bucket, delivered[0]) if delivered else b""
    if marker.encode() not in body:
        return SmokeResult(name, False, f"{described} into {via}: no delivered object holds them ({new})")
    written = ", ".join(f"s3://{bucket}/{k}" for k in new)
    processed = f", processed by {processor}" if processor else ""
    return SmokeResult(name, True, f"{described} into {via}{processed}: {written}")


def _processor_of(destination: dict[str, Any], stack: _Stack) -> str | None:
    processing = destination.get("ProcessingConfiguration") or {}
    for processor in processing.get("Processors") or []:
        for parameter in processor.get("Parameters") or []:
            if parameter.get("ParameterName") == "LambdaArn":
                return stack.ref(parameter.get("ParameterValue"))
    return None


def _sample_records(schema: str | None, marker: str) -> tuple[list[bytes], str]:
    """JSON records for a stream: with a record schema, one valid and one invalid."""
    if not schema:
        return [(json.dumps({"smoke": marker, "n": n}) + "\n").encode() for n in range(3)], "3 records"
    fields = json.loads(schema).get("fields", [])
    good: dict[str, Any] = {}
    for spec in fields:
        value = _sample_value(spec)
        kind = spec.get("type")
        good[spec["name"]] = int(value) if kind == "integer" else float(value) if kind == "number" else value
    strings = [
        s["name"]
        for s in fields
        if s.get("type") == "string" and not s.get("allowed") and not s.get("pattern")
    ]
    if strings:
        good[strings[0]] = f"s{marker}"[
            : int(next(s for s in fields if s["name"] == strings[0]).get("max_length", 64))
        ]
    else:
        good["smoke_marker"] = marker
    numeric = next((s["name"] for s in fields if s.get("type") in ("number", "integer")), None)
    bad = {**good, numeric: -1} if numeric else {k: v for k, v in good.items() if k != fields[0]["name"]}
    return [
        (json.dumps(good) + "\n").encode(),
        (json.dumps(bad) + "\n").encode(),
    ], "1 valid and 1 invalid record"


def _read(s3: Any, bucket: str, key: str) -> bytes:
    import gzip

    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return gzip.decompress(body) if key.endswith(".gz") else body


def _kinesis(logical_id: str, props: dict[str, Any], stack: _Stack) -> SmokeResult:
    name = stack.physical[logical_id]
    kinesis = api.client("kinesis", stack.region)
    marker = uuid.uuid4().hex.encode()
    put = kinesis.put_record(StreamName=name, Data=marker, PartitionKey="smoke")
    iterator = kinesis.get_shard_iterator(
        StreamName=name,
        ShardId=put["ShardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=put["SequenceNumber"],
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator, Limit=10)["Records"]
    if not any(r["Data"] == marker for r in records):
        return SmokeResult(name, False, "the record did not come back from GetRecords")
    return SmokeResult(name, True, f"record in and out of {put['ShardId']}")


def _object_rule(logical_id: str, props: dict[str, Any], stack: _Stack) -> SmokeResult | None:
    pattern = props.get("EventPattern") or {}
    if "aws.s3" not in (pattern.get("source") or []) or "Object Created" not in (
        pattern.get("detail-type") or []
    ):
        return None
    name = stack.physical[logical_id]
    detail = pattern.get("detail") or {}
    bucket = next((b for b in map(stack.ref, (detail.get("bucket") or {}).get("name") or []) if b), None)
    if not bucket:
        return SmokeResult(name, False, "the rule's bucket was not found")
    key = _matching_key((detail.get("object") or {}).get("key") or [])
    targets = [t.get("Arn") for t in props.get("Targets") or []]
    function_id = next(
        (
            _target(arn, stack, "AWS::Lambda::Function")
            for arn in targets
            if _target(arn, stack, "AWS::Lambda::Function")
        ),
        None,
    )
    function = stack.physical.get(function_id or "")
    machines = [
        stack.physical[m]
        for m in (_target(a, stack, "AWS::StepFunctions::StateMachine") for a in targets)
        if m
    ]
    lam, s3, logs, sfn = (
        api.client(service, stack.region) for service in ("lambda", "s3", "logs", "stepfunctions")
    )
    config = lam.get_function_configuration(FunctionName=function) if function else {}
    body, rows = _sample_file(config.get("Environment", {}).get("Variables", {}).get("SCHEMA"))
    before, runs = stack.objects(), {m: _executions(sfn, m) for m in machines}
    since = int(time.time() * 1000) - 1000
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    done = [f"uploaded s3://{bucket}/{key} ({rows})"]
    if function:
        logging = stack.resources[str(function_id)].get("Properties", {}).get("LoggingConfig") or {}
        group = stack.ref(logging.get("LogGroup")) or f"/aws/lambda/{function}"
        log = _wait_for_invocation(logs, group, since, timeout=60)
        if log is None:
            return SmokeResult(name, False, f"{done[0]}; {function} did not run within 60 s")
        after = stack.objects()
        new = [f"s3://{b}/{k}" for b in after for k in sorted(after[b] - before.get(b, set())) if k != key]
        if "Traceback" in log or not new:
            return SmokeResult(name, False, f"{done[0]}; {function} failed: {log[-400:]}")
        done.append(f"the rule ran {function}, which wrote {', '.join(new)}")
    for machine in machines:
        deadline = time.time() + 30
        while time.time() < deadline and _executions(sfn, machine) <= runs[machine]:
            time.sleep(0.5)
        if _executions(sfn, machine) <= runs[machine]:
            return SmokeResult(name, False, f"{done[0]}; no execution of {machine} started")
        started = _executions(sfn, machine) - runs[machine]
        done.append(f"the rule started {started} execution(s) of {machine.rsplit(':', 1)[-1]}")
        # The smoke proves the trigger; the run itself (on two smoke lines) is not its business.
        stop_running(sfn, machine, cause="smoke: trigger checked", log=lambda _: None)
    return SmokeResult(name, True, "; ".join(done))


def _executions(sfn: Any, machine: str) -> int:
    """How many executions ``machine`` has had: every page (a page holds at most 100)."""
    return len(executions(sfn, machine))


def _target(arn: Any, stack: _Stack, kind: str) -> str | None:
    """The logical id of the stack's resource of type ``kind`` that a target ``Arn`` points to."""
    if isinstance(arn, dict):
        target = str(arn.get("Ref") or (arn.get("Fn::GetAtt") or [""])[0])
        if stack.resources.get(target, {}).get("Type") == kind:
            return target
    return None


def _matching_key(patterns: list[Any]) -> str:
    """An object key that the rule's ``detail.object.key`` filters match (a CSV if they allow)."""
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    candidates = []
    for item in patterns:
        if isinstance(item, str):
            candidates.append(item)
        elif isinstance(item, dict) and isinstance(item.get("prefix"), str):
            candidates.append(f"{item['prefix']}{name}.csv")
        elif isinstance(item, dict) and isinstance(item.get("wildcard"), str):
            candidates.append(item["wildcard"].replace("*", name, 1).replace("*", "x"))
        elif isinstance(item, dict) and isinstance(item.get("suffix"), str):
            candidates.append(f"{name}{item['suffix']}")
    return next((c for c in candidates if c.endswith(".csv")), candidates[0] if candidates else f"{name}.csv")


def _wait_for_invocation(logs: Any, group: str, since: int, timeout: float) -> str | None:
    """The function's log once an invocation ended after ``since`` (ms), or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=group, startTime=since)["events"]
        except Exception:
            events = []
        text = "\n".join(e["message"] for e in events)
        if "END RequestId" in text:
            return text
        time.sleep(0.5)
    return None


def _sample_file(schema: str | None) -> tuple[bytes, str]:
    """A CSV for the processor: with a record schema, one valid and one invalid row."""
    if not schema:
        return b"id,value\nsmoke-1,1\n", "2 lines"
    fields = json.loads(schema).get("fields", [])
    good = [_sample_value(f) for f in fields]
    bad = [
        "-1" if f.get("type") in ("number", "integer") else value
        for f, value in zip(fields, good, strict=True)
    ]
    if bad == good and bad:
        bad[0] = ""
    header = ",".join(f["name"] for f in fields)
    return f"{header}\n{','.join(good)}\n{','.join(bad)}\n".encode(), "1 valid row, 1 invalid row"


def _sample_value(spec: dict[str, Any]) -> str:
    kind = spec.get("type")
    if spec.get("allowed"):
        return str(spec["allowed"][0])
    if kind == "integer":
        return str(int(spec.get("minimum", 1)))
    if kind == "number":
        return str(spec.get("minimum", 1.5))
    if kind == "timestamp":
        return "2026-01-01T00:00:00Z"
    if kind == "date":
        return "2026-01-01"
    if kind == "boolean":
        return "true"
    for candidate in ("12345", "smoke", "abc 123", "A1B2C3", "smoke-1"):
        if not spec.get("pattern") or re.fullmatch(spec["pattern"], candidate):
            return candidate[: int(spec.get("max_length", 64))]
    return "smoke"


def _list(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        items += page.get("Contents", [])
    return items


_CHECKS = {
    "AWS::KinesisFirehose::DeliveryStream": _firehose,
    "AWS::Kinesis::Stream": _kinesis,
    "AWS::Events::Rule": _object_rule,
}
