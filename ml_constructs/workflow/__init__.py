"""Orchestrate: the Step Functions workflow that runs the stages A to Z."""

from .ml_workflow import MlWorkflow, NewDataTrigger

__all__ = ["MlWorkflow", "NewDataTrigger"]
