"""SageMaker: creating a resource with tags needs ``sagemaker:AddTags`` as well, as on AWS.

AWS authorizes ``sagemaker:AddTags`` on every ``Create*`` request that carries ``Tags``; Step
Functions' SageMaker integration always sends the tag ``MANAGED_BY_AWS`` (aws-cdk issues 26012,
32294), so a state machine role without ``sagemaker:AddTags`` cannot start a training job. moto
authorized only the ``Create*`` action. The extra check applies where :mod:`..iam` enforces
policies: requests signed by an assumed role (runtime principals).
"""

from __future__ import annotations

import json
from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.iam.access_control import IAMRequest
    from moto.sagemaker.responses import SageMakerResponse

    class AddTagsRequest(IAMRequest):  # type: ignore[misc]
        """The same signed request, authorized for ``sagemaker:AddTags``."""

        def __init__(self, **kwargs: Any) -> None:
            kwargs["action"] = "AddTags"
            super().__init__(**kwargs)

    authorize = SageMakerResponse._authenticate_and_authorize_normal_action

    def authorize_with_tags(self: Any, resource: str = "*") -> None:
        authorize(self, resource)
        action = str(self._get_action() or "")
        if action.startswith("Create") and _tags(self):
            self._authenticate_and_authorize_action(AddTagsRequest, resource)

    SageMakerResponse._authenticate_and_authorize_normal_action = authorize_with_tags  # type: ignore[method-assign]
    _installed = True


def _tags(response: Any) -> list[Any]:
    try:
        body = json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return []
    tags = body.get("Tags") if isinstance(body, dict) else None
    return tags if isinstance(tags, list) else []
