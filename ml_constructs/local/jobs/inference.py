"""SageMaker real-time endpoints of built-in XGBoost models, serving real predictions.

Runs for real: ``CreateEndpoint`` (instance or serverless variants) loads each variant's model
in a background thread (``Creating`` -> ``InService``, or ``Failed`` with the reason when a model
cannot load: another image, a missing ``model.tar.gz``, a role without access);
``UpdateEndpoint`` (added: moto lacks it) loads the new configuration while the old one keeps
serving (``Updating`` -> ``InService``; on failure the old configuration stays, ``InService``,
with ``FailureReason``; with ``DeploymentConfig`` a blue/green rollout with automatic rollback,
see :mod:`.rollout`); ``DeleteEndpoint`` unloads. ``sagemaker-runtime InvokeEndpoint``
answers ``text/csv`` (and ``text/libsvm``) rows with one prediction per line, as the built-in
container does; ``TargetVariant`` picks a variant, else the variants' weights do.

Not emulated: autoscaling, data capture, instance counts, async inference, JSON payloads.
"""

from __future__ import annotations

import json
import random
import threading
import time
from typing import Any

from moto.core.utils import utcnow

from .common import JobError, failure_reason

_lock = threading.Lock()
# (account, region, endpoint) -> {variant name: (booster, weight)}
_loaded: dict[tuple[str, str, str], dict[str, tuple[Any, float]]] = {}


def install() -> None:
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    from .. import sagemaker
    from . import rollout

    original_create = SageMakerModelBackend.create_endpoint
    original_delete = SageMakerModelBackend.delete_endpoint

    def create_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str, tags: Any) -> Any:
        from moto.sagemaker.exceptions import ValidationError

        if endpoint_name in self.endpoints:
            raise ValidationError(message=f'Cannot create already existing endpoint "{endpoint_name}".')
        endpoint = original_create(self, endpoint_name, endpoint_config_name, tags)
        endpoint.endpoint_status = "Creating"
        sagemaker.start(
            _deploy, self, endpoint, endpoint_config_name, False, name=f"endpoint-{endpoint_name}"
        )
        return endpoint

    def delete_endpoint(self: Any, endpoint_name: str) -> None:
        original_delete(self, endpoint_name)
        with _lock:
            _loaded.pop((self.account_id, self.region_name, endpoint_name), None)
        rollout.forget((self.account_id, self.region_name, endpoint_name))

    setattr(SageMakerModelBackend, "create_endpoint", create_endpoint)  # noqa: B010
    setattr(SageMakerModelBackend, "delete_endpoint", delete_endpoint)  # noqa: B010

    def update_endpoint(self: Any) -> str:
        from moto.sagemaker.exceptions import ValidationError

        backend = self.sagemaker_backend
        name = self._get_param("EndpointName")
        config_name = self._get_param("EndpointConfigName")
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            raise ValidationError(message=f'Could not find endpoint "{name}".')
        if endpoint.endpoint_status != "InService":  # AWS updates only endpoints in service
            raise ValidationError(
                message=f'Cannot update in-progress endpoint "{endpoint.arn}".'
                if endpoint.endpoint_status in ("Creating", "Updating")
                else f'Cannot update endpoint "{endpoint.arn}" with status {endpoint.endpoint_status}.'
            )
        backend.describe_endpoint_config(config_name)  # ValidationError when it does not exist
        deployment = self._get_param("DeploymentConfig")
        alarms = rollout.check(backend, deployment) if deployment else []
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
        if deployment:
            sagemaker.start(
                rollout.run,
                backend,
                endpoint,
                config_name,
                deployment,
                alarms,
                name=f"endpoint-rollout-{name}",
            )
        else:
            sagemaker.start(_deploy, backend, endpoint, config_name, True, name=f"endpoint-update-{name}")
        return json.dumps({"EndpointArn": endpoint.arn})

    setattr(SageMakerResponse, "update_endpoint", update_endpoint)  # noqa: B010

    def invoke_endpoint(self: Any) -> Any:
        from moto.core.exceptions import JsonRESTError
        from moto.sagemaker.models import sagemaker_backends

        name = (
            self.path.split("/")[2]
            if self.path.startswith("/endpoints/")
            else self._get_params().get("EndpointName")
        )
        backend = sagemaker_backends[self.current_account][self.region]
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            raise JsonRESTError(
                "ValidationError", f"Endpoint {name} of account {self.current_account} not found."
            )
        if endpoint.endpoint_status not in ("InService", "Updating", "RollingBack"):
            raise JsonRESTError(
                "ValidationError", f"Endpoint {name} is not in service (status {endpoint.endpoint_status})."
            )
        headers = {k.lower(): v for k, v in self.headers.items()}
        content_type = headers.get("content-type", "text/csv")
        target = headers.get("x-amzn-sagemaker-target-variant")
        body = self.body if isinstance(self.body, str) else (self.body or b"").decode("utf-8")
        try:
            variant, lines = invoke(self.current_account, self.region, name, body, content_type, target)
        except JobError as error:
            error_type = "ValidationError" if "variant" in str(error) else "ModelError"
            raise JsonRESTError(error_type, str(error)) from None
        return (
            200,
            {"Content-Type": "text/csv", "x-Amzn-Invoked-Production-Variant": variant},
            "\n".join(lines) + "\n",
        )

    setattr(SageMakerRuntimeResponse, "invoke_endpoint", invoke_endpoint)  # noqa: B010


