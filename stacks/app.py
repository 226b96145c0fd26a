"""Builds the reference app: used by ``app.py`` and by the tests."""

from __future__ import annotations

from aws_cdk import App, DefaultStackSynthesizer, Validations
from cdk_nag import AwsSolutionsChecks

from .ml_stack import MlStack
from .settings import Settings


def build_app(app: App | None = None, *, nag: bool = True) -> App:
    """Add the reference stacks (and cdk-nag's AwsSolutions checks) to ``app``."""
    app = app or App()
    settings = Settings.from_context(app.node)
    synthesizer = None
    if settings.local:
        # moto has no SSM parameter for the bootstrap version rule to read.
        synthesizer = DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
    MlStack(
        app,
        settings.stack_name,
        settings=settings,
        synthesizer=synthesizer,
        description="ml-constructs reference ML stack: collect, store, process, train, deploy",
    )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
