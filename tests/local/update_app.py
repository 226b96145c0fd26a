"""A two-resource CDK app whose settings follow the context value ``version``: deployed twice
with the real CLI, it shows that stack updates reach the emulator's resources."""

from aws_cdk import App, DefaultStackSynthesizer, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_glue as glue

app = App()
version = int(app.node.try_get_context("version") or 1)
stack = Stack(
    app, "MlLocalUpdate", synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
)
glue.CfnDatabase(
    stack,
    "Catalog",
    catalog_id=stack.account,
    database_input=glue.CfnDatabase.DatabaseInputProperty(
        name="ml_local_update", description=f"version {version}"
    ),
)
cloudwatch.CfnAlarm(
    stack,
    "Alarm",
    alarm_name="ml-local-update",
    metric_name="Errors",
    namespace="AWS/Lambda",
    statistic="Sum",
    period=300,
    evaluation_periods=1,
    threshold=version,
    comparison_operator="GreaterThanOrEqualToThreshold",
)
app.synth()
