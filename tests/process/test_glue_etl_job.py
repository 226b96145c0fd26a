"""GlueEtlJob: security configuration, log groups, least privilege, crawler, triggers, tasks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match

from ml_constructs.process import (
    FEATURES_SCRIPT,
    FeatureLayout,
    GlueEtlJob,
    GlueExecutionClass,
    GlueVersion,
    GlueWorkerType,
    JobBookmarks,
    JobTrigger,
    LakePath,
)
from ml_constructs.process.spark_job_parts import parse_conf_parameters
from ml_constructs.store import DataLake, Zone
from ml_constructs.testing import normalize_template
from tests.harness import actions_of, build_error, scenario

MY_SCRIPT = Path(__file__).parent / "fixtures" / "my_job.py"


@pytest.fixture(scope="module")
def default():
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        job = GlueEtlJob(stack, "Features", lake=lake)
        chain = job.start_task(stack, "RunFeatures", arguments={"--seed": "7"}).next(
            job.crawl_task(stack, "CrawlFeatures")
        )
        body = sfn.DefinitionBody.from_chainable(chain)
        machine = sfn.StateMachine(stack, "Workflow", definition_body=body)
        return lake, job, machine

    return scenario(build)


def test_default_is_compliant(default):
    # The test state machine itself has no logging/tracing (the workflow construct adds them).
    problems = [p for p in default.problems if "Test/Workflow" not in p and "'WorkflowRole" not in p]
    assert problems == []


def test_default_matches_snapshot(default, snapshot):
    assert normalize_template(default.json) == snapshot


def test_security_configuration_encrypts_s3_logs_and_bookmarks_with_the_lake_key(default):
    lake, job, _ = default.built
    key = default.resolve(lake.encryption_key.key_arn)
    config = default.one("AWS::Glue::SecurityConfiguration")["EncryptionConfiguration"]
    assert config == {
        "S3Encryptions": [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": key}],
        "CloudWatchEncryption": {"CloudWatchEncryptionMode": "SSE-KMS", "KmsKeyArn": key},
        "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "CSE-KMS", "KmsKeyArn": key},
    }
    props = default.one("AWS::Glue::Job")
    assert props["SecurityConfiguration"] == default.resolve(job.security_configuration.ref)
    crawler = default.one("AWS::Glue::Crawler")
    assert crawler["CrawlerSecurityConfiguration"] == props["SecurityConfiguration"]


def test_job_defaults(default):
    _, job, _ = default.built
    props = default.one("AWS::Glue::Job")
    assert props["GlueVersion"] == "5.1"
    assert (props["WorkerType"], props["NumberOfWorkers"]) == ("G.1X", 2)
    assert props["ExecutionClass"] == "STANDARD"
    assert (props["Timeout"], props["MaxRetries"]) == (60, 0)
    assert props["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert props["Command"]["Name"] == "glueetl"
    script = default.resolve(job.script_asset.s3_object_url)
    assert props["Command"]["ScriptLocation"] == script
    assert re.search(r"\.py$", json.dumps(script).strip('"}'))
    args = props["DefaultArguments"]
    assert args["--job-bookmark-option"] == "job-bookmark-enable"
    assert args["--enable-metrics"] == "true" and args["--enable-auto-scaling"] == "true"
    assert "--enable-continuous-cloudwatch-log" not in args  # Glue 5: always real-time logs


def test_builtin_script_arguments_come_from_the_layout(default):
    lake, _, _ = default.built
    args = default.one("AWS::Glue::Job")["DefaultArguments"]
    assert args["--sales_path"] == default.resolve(lake.s3_uri(Zone.PROCESSED, "sales/"))
    assert args["--orders_path"] == default.resolve(lake.s3_uri(Zone.RAW, "databases/orders/sales/orders/"))
    assert args["--events_path"] == default.resolve(lake.s3_uri(Zone.RAW, "streams/"))
    features = default.resolve(lake.s3_uri(Zone.PROCESSED, "features/order_features/"))
    assert args["--features_path"] == features
    assert args["--train_path"] == default.resolve(lake.s3_uri(Zone.PROCESSED, "features/train/"))
    assert (args["--validation_ratio"], args["--seed"], args["--repeat_window_days"]) == ("0.2", "42", "30")
    assert (args["--sales_format"], args["--orders_format"], args["--events_format"]) == (
        "json",
        "parquet",
        "json",
    )


def test_glue_log_groups_exist_encrypted_with_their_deterministic_names(default):
    lake, job, _ = default.built
    key = default.resolve(lake.encryption_key.key_arn)
    config, role = default.resolve(job.security_configuration.ref), default.resolve(job.role.role_name)
    crawler_role = default.resolve(job.crawler_role.role_name)
    names = {
        json.dumps(g["Properties"]["LogGroupName"]): g["Properties"]
        for g in default.resources("AWS::Logs::LogGroup").values()
        if "LogGroupName" in g["Properties"]
    }
    expected = [
        {"Fn::Join": ["", ["/aws-glue/jobs/", config, "-role/", role, "/output"]]},
        {"Fn::Join": ["", ["/aws-glue/jobs/", config, "-role/", role, "/error"]]},
        {"Fn::Join": ["", ["/aws-glue/crawlers-role/", crawler_role, "-", config]]},
    ]
    for name in expected:
        props = names[json.dumps(name)]
        assert props["KmsKeyId"] == key and props["RetentionInDays"] == 90
    job_resource = next(iter(default.resources("AWS::Glue::Job").values()))
    assert len([d for d in job_resource["DependsOn"] if "Logs" in d]) == 2


def test_job_role_is_least_privilege(default):
    lake, job, _ = default.built
    statements = default.policy_statements("FeaturesRole")
    unscoped = [
        s
        for s in statements
        if "*" in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    assert [s["Action"] for s in unscoped] == ["cloudwatch:PutMetricData"]  # limited by condition
    (metrics,) = [s for s in statements if s.get("Sid") == "PublishGlueMetrics"]
    assert metrics["Resource"] == "*" and metrics["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "Glue"}
    }

    def objects(zone: Zone, pattern: str):
        return default.resolve(lake.bucket(zone).arn_for_objects(pattern))

    writable = [s for s in statements if "s3:DeleteObject*" in s["Action"]]
    written = [r for s in writable for r in s["Resource"] if isinstance(r, dict) and "Fn::Join" in r]
    assert sorted(json.dumps(r) for r in written) == sorted(
        json.dumps(objects(Zone.PROCESSED, p))
        for p in (
            "features/order_features*",
            "rejected*",
            "features/train*",
            "features/validation*",
            "features/score*",
            "features/baseline*",
        )
    )
    readable = [s for s in statements if s["Action"] == ["s3:GetObject*", "s3:GetBucket*", "s3:List*"]]
    read = [r for s in readable for r in s["Resource"] if isinstance(r, dict) and "Fn::Join" in r]
    script_object = default.resolve(job.script_asset.bucket.arn_for_objects(job.script_asset.s3_object_key))
    for expected in (
        objects(Zone.PROCESSED, "sales*"),
        objects(Zone.RAW, "databases/orders/sales/orders*"),
        objects(Zone.RAW, "streams*"),
        script_object,
    ):
        assert expected in read
    (logs,) = [s for s in statements if s.get("Sid") == "WriteOwnEncryptedLogs"]
    assert "logs:AssociateKmsKey" in logs["Action"] and len(logs["Resource"]) == 2
    default.template.resource_properties_count_is(
        "AWS::IAM::Role", {"ManagedPolicyArns": Match.any_value()}, 0
    )


def test_crawler_keeps_the_feature_table_current_in_the_zone_database(default):
    lake, job, _ = default.built
    props = default.one("AWS::Glue::Crawler")
    assert props["DatabaseName"] == default.resolve(lake.database_name(Zone.PROCESSED))
    (target,) = props["Targets"]["S3Targets"]
    assert target["Path"] == default.resolve(lake.s3_uri(Zone.PROCESSED, "features/order_features/"))
    assert "**/_SUCCESS" in target["Exclusions"]
    assert props["SchemaChangePolicy"] == {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"}
    statements = default.policy_statements("FeaturesCrawlerRole")
    assert "glue:CreateTable" in actions_of(statements)
    assert not any("s3:PutObject" in s["Action"] for s in statements)


def test_start_task_runs_the_job_synchronously_with_overrides(default):
    definition = json.dumps(default.one("AWS::StepFunctions::StateMachine")["DefinitionString"])
    assert ":states:::glue:startJobRun.sync" in definition
    assert '\\"Arguments\\":{\\"--seed\\":\\"7\\"}' in definition
    assert ":states:::aws-sdk:glue:startCrawler" in definition
    assert definition.count('\\"ResultPath\\":null') == 2  # the workflow's state passes through
    statements = default.policy_statements("WorkflowRole")
    assert {"glue:StartJobRun", "glue:GetJobRun", "glue:BatchStopJobRun"} <= actions_of(statements)


def test_schedule_trigger_runs_job_then_crawler_in_a_glue_workflow():
    def build(stack: Stack):
        return GlueEtlJob(
            stack,
            "Features",
            lake=DataLake(stack, "Lake"),
            trigger=JobTrigger.schedule("cron(0 3 * * ? *)"),
            glue_version=GlueVersion.V4_0,
            worker_type=GlueWorkerType.G_2X,
            number_of_workers=10,
            execution_class=GlueExecutionClass.FLEX,
            bookmarks=JobBookmarks.DISABLE,
            timeout=Duration.hours(3),
            table_prefix="orders_",
        )

    built = scenario(build)
    assert built.problems == []
    job = built.built
    workflow = built.resolve(job.workflow.ref)
    built.template.has_resource_properties(
        "AWS::Glue::Trigger",
        {
            "Type": "SCHEDULED",
            "Schedule": "cron(0 3 * * ? *)",
            "StartOnCreation": True,
            "WorkflowName": workflow,
            "Actions": [{"JobName": built.resolve(job.job_name)}],
        },
    )
    built.template.has_resource_properties(
        "AWS::Glue::Trigger",
        {
            "Type": "CONDITIONAL",
            "WorkflowName": workflow,
            "Actions": [{"CrawlerName": built.resolve(job.crawler_name)}],
            "Predicate": {
                "Logical": "AND",
                "Conditions": [
                    {
                        "JobName": built.resolve(job.job_name),
                        "State": "SUCCEEDED",
                        "LogicalOperator": "EQUALS",
                    }
                ],
            },
        },
    )
    props = built.one("AWS::Glue::Job")
    assert (props["GlueVersion"], props["WorkerType"], props["NumberOfWorkers"]) == ("4.0", "G.2X", 10)
    assert (props["ExecutionClass"], props["Timeout"]) == ("FLEX", 180)
    assert props["DefaultArguments"]["--enable-continuous-cloudwatch-log"] == "true"
    assert props["DefaultArguments"]["--job-bookmark-option"] == "job-bookmark-disable"
    config = built.resolve(job.security_configuration.ref)
    built.template.has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": {"Fn::Join": ["", ["/aws-glue/jobs/logs-v2-", config]]}}
    )
    assert built.one("AWS::Glue::Crawler")["TablePrefix"] == "orders_"


@pytest.fixture(scope="module")
def event_triggered():
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        return GlueEtlJob(
            stack,
            "Compact",
            lake=lake,
            script=MY_SCRIPT,
            arguments={"--target": lake.s3_uri(Zone.CURATED, "compact/")},
            reads=[LakePath(Zone.PROCESSED, "sales/")],
            writes=[LakePath(Zone.CURATED, "compact/")],
            crawl_path=LakePath(Zone.CURATED, "compact/"),
            trigger=JobTrigger.on_new_objects(
                Zone.PROCESSED, "sales/", batch_size=10, batch_window=Duration.minutes(5)
            ),
            job_name="compact-sales",
        )

    return scenario(build)


def test_own_script_with_event_trigger_is_compliant(event_triggered):
    assert event_triggered.problems == []


def test_new_objects_start_the_glue_workflow_through_eventbridge(event_triggered):
    job = event_triggered.built
    workflow = event_triggered.resolve(job.workflow.ref)
    event_triggered.template.has_resource_properties(
        "AWS::Glue::Trigger",
        {
            "Type": "EVENT",
            "WorkflowName": workflow,
            "EventBatchingCondition": {"BatchSize": 10, "BatchWindow": 300},
        },
    )
    rule = event_triggered.one("AWS::Events::Rule")
    assert rule["EventPattern"]["detail"]["object"] == {"key": [{"prefix": "sales/"}]}
    (target,) = rule["Targets"]
    assert "workflow/" in json.dumps(target["Arn"]) and "RoleArn" in target
    statements = event_triggered.policy_statements("CompactEventRole")
    assert actions_of(statements) == {"glue:notifyEvent"}


def test_own_script_gets_only_its_arguments_and_paths(event_triggered):
    job = event_triggered.built
    props = event_triggered.one("AWS::Glue::Job")
    assert props["Name"] == "compact-sales"
    args = props["DefaultArguments"]
    assert "--target" in args and "--sales_path" not in args
    statements = event_triggered.policy_statements("CompactRole")
    text = json.dumps(statements)
    assert "/sales*" in text and "/compact*" in text and "/features/" not in text
    assert job.layout is None
    assert event_triggered.one("AWS::Glue::Crawler")["Targets"]["S3Targets"][0]["Path"] == (
        event_triggered.resolve(job.lake.s3_uri(Zone.CURATED, "compact/"))
    )


def test_bring_your_own_role_gets_the_grants_and_names_the_log_groups():
    def build(stack: Stack):
        role = iam.Role(stack, "MyRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
        return GlueEtlJob(stack, "Job", lake=DataLake(stack, "Lake"), role=role, crawler=False), role

    built = scenario(build, compliance=False)
    job, role = built.built
    assert job.role is role and job.crawler is None
    assert "s3:DeleteObject*" in json.dumps(built.policy_statements("MyRole"))
    config = built.resolve(job.security_configuration.ref)
    built.template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "LogGroupName": {
                "Fn::Join": [
                    "",
                    ["/aws-glue/jobs/", config, "-role/", built.resolve(role.role_name), "/error"],
                ]
            }
        },
    )
    built.template.resource_count_is("AWS::IAM::Role", 1)


def test_spark_settings_scale_with_the_workers_and_can_be_overridden(default):
    _, job, _ = default.built
    args = default.one("AWS::Glue::Job")["DefaultArguments"]
    # Glue's form: the value of one --conf argument is "k=v --conf k2=v2".
    assert args["--conf"] == (
        "spark.sql.shuffle.partitions=16 --conf spark.sql.adaptive.enabled=true "
        "--conf spark.sql.adaptive.coalescePartitions.enabled=true "
        "--conf spark.sql.optimizer.canChangeCachedPlanOutputPartitioning=true"
    )  # 2 x (2 G.1X workers x 4 vCPU), not Spark's 200
    assert parse_conf_parameters(args["--conf"]) == job.spark_conf

    def build(stack: Stack):
        return GlueEtlJob(
            stack,
            "Job",
            lake=DataLake(stack, "Lake"),
            worker_type=GlueWorkerType.G_2X,
            number_of_workers=10,
            spark_conf={"spark.sql.adaptive.enabled": "false"},
        )

    built = scenario(build, compliance=False)
    conf = parse_conf_parameters(built.one("AWS::Glue::Job")["DefaultArguments"]["--conf"])
    assert conf["spark.sql.shuffle.partitions"] == "160"  # 2 x 10 x 8 vCPU
    assert conf["spark.sql.adaptive.enabled"] == "false"


def _error(**kwargs) -> str:
    def build(stack: Stack):
        GlueEtlJob(stack, "Job", **{"lake": DataLake(stack, "Lake"), **kwargs})

    return build_error(build)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"number_of_workers": 1}, "Test/Job: invalid number_of_workers=1; allowed: 2..299"),
        (
            {"number_of_workers": 150, "worker_type": GlueWorkerType.G_2X},
            "invalid number_of_workers=150; allowed: 2..149",
        ),
        ({"worker_type": "G.3X"}, "invalid worker_type='G.3X'; allowed: one of G.1X, G.2X"),
        ({"glue_version": "3.0"}, "invalid glue_version='3.0'; allowed: one of 4.0, 5.0, 5.1"),
        (
            {"execution_class": GlueExecutionClass.FLEX, "worker_type": GlueWorkerType.G_4X},
            "invalid execution_class='FLEX'; allowed: STANDARD with G.4X",
        ),
        ({"timeout": Duration.days(8)}, "invalid timeout=11520.0; allowed: 1..10080 minutes"),
        ({"max_retries": 11}, "invalid max_retries=11; allowed: 0..10"),
        ({"table_prefix": "Bad-"}, "invalid table_prefix='Bad-'"),
        ({"script": "missing.py"}, "invalid script='missing.py'; allowed: an existing .py file"),
        ({"script": MY_SCRIPT}, "invalid crawl_path=None; allowed: the LakePath your script writes"),
        ({"arguments": {"seed": "1"}}, "invalid arguments='seed'; allowed: keys of the form '--name'"),
        (
            {"arguments": {"--conf": "spark.a=1"}},
            "invalid arguments\\['--conf'\\]='spark.a=1'; allowed: no '--conf' \\(use spark_conf=\\)",
        ),
        ({"spark_conf": {"spark.a": ""}}, "invalid spark_conf\\['spark.a'\\]=''; allowed: a non-empty"),
        ({"reads": [LakePath(Zone.RAW, "/abs")]}, "invalid reads.prefix='/abs'"),
        ({"trigger": JobTrigger.schedule("rate(1 day)")}, "invalid trigger.cron='rate\\(1 day\\)'"),
        (
            {"trigger": JobTrigger.on_new_objects(Zone.RAW, "in/", batch_size=101)},
            "invalid trigger.batch_size=101; allowed: 1..100",
        ),
        ({"layout": FeatureLayout(sales=None, orders=None)}, "invalid layout.sales/orders=None"),
        ({"layout": FeatureLayout(validation_ratio=1.0)}, "invalid layout.validation_ratio=1.0"),
        ({"layout": FeatureLayout(sales_format="xml")}, "invalid layout.sales_format='xml'"),
        (
            {"layout": FeatureLayout(features=LakePath(Zone.PROCESSED, "sales/out/"))},
            "invalid layout output='processed/sales/out/'; allowed: a prefix outside the input",
        ),
        (
            {"layout": FeatureLayout(train=LakePath(Zone.PROCESSED, "features/order_features/"))},
            "invalid layout outputs=",
        ),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(kwargs, message):
    error = _error(**kwargs)
    assert re.search(message, error), error


def test_crawl_task_needs_a_crawler():
    def build(stack: Stack):
        job = GlueEtlJob(stack, "Job", lake=DataLake(stack, "Lake"), crawler=False)
        assert job.crawler is None and job.crawler_name is None
        job.crawl_task(stack, "Crawl")

    assert "invalid crawler=None" in build_error(build)


def test_builtin_script_is_the_runtime_feature_script():
    assert FEATURES_SCRIPT.name == "features.py" and FEATURES_SCRIPT.parent.name == "spark"
    assert FEATURES_SCRIPT.is_file()
