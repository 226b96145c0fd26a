"""The snippet the reference stack adds for the process stage: compliant as a whole, and the
feature job reads what the store stage writes."""

from __future__ import annotations

import pytest
from aws_cdk import Stack

from ml_constructs import ObjectTrigger
from ml_constructs.process import (
    AthenaWorkgroup,
    FeatureLayout,
    GlueEtlJob,
    LakePath,
    SparkServerlessJob,
)
from ml_constructs.store import DataLake, Zone
from stacks.ml_stack import SALES_SCHEMA
from tests.harness import scenario


def build(stack: Stack):
    lake = DataLake(stack, "Lake")
    files = ObjectTrigger(
        stack, "SalesFiles", lake=lake, prefix="incoming/sales/", schema=SALES_SCHEMA, output_prefix="sales/"
    )
    # --- snippet for stacks/ml_stack.py (self -> stack, self.lake -> lake, self.files -> files) ---
    layout = FeatureLayout(
        sales=LakePath(Zone.PROCESSED, files.output_prefix),
        # With the collect stage in the stack, point these at it:
        #   orders=LakePath(Zone.RAW, f"{orders.prefix}sales/orders/")  (DatabaseIngest)
        #   events=LakePath(Zone.RAW, clicks.prefix)                    (StreamIngest)
    )
    features = GlueEtlJob(stack, "Features", lake=lake, layout=layout)
    features_on_emr = SparkServerlessJob(stack, "FeaturesOnEmr", lake=lake, layout=layout)
    queries = AthenaWorkgroup(stack, "Queries", lake=lake)
    # --- end of snippet ---
    return lake, files, features, features_on_emr, queries


@pytest.fixture(scope="module")
def reference():
    return scenario(build)


def test_snippet_is_compliant(reference):
    assert reference.problems == []


def test_feature_job_reads_what_the_object_trigger_writes(reference):
    lake, files, features, features_on_emr, _ = reference.built
    expected = reference.resolve(lake.s3_uri(Zone.PROCESSED, "sales/"))
    job = reference.one("AWS::Glue::Job")
    assert job["DefaultArguments"]["--sales_path"] == expected
    assert reference.resolve(features_on_emr.arguments["--sales_path"]) == expected
    assert files.output_bucket is lake.processed_bucket


def test_snippet_adds_these_resource_types(reference):
    types = {r["Type"] for r in reference.json["Resources"].values()}
    assert {
        "AWS::Glue::Job",
        "AWS::Glue::SecurityConfiguration",
        "AWS::Glue::Crawler",
        "AWS::EMRServerless::Application",
        "AWS::Athena::WorkGroup",
        "AWS::Logs::LogGroup",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
    } <= types
