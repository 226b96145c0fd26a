"""ml-constructs: secure-by-default AWS CDK constructs for every stage of machine learning.

Collect -> store -> process -> train/tune -> deploy -> orchestrate. Every construct is
re-exported here::

    from ml_constructs import DataLake, ObjectTrigger, TrainingJob, MlWorkflow
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module defining it. Imported on first use (PEP 562), so an app that uses a
# few constructs does not load the jsii modules of all the others (aws_sagemaker, aws_glue, ...).
_EXPORTS: dict[str, str] = {
    "ApprovalStatus": ".ml.model_registry",
    "AssembleWith": ".ml.batch_transform",
    "AthenaEngineVersion": ".process",
    "AthenaWorkgroup": ".process",
    "Autoscaling": ".ml.model_endpoint",
    "BatchStrategy": ".ml.batch_transform",
    "BatchTransform": ".ml.batch_transform",
    "BufferHints": ".collect",
    "CategoricalRange": ".ml.hyperparameter_tuning",
    "ContinuousRange": ".ml.hyperparameter_tuning",
    "DEFAULT_RELEASE_LABEL": ".process",
    "DataCapture": ".ml.model_endpoint",
    "DataLake": ".store",
    "DataStreamSettings": ".collect",
    "DatabaseEngine": ".collect",
    "DatabaseIngest": ".collect",
    "DatePartitioning": ".collect",
    "EarlyStopping": ".ml.hyperparameter_tuning",
    "ExtraFields": ".core.schema",
    "FEATURES_SCRIPT": ".process",
    "FeatureLayout": ".process",
    "Field": ".core.schema",
    "FieldType": ".core.schema",
    "GlueEtlJob": ".process",
    "GlueExecutionClass": ".process",
    "GlueVersion": ".process",
    "GlueWorkerType": ".process",
    "HttpsApi": ".ml.model_endpoint",
    "HyperbandConfig": ".ml.hyperparameter_tuning",
    "HyperparameterTuning": ".ml.hyperparameter_tuning",
    "IngestSource": ".collect",
    "InputChannel": ".ml.training_job",
    "InputMode": ".ml.training_job",
    "IntegerRange": ".ml.hyperparameter_tuning",
    "JobBookmarks": ".process",
    "JobTrigger": ".process",
    "JoinSource": ".ml.batch_transform",
    "LakePath": ".process",
    "MetricDefinition": ".ml.training_job",
    "MigrationType": ".collect",
    "MlWorkflow": ".workflow",
    "ApprovalMode": ".workflow",
    "ApprovedModelDeployment": ".workflow",
    "QualityGate": ".workflow",
    "ModelEndpoint": ".ml.model_endpoint",
    "ModelMonitor": ".ml.model_monitor",
    "ModelPackageGroup": ".ml.model_registry",
    "NewDataTrigger": ".workflow",
    "Notebook": ".ml.notebook",
    "NotebookKind": ".ml.notebook",
    "ObjectTrigger": ".store",
    "Objective": ".ml.hyperparameter_tuning",
    "OperationsTopic": ".workflow",
    "OutputCompression": ".collect",
    "RawTiering": ".store",
    "RecordFormat": ".collect",
    "RecordSchema": ".core.schema",
    "Rollout": ".ml.model_endpoint",
    "ReplicationInstance": ".collect",
    "ResultEncryption": ".process",
    "S3Distribution": ".ml.training_job",
    "SageMakerImage": ".ml.images",
    "ScalingType": ".ml.hyperparameter_tuning",
    "ServerlessCapacity": ".collect",
    "ServerlessConfig": ".ml.model_endpoint",
    "SparkArchitecture": ".process",
    "SparkCapacity": ".process",
    "SparkServerlessJob": ".process",
    "SplitType": ".ml.batch_transform",
    "SpotTraining": ".ml.training_job",
    "SslMode": ".collect",
    "StreamIngest": ".collect",
    "TableRule": ".collect",
    "TableSelection": ".collect",
    "TimePartitioning": ".collect",
    "TrainingJob": ".ml.training_job",
    "TuningStrategy": ".ml.hyperparameter_tuning",
    "VideoIngest": ".collect",
    "VideoMediaType": ".collect",
    "VideoStorageTier": ".collect",
    "WarmStart": ".ml.hyperparameter_tuning",
    "WarmStartType": ".ml.hyperparameter_tuning",
    "Zone": ".store",
}

__all__ = [
    "ApprovalMode",
    "ApprovalStatus",
    "ApprovedModelDeployment",
    "AssembleWith",
    "AthenaEngineVersion",
    "AthenaWorkgroup",
    "Autoscaling",
    "BatchStrategy",
    "BatchTransform",
    "BufferHints",
    "CategoricalRange",
    "ContinuousRange",
    "DEFAULT_RELEASE_LABEL",
    "DataCapture",
    "DataLake",
    "DataStreamSettings",
    "DatabaseEngine",
    "DatabaseIngest",
    "DatePartitioning",
    "EarlyStopping",
    "ExtraFields",
    "FEATURES_SCRIPT",
    "FeatureLayout",
    "Field",
    "FieldType",
    "GlueEtlJob",
    "GlueExecutionClass",
    "GlueVersion",
    "GlueWorkerType",
    "HttpsApi",
    "HyperbandConfig",
    "HyperparameterTuning",
    "IngestSource",
    "InputChannel",
    "InputMode",
    "IntegerRange",
    "JobBookmarks",
    "JobTrigger",
    "JoinSource",
    "LakePath",
    "MetricDefinition",
    "MigrationType",
    "MlWorkflow",
    "ModelEndpoint",
    "ModelMonitor",
    "ModelPackageGroup",
    "NewDataTrigger",
    "Notebook",
    "NotebookKind",
    "ObjectTrigger",
    "Objective",
    "OperationsTopic",
    "OutputCompression",
    "QualityGate",
    "RawTiering",
    "RecordFormat",
    "RecordSchema",
    "Rollout",
    "ReplicationInstance",
    "ResultEncryption",
    "S3Distribution",
    "SageMakerImage",
    "ScalingType",
    "ServerlessCapacity",
    "ServerlessConfig",
    "SparkArchitecture",
    "SparkCapacity",
    "SparkServerlessJob",
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ml_constructs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # what type checkers and IDEs see
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
    from .ml.model_endpoint import (
        Autoscaling,
        DataCapture,
        HttpsApi,
        ModelEndpoint,
        Rollout,
        ServerlessConfig,
    )
    from .ml.model_monitor import ModelMonitor
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
    from .process import (
        DEFAULT_RELEASE_LABEL,
        FEATURES_SCRIPT,
        AthenaEngineVersion,
        AthenaWorkgroup,
        FeatureLayout,
        GlueEtlJob,
        GlueExecutionClass,
        GlueVersion,
        GlueWorkerType,
        JobBookmarks,
        JobTrigger,
        LakePath,
        ResultEncryption,
        SparkArchitecture,
        SparkCapacity,
        SparkServerlessJob,
    )
    from .store import DataLake, ObjectTrigger, RawTiering, Zone
    from .workflow import (
        ApprovalMode,
        ApprovedModelDeployment,
        MlWorkflow,
        NewDataTrigger,
        OperationsTopic,
        QualityGate,
    )
