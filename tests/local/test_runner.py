"""Python Lambda functions run in a local subprocess, also as EventBridge targets of S3 events."""

from __future__ import annotations

import json
import time

from tests.local.test_models import att, ref, role

CODE = """
import json, os, boto3

def handler(event, context):
    s3 = boto3.client("s3")
    if "detail" in event:
        bucket, key = event["detail"]["bucket"]["name"], event["detail"]["object"]["key"]
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=bucket, Key="out/" + key.split("/")[-1], Body=body.upper())
        print("processed", key)
        return {"key": key}
    return {"echo": event, "stage": os.environ["STAGE"], "function": context.function_name}
"""


def resources() -> dict:
    return {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
            },
        },
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "Role": role(),
        # The function runs as its role, and the emulator enforces the role's policies.
        "RolePolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "objects",
                "Roles": [ref("Role")],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}
                    ],
                },
            },
        },
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": att("Role", "Arn"),
                "Timeout": 30,
                "Code": {"ZipFile": CODE},
                "Environment": {"Variables": {"STAGE": "local"}},
                "LoggingConfig": {"LogGroup": ref("Logs")},
            },
        },
        "Rule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventPattern": {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {"bucket": {"name": [ref("Bucket")]}, "object": {"key": [{"prefix": "in/"}]}},
                },
                "Targets": [{"Arn": att("Function", "Arn"), "Id": "processor"}],
            },
        },
        "Permission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": att("Function", "Arn"),
                "Principal": "events.amazonaws.com",
                "SourceArn": att("Rule", "Arn"),
            },
        },
    }


def test_invoke_runs_the_handler_with_its_environment(deploy) -> None:
    stack = deploy(resources())
    lam = stack.client("lambda")
    response = lam.invoke(FunctionName=stack.physical["Function"], Payload=json.dumps({"a": 1}))
    assert json.loads(response["Payload"].read()) == {
        "echo": {"a": 1},
        "stage": "local",
        "function": stack.physical["Function"],
    }
    streams = stack.client("logs").describe_log_streams(logGroupName=stack.physical["Logs"])["logStreams"]
    assert streams  # the configured log group, not /aws/lambda/<name>
    stack.delete()


def test_an_upload_reaches_the_function_through_eventbridge(deploy) -> None:
    stack = deploy(resources())
    s3 = stack.client("s3")
    bucket = stack.physical["Bucket"]
    s3.put_object(Bucket=bucket, Key="in/a.csv", Body=b"id,amount\n1,2\n")
    s3.put_object(Bucket=bucket, Key="elsewhere/b.csv", Body=b"x")
    deadline = time.time() + 30
    while time.time() < deadline and "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="out/"):
        time.sleep(0.2)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="out/").get("Contents", [])]
    assert keys == ["out/a.csv"]
    assert s3.get_object(Bucket=bucket, Key="out/a.csv")["Body"].read() == b"ID,AMOUNT\n1,2\n"
    for key in ("in/a.csv", "elsewhere/b.csv", "out/a.csv"):
        s3.delete_object(Bucket=bucket, Key=key)
    stack.delete()
