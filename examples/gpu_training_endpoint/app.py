#!/usr/bin/env python3
"""Example app: GPU training from my ECR image, and an autoscaled endpoint for my model."""

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks
from stack import GpuTrainingEndpointStack

app = App()
GpuTrainingEndpointStack(app, "GpuTrainingEndpoint")
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
