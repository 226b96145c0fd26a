"""ml-constructs: secure-by-default AWS CDK constructs for every stage of machine learning.

Collect -> store -> process -> train/tune -> deploy -> orchestrate. Every construct is
re-exported here::

    from ml_constructs import DataLake, ObjectTrigger, TrainingJob, MlWorkflow
"""

from .collect import (
    BufferHints,
    DatabaseEngine,
    DatabaseIngest,
    DataStreamSettings,
    DatePartitioning,
    IngestSource,
    MigrationType,
    OutputCompression,
    RecordFormat,
    ReplicationInstance,
    ServerlessCapacity,
    SslMode,
    StreamIngest,
    TableRule,
    TableSelection,
    TimePartitioning,
    VideoIngest,
    VideoMediaType,
    VideoStorageTier,
)
from .core.schema import ExtraFields, Field, FieldType, RecordSchema
from .ml.batch_transform import AssembleWith, BatchStrategy, BatchTransform, JoinSource, SplitType
from .ml.hyperparameter_tuning import (
    CategoricalRange,
    ContinuousRange,
    EarlyStopping,
    HyperbandConfig,
    HyperparameterTuning,
    IntegerRange,
    Objective,
    ScalingType,
    TuningStrategy,
    WarmStart,
    WarmStartType,
)
from .ml.images import SageMakerImage
from .ml.model_endpoint import Autoscaling, DataCapture, HttpsApi, ModelEndpoint, ServerlessConfig
from .ml.model_registry import ApprovalStatus, ModelPackageGroup
from .ml.notebook import Notebook, NotebookKind
from .ml.training_job import (
    InputChannel,
    InputMode,
    MetricDefinition,
    S3Distribution,
    SpotTraining,
    TrainingJob,
)
from .store import DataLake, ObjectTrigger, RawTiering, Zone
from .workflow import MlWorkflow, NewDataTrigger

__version__ = "0.1.0"

__all__ = [
    "ApprovalStatus",
    "AssembleWith",
    "Autoscaling",
    "BatchStrategy",
    "BatchTransform",
    "BufferHints",
    "CategoricalRange",
    "ContinuousRange",
    "DataCapture",
    "DataLake",
    "DataStreamSettings",
    "DatabaseEngine",
    "DatabaseIngest",
    "DatePartitioning",
    "EarlyStopping",
    "ExtraFields",
    "Field",
    "FieldType",
    "HttpsApi",
    "HyperbandConfig",
    "HyperparameterTuning",
    "IngestSource",
    "InputChannel",
    "InputMode",
    "IntegerRange",
    "JoinSource",
    "MetricDefinition",
    "MigrationType",
    "MlWorkflow",
    "ModelEndpoint",
    "ModelPackageGroup",
    "NewDataTrigger",
    "Notebook",
    "NotebookKind",
    "ObjectTrigger",
    "Objective",
    "OutputCompression",
    "RawTiering",
    "RecordFormat",
    "RecordSchema",
    "ReplicationInstance",
    "S3Distribution",
    "SageMakerImage",
    "ScalingType",
    "ServerlessCapacity",
    "ServerlessConfig",
    "SplitType",
    "SpotTraining",
    "SslMode",
    "StreamIngest",
    "TableRule",
    "TableSelection",
    "TimePartitioning",
    "TrainingJob",
    "TuningStrategy",
    "VideoIngest",
    "VideoMediaType",
    "VideoStorageTier",
    "WarmStart",
    "WarmStartType",
    "Zone",
]
