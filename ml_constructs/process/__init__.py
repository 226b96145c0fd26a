"""Process stage: Spark on Glue or EMR Serverless turns lake data into features; Athena queries it."""

from .athena_workgroup import AthenaEngineVersion, AthenaWorkgroup, ResultEncryption
from .glue_etl_job import (
    GlueEtlJob,
    GlueExecutionClass,
    GlueVersion,
    GlueWorkerType,
    JobBookmarks,
    JobTrigger,
)
from .spark_job_parts import FEATURES_SCRIPT, FeatureLayout, LakePath
from .spark_serverless_job import DEFAULT_RELEASE_LABEL, SparkArchitecture, SparkCapacity, SparkServerlessJob

__all__ = [
    "DEFAULT_RELEASE_LABEL",
    "FEATURES_SCRIPT",
    "AthenaEngineVersion",
    "AthenaWorkgroup",
    "FeatureLayout",
    "GlueEtlJob",
    "GlueExecutionClass",
    "GlueVersion",
    "GlueWorkerType",
    "JobBookmarks",
    "JobTrigger",
    "LakePath",
    "ResultEncryption",
    "SparkArchitecture",
    "SparkCapacity",
    "SparkServerlessJob",
]
