"""Collect stage: streams, video and databases into the data lake's raw zone."""

from .database_ingest import (
    DatabaseEngine,
    DatabaseIngest,
    DatePartitioning,
    MigrationType,
    ReplicationInstance,
    ServerlessCapacity,
    SslMode,
    TableRule,
    TableSelection,
)
from .stream_ingest import (
    BufferHints,
    DataStreamSettings,
    IngestSource,
    OutputCompression,
    RecordFormat,
    StreamIngest,
    TimePartitioning,
)
from .video_ingest import VideoIngest, VideoMediaType, VideoStorageTier

__all__ = [
    "BufferHints",
    "DataStreamSettings",
    "DatabaseEngine",
    "DatabaseIngest",
    "DatePartitioning",
    "IngestSource",
    "MigrationType",
    "OutputCompression",
    "RecordFormat",
    "ReplicationInstance",
    "ServerlessCapacity",
    "SslMode",
    "StreamIngest",
    "TableRule",
    "TableSelection",
    "TimePartitioning",
    "VideoIngest",
    "VideoMediaType",
    "VideoStorageTier",
]
