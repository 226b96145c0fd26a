"""The reference ML stack: data travels from collection to predictions.

Composed only from ``ml_constructs``; each stage is handed the one before it. Settings come
from ``cdk.json`` context through :class:`stacks.settings.Settings`.
"""

from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct

from ml_constructs import DataLake, Field, FieldType, ObjectTrigger, RecordSchema

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


class MlStack(Stack):
    """Data lake, file ingestion with validation, and (as the library grows) every later stage."""

    def __init__(self, scope: Construct, id: str, *, settings: Settings, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.lake = DataLake(self, "Lake", removal_policy=settings.removal_policy)
        self.files = ObjectTrigger(
            self,
            "SalesFiles",
            lake=self.lake,
            prefix="incoming/sales/",
            schema=SALES_SCHEMA,
            output_prefix="sales/",
        )
