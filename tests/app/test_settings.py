"""cdk.json context of the reference app: defaults, overrides, and clear errors."""

from __future__ import annotations

import pytest
from aws_cdk import App, RemovalPolicy

from stacks.settings import Settings


def settings(**context) -> Settings:
    return Settings.from_context(App(context={f"ml:{k}": v for k, v in context.items()}).node)


def test_defaults_are_cheap_and_safe():
    s = settings()
    assert s.removal_policy == RemovalPolicy.RETAIN
    assert (s.spot_training, s.endpoint_kind, s.notebook_idle_minutes) == (True, "instance", 60)


def test_cli_strings_are_coerced():
    s = settings(spot_training="false", tuning_max_jobs="8", destroy_data_on_delete="true")
    assert (s.spot_training, s.tuning_max_jobs, s.removal_policy) == (False, 8, RemovalPolicy.DESTROY)
    assert settings(quality_gate_margin="0.02", model_approval="manual").quality_gate_margin == 0.02


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"endpoint_kind": "lambda"}, "invalid ml:endpoint_kind='lambda'; allowed: instance or serverless"),
        ({"spot_training": "maybe"}, "invalid ml:spot_training='maybe'; allowed: true or false"),
        ({"tuning_max_jobs": "many"}, "invalid ml:tuning_max_jobs='many'; allowed: a whole number"),
        ({"tuning_max_parallel_jobs": 0}, "invalid ml:tuning_max_parallel_jobs=0; allowed: 1..100"),
        ({"workflow_schedule": "daily"}, "invalid ml:workflow_schedule='daily'; allowed: rate"),
        ({"stack_name": "my stack"}, "invalid ml:stack_name='my stack'"),
        ({"etl_engine": "spark"}, "invalid ml:etl_engine='spark'; allowed: glue or emr"),
        ({"model_approval": "later"}, "invalid ml:model_approval='later'; allowed: automatic or manual"),
        ({"quality_gate_margin": "a bit"}, "invalid ml:quality_gate_margin='a bit'; allowed: a number"),
        ({"quality_gate_margin": -0.1}, "invalid ml:quality_gate_margin=-0.1; allowed: a number in"),
    ],
)
def test_bad_context_is_rejected(context, message):
    with pytest.raises(
        ValueError, match=f"cdk.json context: {message}".replace("(", r"\(").replace(")", r"\)")
    ):
        settings(**context)


def test_a_cpu_training_instance_is_rejected_by_the_construct():
    from stacks.app import build_app

    app = App(context={"ml:training_instance_type": "ml.m5.xlarge"})
    with pytest.raises(ValueError, match=r"MlConstructs/Train: invalid instance_type='ml.m5.xlarge'"):
        build_app(app, nag=False)


def test_emr_serverless_engine_and_serverless_endpoint_are_wired():
    import json

    from ml_constructs.testing import templates
    from stacks.app import build_app

    app = build_app(App(context={"ml:etl_engine": "emr", "ml:endpoint_kind": "serverless"}), nag=False)
    template = templates(app.synth())["MlConstructs"]
    machines = [
        r
        for k, r in template["Resources"].items()
        if k.startswith("WorkflowStateMachine") and r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    definition = json.dumps([m["Properties"]["DefinitionString"] for m in machines])
    assert "emr-serverless:startJobRun.sync" in definition and "glue:startJobRun" not in definition
    assert "ServerlessConfig" in definition


def test_an_unknown_key_names_the_closest_known_one():
    with pytest.raises(ValueError, match=r"unknown key 'ml:endpont_kind'; did you mean ml:endpoint_kind\?"):
        settings(endpont_kind="serverless")


def test_an_empty_orders_secret_name_is_rejected():
    with pytest.raises(ValueError, match=r"invalid ml:orders_secret_name=''; allowed: a Secrets Manager"):
        settings(orders_secret_name="")


def test_a_customer_managed_secret_key_is_granted_to_dms():
    import json

    from ml_constructs.testing import templates
    from stacks.app import build_app

    key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    app = build_app(App(context={"ml:orders_secret_key_arn": key}), nag=False)
    template = templates(app.synth())["MlConstructs"]
    policies = [
        r["Properties"]["PolicyDocument"]
        for k, r in template["Resources"].items()
        if k.startswith("OrdersSecretAccessRole") and r["Type"] == "AWS::IAM::Policy"
    ]
    assert key in json.dumps(policies) and "kms:Decrypt" in json.dumps(policies)
    with pytest.raises(ValueError, match="invalid ml:orders_secret_key_arn='key'"):
        settings(orders_secret_key_arn="key")


def test_keys_of_other_tools_are_left_alone():
    app = App(context={"@aws-cdk/core:validateAgainstDefaultRules": True, "other:x": 1})
    assert Settings.from_context(app.node).stack_name == "MlConstructs"
