"""The embedded AWS: moto's server in this process on 127.0.0.1, taught the app's resource types."""

from __future__ import annotations

import logging
import os
import socket
import warnings
from typing import Any

from . import api

ACCOUNT_ID = api.ACCOUNT_ID
REGION = api.REGION

_installed = False


class _UnsupportedTypes(logging.Handler):
    """Collects moto's "No Moto CloudFormation support for X" warnings: the types it skipped."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.types: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("No Moto CloudFormation support for "):
            self.types.add(message.rsplit(" ", 1)[-1])


UNSUPPORTED = _UnsupportedTypes()


def install() -> None:
    """Teach moto (in this process) the CloudFormation types and APIs it lacks. Idempotent."""
    global _installed
    from moto.cloudformation import parsing

    from . import cloudformation, events, firehose, iam, jobs, models, runner, s3, services, stepfunctions

    services.extend()
    cloudformation.install()
    events.install()
    s3.install()
    iam.install()
    runner.install()
    firehose.install()
    jobs.install()
    stepfunctions.install()
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    model_map = parsing.get_model_map()
    shadowed = [cls.TYPE for cls in models.TAUGHT if model_map.get(cls.TYPE) is not cls]
    if shadowed:
        raise RuntimeError(f"moto's own models win over the taught ones for {shadowed}")
    if not _installed:
        moto_logger = logging.getLogger("moto")
        moto_logger.addHandler(UNSUPPORTED)
        moto_logger.propagate = False  # the unsupported-type warnings are reported in the inventory
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        warnings.filterwarnings("ignore", message="Tried to parse .* but it's not supported")
        warnings.filterwarnings("ignore", message="Unable to delete .* as it was never created")
    _installed = True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalAws:
    """moto's server on ``127.0.0.1:port`` (0: a free port) in a thread of this process.

    ``with LocalAws() as aws: aws.client("s3").list_buckets()``. :meth:`env` is the environment
    for a child process (the CDK CLI, the AWS CLI) to use it.
    """

    def __init__(self, port: int = 0, *, region: str = REGION) -> None:
        self.requested_port = port
        self.region = region
        self.port = 0
        self._server: Any = None

    def start(self) -> LocalAws:
        from moto.server import ThreadedMotoServer

        install()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.requested_port, verbose=False)
        self._server.start()
        self.port = int(self._server.get_host_and_port()[1])
        api.set_endpoint(self.endpoint)
        return self

    @classmethod
    def attach(cls, port: int, *, region: str = REGION) -> LocalAws:
        """An emulator already serving on ``port`` (in another process: ``deploy --keep``/``serve``)."""
        aws = cls(port, region=region)
        aws.port = port
        if not aws.reachable():
            raise ConnectionError(f"no emulator answers on {aws.endpoint}")
        api.set_endpoint(aws.endpoint)
        return aws

    def reachable(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            api.set_endpoint(None)

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) pointed at the emulator: fake
        credentials, account 123456789012, the region, ``AWS_ENDPOINT_URL``, and
        ``AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION`` with ``localhost`` (moto resolves template
        URLs only with that host). The user's AWS profile and config files are ignored."""
        env = dict(os.environ if base is None else base)
        for key in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_ROLE_ARN",
        ):
            env.pop(key, None)
        env.update(
            AWS_ACCESS_KEY_ID=api.ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=api.SECRET_KEY,
            AWS_REGION=self.region,
            AWS_DEFAULT_REGION=self.region,
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION=f"http://localhost:{self.port}",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
        )
        return env

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` on this emulator."""
        return api.client(service, self.region)
