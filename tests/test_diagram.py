"""The architecture picture is drawn from the synthesized templates."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack

from ml_constructs import DataLake, Field, ObjectTrigger, RecordSchema
from ml_constructs.diagram import PATH_METADATA, architecture_dot


def test_nodes_grouped_by_stage_with_data_flow_edges():
    app = App(context=PATH_METADATA)
    stack = Stack(app, "Demo")
    lake = DataLake(stack, "Lake")
    ObjectTrigger(stack, "Files", lake=lake, schema=RecordSchema.from_fields(Field("id")))
    dot = architecture_dot(app, title="demo")
    assert 'subgraph "cluster_Demo_store"' in dot
    assert 'Demo_Lake [label="Lake\\n(DataLake, 15 resources)"]' in dot
    assert "Demo_Files [label=" in dot and "(ObjectTrigger," in dot
    assert "Demo_Lake -> Demo_Files;" in dot and "Demo_Files -> Demo_Lake" not in dot


def test_needs_path_metadata():
    app = App(context={"aws:cdk:enable-path-metadata": False})
    DataLake(Stack(app, "Demo"), "Lake")
    with pytest.raises(ValueError, match="PATH_METADATA"):
        architecture_dot(app)
