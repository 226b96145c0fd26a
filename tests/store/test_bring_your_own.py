"""Bring your own, honestly: a lake of existing buckets, key and databases creates nothing it does
not need, and what cannot apply to, or may be missing on, an imported bucket is a synth warning."""

from __future__ import annotations

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.cx_api import CloudAssembly

from ml_constructs import DataLake, Field, MlWorkflow, ObjectTrigger, RawTiering, RecordSchema, Zone
from ml_constructs.ml.batch_transform import BatchTransform
from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.training_job import TrainingJob
from ml_constructs.workflow.ml_workflow import NewDataTrigger

SCHEMA = RecordSchema.from_fields(Field("id"))


def warnings_of(assembly: CloudAssembly, stack_name: str = "Adopt") -> list[tuple[str, str]]:
    """(construct path, message) of every warning in the stack's metadata."""
    artifact = assembly.get_stack_by_name(stack_name)
    return [(entry.path, str(entry.data)) for entry in artifact.find_metadata_by_type("aws:cdk:warning")]


def imported_lake(stack: Stack, **kwargs) -> DataLake:
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    buckets = {
        zone: s3.Bucket.from_bucket_attributes(
            stack, f"{zone.name.title()}Existing", bucket_name=f"corp-{zone.value}", encryption_key=key
        )
        for zone in Zone
    }
    return DataLake(stack, "Lake", buckets=buckets, **kwargs)


def test_a_lake_of_existing_buckets_key_and_databases_creates_nothing():
    stack = Stack(App(), "Adopt")
    lake = imported_lake(stack, databases={zone: f"corp_{zone.value}" for zone in Zone})
    template = App.of(stack).synth().get_stack_by_name("Adopt").template
    types = {r["Type"] for r in template.get("Resources", {}).values()} - {"AWS::CDK::Metadata"}
    assert types == set(), types
    assert lake.access_logs_bucket is None and not lake.databases
    assert lake.database_name(Zone.PROCESSED) == "corp_processed"
    # The buckets' own (common) key is the lake's key: what the constructs encrypt with.
    assert stack.resolve(lake.encryption_key.key_arn).endswith("key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert not lake.owns_bucket(Zone.RAW)


def test_only_the_missing_databases_and_no_key_without_a_common_one():
    stack = Stack(App(), "Adopt")
    lake = DataLake(
        stack,
        "Lake",
        buckets={
            zone: s3.Bucket.from_bucket_name(stack, f"B{zone.value}", f"corp-{zone.value}") for zone in Zone
        },
        databases={Zone.RAW: "corp_raw"},
    )
    template = App.of(stack).synth().get_stack_by_name("Adopt").template
    counts: dict[str, int] = {}
    for resource in template["Resources"].values():
        counts[resource["Type"]] = counts.get(resource["Type"], 0) + 1
    # No key came with the buckets: the lake makes one (the constructs encrypt logs and queues
    # with it); no access log bucket (no bucket is created), 3 databases.
    assert counts.get("AWS::S3::Bucket", 0) == 0
    assert counts["AWS::KMS::Key"] == 1
    assert counts["AWS::Glue::Database"] == 3
    assert set(lake.databases) == {Zone.PROCESSED, Zone.CURATED, Zone.MODELS}


def test_an_imported_bucket_a_trigger_needs_gets_a_warning_saying_what_to_turn_on():
    stack = Stack(App(), "Adopt")
    lake = imported_lake(stack)
    ObjectTrigger(stack, "Files", lake=lake, schema=SCHEMA)
    assembly = App.of(stack).synth()
    found = [(path, message) for path, message in warnings_of(assembly) if "EventBridge" in message]
    assert len(found) == 1, found
    path, message = found[0]
    assert path == "/Adopt/Files"
    assert "corp-raw" in message and "imported" in message
    assert '"EventBridgeConfiguration": {}' in message and "put-bucket-notification-configuration" in message


def test_buckets_the_lake_creates_need_no_warning():
    stack = Stack(App(), "Adopt")
    lake = DataLake(stack, "Lake")
    ObjectTrigger(stack, "Files", lake=lake, schema=SCHEMA)
    assembly = App.of(stack).synth()
    assert [w for w in warnings_of(assembly) if "EventBridge" in w[1]] == []


def test_the_workflow_new_data_trigger_on_an_imported_bucket_warns():
    stack = Stack(App(), "Adopt")
    lake = imported_lake(stack)
    train = TrainingJob(
        stack,
        "Train",
        lake=lake,
        image=SageMakerImage.built_in("xgboost", "1.7-1"),
        instance_type="ml.m5.xlarge",
    )
    batch = BatchTransform(stack, "Batch", lake=lake)
    MlWorkflow(
        stack, "Workflow", lake=lake, training=train, batch=batch, new_data=NewDataTrigger(prefix="sales/")
    )
    assembly = App.of(stack).synth()
    paths = [path for path, message in warnings_of(assembly) if "EventBridge" in message]
    assert paths == ["/Adopt/Workflow"]


def test_raw_tiering_for_an_imported_raw_bucket_warns_instead_of_vanishing():
    stack = Stack(App(), "Adopt")
    mine = s3.Bucket.from_bucket_name(stack, "Existing", "corp-raw")
    DataLake(
        stack, "Lake", buckets={Zone.RAW: mine}, raw_tiering=RawTiering(archive_after=Duration.days(180))
    )
    assembly = App.of(stack).synth()
    found = [m for _, m in warnings_of(assembly) if "raw_tiering" in m]
    assert len(found) == 1 and "is not applied" in found[0], warnings_of(assembly)


def test_default_tiering_with_an_imported_raw_bucket_is_quiet():
    stack = Stack(App(), "Adopt")
    DataLake(stack, "Lake", buckets={Zone.RAW: s3.Bucket.from_bucket_name(stack, "Existing", "corp-raw")})
    assert [m for _, m in warnings_of(App.of(stack).synth()) if "raw_tiering" in m] == []


def test_stream_settings_for_a_stream_you_bring_warn():
    from aws_cdk import aws_kinesis as kinesis

    from ml_constructs import StreamIngest
    from ml_constructs.collect.stream_ingest import DataStreamSettings

    stack = Stack(App(), "Adopt")
    lake = DataLake(stack, "Lake")
    mine = kinesis.Stream.from_stream_arn(
        stack, "Mine", "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
    )
    StreamIngest(stack, "Quiet", lake=lake, schema=SCHEMA, stream=mine)
    StreamIngest(
        stack,
        "Loud",
        lake=lake,
        schema=SCHEMA,
        stream=mine,
        stream_settings=DataStreamSettings(shard_count=4),
    )
    found = [(path, m) for path, m in warnings_of(App.of(stack).synth()) if "stream_settings" in m]
    assert [path for path, _ in found] == ["/Adopt/Loud"], found
