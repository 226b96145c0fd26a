"""ml-constructs: secure-by-default AWS CDK constructs for every stage of machine learning.

Collect -> store -> process -> train/tune -> deploy -> orchestrate. Every construct is
re-exported here::

    from ml_constructs import DataLake, ObjectTrigger, RecordSchema, Field, FieldType
"""

from .core.schema import ExtraFields, Field, FieldType, RecordSchema
from .store import DataLake, ObjectTrigger, RawTiering, Zone

__version__ = "0.1.0"

__all__ = [
    "DataLake",
    "ExtraFields",
    "Field",
    "FieldType",
    "ObjectTrigger",
    "RawTiering",
    "RecordSchema",
    "Zone",
]
