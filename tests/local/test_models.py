"""Each taught CloudFormation type: a tiny template deployed through moto's CloudFormation.

For every type: ``Ref`` / ``Fn::GetAtt`` resolve to real values, the resource exists in its
service's API with the template's settings, updates apply, and deleting the stack removes it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ml_constructs.local.models import TAUGHT


def trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def role(service: str = "lambda.amazonaws.com") -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust(service)}}


def function(role_id: str = "Role") -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": [role_id, "Arn"]},
            "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
        },
    }


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def att(logical_id: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def gone(call: Any, **kwargs: Any) -> None:
    with pytest.raises(ClientError):
        call(**kwargs)


def resolved(value: str) -> str:
    """An output that CloudFormation resolved to a real value (not empty, not a Python repr)."""
    assert value and not value.startswith("<") and "object at 0x" not in value, value
    return value


def test_every_taught_type_is_tested_here() -> None:
    source = Path(__file__).read_text()
    untested = [cls.TYPE for cls in TAUGHT if f'"{cls.TYPE}"' not in source]
    assert untested == []


# ------------------------------------------------------------------------------ S3, KMS


def test_bucket_policy_allows_data_over_the_emulator_and_goes_with_its_resource(deploy) -> None:
    ssl_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [att("Bucket", "Arn"), {"Fn::Join": ["", [att("Bucket", "Arn"), "/*"]]}],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    resources = {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": ref("Bucket"), "PolicyDocument": ssl_only},
        },
    }
    stack = deploy(resources, {"Policy": ref("Policy"), "Bucket": ref("Bucket")})
    s3 = stack.client("s3")
    bucket = resolved(stack.outputs["Bucket"])
    assert stack.outputs["Policy"] == bucket
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Effect"] == "Deny"
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")  # loopback counts as secure transport
    s3.delete_object(Bucket=bucket, Key="k")

    deny_all = {
        **ssl_only,
        "Statement": [{**ssl_only["Statement"][0], "Condition": {"Bool": {"aws:SecureTransport": "true"}}}],
    }
    stack.update(
        {
            **resources,
            "Policy": {
                **resources["Policy"],
                "Properties": {"Bucket": ref("Bucket"), "PolicyDocument": deny_all},
            },
        }
    )
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    stack.update({"Bucket": resources["Bucket"]})
    gone(s3.get_bucket_policy, Bucket=bucket)
    stack.delete()


def test_bucket_gets_all_its_settings(deploy) -> None:
    bucket = {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": att("Key", "Arn"),
                        },
                    }
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "abort",
                        "Status": "Enabled",
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                    },
                    {
                        "Id": "tiering",
                        "Status": "Enabled",
                        "Prefix": "raw/",
                        "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}],
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                    },
                ]
            },
            "LoggingConfiguration": {"DestinationBucketName": ref("Logs"), "LogFilePrefix": "raw/"},
            "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
            "Tags": [{"Key": "zone", "Value": "raw"}],
        },
    }
    key = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": []}}}
    resources = {"Key": key, "Logs": {"Type": "AWS::S3::Bucket", "Properties": {}}, "Bucket": bucket}
    outputs = {
        "Name": ref("Bucket"),
        "Arn": att("Bucket", "Arn"),
        "Domain": att("Bucket", "RegionalDomainName"),
    }
    stack = deploy(resources, outputs)
    s3 = stack.client("s3")
    name = resolved(stack.outputs["Name"])
    assert name == name.lower() and len(name) <= 63
    assert (
        stack.outputs["Arn"] == f"arn:aws:s3:::{name}"
        and stack.outputs["Domain"] == f"{name}.s3.us-east-1.amazonaws.com"
    )
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert (
        rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        and rule["BucketKeyEnabled"] is True
    )
    assert (
        s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"]
        is True
    )
    assert (
        s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
        == "BucketOwnerEnforced"
    )
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]}
    assert rules["abort"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7
    assert rules["tiering"]["Transitions"][0] == {"Days": 30, "StorageClass": "STANDARD_IA"}
    assert rules["tiering"]["Filter"] == {"Prefix": "raw/"}
    assert s3.get_bucket_logging(Bucket=name)["LoggingEnabled"] == {
        "TargetBucket": stack.physical["Logs"],
        "TargetPrefix": "raw/",
    }
    # EventBridge notifications: moto's GetBucketNotificationConfiguration omits the empty
    # element; test_runner.py shows the events reaching a rule.
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "zone", "Value": "raw"}]

    suspended = {
        **bucket,
        "Properties": {**bucket["Properties"], "VersioningConfiguration": {"Status": "Suspended"}},
    }
    stack.update({**resources, "Bucket": suspended})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"  # in place: same bucket
    logs = stack.physical["Logs"]
    assert s3.list_objects_v2(Bucket=logs, Prefix="raw/")["KeyCount"] > 0  # moto writes access logs
    for item in s3.list_objects_v2(Bucket=logs)["Contents"]:
        s3.delete_object(Bucket=logs, Key=item["Key"])
    stack.delete()
    gone(s3.head_bucket, Bucket=name)


def test_kms_key_and_alias(deploy) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    key = {
        "Type": "AWS::KMS::Key",
        "Properties": {
            "KeyPolicy": policy,
            "EnableKeyRotation": True,
            "Description": "lake",
            "Tags": [{"Key": "team", "Value": "ml"}],
        },
    }
    resources = {
        "Key": key,
        "Alias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": "alias/lake", "TargetKeyId": ref("Key")},
        },
    }
    stack = deploy(resources, {"Id": ref("Key"), "Arn": att("Key", "Arn"), "KeyId": att("Key", "KeyId")})
    kms = stack.client("kms")
    key_id = resolved(stack.outputs["Id"])
    assert stack.outputs["KeyId"] == key_id and stack.outputs["Arn"].endswith(f"key/{key_id}")
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (described["KeyState"], described["Description"]) == ("Enabled", "lake")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == policy
    assert {"TagKey": "team", "TagValue": "ml"} in kms.list_resource_tags(KeyId=key_id)["Tags"]
    assert any(a["AliasName"] == "alias/lake" for a in kms.list_aliases()["Aliases"])

    stack.update({**resources, "Key": {**key, "Properties": {**key["Properties"], "Description": "lake v2"}}})
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "lake v2"  # in place
    stack.delete()
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


# ------------------------------------------------------------------ Lambda, Logs, SQS, SNS


def test_lambda_permission_and_event_invoke_config(deploy) -> None:
    resources = {
        "Role": role(),
        "Function": function(),
        "Failures": {"Type": "AWS::SQS::Queue"},
        "Permission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": att("Function", "Arn"),
                "Principal": "events.amazonaws.com",
                "SourceArn": "arn:aws:events:us-east-1:123456789012:rule/r",
            },
        },
        "Invoke": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": ref("Function"),
                "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 1,
                "MaximumEventAgeInSeconds": 3600,
                "DestinationConfig": {"OnFailure": {"Destination": att("Failures", "Arn")}},
            },
        },
    }
    stack = deploy(
        resources, {"Permission": ref("Permission"), "Invoke": ref("Invoke"), "Function": ref("Function")}
    )
    lam = stack.client("lambda")
    function_name = stack.outputs["Function"]
    statements = json.loads(lam.get_policy(FunctionName=function_name)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == [resolved(stack.outputs["Permission"])]
    assert statements[0]["Principal"] == {"Service": "events.amazonaws.com"}
    config = lam.get_function_event_invoke_config(FunctionName=function_name)
    assert config["MaximumRetryAttempts"] == 1
    assert config["DestinationConfig"]["OnFailure"]["Destination"].endswith(
        ":sqs:us-east-1:123456789012:" + stack.physical["Failures"].rsplit("/", 1)[-1]
    )
    assert resolved(stack.outputs["Invoke"]).startswith(function_name)

    stack.update({k: v for k, v in resources.items() if k not in ("Permission", "Invoke")})
    gone(lam.get_policy, FunctionName=function_name)
    gone(lam.get_function_event_invoke_config, FunctionName=function_name)
    stack.delete()
    gone(lam.get_function, FunctionName=function_name)


def test_log_stream(deploy) -> None:
    resources = {
        "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "Stream": {
            "Type": "AWS::Logs::LogStream",
            "Properties": {"LogGroupName": ref("Group"), "LogStreamName": "ingest"},
        },
    }
    stack = deploy(resources, {"Stream": ref("Stream"), "Group": ref("Group")})
    logs = stack.client("logs")
    assert stack.outputs["Stream"] == "ingest"
    streams = logs.describe_log_streams(logGroupName=stack.outputs["Group"])["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["ingest"]
    stack.delete()
    assert logs.describe_log_groups(logGroupNamePrefix=stack.outputs["Group"])["logGroups"] == []


def test_metric_filter(deploy) -> None:
    def metric_filter(pattern: str) -> dict[str, Any]:
        return {
            "Type": "AWS::Logs::MetricFilter",
            "Properties": {
                "LogGroupName": ref("Group"),
                "FilterPattern": pattern,
                "MetricTransformations": [
                    {"MetricName": "Failed", "MetricNamespace": "Ml", "MetricValue": "1", "DefaultValue": 0}
                ],
            },
        }

    resources = {"Group": {"Type": "AWS::Logs::LogGroup", "Properties": {}}, "Filter": metric_filter("ERROR")}
    stack = deploy(resources, {"Filter": ref("Filter")})
    logs = stack.client("logs")
    name = resolved(stack.outputs["Filter"])
    found = logs.describe_metric_filters(logGroupName=stack.physical["Group"])["metricFilters"]
    assert [(f["filterName"], f["filterPattern"]) for f in found] == [(name, "ERROR")]
    assert found[0]["metricTransformations"][0]["metricNamespace"] == "Ml"
    stack.update({**resources, "Filter": metric_filter("Failed")})
    assert (
        logs.describe_metric_filters(logGroupName=stack.physical["Group"])["metricFilters"][0][
            "filterPattern"
        ]
        == "Failed"
    )
    stack.delete()
    assert logs.describe_metric_filters(filterNamePrefix=name)["metricFilters"] == []


def test_queue_policy(deploy) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": att("Queue", "Arn"),
            }
        ],
    }
    resources = {
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Policy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {"Queues": [ref("Queue")], "PolicyDocument": document},
        },
    }
    stack = deploy(resources, {"Policy": ref("Policy"), "Id": att("Policy", "Id")})
    sqs = stack.client("sqs")
    url = stack.physical["Queue"]
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert policy["Statement"][0]["Action"] == "sqs:SendMessage"
    assert resolved(stack.outputs["Policy"]) == stack.outputs["Id"]
    stack.update({"Queue": resources["Queue"]})
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get(
        "Attributes", {}
    )
    stack.delete()


def test_topic_policy_and_subscription_deliver_to_a_queue(deploy) -> None:
    resources = {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": ref("Topic"),
                "Protocol": "sqs",
                "Endpoint": att("Queue", "Arn"),
                "RawMessageDelivery": True,
                "FilterPolicy": {"stage": ["train"]},
            },
        },
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [ref("Topic")],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": ref("Topic"),
                        }
                    ],
                },
            },
        },
    }
    stack = deploy(
        resources,
        {
            "Subscription": ref("Subscription"),
            "Arn": att("Subscription", "Arn"),
            "Policy": ref("TopicPolicy"),
        },
    )
    sns, sqs = stack.client("sns"), stack.client("sqs")
    arn = resolved(stack.outputs["Subscription"])
    assert stack.outputs["Arn"] == arn
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert (attributes["RawMessageDelivery"], json.loads(attributes["FilterPolicy"])) == (
        "true",
        {"stage": ["train"]},
    )
    topic = stack.physical["Topic"]
    assert "events.amazonaws.com" in sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
    resolved(stack.outputs["Policy"])

    sns.publish(
        TopicArn=topic,
        Message="done",
        MessageAttributes={"stage": {"DataType": "String", "StringValue": "train"}},
    )
    messages = sqs.receive_message(QueueUrl=stack.physical["Queue"], WaitTimeSeconds=1)["Messages"]
    assert messages[0]["Body"] == "done"

    stack.update({k: v for k, v in resources.items() if k not in ("Subscription", "TopicPolicy")})
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert "__default_policy_ID" in sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
    stack.delete()


# --------------------------------------------------------------- Scheduler, CloudWatch


def test_schedule_updates_in_place(deploy) -> None:
    schedule = {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "ScheduleExpression": "rate(1 day)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {
                "Arn": att("Function", "Arn"),
                "RoleArn": att("SchedulerRole", "Arn"),
                "Input": '{"a": 1}',
            },
        },
    }
    resources = {
        "Role": role(),
        "SchedulerRole": role("scheduler.amazonaws.com"),
        "Function": function(),
        "Schedule": schedule,
    }
    stack = deploy(resources, {"Name": ref("Schedule"), "Arn": att("Schedule", "Arn")})
    scheduler = stack.client("scheduler")
    name = resolved(stack.outputs["Name"])
    assert len(name) <= 64 and stack.outputs["Arn"].endswith(f"schedule/default/{name}")
    assert scheduler.get_schedule(Name=name)["Target"]["Input"] == '{"a": 1}'
    changed = {**schedule, "Properties": {**schedule["Properties"], "ScheduleExpression": "rate(2 days)"}}
    stack.update({**resources, "Schedule": changed})
    assert scheduler.get_schedule(Name=name)["ScheduleExpression"] == "rate(2 days)"
    stack.delete()
    gone(scheduler.get_schedule, Name=name)


def test_alarm_updates_in_place(deploy) -> None:
    alarm = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "MetricName": "Errors",
            "Namespace": "AWS/Lambda",
            "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [ref("Topic")],
        },
    }
    resources = {"Topic": {"Type": "AWS::SNS::Topic"}, "Alarm": alarm}
    stack = deploy(resources, {"Name": ref("Alarm"), "Arn": att("Alarm", "Arn")})
    cloudwatch = stack.client("cloudwatch")
    name = resolved(stack.outputs["Name"])
    assert stack.outputs["Arn"] == f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"
    found = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert (found["Threshold"], found["AlarmActions"]) == (1.0, [stack.physical["Topic"]])
    stack.update({**resources, "Alarm": {**alarm, "Properties": {**alarm["Properties"], "Threshold": 5}}})
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["Threshold"] == 5.0
    stack.delete()
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []


# ---------------------------------------------------------------------------------- Glue


def glue_resources(max_retries: int = 1) -> dict[str, Any]:
    return {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Role": role("glue.amazonaws.com"),
        "Database": {
            "Type": "AWS::Glue::Database",
            "Properties": {"CatalogId": ref("AWS::AccountId"), "DatabaseInput": {"Description": "raw zone"}},
        },
        "Table": {
            "Type": "AWS::Glue::Table",
            "Properties": {
                "CatalogId": ref("AWS::AccountId"),
                "DatabaseName": ref("Database"),
                "TableInput": {
                    "Name": "sales",
                    "TableType": "EXTERNAL_TABLE",
                    "PartitionKeys": [{"Name": "dt", "Type": "string"}],
                    "StorageDescriptor": {
                        "Columns": [
                            {"Name": "order_id", "Type": "string"},
                            {"Name": "amount", "Type": "double"},
                        ],
                        "Location": {"Fn::Sub": "s3://${Bucket}/sales/"},
                        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                        "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
                    },
                },
            },
        },
        "Security": {
            "Type": "AWS::Glue::SecurityConfiguration",
            "Properties": {
                "Name": "ml-security",
                "EncryptionConfiguration": {
                    "S3Encryptions": [{"S3EncryptionMode": "SSE-S3"}],
                    "CloudWatchEncryption": {"CloudWatchEncryptionMode": "DISABLED"},
                    "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "DISABLED"},
                },
            },
        },
        "Job": {
            "Type": "AWS::Glue::Job",
            "Properties": {
                "Role": att("Role", "Arn"),
                "Command": {
                    "Name": "glueetl",
                    "ScriptLocation": {"Fn::Sub": "s3://${Bucket}/scripts/features.py"},
                    "PythonVersion": "3",
                },
                "GlueVersion": "5.0",
                "WorkerType": "G.1X",
                "NumberOfWorkers": 2,
                "MaxRetries": max_retries,
                "Timeout": 60,
                "SecurityConfiguration": ref("Security"),
                "DefaultArguments": {
                    "--job-bookmark-option": "job-bookmark-enable",
                    "--enable-metrics": "true",
                },
                "ExecutionProperty": {"MaxConcurrentRuns": 1},
                "Tags": {"stage": "process"},
            },
        },
        "Crawler": {
            "Type": "AWS::Glue::Crawler",
            "Properties": {
                "Role": att("Role", "Arn"),
                "DatabaseName": ref("Database"),
                "Targets": {"S3Targets": [{"Path": {"Fn::Sub": "s3://${Bucket}/sales/"}}]},
                "Schedule": {"ScheduleExpression": "cron(0 3 * * ? *)"},
                "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"},
                "CrawlerSecurityConfiguration": ref("Security"),
            },
        },
        "Trigger": {
            "Type": "AWS::Glue::Trigger",
            "Properties": {
                "Type": "SCHEDULED",
                "Schedule": "cron(0 4 * * ? *)",
                "StartOnCreation": True,
                "Actions": [{"JobName": ref("Job"), "Arguments": {"--day": "today"}}],
            },
        },
    }


def test_glue_catalog_job_crawler_trigger(deploy) -> None:
    outputs = {k: ref(k) for k in ("Database", "Table", "Job", "Crawler", "Security", "Trigger")}
    stack = deploy(glue_resources(), outputs)
    glue = stack.client("glue")
    o = {k: resolved(v) for k, v in stack.outputs.items()}
    assert o["Database"].islower() and o["Table"] == "sales" and o["Security"] == "ml-security"
    assert glue.get_database(Name=o["Database"])["Database"]["Description"] == "raw zone"
    table = glue.get_table(DatabaseName=o["Database"], Name="sales")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"s3://{stack.physical['Bucket']}/sales/"
    job = glue.get_job(JobName=o["Job"])["Job"]
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"], job["MaxRetries"]) == (
        "5.0",
        "G.1X",
        2,
        1,
    )
    assert job["SecurityConfiguration"] == "ml-security"
    crawler = glue.get_crawler(Name=o["Crawler"])["Crawler"]
    assert crawler["Schedule"]["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert crawler["Targets"]["S3Targets"][0]["Path"].endswith("/sales/")
    config = glue.get_security_configuration(Name="ml-security")["SecurityConfiguration"]
    assert config["EncryptionConfiguration"]["S3Encryption"][0]["S3EncryptionMode"] == "SSE-S3"
    assert glue.get_trigger(Name=o["Trigger"])["Trigger"]["Actions"][0]["JobName"] == o["Job"]

    stack = stack.update(glue_resources(max_retries=3), outputs)  # replaced, keeping its name
    assert stack.outputs["Job"] == o["Job"]
    assert glue.get_job(JobName=o["Job"])["Job"]["MaxRetries"] == 3

    stack.delete()
    gone(glue.get_database, Name=o["Database"])
    gone(glue.get_job, JobName=o["Job"])
    gone(glue.get_crawler, Name=o["Crawler"])
    gone(glue.get_security_configuration, Name="ml-security")
    gone(glue.get_trigger, Name=o["Trigger"])


# ------------------------------------------------------------- Firehose, Kinesis Video


def test_firehose_delivers_records_to_s3(deploy) -> None:
    resources = {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Role": role("firehose.amazonaws.com"),
        "Stream": {
            "Type": "AWS::KinesisFirehose::DeliveryStream",
            "Properties": {
                "DeliveryStreamType": "DirectPut",
                "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "AWS_OWNED_CMK"},
                "ExtendedS3DestinationConfiguration": {
                    "BucketARN": att("Bucket", "Arn"),
                    "RoleARN": att("Role", "Arn"),
                    "Prefix": "clicks/",
                    "ErrorOutputPrefix": "errors/",
                    "CompressionFormat": "UNCOMPRESSED",
                    "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1},
                },
            },
        },
    }
    stack = deploy(resources, {"Name": ref("Stream"), "Arn": att("Stream", "Arn")})
    firehose, s3 = stack.client("firehose"), stack.client("s3")
    name = resolved(stack.outputs["Name"])
    assert len(name) <= 64
    assert stack.outputs["Arn"] == f"arn:aws:firehose:us-east-1:123456789012:deliverystream/{name}"
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b'{"click": 1}\n'})
    bucket = stack.physical["Bucket"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="clicks/")["Contents"]]
    assert len(keys) == 1
    assert s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read() == b'{"click": 1}\n'
    s3.delete_object(Bucket=bucket, Key=keys[0])
    stack.delete()
    gone(firehose.describe_delivery_stream, DeliveryStreamName=name)


def test_kinesis_video_stream(deploy) -> None:
    resources = {
        "Video": {
            "Type": "AWS::KinesisVideo::Stream",
            "Properties": {"DataRetentionInHours": 24, "MediaType": "video/h264"},
        }
    }
    stack = deploy(resources, {"Name": ref("Video"), "Arn": att("Video", "Arn")})
    video = stack.client("kinesisvideo")
    name = resolved(stack.outputs["Name"])
    info = video.describe_stream(StreamName=name)["StreamInfo"]
    assert (info["StreamARN"], info["DataRetentionInHours"]) == (stack.outputs["Arn"], 24)
    stack.delete()
    gone(video.describe_stream, StreamName=name)


# ----------------------------------------------------------------------------------- DMS


def dms_resources() -> dict[str, Any]:
    def subnet(cidr: str, az: str) -> dict[str, Any]:
        return {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": ref("Vpc"), "CidrBlock": cidr, "AvailabilityZone": az},
        }

    return {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": subnet("10.0.0.0/24", "us-east-1a"),
        "SubnetB": subnet("10.0.1.0/24", "us-east-1b"),
        "Group": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "dms", "VpcId": ref("Vpc")},
        },
        "Subnets": {
            "Type": "AWS::DMS::ReplicationSubnetGroup",
            "Properties": {
                "ReplicationSubnetGroupDescription": "dms",
                "SubnetIds": [ref("SubnetA"), ref("SubnetB")],
            },
        },
        "Instance": {
            "Type": "AWS::DMS::ReplicationInstance",
            "Properties": {
                "ReplicationInstanceClass": "dms.t3.medium",
                "AllocatedStorage": 50,
                "PubliclyAccessible": False,
                "ReplicationSubnetGroupIdentifier": ref("Subnets"),
                "VpcSecurityGroupIds": [att("Group", "GroupId")],
            },
        },
        "Secret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {"GenerateSecretString": {"PasswordLength": 20}},
        },
        "AccessRole": role("dms.amazonaws.com"),
        "Source": {
            "Type": "AWS::DMS::Endpoint",
            "Properties": {
                "EndpointType": "source",
                "EngineName": "postgres",
                "DatabaseName": "sales",
                "PostgreSqlSettings": {
                    "SecretsManagerAccessRoleArn": att("AccessRole", "Arn"),
                    "SecretsManagerSecretId": ref("Secret"),
                },
            },
        },
        "Target": {
            "Type": "AWS::DMS::Endpoint",
            "Properties": {
                "EndpointType": "target",
                "EngineName": "s3",
                "S3Settings": {
                    "BucketName": "raw-bucket",
                    "BucketFolder": "orders",
                    "ServiceAccessRoleArn": att("AccessRole", "Arn"),
                },
            },
        },
        "Task": {
            "Type": "AWS::DMS::ReplicationTask",
            "Properties": {
                "MigrationType": "full-load-and-cdc",
                "ReplicationInstanceArn": ref("Instance"),
                "SourceEndpointArn": ref("Source"),
                "TargetEndpointArn": ref("Target"),
                "TableMappings": json.dumps(
                    {
                        "rules": [
                            {
                                "rule-type": "selection",
                                "rule-id": "1",
                                "rule-name": "1",
                                "object-locator": {"schema-name": "sales", "table-name": "%"},
                                "rule-action": "include",
                            }
                        ]
                    }
                ),
            },
        },
        "Serverless": {
            "Type": "AWS::DMS::ReplicationConfig",
            "Properties": {
                "ReplicationConfigIdentifier": "orders-cdc",
                "ReplicationType": "full-load-and-cdc",
                "SourceEndpointArn": ref("Source"),
                "TargetEndpointArn": ref("Target"),
                "ComputeConfig": {
                    "MaxCapacityUnits": 16,
                    "ReplicationSubnetGroupId": ref("Subnets"),
                    "VpcSecurityGroupIds": [att("Group", "GroupId")],
                },
                "TableMappings": {
                    "rules": [
                        {
                            "rule-type": "selection",
                            "rule-id": "1",
                            "rule-name": "1",
                            "object-locator": {"schema-name": "sales", "table-name": "%"},
                            "rule-action": "include",
                        }
                    ]
                },
            },
        },
    }


def test_dms_instance_endpoints_task_and_serverless_config(deploy) -> None:
    outputs = {
        "Subnets": ref("Subnets"),
        "Instance": ref("Instance"),
        "PrivateIps": att("Instance", "ReplicationInstancePrivateIpAddresses"),
        "Source": ref("Source"),
        "Target": ref("Target"),
        "Task": ref("Task"),
        "Config": ref("Serverless"),
        "ConfigArn": att("Serverless", "ReplicationConfigArn"),
    }
    stack = deploy(dms_resources(), outputs)
    dms = stack.client("dms")
    o = {k: resolved(v) for k, v in stack.outputs.items() if k != "PrivateIps"}

    def one(operation: str, key: str, name: str, value: str) -> dict[str, Any]:
        found = getattr(dms, operation)(Filters=[{"Name": name, "Values": [value]}])[key]
        assert len(found) == 1
        return found[0]

    one(
        "describe_replication_subnet_groups",
        "ReplicationSubnetGroups",
        "replication-subnet-group-id",
        o["Subnets"],
    )
    instance = one(
        "describe_replication_instances", "ReplicationInstances", "replication-instance-arn", o["Instance"]
    )
    assert instance["ReplicationInstanceClass"] == "dms.t3.medium"
    source = one("describe_endpoints", "Endpoints", "endpoint-arn", o["Source"])
    assert (source["EngineName"], source["EndpointType"].lower()) == ("postgres", "source")
    task = one("describe_replication_tasks", "ReplicationTasks", "replication-task-arn", o["Task"])
    assert task["MigrationType"] == "full-load-and-cdc"
    config = one("describe_replication_configs", "ReplicationConfigs", "replication-config-arn", o["Config"])
    assert o["ConfigArn"] == o["Config"] and config["ReplicationConfigIdentifier"] == "orders-cdc"
    assert json.loads(config["TableMappings"])["rules"][0]["rule-action"] == "include"
    assert config["ComputeConfig"]["MaxCapacityUnits"] == 16

    stack.delete()
    assert dms.describe_endpoints()["Endpoints"] == []
    with pytest.raises(ClientError):
        dms.describe_replication_configs(
            Filters=[{"Name": "replication-config-arn", "Values": [o["Config"]]}]
        )


# ------------------------------------------------------------------- Secrets Manager, EC2


def test_secret_generates_a_password_into_its_template(deploy) -> None:
    secret = {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Description": "database login",
            "GenerateSecretString": {
                "SecretStringTemplate": '{"username": "ml"}',
                "GenerateStringKey": "password",
                "PasswordLength": 32,
                "ExcludePunctuation": True,
            },
        },
    }
    stack = deploy({"Secret": secret}, {"Arn": ref("Secret"), "Id": att("Secret", "Id")})
    secrets = stack.client("secretsmanager")
    arn = resolved(stack.outputs["Arn"])
    assert (
        arn.startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:") and stack.outputs["Id"] == arn
    )
    value = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    assert value["username"] == "ml" and len(value["password"]) == 32 and value["password"].isalnum()
    stack.update({"Secret": {**secret, "Properties": {**secret["Properties"], "Description": "db"}}})
    assert secrets.describe_secret(SecretId=arn)["Description"] == "db"
    assert json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"]) == value  # not regenerated
    stack.delete()
    gone(secrets.describe_secret, SecretId=arn)


def test_security_group_ingress_and_egress_rules(deploy) -> None:
    def group() -> dict[str, Any]:
        return {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "g", "VpcId": ref("Vpc")},
        }

    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}},
        "Database": group(),
        "Replication": group(),
        "Ingress": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": att("Database", "GroupId"),
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "SourceSecurityGroupId": att("Replication", "GroupId"),
                "Description": "from dms",
            },
        },
        "Egress": {
            "Type": "AWS::EC2::SecurityGroupEgress",
            "Properties": {
                "GroupId": att("Replication", "GroupId"),
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "CidrIp": "10.1.0.0/16",
                "Description": "to endpoints",
            },
        },
    }
    stack = deploy(
        resources, {"Ingress": ref("Ingress"), "Egress": ref("Egress"), "EgressId": att("Egress", "Id")}
    )
    ec2 = stack.client("ec2")
    ingress, egress = resolved(stack.outputs["Ingress"]), resolved(stack.outputs["Egress"])
    assert ingress.startswith("sgr-") and egress == stack.outputs["EgressId"]
    rules = {
        r["SecurityGroupRuleId"]: r
        for r in ec2.describe_security_group_rules(SecurityGroupRuleIds=[ingress, egress])[
            "SecurityGroupRules"
        ]
    }
    assert rules[ingress]["FromPort"] == 5432 and not rules[ingress]["IsEgress"]
    assert rules[ingress]["ReferencedGroupInfo"]["GroupId"] == stack.physical["Replication"]
    assert rules[egress]["IsEgress"] and rules[egress]["CidrIpv4"] == "10.1.0.0/16"
    stack.update({k: v for k, v in resources.items() if k not in ("Ingress", "Egress")})
    gone(ec2.describe_security_group_rules, SecurityGroupRuleIds=[ingress])
    gone(ec2.describe_security_group_rules, SecurityGroupRuleIds=[egress])
    stack.delete()


# ------------------------------------------------------------ Athena, EMR Serverless


def test_athena_workgroup(deploy) -> None:
    resources = {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "WorkGroup": {
            "Type": "AWS::Athena::WorkGroup",
            "Properties": {
                "Name": "ml-analysts",
                "RecursiveDeleteOption": True,
                "WorkGroupConfiguration": {
                    "EnforceWorkGroupConfiguration": True,
                    "PublishCloudWatchMetricsEnabled": True,
                    "BytesScannedCutoffPerQuery": 10_000_000_000,
                    "ResultConfiguration": {
                        "OutputLocation": {"Fn::Sub": "s3://${Bucket}/athena/"},
                        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
                    },
                },
            },
        },
    }
    stack = deploy(resources, {"Name": ref("WorkGroup"), "Created": att("WorkGroup", "CreationTime")})
    athena = stack.client("athena")
    assert stack.outputs["Name"] == "ml-analysts"
    resolved(stack.outputs["Created"])
    config = athena.get_work_group(WorkGroup="ml-analysts")["WorkGroup"]["Configuration"]
    assert config["ResultConfiguration"]["OutputLocation"] == f"s3://{stack.physical['Bucket']}/athena/"
    assert config["BytesScannedCutoffPerQuery"] == 10_000_000_000
    stack.delete()
    assert "ml-analysts" not in [w["Name"] for w in athena.list_work_groups()["WorkGroups"]]


def test_emr_serverless_application(deploy) -> None:
    application = {
        "Type": "AWS::EMRServerless::Application",
        "Properties": {
            "Name": "features",
            "ReleaseLabel": "emr-7.5.0",
            "Type": "Spark",
            "Architecture": "ARM64",
            "MaximumCapacity": {"Cpu": "16 vCPU", "Memory": "64 GB", "Disk": "200 GB"},
            "AutoStartConfiguration": {"Enabled": True},
            "AutoStopConfiguration": {"Enabled": True, "IdleTimeoutMinutes": 15},
            "InitialCapacity": [
                {
                    "Key": "Driver",
                    "Value": {"WorkerCount": 1, "WorkerConfiguration": {"Cpu": "2 vCPU", "Memory": "4 GB"}},
                }
            ],
            "Tags": [{"Key": "stage", "Value": "process"}],
        },
    }
    stack = deploy(
        {"App": application},
        {"Id": ref("App"), "Arn": att("App", "Arn"), "AppId": att("App", "ApplicationId")},
    )
    emr = stack.client("emr-serverless")
    app_id = resolved(stack.outputs["Id"])
    assert stack.outputs["AppId"] == app_id and stack.outputs["Arn"].endswith(f"/applications/{app_id}")
    found = emr.get_application(applicationId=app_id)["application"]
    assert (found["name"], found["type"].upper(), found["releaseLabel"]) == ("features", "SPARK", "emr-7.5.0")
    assert found["autoStopConfiguration"] == {"enabled": True, "idleTimeoutMinutes": 15}
    assert found["initialCapacity"]["Driver"]["workerCount"] == 1
    changed = {
        **application,
        "Properties": {
            **application["Properties"],
            "AutoStopConfiguration": {"Enabled": True, "IdleTimeoutMinutes": 30},
        },
    }
    stack.update({"App": changed})
    assert (
        emr.get_application(applicationId=app_id)["application"]["autoStopConfiguration"][
            "idleTimeoutMinutes"
        ]
        == 30
    )
    stack.delete()
    assert emr.get_application(applicationId=app_id)["application"]["state"] == "TERMINATED"


# ----------------------------------------------------------------------------- SageMaker


def test_sagemaker_model_package_group_domain_and_user_profile(deploy) -> None:
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.2.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": ref("Vpc"), "CidrBlock": "10.2.0.0/24"},
        },
        "Role": role("sagemaker.amazonaws.com"),
        "Models": {
            "Type": "AWS::SageMaker::ModelPackageGroup",
            "Properties": {"ModelPackageGroupName": "churn", "ModelPackageGroupDescription": "churn models"},
        },
        "Domain": {
            "Type": "AWS::SageMaker::Domain",
            "Properties": {
                "DomainName": "ml-studio",
                "AuthMode": "IAM",
                "AppNetworkAccessType": "VpcOnly",
                "VpcId": ref("Vpc"),
                "SubnetIds": [ref("Subnet")],
                "DefaultUserSettings": {"ExecutionRole": att("Role", "Arn")},
            },
        },
        "User": {
            "Type": "AWS::SageMaker::UserProfile",
            "Properties": {
                "DomainId": att("Domain", "DomainId"),
                "UserProfileName": "analyst",
                "UserSettings": {"ExecutionRole": att("Role", "Arn")},
            },
        },
    }
    outputs = {
        "Models": ref("Models"),
        "ModelsStatus": att("Models", "ModelPackageGroupStatus"),
        "Domain": ref("Domain"),
        "DomainArn": att("Domain", "DomainArn"),
        "Url": att("Domain", "Url"),
        "User": att("User", "UserProfileArn"),
    }
    stack = deploy(resources, outputs)
    sagemaker = stack.client("sagemaker")
    o = {k: resolved(v) for k, v in stack.outputs.items()}
    assert o["Models"].endswith(":model-package-group/churn")
    assert (
        sagemaker.describe_model_package_group(ModelPackageGroupName="churn")["ModelPackageGroupDescription"]
        == "churn models"
    )
    domain = sagemaker.describe_domain(DomainId=o["Domain"])
    assert (domain["DomainArn"], domain["AppNetworkAccessType"]) == (o["DomainArn"], "VpcOnly")
    profile = sagemaker.describe_user_profile(DomainId=o["Domain"], UserProfileName="analyst")
    assert profile["UserProfileArn"] == o["User"]
    assert (
        profile["UserSettings"]["ExecutionRole"] == f"arn:aws:iam::123456789012:role/{stack.physical['Role']}"
    )
    assert [
        p["UserProfileName"] for p in sagemaker.list_user_profiles(DomainIdEquals=o["Domain"])["UserProfiles"]
    ] == ["analyst"]

    stack.delete()
    gone(sagemaker.describe_user_profile, DomainId=o["Domain"], UserProfileName="analyst")
    gone(sagemaker.describe_domain, DomainId=o["Domain"])
    groups = sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    assert "churn" not in [g["ModelPackageGroupName"] for g in groups]


# ---------------------------------------------------------------- Application Auto Scaling


def test_scalable_target_and_target_tracking_policy(deploy) -> None:
    target = {
        "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
        "Properties": {
            "ServiceNamespace": "sagemaker",
            "ResourceId": "endpoint/churn/variant/AllTraffic",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "MinCapacity": 1,
            "MaxCapacity": 4,
            "RoleARN": att("Role", "Arn"),
        },
    }
    policy = {
        "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
        "Properties": {
            "PolicyName": "invocations",
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": ref("Target"),
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 70,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
            },
        },
    }
    resources = {"Role": role("sagemaker.amazonaws.com"), "Target": target, "Policy": policy}
    stack = deploy(
        resources, {"Target": ref("Target"), "TargetId": att("Target", "Id"), "Policy": ref("Policy")}
    )
    scaling = stack.client("application-autoscaling")
    assert (
        stack.outputs["Target"]
        == "endpoint/churn/variant/AllTraffic|sagemaker:variant:DesiredInstanceCount|sagemaker"
    )
    assert stack.outputs["TargetId"] == stack.outputs["Target"]
    assert resolved(stack.outputs["Policy"]).startswith("arn:aws:autoscaling:")
    found = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in found] == [(1, 4)]
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert policies[0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70
    stack.update(
        {**resources, "Target": {**target, "Properties": {**target["Properties"], "MaxCapacity": 8}}}
    )
    assert (
        scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]["MaxCapacity"]
        == 8
    )
    stack.delete()
    assert scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []


# ------------------------------------------------------------------------------ API Gateway


def test_rest_api_method_validator_deployment_stage_and_account(deploy) -> None:
    resources = {
        "LogsRole": role("apigateway.amazonaws.com"),
        "Account": {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": att("LogsRole", "Arn")},
        },
        "Logs": {"Type": "AWS::Logs::LogGroup"},
        "Api": {
            "Type": "AWS::ApiGateway::RestApi",
            "Properties": {
                "Name": "predict",
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "Policy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "execute-api:Invoke",
                            "Resource": "*",
                        }
                    ],
                },
            },
        },
        "Predict": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": ref("Api"),
                "ParentId": att("Api", "RootResourceId"),
                "PathPart": "predict",
            },
        },
        "Validator": {
            "Type": "AWS::ApiGateway::RequestValidator",
            "Properties": {
                "RestApiId": ref("Api"),
                "Name": "body",
                "ValidateRequestBody": True,
                "ValidateRequestParameters": False,
            },
        },
        "Post": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": ref("Api"),
                "ResourceId": ref("Predict"),
                "HttpMethod": "POST",
                "AuthorizationType": "AWS_IAM",
                "RequestValidatorId": ref("Validator"),
                "Integration": {
                    "Type": "MOCK",
                    "RequestTemplates": {"application/json": '{"statusCode": 200}'},
                    "IntegrationResponses": [{"StatusCode": "200"}],
                },
                "MethodResponses": [{"StatusCode": "200"}],
            },
        },
        "Deployment": {
            "Type": "AWS::ApiGateway::Deployment",
            "Properties": {"RestApiId": ref("Api")},
            "DependsOn": ["Post"],
        },
        "Stage": {
            "Type": "AWS::ApiGateway::Stage",
            "Properties": {
                "RestApiId": ref("Api"),
                "StageName": "prod",
                "DeploymentId": ref("Deployment"),
                "TracingEnabled": True,
                "AccessLogSetting": {"DestinationArn": att("Logs", "Arn"), "Format": "$context.requestId"},
                "MethodSettings": [
                    {"ResourcePath": "/*", "HttpMethod": "*", "LoggingLevel": "INFO", "MetricsEnabled": True}
                ],
            },
        },
    }
    outputs = {
        "Api": ref("Api"),
        "Deployment": ref("Deployment"),
        "DeploymentId": att("Deployment", "DeploymentId"),
        "Stage": ref("Stage"),
        "Validator": ref("Validator"),
        "ValidatorId": att("Validator", "RequestValidatorId"),
        "Method": ref("Post"),
        "Account": ref("Account"),
    }
    stack = deploy(resources, outputs)
    apigw = stack.client("apigateway")
    o = {k: resolved(v) for k, v in stack.outputs.items()}
    api_id = o["Api"]
    api = apigw.get_rest_api(restApiId=api_id)
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"] and "execute-api:Invoke" in api["policy"]
    assert (
        o["Deployment"] == o["DeploymentId"] and o["Validator"] == o["ValidatorId"] and o["Stage"] == "prod"
    )
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["deploymentId"] == o["Deployment"] and stage["tracingEnabled"] is True
    assert stage["accessLogSettings"]["format"] == "$context.requestId"
    assert stage["methodSettings"]["*/*"]["loggingLevel"] == "INFO"
    method = apigw.get_method(restApiId=api_id, resourceId=stack.physical["Predict"], httpMethod="POST")
    assert (method["authorizationType"], method["requestValidatorId"]) == ("AWS_IAM", o["Validator"])
    assert method["methodIntegration"]["type"] == "MOCK" and "200" in method["methodResponses"]
    assert (
        apigw.get_request_validator(restApiId=api_id, requestValidatorId=o["Validator"])[
            "validateRequestBody"
        ]
        is True
    )
    assert (
        apigw.get_account()["cloudwatchRoleArn"]
        == f"arn:aws:iam::123456789012:role/{stack.physical['LogsRole']}"
    )

    stack.delete()
    gone(apigw.get_rest_api, restApiId=api_id)


def test_cdk_metadata_is_a_resource(deploy) -> None:
    stack = deploy(
        {"CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:abc"}}}
    )
    assert resolved(stack.physical["CDKMetadata"])
    stack.delete()


# ------------------------------------------------------------------- IAM, EC2 network, ECR


def test_managed_policy_attaches_updates_and_detaches(deploy) -> None:
    def policy(actions: list[str]) -> dict[str, Any]:
        return {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Roles": [ref("Role")],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
                },
            },
        }

    resources = {"Role": role(), "Policy": policy(["s3:GetObject"])}
    stack = deploy(resources, {"Arn": ref("Policy"), "PolicyArn": att("Policy", "PolicyArn")})
    iam = stack.client("iam")
    arn = resolved(stack.outputs["Arn"])
    assert stack.outputs["PolicyArn"] == arn
    attached = iam.list_attached_role_policies(RoleName=stack.physical["Role"])["AttachedPolicies"]
    assert [a["PolicyArn"] for a in attached] == [arn]
    stack.update({**resources, "Policy": policy(["s3:GetObject", "s3:PutObject"])})
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document["Statement"][0]["Action"] == ["s3:GetObject", "s3:PutObject"]
    stack.delete()  # the role could not be deleted while the policy was attached
    gone(iam.get_policy, PolicyArn=arn)
    gone(iam.get_role, RoleName=stack.physical["Role"])


def test_vpc_network_is_created_and_deleted_completely(deploy) -> None:
    def subnet(cidr: str, public: bool) -> dict[str, Any]:
        return {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": ref("Vpc"),
                "CidrBlock": cidr,
                "AvailabilityZone": "us-east-1a",
                "MapPublicIpOnLaunch": public,
            },
        }

    def table() -> dict[str, Any]:
        return {
            "Type": "AWS::EC2::RouteTable",
            "Properties": {"VpcId": ref("Vpc"), "Tags": [{"Key": "Name", "Value": "t"}]},
        }

    def association(subnet_id: str, table_id: str) -> dict[str, Any]:
        return {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": ref(subnet_id), "RouteTableId": ref(table_id)},
        }

    resources = {
        "Vpc": {
            "Type": "AWS::EC2::VPC",
            "Properties": {"CidrBlock": "10.3.0.0/16", "EnableDnsHostnames": True, "EnableDnsSupport": True},
        },
        "Gateway": {
            "Type": "AWS::EC2::InternetGateway",
            "Properties": {"Tags": [{"Key": "Name", "Value": "igw"}]},
        },
        "Attachment": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": ref("Vpc"), "InternetGatewayId": ref("Gateway")},
        },
        "Public": subnet("10.3.0.0/24", True),
        "Private": subnet("10.3.1.0/24", False),
        "PublicTable": table(),
        "PrivateTable": table(),
        "PublicAssociation": association("Public", "PublicTable"),
        "PrivateAssociation": association("Private", "PrivateTable"),
        "PublicRoute": {
            "Type": "AWS::EC2::Route",
            "Properties": {
                "RouteTableId": ref("PublicTable"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": ref("Gateway"),
            },
            "DependsOn": ["Attachment"],
        },
        "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
        "Nat": {
            "Type": "AWS::EC2::NatGateway",
            "Properties": {"SubnetId": ref("Public"), "AllocationId": att("Eip", "AllocationId")},
        },
        "PrivateRoute": {
            "Type": "AWS::EC2::Route",
            "Properties": {
                "RouteTableId": ref("PrivateTable"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": ref("Nat"),
            },
        },
        "FlowLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        "FlowRole": role("vpc-flow-logs.amazonaws.com"),
        "FlowLog": {
            "Type": "AWS::EC2::FlowLog",
            "Properties": {
                "ResourceId": ref("Vpc"),
                "ResourceType": "VPC",
                "TrafficType": "ALL",
                "LogDestinationType": "cloud-watch-logs",
                "LogGroupName": ref("FlowLogs"),
                "DeliverLogsPermissionArn": att("FlowRole", "Arn"),
            },
        },
        "S3Endpoint": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcId": ref("Vpc"),
                "ServiceName": "com.amazonaws.us-east-1.s3",
                "VpcEndpointType": "Gateway",
                "RouteTableIds": [ref("PrivateTable")],
            },
        },
        "RuntimeEndpoint": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcId": ref("Vpc"),
                "ServiceName": "com.amazonaws.us-east-1.sagemaker.runtime",
                "VpcEndpointType": "Interface",
                "SubnetIds": [ref("Private")],
                "PrivateDnsEnabled": True,
            },
        },
    }
    outputs = {
        "Association": ref("PrivateAssociation"),
        "Route": ref("PrivateRoute"),
        "Ip": ref("Eip"),
        "Allocation": att("Eip", "AllocationId"),
        "Nat": ref("Nat"),
        "FlowLog": ref("FlowLog"),
        "Endpoint": ref("S3Endpoint"),
        "AttachmentType": att("Attachment", "AttachmentType"),
    }
    stack = deploy(resources, outputs)
    ec2 = stack.client("ec2")
    o = {k: resolved(v) for k, v in stack.outputs.items()}
    vpc = stack.physical["Vpc"]
    private_table = ec2.describe_route_tables(RouteTableIds=[stack.physical["PrivateTable"]])["RouteTables"][
        0
    ]
    assert [a["RouteTableAssociationId"] for a in private_table["Associations"]] == [o["Association"]]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": o["Nat"]}.items() <= next(
        r for r in private_table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"
    ).items()
    assert o["Route"] == f"{stack.physical['PrivateTable']}|0.0.0.0/0"
    gateway = ec2.describe_internet_gateways(InternetGatewayIds=[stack.physical["Gateway"]])[
        "InternetGateways"
    ][0]
    assert gateway["Attachments"][0]["VpcId"] == vpc and o["AttachmentType"] == "IGW"
    assert (
        ec2.describe_nat_gateways(NatGatewayIds=[o["Nat"]])["NatGateways"][0]["NatGatewayAddresses"][0][
            "AllocationId"
        ]
        == o["Allocation"]
    )
    assert ec2.describe_addresses(AllocationIds=[o["Allocation"]])["Addresses"][0]["PublicIp"] == o["Ip"]
    assert ec2.describe_flow_logs(FlowLogIds=[o["FlowLog"]])["FlowLogs"][0]["ResourceId"] == vpc
    endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[o["Endpoint"]])["VpcEndpoints"][0]
    assert endpoint["RouteTableIds"] == [stack.physical["PrivateTable"]]

    stack.delete()
    gone(ec2.describe_vpcs, VpcIds=[vpc])
    gone(ec2.describe_internet_gateways, InternetGatewayIds=[stack.physical["Gateway"]])
    gone(ec2.describe_addresses, AllocationIds=[o["Allocation"]])
    assert ec2.describe_flow_logs(FlowLogIds=[o["FlowLog"]])["FlowLogs"] == []


def test_ecr_repository_gets_a_lower_case_name(deploy) -> None:
    lifecycle = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 7,
                },
                "action": {"type": "expire"},
            }
        ]
    }
    repository = {
        "Type": "AWS::ECR::Repository",
        "Properties": {
            "ImageScanningConfiguration": {"ScanOnPush": True},
            "ImageTagMutability": "IMMUTABLE",
            "LifecyclePolicy": {"LifecyclePolicyText": json.dumps(lifecycle)},
            "EmptyOnDelete": True,
        },
    }
    stack = deploy(
        {"Images": repository},
        {"Name": ref("Images"), "Uri": att("Images", "RepositoryUri"), "Arn": att("Images", "Arn")},
    )
    ecr = stack.client("ecr")
    name = resolved(stack.outputs["Name"])
    assert name == name.lower() and stack.outputs["Uri"].endswith(f"/{name}")
    found = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    assert (
        found["imageScanningConfiguration"]["scanOnPush"] is True
        and found["imageTagMutability"] == "IMMUTABLE"
    )
    assert json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]) == lifecycle
    stack.delete()
    gone(ecr.describe_repositories, repositoryNames=[name])
