"""Glue and EMR Serverless runs execute the job's own script against the emulator's S3."""

from __future__ import annotations

import uuid

import pytest

from ml_constructs.local import LocalAws

from .conftest import wait_for

SPARK_SCRIPT = """
import sys
from pyspark.sql import SparkSession, functions as F

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
assert args["--JOB_NAME"], args
spark = SparkSession.builder.appName("tiny").getOrCreate()
rows = spark.read.option("header", "true").csv(args["--input_path"])
totals = rows.groupBy("customer").agg(F.sum(F.col("amount").cast("double")).alias("total"))
totals.coalesce(1).write.mode("overwrite").option("header", "true").csv(args["--output_path"])
spark.stop()
"""

FAILING_SCRIPT = """
import sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
raise ValueError("--threshold must be a number, got " + args["--threshold"])
"""

GLUE_LIBRARY_SCRIPT = """
from awsglue.context import GlueContext
"""

# No JVM needed to check the driver: a plain Python entry point reading and writing the paths.
COPY_SCRIPT = """
import pathlib, sys
source, target = sys.argv[1], sys.argv[2]
files = sorted(pathlib.Path(source).glob("*.txt"))
lines = [line.upper() for p in files for line in p.read_text().splitlines()]
pathlib.Path(target).mkdir(parents=True, exist_ok=True)
(pathlib.Path(target) / "out.txt").write_text("\\n".join(lines) + "\\n")
"""


def _glue_run(
    aws: LocalAws,
    role: str,
    script: str,
    arguments: dict[str, str],
    run_arguments: dict[str, str] | None = None,
) -> dict:
    glue = aws.client("glue")
    name = f"job-{uuid.uuid4().hex[:8]}"
    glue.create_job(
        Name=name,
        Role=role,
        Command={"Name": "glueetl", "ScriptLocation": script, "PythonVersion": "3"},
        DefaultArguments=arguments,
        GlueVersion="5.0",
    )
    run_id = glue.start_job_run(JobName=name, Arguments=run_arguments or {})["JobRunId"]
    assert glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"
    return wait_for(
        lambda: glue.get_job_run(JobName=name, RunId=run_id)["JobRun"],
        "JobRunState",
        {"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR"},
        timeout=300,
    )


