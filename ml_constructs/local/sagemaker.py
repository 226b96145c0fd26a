"""SageMaker jobs and endpoints that compute for real in the emulator (no Docker).

moto 5.2 stores SageMaker requests and answers ``Completed`` at once with placeholder results.
:func:`install` replaces that, in moto's own backend, so the service APIs behave like AWS for
plain boto3 users and for Step Functions' ``.sync`` polling alike:

- ``CreateTrainingJob`` with the built-in XGBoost image trains in a background thread
  (:mod:`.jobs.training`): ``InProgress`` -> ``Completed`` / ``Failed``. Other images fail with
  "cannot run this image locally".
- ``CreateHyperParameterTuningJob`` runs a Bayesian search with optuna's TPE
  (:mod:`.jobs.tuning`); every trial is a real training job.
  ``ListTrainingJobsForHyperParameterTuningJob`` is added.
- ``CreateTransformJob`` runs the model over the input objects (:mod:`.jobs.transform`).
- Model packages announce their state changes to EventBridge (:mod:`.model_registry`).
- ``CreateProcessingJob`` with Model Monitor's analyzer computes a baseline; monitoring schedules
  are added (:mod:`.jobs.processing`).
- ``CreateEndpoint`` loads the model (``Creating`` -> ``InService`` / ``Failed``);
  ``UpdateEndpoint`` is added (``Updating`` -> ``InService``); ``sagemaker-runtime``
  ``InvokeEndpoint`` answers with the model's predictions (:mod:`.jobs.inference`).

Jobs read and write S3 as their role (training: ``RoleArn``; transform and endpoints: the
model's ``ExecutionRoleArn``), so the role's policies are enforced (:mod:`.iam`).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from .jobs.common import once


@once
def install() -> None:
    """Patch moto's SageMaker and SageMaker Runtime (once per process)."""
    _install_training()
    _install_stops()
    _hide_emulator_state()
    from . import model_registry
    from .jobs import inference, processing, transform, tuning

    model_registry.install()
    processing.install()
    tuning.install()
    transform.install()
    inference.install()


def start(target: Any, *args: Any, name: str) -> threading.Thread:
    """Run ``target(*args)`` in a daemon thread (a job of the emulator)."""
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread


def create_training_job(backend: Any, params: dict[str, Any]) -> Any:
    """A training job in moto's ``backend`` from API ``params`` (PascalCase), prepared but not
    started: the caller runs :func:`.jobs.training.run`."""
    from moto.sagemaker.exceptions import ResourceInUseException
    from moto.sagemaker.models import SageMakerModelBackend

    from .jobs import training

    name = params["TrainingJobName"]
    if name in backend.training_jobs:
        raise ResourceInUseException(message=f"Training job {name} already exists")
    spec = copy.deepcopy(params.get("AlgorithmSpecification") or {})
    job = _ORIGINAL_CREATE_TRAINING(
        backend,
        training_job_name=name,
        hyper_parameters=dict(params.get("HyperParameters") or {}),
        algorithm_specification=dict(spec),
        role_arn=params.get("RoleArn"),
        input_data_config=params.get("InputDataConfig") or [],
        output_data_config=params.get("OutputDataConfig") or {},
        resource_config=params.get("ResourceConfig") or {},
        vpc_config=params.get("VpcConfig"),
        stopping_condition=params.get("StoppingCondition"),
        tags=params.get("Tags") or [],
        enable_network_isolation=params.get("EnableNetworkIsolation", False),
        enable_inter_container_traffic_encryption=params.get("EnableInterContainerTrafficEncryption", False),
        enable_managed_spot_training=params.get("EnableManagedSpotTraining", False),
        checkpoint_config=params.get("CheckpointConfig"),
        debug_hook_config=params.get("DebugHookConfig"),
        debug_rule_configurations=params.get("DebugRuleConfigurations"),
        tensor_board_output_config=params.get("TensorBoardOutputConfig"),
        experiment_config=params.get("ExperimentConfig"),
    )
    assert isinstance(backend, SageMakerModelBackend)
    job.algorithm_specification = spec  # moto replaced MetricDefinitions with a placeholder
    if params.get("Environment"):
        job.environment = dict(params["Environment"])
    if params.get("RetryStrategy"):
        job.retry_strategy = dict(params["RetryStrategy"])
    training.prepare(job)
    return job


_ORIGINAL_CREATE_TRAINING: Any = None


def _install_training() -> None:
    global _ORIGINAL_CREATE_TRAINING
    from moto.sagemaker.models import SageMakerModelBackend

    from .jobs import training

    _ORIGINAL_CREATE_TRAINING = SageMakerModelBackend.create_training_job

    def create(self: Any, **kwargs: Any) -> Any:
        params = {_pascal(key): value for key, value in kwargs.items()}
        job = create_training_job(self, params)
        start(training.run, job, self.account_id, self.region_name, name=f"training-{job.training_job_name}")
        return job

    setattr(SageMakerModelBackend, "create_training_job", create)  # noqa: B010


def _install_stops() -> None:
    """``StopTrainingJob``, ``StopHyperParameterTuningJob``, ``StopTransformJob`` (moto lacks them)."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    from .jobs import training

    def _find(collection: dict[str, Any], name: str, kind: str) -> Any:
        found = collection.get(name)
        if found is None:
            raise ValidationError(message=f"Could not find {kind} '{name}'.")
        return found

    def stop_training_job(self: Any) -> str:
        job = _find(self.sagemaker_backend.training_jobs, self._get_param("TrainingJobName"), "training job")
        if job.training_job_status not in ("InProgress", "Stopping"):
            raise ValidationError(
                message=f"The job status is {job.training_job_status}: only InProgress jobs stop."
            )
        training.request_stop(job)
        return "{}"

    def stop_hyper_parameter_tuning_job(self: Any) -> str:
        name = self._get_param("HyperParameterTuningJobName")
        job = _find(self.sagemaker_backend.hyper_parameter_tuning_jobs, name, "hyper parameter tuning job")
        if job.hyper_parameter_tuning_job_status == "InProgress":
            job.ml_stop_requested = True
            job.hyper_parameter_tuning_job_status = "Stopping"
        return "{}"

    def stop_transform_job(self: Any) -> str:
        job = _find(
            self.sagemaker_backend.transform_jobs, self._get_param("TransformJobName"), "transform job"
        )
        if job.transform_job_status == "InProgress":
            job.ml_stop_requested = True
            job.transform_job_status = "Stopping"
        return "{}"

    for method in (stop_training_job, stop_hyper_parameter_tuning_job, stop_transform_job):
        setattr(SageMakerResponse, method.__name__, method)


def _hide_emulator_state() -> None:
    """The emulator keeps its own state on moto's objects as ``ml_*`` attributes; moto builds
    describe responses from every attribute, so leave those out."""
    from moto.sagemaker.models import BaseObject

    original = BaseObject.gen_response_object

    def gen_response_object(self: Any) -> dict[str, Any]:
        hidden = {self.camelCase(key) for key in vars(self) if key.startswith("ml_")}
        return {k: v for k, v in original(self).items() if k not in hidden}

    setattr(BaseObject, "gen_response_object", gen_response_object)  # noqa: B010


_PASCAL_SPECIAL = {"role_arn": "RoleArn", "vpc_config": "VpcConfig"}


def _pascal(snake: str) -> str:
    if snake in _PASCAL_SPECIAL:
        return _PASCAL_SPECIAL[snake]
    return "".join(part.title() for part in snake.split("_"))
