"""IAM at run time: runtime principals call the emulator as their own role, and it is enforced.

The emulator does not check the deploying user (the CDK CLI signs with fake keys, or as the
bootstrap roles it assumes, as an administrator would). What it checks is what
least-privilege roles get wrong: the calls a state machine, a Lambda function, a Glue / EMR
Serverless / SageMaker job makes at run time.
Those calls are signed with temporary credentials of the principal's own role
(:func:`client_as`, through ``sts:AssumeRole`` on moto's STS), and every request signed with
such credentials is authorized by moto's IAM policy evaluator against the role's identity
policies (inline and managed), as AWS does. What moto evaluates: actions, and resources where
its evaluator matches them (S3 object and bucket ARNs; ``*`` elsewhere). Not evaluated:
resource policies granting cross-principal access, KMS key policies, permission boundaries,
SCPs, conditions beyond moto's evaluator. So a missing action fails locally as on AWS
(``AccessDenied``); a too-narrow resource ARN may not.

Turn it off (every request allowed, as before) with ``ML_CONSTRUCTS_LOCAL_IAM=off``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from . import api

_lock = threading.Lock()
_sessions: dict[tuple[str, str | None], Any] = {}
_runtime_keys: set[str] = set()  # access key ids handed to runtime principals
_installed = False


def enforced() -> bool:
    return os.environ.get("ML_CONSTRUCTS_LOCAL_IAM", "on").lower() not in ("off", "0", "false", "no")


def install() -> None:
    """Authorize every request signed with an assumed role's credentials (once per process)."""
    global _installed
    if _installed:
        return
    from moto.core.authorization import ActionAuthenticatorMixin

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if not enforced() or not _signed_by_assumed_role(self):
            return None
        from moto import settings

        saved = settings.INITIAL_NO_AUTH_ACTION_COUNT
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        try:
            return original(self, iam_request_cls, resource)
        finally:
            settings.INITIAL_NO_AUTH_ACTION_COUNT = saved

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]

    from . import iam_policies

    iam_policies.install()  # moto's evaluator, fitted to the semantics above
    _installed = True


def _signed_by_assumed_role(response: Any) -> bool:
    """Whether the request is signed with credentials :func:`session_as` handed to a runtime
    principal (the CDK CLI's own bootstrap-role sessions are the deployer's, not checked)."""
    try:
        key = response.get_access_key()
    except Exception:  # noqa: BLE001 - unsigned or malformed: not a runtime principal
        return False
    return key in _runtime_keys


def session_as(role_arn: str | None, region: str = api.REGION, *, name: str = "ml-constructs-local") -> Any:
    """A boto3 session with temporary credentials of ``role_arn`` (``None``: the admin keys).

    Sessions are cached per role; moto's credentials do not expire within a run.
    """
    import boto3

    if not role_arn or not enforced():
        return boto3.session.Session(
            aws_access_key_id=api.ACCESS_KEY, aws_secret_access_key=api.SECRET_KEY, region_name=region
        )
    key = (role_arn, api.endpoint())
    with _lock:
        found = _sessions.get(key)
        if found is None:
            sts = api.client("sts", region)
            credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=name[:64])["Credentials"]
            _runtime_keys.add(credentials["AccessKeyId"])
            found = boto3.session.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                region_name=region,
            )
            _sessions[key] = found
    return found


def client_as(role_arn: str | None, service: str, region: str = api.REGION) -> Any:
    """A boto3 client for ``service`` on the emulator, signed as ``role_arn``."""
    from botocore.config import Config

    return session_as(role_arn, region).client(
        service,
        endpoint_url=api.endpoint(),
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": "path"},
            connect_timeout=10,
            read_timeout=300,
        ),
    )


def forget_sessions() -> None:
    """Drop cached role sessions (after a moto reset the credentials are gone)."""
    with _lock:
        _sessions.clear()
        _runtime_keys.clear()
