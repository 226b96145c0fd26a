"""Train, tune and deploy: SageMaker constructs."""

from typing import Any

__all__ = ["ModelMonitor"]


def __getattr__(name: str) -> Any:
    # Lazy: the emulator imports ml.service_model without loading CDK.
    if name == "ModelMonitor":
        from .model_monitor import ModelMonitor

        return ModelMonitor
    raise AttributeError(name)
