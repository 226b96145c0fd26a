"""Job engines of the emulator: SageMaker training, tuning, batch transform and endpoints with
the built-in XGBoost algorithm, and Glue / EMR Serverless Spark jobs, computed for real in this
process (no Docker). :func:`install` patches moto's service backends to use them."""

from __future__ import annotations


def install() -> None:
    """Teach moto's SageMaker, SageMaker Runtime, Glue and EMR Serverless to run jobs (idempotent)."""
    from .. import emr_serverless, glue, sagemaker

    sagemaker.install()
    glue.install()
    emr_serverless.install()
