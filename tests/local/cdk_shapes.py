"""A stack with every resource type of the full reference app, in the shapes CDK gives them.

The reference app grows while its constructs are written; this stack already holds every type
on the target list (``ml_constructs.local.coverage.TARGET_TYPES``), built with CDK's own L2
constructs where they exist (so the properties are the ones CDK emits) and L1s elsewhere.
"""

from __future__ import annotations

import json

from aws_cdk import (
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_athena as athena
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dms as dms
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_emrserverless as emrserverless
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kinesisvideo as kinesisvideo
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn

HANDLER = "def handler(event, context):\n    return event\n"


def build(stack: Stack) -> None:
    destroy = RemovalPolicy.DESTROY
    key = kms.Key(stack, "Key", enable_key_rotation=True, alias="alias/cdk-shapes", removal_policy=destroy)
    bucket = s3.Bucket(
        stack,
        "Bucket",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        enforce_ssl=True,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        removal_policy=destroy,
    )
    cfn_bucket = bucket.node.default_child
    cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(  # type: ignore[union-attr]
        event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
    )
    log_group = logs.LogGroup(
        stack, "Logs", retention=logs.RetentionDays.ONE_MONTH, encryption_key=key, removal_policy=destroy
    )
    logs.LogStream(stack, "Stream", log_group=log_group, removal_policy=destroy)
    logs.MetricFilter(
        stack,
        "FailedRecords",
        log_group=log_group,
        filter_pattern=logs.FilterPattern.literal("ProcessingFailed"),
        metric_namespace="MlConstructs",
        metric_name="FailedRecords",
        dimensions={"Stream": "clicks"},
    )

    # network: VPC, subnets, routes, NAT with an EIP, flow log, endpoints, security groups
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=1,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
            ec2.SubnetConfiguration(
                name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=24
            ),
            ec2.SubnetConfiguration(
                name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
            ),
        ],
        flow_logs={
            "all": ec2.FlowLogOptions(destination=ec2.FlowLogDestination.to_cloud_watch_logs(log_group))
        },
    )
    vpc.add_gateway_endpoint("S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3)
    vpc.add_interface_endpoint(
        "RuntimeEndpoint", service=ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME
    )
    database_group = ec2.SecurityGroup(stack, "DatabaseGroup", vpc=vpc, allow_all_outbound=False)
    replication_group = ec2.SecurityGroup(stack, "ReplicationGroup", vpc=vpc, allow_all_outbound=False)
    database_group.connections.allow_from(replication_group, ec2.Port.tcp(5432), "dms to postgres")
    private = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids

    # compute: Lambda with its own role, explicit log group, async config; IAM managed policy
    function = lambda_.Function(
        stack,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline(HANDLER),
        log_group=log_group,
        environment={"STAGE": "test"},
        environment_encryption=key,
        timeout=Duration.seconds(30),
    )
    dead_letters = sqs.Queue(
        stack, "DeadLetters", encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True
    )
    function.configure_async_invoke(retry_attempts=1, max_event_age=Duration.hours(1))
    iam.ManagedPolicy(
        stack,
        "ReadLake",
        statements=[iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")])],
        roles=[function.role],  # type: ignore[list-item]
    )

    # messaging: topic with a queue subscription, rules, schedules, alarms
    topic = sns.Topic(stack, "Topic", master_key=key, enforce_ssl=True)
    topic.add_subscription(subscriptions.SqsSubscription(dead_letters, raw_message_delivery=True))
    events.Rule(
        stack,
        "ObjectCreated",
        event_pattern=events.EventPattern(
            source=["aws.s3"],
            detail_type=["Object Created"],
            detail={"bucket": {"name": [bucket.bucket_name]}},
        ),
        targets=[targets.LambdaFunction(function, dead_letter_queue=dead_letters, retry_attempts=2)],
    )
    scheduler_role = iam.Role(
        stack, "SchedulerRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")
    )
    function.grant_invoke(scheduler_role)
    scheduler.CfnSchedule(
        stack,
        "Nightly",
        schedule_expression="cron(0 2 * * ? *)",
        flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
        target=scheduler.CfnSchedule.TargetProperty(
            arn=function.function_arn, role_arn=scheduler_role.role_arn, input="{}"
        ),
    )
    cloudwatch.Alarm(
        stack,
        "Errors",
        metric=function.metric_errors(period=Duration.minutes(5)),
        threshold=1,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )

    # collect: Kinesis -> Firehose (with a Lambda processor) -> S3; video; DMS
    stream = kinesis.Stream(
        stack, "Clicks", encryption=kinesis.StreamEncryption.KMS, encryption_key=key, shard_count=1
    )
    delivery_role = iam.Role(stack, "DeliveryRole", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
    stream.grant_read(delivery_role)
    bucket.grant_read_write(delivery_role)
    function.grant_invoke(delivery_role)
    firehose.CfnDeliveryStream(
        stack,
        "Delivery",
        delivery_stream_type="KinesisStreamAsSource",
        kinesis_stream_source_configuration=firehose.CfnDeliveryStream.KinesisStreamSourceConfigurationProperty(
            kinesis_stream_arn=stream.stream_arn, role_arn=delivery_role.role_arn
        ),
        extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
            bucket_arn=bucket.bucket_arn,
            role_arn=delivery_role.role_arn,
            prefix="raw/clicks/",
            error_output_prefix="quarantine/clicks/",
            buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                interval_in_seconds=60, size_in_m_bs=1
            ),
            encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                    awskms_key_arn=key.key_arn
                )
            ),
            processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                enabled=True,
                processors=[
                    firehose.CfnDeliveryStream.ProcessorProperty(
                        type="Lambda",
                        parameters=[
                            firehose.CfnDeliveryStream.ProcessorParameterProperty(
                                parameter_name="LambdaArn", parameter_value=function.function_arn
                            )
                        ],
                    )
                ],
            ),
        ),
    )
    kinesisvideo.CfnStream(stack, "Camera", data_retention_in_hours=24, kms_key_id=key.key_arn)
    secret = secretsmanager.Secret(
        stack,
        "DatabaseLogin",
        encryption_key=key,
        generate_secret_string=secretsmanager.SecretStringGenerator(
            secret_string_template=json.dumps({"username": "ml"}),
            generate_string_key="password",
            exclude_punctuation=True,
        ),
    )
    dms_role = iam.Role(stack, "DmsAccess", assumed_by=iam.ServicePrincipal("dms.amazonaws.com"))
    secret.grant_read(dms_role)
    bucket.grant_write(dms_role)
    subnet_group = dms.CfnReplicationSubnetGroup(
        stack, "DmsSubnets", replication_subnet_group_description="dms", subnet_ids=private
    )
    instance = dms.CfnReplicationInstance(
        stack,
        "DmsInstance",
        replication_instance_class="dms.t3.medium",
        allocated_storage=50,
        publicly_accessible=False,
        kms_key_id=key.key_arn,
        replication_subnet_group_identifier=subnet_group.ref,
        vpc_security_group_ids=[replication_group.security_group_id],
    )
    source = dms.CfnEndpoint(
        stack,
        "Source",
        endpoint_type="source",
        engine_name="postgres",
        database_name="sales",
        ssl_mode="require",
        postgre_sql_settings=dms.CfnEndpoint.PostgreSqlSettingsProperty(
            secrets_manager_access_role_arn=dms_role.role_arn, secrets_manager_secret_id=secret.secret_arn
        ),
    )
    target = dms.CfnEndpoint(
        stack,
        "Target",
        endpoint_type="target",
        engine_name="s3",
        s3_settings=dms.CfnEndpoint.S3SettingsProperty(
            bucket_name=bucket.bucket_name,
            bucket_folder="raw/orders",
            service_access_role_arn=dms_role.role_arn,
            data_format="parquet",
            encryption_mode="SSE_KMS",
            server_side_encryption_kms_key_id=key.key_arn,
        ),
    )
    mappings = {
        "rules": [
            {
                "rule-type": "selection",
                "rule-id": "1",
                "rule-name": "sales",
                "object-locator": {"schema-name": "sales", "table-name": "%"},
                "rule-action": "include",
            }
        ]
    }
    dms.CfnReplicationTask(
        stack,
        "Task",
        migration_type="full-load-and-cdc",
        replication_instance_arn=instance.ref,
        source_endpoint_arn=source.ref,
        target_endpoint_arn=target.ref,
        table_mappings=json.dumps(mappings),
    )
    dms.CfnReplicationConfig(
        stack,
        "Serverless",
        replication_config_identifier="orders-serverless",
        replication_type="full-load-and-cdc",
        source_endpoint_arn=source.ref,
        target_endpoint_arn=target.ref,
        table_mappings=mappings,
        compute_config=dms.CfnReplicationConfig.ComputeConfigProperty(
            max_capacity_units=16,
            replication_subnet_group_id=subnet_group.ref,
            vpc_security_group_ids=[replication_group.security_group_id],
        ),
    )

    # process: Glue catalog, job, crawler, trigger; Athena; EMR Serverless
    glue_role = iam.Role(stack, "GlueRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
    bucket.grant_read_write(glue_role)
    database = glue.CfnDatabase(
        stack,
        "Database",
        catalog_id=stack.account,
        database_input=glue.CfnDatabase.DatabaseInputProperty(name="shapes_raw"),
    )
    table = glue.CfnTable(
        stack,
        "Table",
        catalog_id=stack.account,
        database_name="shapes_raw",
        table_input=glue.CfnTable.TableInputProperty(
            name="clicks",
            table_type="EXTERNAL_TABLE",
            storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                columns=[glue.CfnTable.ColumnProperty(name="user", type="string")],
                location=bucket.s3_url_for_object("raw/clicks/"),
            ),
        ),
    )
    table.add_resource_dependency(database)
    security = glue.CfnSecurityConfiguration(
        stack,
        "GlueSecurity",
        name="shapes-security",
        encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
            s3_encryptions=[
                glue.CfnSecurityConfiguration.S3EncryptionProperty(
                    s3_encryption_mode="SSE-KMS", kms_key_arn=key.key_arn
                )
            ],
            cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=key.key_arn
            ),
            job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=key.key_arn
            ),
        ),
    )
    job = glue.CfnJob(
        stack,
        "Features",
        role=glue_role.role_arn,
        command=glue.CfnJob.JobCommandProperty(
            name="glueetl",
            script_location=bucket.s3_url_for_object("scripts/features.py"),
            python_version="3",
        ),
        glue_version="5.0",
        worker_type="G.1X",
        number_of_workers=2,
        max_retries=1,
        timeout=60,
        security_configuration=security.ref,
        default_arguments={"--job-bookmark-option": "job-bookmark-enable"},
    )
    glue.CfnCrawler(
        stack,
        "Crawler",
        role=glue_role.role_arn,
        database_name="shapes_raw",
        targets=glue.CfnCrawler.TargetsProperty(
            s3_targets=[glue.CfnCrawler.S3TargetProperty(path=bucket.s3_url_for_object("raw/"))]
        ),
        schedule=glue.CfnCrawler.ScheduleProperty(schedule_expression="cron(0 3 * * ? *)"),
        crawler_security_configuration=security.ref,
    ).add_resource_dependency(database)
    glue.CfnTrigger(
        stack,
        "Trigger",
        type="SCHEDULED",
        schedule="cron(0 4 * * ? *)",
        start_on_creation=True,
        actions=[glue.CfnTrigger.ActionProperty(job_name=job.ref)],
    )
    athena.CfnWorkGroup(
        stack,
        "Analysts",
        name="shapes-analysts",
        recursive_delete_option=True,
        work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
            enforce_work_group_configuration=True,
            publish_cloud_watch_metrics_enabled=True,
            result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                output_location=bucket.s3_url_for_object("athena/"),
                encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                    encryption_option="SSE_KMS", kms_key=key.key_arn
                ),
            ),
        ),
    )
    emrserverless.CfnApplication(
        stack,
        "Spark",
        release_label="emr-7.5.0",
        type="SPARK",
        auto_stop_configuration=emrserverless.CfnApplication.AutoStopConfigurationProperty(
            enabled=True, idle_timeout_minutes=15
        ),
        maximum_capacity=emrserverless.CfnApplication.MaximumAllowedResourcesProperty(
            cpu="16 vCPU", memory="64 GB"
        ),
        network_configuration=emrserverless.CfnApplication.NetworkConfigurationProperty(
            subnet_ids=private, security_group_ids=[replication_group.security_group_id]
        ),
    )

    # train + deploy: notebook, model, endpoint, autoscaling, registry, Studio
    sagemaker_role = iam.Role(
        stack, "SageMakerRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")
    )
    bucket.grant_read_write(sagemaker_role)
    lifecycle = sagemaker.CfnNotebookInstanceLifecycleConfig(
        stack,
        "AutoStop",
        on_start=[
            sagemaker.CfnNotebookInstanceLifecycleConfig.NotebookInstanceLifecycleHookProperty(
                content="IyEvYmluL2Jhc2gK"
            )
        ],
    )
    sagemaker.CfnNotebookInstance(
        stack,
        "Notebook",
        instance_type="ml.t3.medium",
        role_arn=sagemaker_role.role_arn,
        kms_key_id=key.key_id,
        subnet_id=private[0],
        security_group_ids=[replication_group.security_group_id],
        direct_internet_access="Disabled",
        root_access="Disabled",
        volume_size_in_gb=10,
        lifecycle_config_name=lifecycle.attr_notebook_instance_lifecycle_config_name,
    )
    model = sagemaker.CfnModel(
        stack,
        "Model",
        execution_role_arn=sagemaker_role.role_arn,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
            image="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            model_data_url=bucket.s3_url_for_object("models/model.tar.gz"),
        ),
        vpc_config=sagemaker.CfnModel.VpcConfigProperty(
            subnets=private, security_group_ids=[replication_group.security_group_id]
        ),
        enable_network_isolation=True,
    )
    config = sagemaker.CfnEndpointConfig(
        stack,
        "EndpointConfig",
        kms_key_id=key.key_arn,
        production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name="AllTraffic",
                model_name=model.attr_model_name,
                initial_instance_count=1,
                instance_type="ml.m5.large",
                initial_variant_weight=1,
            )
        ],
        data_capture_config=sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
            enable_capture=True,
            initial_sampling_percentage=10,
            destination_s3_uri=bucket.s3_url_for_object("capture/"),
            kms_key_id=key.key_arn,
            capture_options=[
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
            ],
        ),
    )
    endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name=config.attr_endpoint_config_name)
    scaling = appscaling.ScalableTarget(
        stack,
        "Scaling",
        service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
        resource_id=f"endpoint/{endpoint.attr_endpoint_name}/variant/AllTraffic",
        scalable_dimension="sagemaker:variant:DesiredInstanceCount",
        min_capacity=1,
        max_capacity=4,
    )
    scaling.scale_to_track_metric(
        "Invocations",
        target_value=100,
        predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
    )
    sagemaker.CfnModelPackageGroup(stack, "Registry", model_package_group_name="shapes-models")
    domain = sagemaker.CfnDomain(
        stack,
        "Studio",
        domain_name="shapes-studio",
        auth_mode="IAM",
        app_network_access_type="VpcOnly",
        vpc_id=vpc.vpc_id,
        subnet_ids=private,
        kms_key_id=key.key_arn,
        default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(
            execution_role=sagemaker_role.role_arn, security_groups=[replication_group.security_group_id]
        ),
    )
    sagemaker.CfnUserProfile(stack, "Analyst", domain_id=domain.attr_domain_id, user_profile_name="analyst")
    ecr.Repository(
        stack,
        "Images",
        image_scan_on_push=True,
        encryption=ecr.RepositoryEncryption.KMS,
        encryption_key=key,
        removal_policy=destroy,
    )

    # orchestrate: state machine with logging and tracing; an HTTPS API in front of the endpoint
    machine_logs = logs.LogGroup(stack, "MachineLogs", removal_policy=destroy)
    sfn.StateMachine(
        stack,
        "Workflow",
        definition_body=sfn.DefinitionBody.from_chainable(
            sfn.Pass(stack, "Start").next(sfn.Succeed(stack, "Done"))
        ),
        logs=sfn.LogOptions(destination=machine_logs, level=sfn.LogLevel.ALL),
        tracing_enabled=True,
    )
    api_logs = logs.LogGroup(stack, "ApiLogs", removal_policy=destroy)
    api = apigateway.RestApi(
        stack,
        "Api",
        cloud_watch_role=True,
        endpoint_types=[apigateway.EndpointType.REGIONAL],
        deploy_options=apigateway.StageOptions(
            stage_name="prod",
            tracing_enabled=True,
            logging_level=apigateway.MethodLoggingLevel.INFO,
            access_log_destination=apigateway.LogGroupLogDestination(api_logs),
            access_log_format=apigateway.AccessLogFormat.clf(),
        ),
    )
    validator = api.add_request_validator("Body", validate_request_body=True)
    api.root.add_resource("predict").add_method(
        "POST",
        apigateway.LambdaIntegration(function),
        authorization_type=apigateway.AuthorizationType.IAM,
        request_validator=validator,
    )
