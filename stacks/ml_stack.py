"""The reference ML stack: data travels from collection to predictions.

Composed only from ``ml_constructs``; each stage is handed the one before it. Settings come
from ``cdk.json`` context through :class:`stacks.settings.Settings`.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_constructs import (
    ApprovalMode,
    AthenaWorkgroup,
    Autoscaling,
    BatchTransform,
    ContinuousRange,
    DatabaseEngine,
    DatabaseIngest,
    DataLake,
    FeatureLayout,
    Field,
    FieldType,
    GlueEtlJob,
    HyperparameterTuning,
    InputChannel,
    IntegerRange,
    JoinSource,
    LakePath,
    MlWorkflow,
    ModelEndpoint,
    ModelMonitor,
    ModelPackageGroup,
    NewDataTrigger,
    Notebook,
    Objective,
    ObjectTrigger,
    OperationsTopic,
    QualityGate,
    RecordSchema,
    Rollout,
    SageMakerImage,
    ScalingType,
    ServerlessConfig,
    SparkServerlessJob,
    SpotTraining,
    StreamIngest,
    TableSelection,
    TrainingJob,
    VideoIngest,
    Zone,
)

from .settings import Settings

# What a sales file dropped into the raw zone must look like.
SALES_SCHEMA = RecordSchema.from_fields(
    Field("order_id", FieldType.STRING, max_length=64),
    Field("customer_id", FieldType.STRING, max_length=64),
    Field("street_number", FieldType.STRING, max_length=16),
    Field("street_name", FieldType.STRING, max_length=128),
    Field("zip_code", FieldType.STRING, pattern=r"[0-9A-Za-z -]{3,10}"),
    Field("amount", FieldType.NUMBER, minimum=0, maximum=1_000_000),
    Field("quantity", FieldType.INTEGER, minimum=1, maximum=10_000),
    Field("channel", FieldType.STRING, required=False, default="web", allowed=("web", "store", "phone")),
    Field("ordered_at", FieldType.TIMESTAMP),
)

# What a click event on the stream must look like.
CLICK_SCHEMA = RecordSchema.from_fields(
    Field("event_id", FieldType.STRING, max_length=64),
    Field("customer_id", FieldType.STRING, max_length=64),
    Field("event_type", FieldType.STRING, allowed=("view", "click", "add_to_cart", "purchase")),
    Field("product_id", FieldType.STRING, required=False, max_length=64),
    Field("price", FieldType.NUMBER, required=False, minimum=0, maximum=1_000_000),
    Field("device", FieldType.STRING, required=False, default="web", allowed=("web", "mobile", "tablet")),
    Field("occurred_at", FieldType.TIMESTAMP),
)

XGBOOST = SageMakerImage.built_in("xgboost", "1.7-1")


class MlStack(Stack):
    """Collect -> store -> process -> train/tune -> deploy, orchestrated by one workflow."""

    def __init__(self, scope: Construct, id: str, *, settings: Settings, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        # -- operations: every alarm, failure event and workflow notice reaches a person ------
        self.operations = OperationsTopic(
            self,
            "Operations",
            emails=[settings.alarm_email] if settings.alarm_email else [],
            topic=sns.Topic.from_topic_arn(self, "ExistingOperationsTopic", settings.alarm_topic_arn)
            if settings.alarm_topic_arn
            else None,
            removal_policy=settings.removal_policy,
        )
        alarms = self.operations.topic

        # -- store ---------------------------------------------------------------------------
        self.lake = DataLake(self, "Lake", removal_policy=settings.removal_policy)

        # -- collect: files, a click stream, store cameras, the orders database -------------
        self.files = ObjectTrigger(
            self,
            "SalesFiles",
            lake=self.lake,
            prefix="incoming/sales/",
            schema=SALES_SCHEMA,
            output_prefix="sales/",
            alarm_topic=alarms,
        )
        self.clicks = StreamIngest(self, "Clicks", lake=self.lake, schema=CLICK_SCHEMA, alarm_topic=alarms)
        self.cameras = VideoIngest(
            self,
            "Cameras",
            lake=self.lake,
            devices=["store-entrance"],
            producer_principal=iam.ServicePrincipal("credentials.iot.amazonaws.com"),
        )
        self.orders = DatabaseIngest(
            self,
            "Orders",
            lake=self.lake,
            engine=DatabaseEngine.POSTGRES,
            database_name="shop",
            credentials=secretsmanager.Secret.from_secret_name_v2(
                self, "OrdersDatabaseSecret", settings.orders_secret_name
            ),
            tables=TableSelection.include("sales"),
            credentials_key=kms.Key.from_key_arn(self, "OrdersSecretKey", settings.orders_secret_key_arn)
            if settings.orders_secret_key_arn
            else None,
            create_service_roles=settings.create_dms_service_roles,
            alarm_topic=alarms,
        )

        # -- process: one feature script, on Glue or on EMR Serverless; Athena for queries ----
        layout = FeatureLayout(
            sales=LakePath(Zone.PROCESSED, self.files.output_prefix),
            orders=LakePath(Zone.RAW, f"{self.orders.prefix}sales/orders/"),
            events=LakePath(Zone.RAW, self.clicks.prefix),
        )
        self.features = GlueEtlJob(self, "Features", lake=self.lake, layout=layout)
        self.features_on_emr = SparkServerlessJob(self, "FeaturesOnEmr", lake=self.lake, layout=layout)
        self.queries = AthenaWorkgroup(self, "Queries", lake=self.lake)

        # -- train and optimize -------------------------------------------------------------
        self.notebook = Notebook(
            self,
            "Explore",
            lake=self.lake,
            vpc=self.orders.vpc,
            instance_type=settings.notebook_instance_type,
            idle_minutes=settings.notebook_idle_minutes,
            sagemaker_api_endpoint=True,
        )
        self.training = TrainingJob(
            self,
            "Train",
            lake=self.lake,
            image=XGBOOST,
            instance_type=settings.training_instance_type,
            gpu=True,
            spot=SpotTraining(max_wait=Duration.hours(4)) if settings.spot_training else None,
            max_runtime=Duration.hours(2),
            hyperparameters={
                "objective": "binary:logistic",
                "eval_metric": "auc",
                "num_round": "200",
                "tree_method": "gpu_hist",
            },
            channels=[
                InputChannel("train", "features/train/", content_type="text/csv"),
                InputChannel("validation", "features/validation/", content_type="text/csv"),
            ],
        )
        self.tuning = HyperparameterTuning(
            self,
            "Tune",
            training=self.training,
            objective=Objective.maximize("validation:auc"),
            ranges=[
                ContinuousRange("eta", 0.01, 0.3, ScalingType.LOGARITHMIC),
                IntegerRange("max_depth", 3, 10),
                ContinuousRange("subsample", 0.5, 1.0),
            ],
            max_jobs=settings.tuning_max_jobs,
            max_parallel_jobs=settings.tuning_max_parallel_jobs,
        )
        self.models = ModelPackageGroup(self, "Models")

        # -- deploy --------------------------------------------------------------------------
        serverless = settings.endpoint_kind == "serverless"
        self.endpoint = ModelEndpoint(
            self,
            "Serve",
            lake=self.lake,
            image=XGBOOST,
            instance_type=None if serverless else settings.endpoint_instance_type,
            serverless=ServerlessConfig() if serverless else None,
            autoscaling=None if serverless else Autoscaling(min_capacity=1, max_capacity=4),
            alarm_topic=alarms,
            # Blue/green: 10% of the traffic for 5 minutes, then all, then 10 minutes of bake
            # time; the 5xx, latency or model-error alarm rolls the update back.
            rollout=Rollout.canary(percent=10, wait=Duration.minutes(5), bake_time=Duration.minutes(10)),
        )
        # Hourly data-quality monitoring of what the endpoint receives, against the baseline of
        # the features the model was trained on (the workflow computes it before each deploy).
        # Serverless endpoints capture no data: no monitor for them.
        self.monitor = (
            None if serverless else ModelMonitor(self, "Monitor", endpoint=self.endpoint, alarm_topic=alarms)
        )
        # The score file starts with order_id: feed the model the features only, join its
        # prediction back to the input and keep order_id + prediction.
        self.scoring = BatchTransform(
            self,
            "Score",
            lake=self.lake,
            input_prefix="features/score/",
            output_prefix="predictions/",
            input_filter="$[1:]",
            join_source=JoinSource.INPUT,
            output_filter="$[0,-1]",
        )

        # -- orchestrate ---------------------------------------------------------------------
        self.workflow = MlWorkflow(
            self,
            "Workflow",
            lake=self.lake,
            etl=self.features if settings.etl_engine == "glue" else self.features_on_emr,
            tuning=self.tuning,
            model_registry=self.models,
            endpoint=self.endpoint,
            batch=self.scoring,
            schedule=events.Schedule.expression(settings.workflow_schedule)
            if settings.workflow_schedule
            else None,
            new_data=NewDataTrigger(prefix="sales/"),
            notification_topic=alarms,
            # Deploy only a model better than production (validation AUC), approved as cdk.json says.
            quality_gate=QualityGate(margin=settings.quality_gate_margin),
            approval=ApprovalMode(settings.model_approval),
            monitor=self.monitor,
        )
