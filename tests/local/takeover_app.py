"""A CDK app whose one bucket takes its name from the context value ``bucket``: deployed with a
name that exists already (the CDK bootstrap bucket), it shows the stack fails instead of
taking the bucket over."""

from aws_cdk import App, DefaultStackSynthesizer, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

app = App()
stack = Stack(
    app, "MlLocalTakeover", synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
)
queue = sqs.CfnQueue(stack, "Queue")
bucket = s3.CfnBucket(stack, "Bucket", bucket_name=app.node.get_context("bucket"))
bucket.add_dependency(queue)
app.synth()
