"""IAM at run time: runtime principals sign as their own role, and the emulator enforces it."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from ml_constructs.local.iam import client_as

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _role(aws, actions: list[str]) -> str:
    iam = aws.client("iam")
    name = f"runtime-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if actions:
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    return arn


def test_a_role_may_do_what_its_policy_allows_and_nothing_else(aws):
    role = _role(aws, ["s3:ListAllMyBuckets", "sagemaker:ListTrainingJobs"])
    assert "Buckets" in client_as(role, "s3").list_buckets()
    assert "TrainingJobSummaries" in client_as(role, "sagemaker").list_training_jobs()
    with pytest.raises(ClientError) as denied:
        client_as(role, "s3").create_bucket(Bucket=f"denied-{uuid.uuid4().hex[:8]}")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError, match="not authorized to perform: sagemaker:AddTags"):
        client_as(role, "sagemaker").add_tags(
            ResourceArn="arn:aws:sagemaker:us-east-1:123456789012:training-job/x",
            Tags=[{"Key": "k", "Value": "v"}],
        )


def test_the_deployer_is_not_checked(aws):
    aws.client("s3").create_bucket(Bucket=f"admin-{uuid.uuid4().hex[:8]}")


def _function(aws, role: str, bucket: str) -> str:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr(
            "index.py",
            "import boto3\n"
            "def handler(event, context):\n"
            f"    boto3.client('s3').put_object(Bucket='{bucket}', Key='k', Body=b'x')\n"
            "    return 'written'\n",
        )
    name = f"fn-{uuid.uuid4().hex[:8]}"
    aws.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return name


@pytest.mark.parametrize("granted", [True, False])
def test_a_lambda_function_runs_as_its_execution_role(aws, granted):
    bucket = f"fn-out-{uuid.uuid4().hex[:8]}"
    aws.client("s3").create_bucket(Bucket=bucket)
    role = _role(aws, ["s3:PutObject"] if granted else ["s3:GetObject"])
    answer = aws.client("lambda").invoke(FunctionName=_function(aws, role, bucket))
    payload = answer["Payload"].read().decode()
    if granted:
        assert json.loads(payload) == "written"
    else:
        assert answer.get("FunctionError"), payload
        assert "AccessDenied" in payload
