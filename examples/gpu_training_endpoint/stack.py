"""Train on a GPU with my own container from ECR, and serve my current model over HTTPS.

What a user writes: the library's constructs, configured for an existing ECR repository and a
model artifact that already exists in the lake (so CloudFormation can create the endpoint).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from ml_constructs import (
    Autoscaling,
    DataLake,
    InputChannel,
    MetricDefinition,
    ModelEndpoint,
    SageMakerImage,
    SpotTraining,
    TrainingJob,
)


class GpuTrainingEndpointStack(Stack):
    def __init__(self, scope: Construct, id: str, *, repository_name: str = "churn-model", **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        repository = ecr.Repository.from_repository_name(self, "Repository", repository_name)
        image = SageMakerImage.from_ecr_repository(repository, tag="2026-11")

        lake = DataLake(self, "Lake")
        self.training = TrainingJob(
            self,
            "Train",
            lake=lake,
            image=image,
            instance_type="ml.g5.xlarge",
            gpu=True,
            spot=SpotTraining(max_wait=Duration.hours(6)),
            max_runtime=Duration.hours(4),
            hyperparameters={"epochs": "20", "batch-size": "256"},
            channels=[InputChannel("train", "churn/train/"), InputChannel("validation", "churn/validation/")],
            metric_definitions=[MetricDefinition("validation:auc", r"val_auc=([0-9\.]+)")],
        )
        self.endpoint = ModelEndpoint(
            self,
            "Serve",
            lake=lake,
            image=image,
            model_data="churn/current/model.tar.gz",
            instance_type="ml.g5.xlarge",
            autoscaling=Autoscaling(min_capacity=1, max_capacity=3),
        )
