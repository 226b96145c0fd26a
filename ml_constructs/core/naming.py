"""Deterministic, unique names for resources whose names AWS does not generate."""

from __future__ import annotations

import re

from aws_cdk import Names
from constructs import Construct


def catalog_name(scope: Construct, suffix: str, *, max_length: int = 120) -> str:
    """A Glue/Athena-safe name (lowercase letters, digits, underscores) unique to ``scope``."""
    base = Names.unique_resource_name(scope, max_length=max_length - len(suffix) - 1, separator="_")
    name = re.sub(r"[^a-z0-9_]", "_", f"{base}_{suffix}".lower())
    return name.strip("_")


def resource_name(scope: Construct, *, max_length: int = 63, separator: str = "-") -> str:
    """A name unique to ``scope``, letters, digits and ``separator`` only."""
    return Names.unique_resource_name(
        scope, max_length=max_length, separator=separator, allowed_special_characters=separator
    )


def slug(text: str, default: str) -> str:
    """``text`` as a lowercase key-prefix segment (letters, digits, ``_ . -``), or ``default``."""
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-") or default
