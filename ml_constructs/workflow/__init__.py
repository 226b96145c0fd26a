"""Orchestrate: the Step Functions workflow that runs the stages A to Z."""

from .ml_workflow import MlWorkflow, NewDataTrigger
from .operations_topic import OperationsTopic

__all__ = ["MlWorkflow", "NewDataTrigger", "OperationsTopic"]
