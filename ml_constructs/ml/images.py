"""SageMakerImage: the container image a training job, model or transform job runs.

Three sources:

* ``SageMakerImage.built_in("xgboost", "1.7-1")``: a SageMaker built-in algorithm. Its registry
  account differs per region, and a stack without an explicit ``env`` has no concrete region at
  synth, so the URI is ``{account}.dkr.ecr.{region}.{url suffix}/{repository}:{version}`` with the
  account taken from a region -> account ``CfnMapping`` (one per stack, shared by every built-in
  image in it). The table comes from the sagemaker SDK's ``image_uri_config`` JSON when the
  optional ``sagemaker`` extra is installed, else from the table shipped in this package
  (:mod:`._image_registries`: XGBoost in every commercial, China and GovCloud region).
* ``SageMakerImage.from_ecr_repository(repo, tag)``: your own ECR image; ``bind`` grants pull.
* ``SageMakerImage.from_uri(uri)``: any URI; a private ECR URI of your account gets pull grants.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnMapping, Stack, Token
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..core.nag import acknowledge_wildcards
from ._image_registries import BUILT_IN_IMAGES

MAPPING_ID = "SageMakerImageRegistries"
_ECR_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9._/-]+)(?::(?P<tag>[\w.-]+)|@sha256:[0-9a-f]{64})?$"
)
_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]


class SageMakerImage:
    """A container image for SageMaker; build one with the static factories.

    Attributes:
        kind: ``"built_in"``, ``"ecr"`` or ``"uri"``.
        algorithm / version: for built-in images (``None`` otherwise).
        repository_name / tag: the ECR repository and tag where known.
    """

    def __init__(
        self,
        *,
        kind: str,
        algorithm: str | None = None,
        version: str | None = None,
        repository: ecr.IRepository | None = None,
        repository_name: str | None = None,
        tag: str | None = None,
        uri: str | None = None,
        registries: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.algorithm = algorithm
        self.version = version
        self.repository = repository
        self.repository_name = repository_name
        self.tag = tag
        self._uri = uri
        self._registries = registries or {}

    # -- factories -------------------------------------------------------------------------
    @staticmethod
    def built_in(algorithm: str, version: str) -> SageMakerImage:
        """A SageMaker built-in algorithm image, e.g. ``built_in("xgboost", "1.7-1")``.

        Raises ``ValueError`` naming the known algorithms or versions when the table lacks it.
        """
        table = built_in_table(algorithm)
        if table is None:
            raise ValueError(
                f"SageMakerImage.built_in: unknown algorithm={algorithm!r}; allowed: "
                + ", ".join(sorted(known_algorithms()))
                + " (install the 'sagemaker' extra for every algorithm the SDK knows)"
            )
        versions, aliases = table
        resolved = aliases.get(version, version)
        if resolved not in versions:
            raise ValueError(
                f"SageMakerImage.built_in: unknown version={version!r} of {algorithm}; allowed: "
                + ", ".join(sorted(versions) + sorted(aliases))
            )
        repository, registries = versions[resolved]
        return SageMakerImage(
            kind="built_in",
            algorithm=algorithm,
            version=resolved,
            repository_name=repository,
            tag=resolved,
            registries=registries,
        )

    @staticmethod
    def from_ecr_repository(repository: ecr.IRepository, tag: str = "latest") -> SageMakerImage:
        """An image in your ECR repository; :meth:`bind` grants the grantee pull on it."""
        if not Token.is_unresolved(tag) and not re.fullmatch(r"[\w][\w.-]{0,127}", tag):
            raise ValueError(
                f"SageMakerImage.from_ecr_repository: invalid tag={tag!r}; allowed: 1-128 letters, "
                "digits, '_', '.', '-' (not starting with '.' or '-')"
            )
        return SageMakerImage(kind="ecr", repository=repository, tag=tag)

    @staticmethod
    def from_uri(uri: str) -> SageMakerImage:
        """Any image URI (``account.dkr.ecr.region.amazonaws.com/repo:tag`` or a token)."""
        if not Token.is_unresolved(uri) and (not uri or len(uri) > 255 or any(c.isspace() for c in uri)):
            raise ValueError(
                f"SageMakerImage.from_uri: invalid uri={uri!r}; allowed: an image URI of at most "
                "255 characters without whitespace"
            )
        match = None if Token.is_unresolved(uri) else _ECR_URI.match(uri)
        return SageMakerImage(
            kind="uri",
            uri=uri,
            repository_name=match["repository"] if match else None,
            tag=match["tag"] if match else None,
        )

    # -- use ---------------------------------------------------------------------------------
    def bind(self, scope: Construct, grantee: iam.IGrantable | None = None) -> str:
        """The image URI (may be a token), granting ``grantee`` ECR pull where it needs one.

        Built-in images need no grant (SageMaker pulls them from AWS's registries).
        """
        if self.kind == "built_in":
            return self._built_in_uri(scope)
        if self.kind == "ecr":
            assert self.repository is not None and self.tag is not None
            if grantee is not None:
                self.repository.grant_pull(grantee)
                _acknowledge_auth_token(grantee, f"ECR repository {self.repository.node.path}")
            return self.repository.repository_uri_for_tag(self.tag)
        assert self._uri is not None
        if grantee is not None and not Token.is_unresolved(self._uri):
            match = _ECR_URI.match(self._uri)
            if match and match["account"] not in _all_registry_accounts():
                arn = (
                    f"arn:{_partition(match['region'])}:ecr:{match['region']}:{match['account']}:"
                    f"repository/{match['repository']}"
                )
                grantee.grant_principal.add_to_principal_policy(
                    iam.PolicyStatement(actions=_PULL_ACTIONS, resources=[arn])
                )
                grantee.grant_principal.add_to_principal_policy(
                    iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"])
                )
                _acknowledge_auth_token(grantee, f"ECR image {self._uri}")
        return self._uri

    def _built_in_uri(self, scope: Construct) -> str:
        stack = Stack.of(scope)
        region = stack.region
        suffix = f"{self.repository_name}:{self.tag}"
        if not Token.is_unresolved(region):
            account = self._registries.get(region)
            if account is None:
                raise ValueError(
                    f"{scope.node.path}: invalid image={self.algorithm} {self.version} in region "
                    f"{region!r}; allowed regions: " + ", ".join(sorted(self._registries))
                )
            return f"{account}.dkr.ecr.{region}.{stack.url_suffix}/{suffix}"
        mapping = registry_mapping(stack)
        key = self.mapping_key
        for reg, account in self._registries.items():
            mapping.set_value(reg, key, account)
        account = mapping.find_in_map(Aws.REGION, key)
        return f"{account}.dkr.ecr.{Aws.REGION}.{Aws.URL_SUFFIX}/{suffix}"

    @property
    def mapping_key(self) -> str:
        """The second-level key of this image in the registry mapping (alphanumeric)."""
        repository = re.sub(r"[^A-Za-z0-9]", "", str(self.repository_name).title())
        version = str(self.version).replace(".", "p").replace("-", "r")
        return re.sub(r"[^A-Za-z0-9]", "", f"{repository}V{version}")

    def __repr__(self) -> str:
        if self.kind == "built_in":
            return f"SageMakerImage.built_in({self.algorithm!r}, {self.version!r})"
        if self.kind == "ecr":
            return f"SageMakerImage.from_ecr_repository(<repository>, {self.tag!r})"
        return f"SageMakerImage.from_uri({self._uri!r})"


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def registry_mapping(stack: Stack) -> CfnMapping:
    """The stack's shared region -> account mapping of built-in images (found or created)."""
    existing = stack.node.try_find_child(MAPPING_ID)
    if isinstance(existing, CfnMapping):
        return existing
    return CfnMapping(stack, MAPPING_ID, mapping={})


def _acknowledge_auth_token(grantee: iam.IGrantable, what: str) -> None:
    principal = grantee.grant_principal
    if isinstance(principal, Construct):
        acknowledge_wildcards(
            principal,
            f"ecr:GetAuthorizationToken has no resource-level permissions (AWS requires '*'); the "
            f"image pull itself is limited to {what}.",
            resources=["*"],
        )


# -- tables ----------------------------------------------------------------------------------
_Versions = dict[str, tuple[str, dict[str, str]]]


def _sdk_config_dirs() -> list[Path]:
    try:
        spec = importlib.util.find_spec("sagemaker")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    dirs = []
    for location in spec.submodule_search_locations:
        for sub in ("core/image_uri_config", "image_uri_config"):
            path = Path(location) / sub
            if path.is_dir():
                dirs.append(path)
    return dirs


@cache
def _sdk_table(algorithm: str) -> tuple[_Versions, dict[str, str]] | None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", algorithm):
        return None
    for directory in _sdk_config_dirs():
        path = directory / f"{algorithm}.json"
        if path.is_file():
            return _parse_sdk_config(json.loads(path.read_text()))
    return None


def _parse_sdk_config(config: dict[str, Any]) -> tuple[_Versions, dict[str, str]] | None:
    scoped = config.get("training", config)
    versions_in = scoped.get("versions", {})
    versions: _Versions = {}
    for version, entry in versions_in.items():
        if isinstance(entry, dict) and "registries" in entry and "repository" in entry:
            versions[version] = (entry["repository"], dict(entry["registries"]))
    if not versions:
        return None
    return versions, dict(scoped.get("version_aliases", {}))


def built_in_table(algorithm: str) -> tuple[_Versions, dict[str, str]] | None:
    """(version -> (repository, region -> account), aliases) of ``algorithm``, or ``None``."""
    sdk = _sdk_table(algorithm)
    if sdk is not None:
        return sdk
    if algorithm in BUILT_IN_IMAGES:
        return BUILT_IN_IMAGES[algorithm], {}
    return None


def known_algorithms() -> set[str]:
    names = set(BUILT_IN_IMAGES)
    for directory in _sdk_config_dirs():
        names.update(p.stem for p in directory.glob("*.json"))
    return names


@lru_cache(maxsize=1)
def _all_registry_accounts() -> frozenset[str]:
    return frozenset(
        account
        for versions in BUILT_IN_IMAGES.values()
        for _, registries in versions.values()
        for account in registries.values()
    )