def load_variants(backend: Any, config: Any) -> dict[str, tuple[Any, float]]:
    """``{variant: (booster, weight)}`` of an endpoint config (its models loaded as their roles)."""
    from .transform import load_model

    variants: dict[str, tuple[Any, float]] = {}
    for variant in config.production_variants:
        booster, _role = load_model(backend, variant["ModelName"])
        weight = float(variant.get("InitialVariantWeight", 1.0) or 0.0)
        variants[variant["VariantName"]] = (booster, weight)
    return variants


def load_failure(error: Exception) -> str:
    """The ``FailureReason`` of a model that could not load."""
    return failure_reason(error, action="load the model", client_suffix=" (loading the model data)")


def put_in_service(
    backend: Any, endpoint: Any, config_name: str, variants: dict[str, tuple[Any, float]]
) -> None:
    """``endpoint`` serves ``variants`` of ``config_name`` from now on."""
    config = backend.endpoint_configs[config_name]
    with _lock:
        _loaded[(backend.account_id, backend.region_name, endpoint.endpoint_name)] = variants
    endpoint.endpoint_config_name = config_name
    endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
    endpoint.data_capture_config = config.data_capture_config
    endpoint.failure_reason = None


# The least time an endpoint stays Creating / Updating (minutes on AWS): a caller that describes
# the endpoint right after the request sees the transition, whatever the machine's speed.
MIN_TRANSITION_SECONDS = 0.5


def _deploy(backend: Any, endpoint: Any, config_name: str, update: bool) -> None:
    """Load the variants of ``config_name`` and put them in service on ``endpoint``."""
    started = time.monotonic()
    try:
        variants = load_variants(backend, backend.endpoint_configs[config_name])
        time.sleep(max(0.0, started + MIN_TRANSITION_SECONDS - time.monotonic()))
        put_in_service(backend, endpoint, config_name, variants)
    except Exception as error:  # noqa: BLE001 - the endpoint reports the reason
        time.sleep(max(0.0, started + MIN_TRANSITION_SECONDS - time.monotonic()))
        endpoint.failure_reason = load_failure(error)
        if not update:
            endpoint.endpoint_status = "Failed"
            endpoint.last_modified_time = utcnow()
            return
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = utcnow()


def invoke(
    account: str, region: str, name: str, body: str, content_type: str, target: str | None = None
) -> tuple[str, list[str]]:
    """``(variant, predictions)`` of endpoint ``name`` for a request ``body``."""
    from . import rollout
    from . import xgboost_container as xgb_container

    with _lock:
        variants = dict(_loaded.get((account, region, name)) or {})
    variants = rollout.route((account, region, name)) or variants  # during a blue/green shift
    if not variants:
        raise JobError(f"Endpoint {name} has no model loaded")
    if target:
        if target not in variants:
            raise JobError(f"The variant {target} does not exist for endpoint {name}")
        chosen = target
    else:
        names = list(variants)
        weights = [max(variants[n][1], 0.0) for n in names]
        chosen = random.choices(names, weights=weights)[0] if sum(weights) > 0 else names[0]
    booster = variants[chosen][0]
    lines = body.splitlines()
    try:
        return chosen, xgb_container.predict(booster, lines, content_type)
    except JobError:
        raise
    except Exception as error:  # noqa: BLE001
        raise JobError(f'Received client error (400) from primary with message "{error}"') from None
