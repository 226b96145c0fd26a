"""The emulator keeps CloudFormation's promises: rollbacks, no take-overs, replacements, and
reads that never create. Tiny templates through ``create_stack`` / ``update_stack``."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest

from tests.local.test_models import gone, ref


def template(resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> str:
    body: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    if outputs:
        body["Outputs"] = {key: {"Value": value} for key, value in outputs.items()}
    return json.dumps(body)


def failing(*after: str) -> dict[str, Any]:
    """A resource that fails to create (a Glue table in a database that does not exist), after ``after``."""
    return {
        "Type": "AWS::Glue::Table",
        "DependsOn": list(after),
        "Properties": {
            "CatalogId": "123456789012",
            "DatabaseName": "no_such_database",
            "TableInput": {"Name": "t"},
        },
    }


def stack(cfn: Any, name: str) -> dict[str, Any]:
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def physical(cfn: Any, name: str) -> dict[str, str]:
    resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}


def events(cfn: Any, name: str) -> list[tuple[str, str, str]]:
    found = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in found]


def name() -> str:
    return f"cfn-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def cfn(aws) -> Any:
    return aws.client("cloudformation")


def test_a_failed_create_rolls_back_and_leaves_nothing(aws, cfn) -> None:
    stack_name, bucket_name = name(), f"rollback-{uuid.uuid4().hex[:8]}"
    resources = {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket_name}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/test/{stack_name}"}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": stack_name}},
        "Table": failing("Bucket", "Logs", "Key"),
    }
    cfn.create_stack(StackName=stack_name, TemplateBody=template(resources))  # succeeds, as on AWS
    described = stack(cfn, stack_name)
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Table" in described["StackStatusReason"]
    failed = [e for e in events(cfn, stack_name) if e[1] == "CREATE_FAILED"]
    assert failed and failed[0][0] == "Table" and "no_such_database" in failed[0][2]
    gone(aws.client("s3").head_bucket, Bucket=bucket_name)
    assert aws.client("logs").describe_log_groups(logGroupNamePrefix=f"/test/{stack_name}")["logGroups"] == []
    keys = [k for k in aws.client("kms").list_keys()["Keys"]]
    descriptions = [aws.client("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in keys]
    assert [d["KeyState"] for d in descriptions if d.get("Description") == stack_name] == ["PendingDeletion"]
    assert physical(cfn, stack_name) == {}
    with pytest.raises(cfn.exceptions.ClientError, match="ROLLBACK_COMPLETE"):
        cfn.update_stack(StackName=stack_name, TemplateBody=template({"Logs": resources["Logs"]}))
    cfn.delete_stack(StackName=stack_name)
    assert stack(cfn, described["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_a_failed_create_with_rollback_disabled_keeps_what_it_made(aws, cfn) -> None:
    stack_name = name()
    resources = {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/test/{stack_name}"}},
        "Table": failing("Logs"),
    }
    cfn.create_stack(StackName=stack_name, TemplateBody=template(resources), DisableRollback=True)
    assert stack(cfn, stack_name)["StackStatus"] == "CREATE_FAILED"
    assert physical(cfn, stack_name) == {"Logs": f"/test/{stack_name}"}
    cfn.delete_stack(StackName=stack_name)
    assert aws.client("logs").describe_log_groups(logGroupNamePrefix=f"/test/{stack_name}")["logGroups"] == []


def test_a_named_resource_that_exists_is_never_taken_over(aws, cfn) -> None:
    s3 = aws.client("s3")
    bucket_name = f"cdk-like-assets-{uuid.uuid4().hex[:8]}"  # e.g. the CDK bootstrap bucket
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key="asset.zip", Body=b"not the stack's")
    stack_name = name()
    resources = {
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "DependsOn": "Queue",
            "Properties": {"BucketName": bucket_name},
        },
    }
    cfn.create_stack(StackName=stack_name, TemplateBody=template(resources))
    described = stack(cfn, stack_name)
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in events(cfn, stack_name) if e[1] == "CREATE_FAILED"]
    assert failed[0][0] == "Bucket" and f"{bucket_name} already exists" in failed[0][2]
    assert [q for q in aws.client("sqs").list_queues().get("QueueUrls", []) if stack_name in q] == []
    cfn.delete_stack(StackName=stack_name)
    assert s3.get_object(Bucket=bucket_name, Key="asset.zip")["Body"].read() == b"not the stack's"
    s3.delete_object(Bucket=bucket_name, Key="asset.zip")
    s3.delete_bucket(Bucket=bucket_name)


PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


def _existing(aws: Any, kind: str, name: str) -> tuple[dict[str, Any], Any]:
    """Make a ``kind`` resource called ``name`` through its API: (template resource naming it,
    a check that it is still there)."""
    if kind == "queue":
        url = aws.client("sqs").create_queue(QueueName=name)["QueueUrl"]
        return {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name}}, lambda: aws.client(
            "sqs"
        ).get_queue_attributes(QueueUrl=url)
    if kind == "topic":
        arn = aws.client("sns").create_topic(Name=name)["TopicArn"]
        return {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": name}}, lambda: aws.client(
            "sns"
        ).get_topic_attributes(TopicArn=arn)
    if kind == "rule":
        aws.client("events").put_rule(Name=name, ScheduleExpression="rate(1 day)")
        template_rule = {
            "Type": "AWS::Events::Rule",
            "Properties": {"Name": name, "ScheduleExpression": "rate(2 days)"},
        }
        return (
            template_rule,
            lambda: (
                aws.client("events").describe_rule(Name=name)["ScheduleExpression"] == ("rate(1 day)")
                or pytest.fail("the rule was overwritten")
            ),
        )
    if kind == "state machine":
        arn = "arn:aws:iam::123456789012:role/any"
        machine = aws.client("stepfunctions").create_state_machine(name=name, definition=PASS, roleArn=arn)
        resource = {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"StateMachineName": name, "DefinitionString": PASS, "RoleArn": arn},
        }
        return resource, lambda: aws.client("stepfunctions").describe_state_machine(
            stateMachineArn=machine["stateMachineArn"]
        )
    key = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    aws.client("kms").create_alias(AliasName=f"alias/{name}", TargetKeyId=key)
    other = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    resource = {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": f"alias/{name}", "TargetKeyId": other}}
    return (
        resource,
        lambda: (
            aws.client("kms").describe_key(KeyId=f"alias/{name}")["KeyMetadata"]["KeyId"] == (key)
            or pytest.fail("the alias was taken over")
        ),
    )


@pytest.mark.parametrize("kind", ["queue", "topic", "rule", "state machine", "alias"])
def test_moto_types_that_would_adopt_a_named_resource_fail_instead(aws, cfn, kind: str) -> None:
    resource, still_there = _existing(aws, kind, f"existing-{uuid.uuid4().hex[:8]}")
    stack_name = name()
    cfn.create_stack(StackName=stack_name, TemplateBody=template({"Named": resource}))
    described = stack(cfn, stack_name)
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "already exists" in [e for e in events(cfn, stack_name) if e[1] == "CREATE_FAILED"][0][2]
    cfn.delete_stack(StackName=stack_name)
    still_there()


def test_a_failed_update_rolls_back_to_the_previous_state(aws, cfn) -> None:
    stack_name = name()
    v1 = {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": "v1"}},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "v", "Value": "1"}]}},
        "Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("Bucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:DeleteBucket",
                            "Resource": {"Fn::Sub": "arn:aws:s3:::${Bucket}"},
                        }
                    ],
                },
            },
        },
    }
    cfn.create_stack(StackName=stack_name, TemplateBody=template(v1, {"BucketName": ref("Bucket")}))
    before = physical(cfn, stack_name)
    outputs = stack(cfn, stack_name)["Outputs"]
    v2 = {
        **v1,
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": "v2"}},  # in place
        # a replacement (object lock cannot be turned on in place): a new bucket
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"ObjectLockEnabled": True}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/test/{stack_name}"}},
        "Table": failing("Key", "Bucket", "Logs", "Policy"),
    }
    cfn.update_stack(StackName=stack_name, TemplateBody=template(v2, {"BucketName": ref("Bucket")}))
    described = stack(cfn, stack_name)
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", described
    assert [e[0] for e in events(cfn, stack_name) if e[1] == "UPDATE_FAILED"] == ["Table"]
    assert physical(cfn, stack_name) == before
    assert described["Outputs"] == outputs
    kms, s3, logs = aws.client("kms"), aws.client("s3"), aws.client("logs")
    assert kms.describe_key(KeyId=before["Key"])["KeyMetadata"]["Description"] == "v1"
    assert s3.get_bucket_tagging(Bucket=before["Bucket"])["TagSet"] == [{"Key": "v", "Value": "1"}]
    assert before["Bucket"] in s3.get_bucket_policy(Bucket=before["Bucket"])["Policy"]
    lock_buckets = [
        b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(stack_name.lower())
    ]
    assert lock_buckets == [before["Bucket"]]  # the replacement made for v2 is gone
    assert logs.describe_log_groups(logGroupNamePrefix=f"/test/{stack_name}")["logGroups"] == []
    body = cfn.get_template(StackName=stack_name)["TemplateBody"]  # boto3 parses it
    assert json.loads(json.dumps(body)) == json.loads(template(v1, {"BucketName": ref("Bucket")}))
    # and the stack takes the next (good) update
    v3 = {key: value for key, value in v2.items() if key != "Table"}
    cfn.update_stack(StackName=stack_name, TemplateBody=template(v3, {"BucketName": ref("Bucket")}))
    assert stack(cfn, stack_name)["StackStatus"] == "UPDATE_COMPLETE"
    cfn.delete_stack(StackName=stack_name)


def test_a_replacement_makes_a_new_resource_and_deletes_the_old_one_after(aws, cfn) -> None:
    stack_name = name()
    resources: dict[str, Any] = {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("Bucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:DeleteBucket",
                            "Resource": {"Fn::Sub": "arn:aws:s3:::${Bucket}"},
                        }
                    ],
                },
            },
        },
    }
    cfn.create_stack(StackName=stack_name, TemplateBody=template(resources, {"Name": ref("Bucket")}))
    old = physical(cfn, stack_name)["Bucket"]
    resources["Bucket"] = {"Type": "AWS::S3::Bucket", "Properties": {"ObjectLockEnabled": True}}
    cfn.update_stack(StackName=stack_name, TemplateBody=template(resources, {"Name": ref("Bucket")}))
    assert stack(cfn, stack_name)["StackStatus"] == "UPDATE_COMPLETE"
    new = physical(cfn, stack_name)["Bucket"]
    s3 = aws.client("s3")
    assert new != old and new.startswith(stack_name.lower())
    gone(s3.head_bucket, Bucket=old)
    assert (
        s3.get_object_lock_configuration(Bucket=new)["ObjectLockConfiguration"]["ObjectLockEnabled"]
        == "Enabled"
    )
    assert new in s3.get_bucket_policy(Bucket=new)["Policy"]  # what refers to it followed
    assert stack(cfn, stack_name)["Outputs"][0]["OutputValue"] == new
    cfn.delete_stack(StackName=stack_name)
    gone(s3.head_bucket, Bucket=new)


def test_a_custom_named_resource_that_needs_replacing_fails_the_update(aws, cfn) -> None:
    stack_name, bucket_name = name(), f"named-{uuid.uuid4().hex[:8]}"
    bucket: dict[str, Any] = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket_name}}
    cfn.create_stack(StackName=stack_name, TemplateBody=template({"Bucket": bucket}))
    bucket["Properties"]["ObjectLockEnabled"] = True
    cfn.update_stack(StackName=stack_name, TemplateBody=template({"Bucket": bucket}))
    described = stack(cfn, stack_name)
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "custom-named resource requires replacing" in described["StackStatusReason"]
    aws.client("s3").head_bucket(Bucket=bucket_name)
    cfn.delete_stack(StackName=stack_name)


def test_reads_during_a_create_never_create_anything(aws, cfn) -> None:
    stack_name, count = name(), 12
    resources: dict[str, Any] = {
        f"Bucket{i}": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "Tags": [{"Key": "i", "Value": str(i)}],
            },
            **({"DependsOn": f"Bucket{i - 1}"} if i else {}),
        }
        for i in range(count)
    }
    outputs = {f"Name{i}": ref(f"Bucket{i}") for i in range(count)}
    done = threading.Event()
    errors: list[str] = []
    seen: list[int] = []

    def poll() -> None:
        reader = aws.client("cloudformation")
        while not done.is_set():
            try:
                seen.append(len(reader.describe_stack_resources(StackName=stack_name)["StackResources"]))
                reader.describe_stacks(StackName=stack_name)
                reader.list_stack_resources(StackName=stack_name)
            except reader.exceptions.ClientError as error:
                if "does not exist" not in str(error):
                    errors.append(str(error))

    readers = [threading.Thread(target=poll) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        cfn.create_stack(StackName=stack_name, TemplateBody=template(resources, outputs))
    finally:
        done.set()
        for reader in readers:
            reader.join()
    described = stack(cfn, stack_name)
    assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
    assert errors == []
    assert seen and max(seen) <= count
    names = sorted(physical(cfn, stack_name).values())
    assert len(names) == count
    mine = [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"] if b["Name"].startswith(stack_name)]
    assert sorted(mine) == names  # each created once
    assert sorted(o["OutputValue"] for o in described["Outputs"]) == names
    cfn.delete_stack(StackName=stack_name)