@pytest.mark.spark
def test_glue_runs_the_pyspark_script_on_the_lake(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"glue-{uuid.uuid4().hex[:6]}"
    script = put(f"{prefix}/scripts/tiny.py", SPARK_SCRIPT)
    put(f"{prefix}/in/a.csv", "customer,amount\nann,10\nbob,5\nann,2.5\n")
    put(f"{prefix}/in/b.csv", "customer,amount\nbob,1\n")
    put(f"{prefix}/out/stale.csv", "left over from an earlier run\n")
    run = _glue_run(
        aws,
        role,
        script,
        {"--input_path": f"s3://{bucket}/{prefix}/in/", "--output_path": "s3://elsewhere/"},
        {"--output_path": f"s3://{bucket}/{prefix}/out/"},  # the run's arguments win
    )
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert run["ExecutionTime"] >= 1
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/out/")["Contents"]]
    assert f"{prefix}/out/stale.csv" not in keys  # mode("overwrite") replaced the prefix
    assert not [k for k in keys if k.endswith(".crc")]
    parts = [k for k in keys if k.rsplit("/", 1)[-1].startswith("part-")]
    assert len(parts) == 1 and f"{prefix}/out/_SUCCESS" in keys
    text = s3.get_object(Bucket=bucket, Key=parts[0])["Body"].read().decode()
    assert sorted(text.splitlines()[1:]) == ["ann,12.5", "bob,6.0"]


def test_a_failing_glue_script_fails_the_run_with_its_error(
    aws: LocalAws, bucket: str, role: str, put
) -> None:
    script = put(f"fail-{uuid.uuid4().hex[:6]}/job.py", FAILING_SCRIPT)
    run = _glue_run(aws, role, script, {"--threshold": "high"})
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith("ValueError: --threshold must be a number, got high")


def test_a_script_needing_awsglue_fails_with_the_reason(aws: LocalAws, bucket: str, role: str, put) -> None:
    script = put(f"awsglue-{uuid.uuid4().hex[:6]}/job.py", GLUE_LIBRARY_SCRIPT)
    run = _glue_run(aws, role, script, {})
    assert run["JobRunState"] == "FAILED"
    assert "awsglue" in run["ErrorMessage"] and "plain PySpark" in run["ErrorMessage"]


def test_emr_serverless_runs_the_entry_point_with_its_arguments(
    aws: LocalAws, bucket: str, role: str, put
) -> None:
    prefix = f"emr-{uuid.uuid4().hex[:6]}"
    entry = put(f"{prefix}/copy.py", COPY_SCRIPT)
    put(f"{prefix}/in/a.txt", "one\ntwo\n")
    emr = aws.client("emr-serverless")
    app = emr.create_application(name=f"app-{prefix}", releaseLabel="emr-7.5.0", type="SPARK")[
        "applicationId"
    ]
    started = emr.start_job_run(
        applicationId=app,
        executionRoleArn=role,
        jobDriver={
            "sparkSubmit": {
                "entryPoint": entry,
                "entryPointArguments": [f"s3://{bucket}/{prefix}/in/", f"s3://{bucket}/{prefix}/out/"],
            }
        },
    )
    run = wait_for(
        lambda: emr.get_job_run(applicationId=app, jobRunId=started["jobRunId"])["jobRun"],
        "state",
        {"SUCCESS", "FAILED", "CANCELLED"},
    )
    assert run["state"] == "SUCCESS", run.get("stateDetails")
    body = aws.client("s3").get_object(Bucket=bucket, Key=f"{prefix}/out/out.txt")["Body"].read()
    assert body == b"ONE\nTWO\n"

    failing = emr.start_job_run(
        applicationId=app,
        executionRoleArn=role,
        jobDriver={
            "sparkSubmit": {
                "entryPoint": put(f"{prefix}/fail.py", FAILING_SCRIPT),
                "entryPointArguments": ["--threshold", "x"],
            }
        },
    )
    run = wait_for(
        lambda: emr.get_job_run(applicationId=app, jobRunId=failing["jobRunId"])["jobRun"],
        "state",
        {"SUCCESS", "FAILED"},
    )
    assert run["state"] == "FAILED"
    assert "ValueError: --threshold must be a number, got x" in run["stateDetails"]


def test_stopping_a_run_kills_the_script(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"stop-{uuid.uuid4().hex[:6]}"
    sleeper = put(f"{prefix}/sleep.py", "import time\ntime.sleep(120)\n")
    glue = aws.client("glue")
    name = f"job-{uuid.uuid4().hex[:8]}"
    glue.create_job(Name=name, Role=role, Command={"Name": "glueetl", "ScriptLocation": sleeper})
    run_id = glue.start_job_run(JobName=name)["JobRunId"]
    stopped = glue.batch_stop_job_run(JobName=name, JobRunIds=[run_id, "jr_unknown"])
    assert stopped["SuccessfulSubmissions"] == [{"JobName": name, "JobRunId": run_id}]
    assert [e["JobRunId"] for e in stopped["Errors"]] == ["jr_unknown"]
    run = wait_for(
        lambda: glue.get_job_run(JobName=name, RunId=run_id)["JobRun"], "JobRunState", {"STOPPED"}, timeout=30
    )
    assert "ErrorMessage" not in run

    emr = aws.client("emr-serverless")
    app = emr.create_application(name=f"app-{prefix}", releaseLabel="emr-7.5.0", type="SPARK")[
        "applicationId"
    ]
    started = emr.start_job_run(
        applicationId=app, executionRoleArn=role, jobDriver={"sparkSubmit": {"entryPoint": sleeper}}
    )
    emr.cancel_job_run(applicationId=app, jobRunId=started["jobRunId"])
    run = wait_for(
        lambda: emr.get_job_run(applicationId=app, jobRunId=started["jobRunId"])["jobRun"],
        "stateDetails",
        {"Job run cancelled by CancelJobRun"},
        timeout=30,
    )
    assert run["state"] == "CANCELLED"


def test_a_crawl_takes_a_little_time_then_the_crawler_is_ready(aws) -> None:
    import time
    import uuid

    from ml_constructs.local.glue import CRAWL_SECONDS

    glue = aws.client("glue")
    name = f"crawler-{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": name})
    glue.create_crawler(
        Name=name,
        Role="arn:aws:iam::123456789012:role/crawler",
        DatabaseName=name,
        Targets={"S3Targets": [{"Path": "s3://bucket/prefix/"}]},
    )
    glue.start_crawler(Name=name)
    with pytest.raises(glue.exceptions.CrawlerRunningException):
        glue.start_crawler(Name=name)
    time.sleep(CRAWL_SECONDS + 0.5)
    assert glue.get_crawler(Name=name)["Crawler"]["State"] == "READY"
    glue.start_crawler(Name=name)
