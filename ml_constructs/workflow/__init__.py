"""Orchestrate: the Step Functions workflow that runs the stages A to Z."""

from .approved_deployment import ApprovedModelDeployment
from .ml_workflow import ApprovalMode, MlWorkflow, NewDataTrigger
from .operations_topic import OperationsTopic
from .quality_gate import QualityGate

__all__ = [
    "ApprovalMode",
    "ApprovedModelDeployment",
    "MlWorkflow",
    "NewDataTrigger",
    "OperationsTopic",
    "QualityGate",
]
