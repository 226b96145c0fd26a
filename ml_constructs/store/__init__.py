"""Store stage: the governed data lake and triggers on new objects."""

from .data_lake import DataLake, RawTiering, Zone
from .object_trigger import ObjectTrigger

__all__ = ["DataLake", "ObjectTrigger", "RawTiering", "Zone"]
