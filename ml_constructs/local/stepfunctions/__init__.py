"""State machines execute in the embedded AWS, as on AWS.

moto 5.2.5 ships an Amazon States Language interpreter (``moto.stepfunctions.parser``, ported
from LocalStack). :func:`install` turns it on for every machine and closes the gaps met running
this library's machines, each in its own module:

- :mod:`.backend`: one backend that executes (machines created by CloudFormation included), so
  executions start from the API, EventBridge rule targets, Scheduler targets
  (:func:`fire_schedule`) and ``states:startExecution`` tasks; unnamed executions get a UUID;
- :mod:`.interpreter`: escaped braces in intrinsic strings, ``States.*`` errors out of
  ``Parallel``/``Map``, ``States.Runtime`` not caught by ``States.ALL``, Glue ``.sync``, the poll
  interval (``ML_CONSTRUCTS_LOCAL_SFN_POLL_SECONDS``, default 0.2 s);
- :mod:`.integrations` / :mod:`.optimized`: calls signed as the state machine's role,
  ``aws-sdk:`` shapes and error names, SageMaker / EMR Serverless ``.sync``;
- :mod:`.tagging`: ``sagemaker:AddTags`` required to create tagged SageMaker resources;
- :mod:`.signing`: moto's XML authorization errors are read back under JSON protocols.

Role-signed calls are authorized by :mod:`..iam` (with :mod:`..iam_policies`: moto's evaluator
fitted to AWS's semantics, bodiless signatures), installed for every runtime principal.

All patches are idempotent (``install`` may run any number of times).
"""

from __future__ import annotations

from .backend import fire_schedule
from .interpreter import poll_seconds


def install() -> None:
    """Turn the interpreter on and patch it (once per process)."""
    from . import backend, integrations, interpreter, tagging

    backend.install()
    interpreter.install()
    integrations.install()
    tagging.install()


__all__ = ["fire_schedule", "install", "poll_seconds"]
