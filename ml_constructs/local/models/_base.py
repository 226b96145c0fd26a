"""The base of every taught model: CloudFormation's create / update / replace / delete over a service API."""

from __future__ import annotations

import re
from typing import Any, ClassVar

# moto's parser imports the service models whose types some classes here replace; importing it
# first makes sure those classes are defined (and listed) before the replacements.
import moto.cloudformation.parsing  # noqa: F401
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError

from .. import api

_NOT_FOUND = re.compile(
    r"NotFound|NoSuch|DoesNotExist|EntityNotFound|not found|does not exist|could not find|"
    r"cannot be found|UnknownEventConfig",
    re.IGNORECASE,
)


def _not_found(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return bool(_NOT_FOUND.search(code) or _NOT_FOUND.search(str(error)))


class _Taught:
    """A CloudFormation resource backed by one of the emulator's service APIs (a mixin).

    Subclasses set the class attributes and implement :meth:`create` (set ``physical_id`` and
    ``attributes``), :meth:`remove`, and :meth:`update` when ``UPDATABLE``.
    """

    TYPE: ClassVar[str] = ""
    SERVICE: ClassVar[str] = ""
    NAME_PROPERTY: ClassVar[str] = ""  # the property that names the resource, if any
    NAME_MAX: ClassVar[int] = 0  # generated names are cut to this length (0: no limit)
    NAME_LOWER: ClassVar[bool] = False  # generated names are lower case
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()  # what Fn::GetAtt may ask for
    UPDATABLE: ClassVar[bool] = False  # update() changes it in place (else: replaced)
    REPLACE_ON: ClassVar[tuple[str, ...]] = ()  # properties whose change replaces it
    UNIQUE_NAME: ClassVar[bool] = False  # names are unique (the physical id): never take one over

    def __init__(
        self,
        name: str,
        properties: dict[str, Any],
        account_id: str,
        region_name: str,
        logical_id: str = "",
        stack_id: str = "",
    ) -> None:
        self.name = name
        self.properties = properties
        self.account_id = account_id
        self.region_name = region_name
        self.logical_id = logical_id
        self.stack_id = stack_id
        self.physical_id = ""
        self.attributes: dict[str, Any] = {}

    # --- what subclasses implement -------------------------------------------------------

    def create(self) -> None:
        raise NotImplementedError

    def update(self, changed: set[str]) -> None:
        raise NotImplementedError

    def remove(self) -> None:
        raise NotImplementedError

    @classmethod
    def explicit_name(cls, properties: dict[str, Any]) -> str | None:
        """The name the template gives the resource, if it gives one."""
        value = properties.get(cls.NAME_PROPERTY) if cls.NAME_PROPERTY else None
        return str(value) if value else None

    # --- helpers -------------------------------------------------------------------------

    @property
    def props(self) -> dict[str, Any]:
        return self.properties

    def client(self) -> Any:
        return api.client(self.SERVICE, self.region_name)

    def params(self, operation: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """``properties`` (and ``extra``) as the request of ``operation`` of this service's API."""
        return api.api_params(self.client(), operation, properties, **extra)

    def call(self, operation: str, **params: Any) -> Any:
        """Call ``operation`` (snake_case) of this service's API on the emulator."""
        return getattr(self.client(), operation)(**params)

    @classmethod
    def _shape_name(cls, generated: str) -> str:
        name = generated.lower() if cls.NAME_LOWER else generated
        if cls.NAME_MAX and len(name) > cls.NAME_MAX:
            head, _, suffix = name.rpartition("-")
            name = f"{head[: cls.NAME_MAX - len(suffix) - 1].rstrip('-')}-{suffix}"
        return re.sub("-{2,}", "-", name)

    # --- moto's CloudFormationModel interface --------------------------------------------

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        name = cls.explicit_name(properties) or cls._shape_name(resource_name)
        resource = cls(
            name,
            properties,
            account_id,
            region_name,
            logical_id=kwargs.get("LogicalId", ""),
            stack_id=kwargs.get("StackId", ""),
        )
        resource._create_new()
        return resource

    def _create_new(self) -> None:
        """Create it; a resource the template names that exists already is not taken over
        (CloudFormation fails with "already exists": the stack never owns, nor deletes, it)."""
        if self.UNIQUE_NAME and self.explicit_name(self.properties) and self._exists(self.name):
            raise ValidationError(
                message=f"{self.TYPE} {self.logical_id or self.name}: {self.name} already exists"
            )
        self._guarded(self.create)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        old = original_resource
        new_properties = cloudformation_json.get("Properties") or {}
        changed = {
            key
            for key in set(old.properties) | set(new_properties)
            if old.properties.get(key) != new_properties.get(key)
        }
        if not changed:
            return old
        explicit_old, explicit_new = cls.explicit_name(old.properties), cls.explicit_name(new_properties)
        replace = explicit_old != explicit_new or bool(changed & set(cls.REPLACE_ON))
        if not replace and cls.UPDATABLE:
            previous, old.properties = old.properties, new_properties
            try:
                old._guarded(lambda: old.update(changed))
            except Exception:
                old.properties = previous  # the rollback (or a retry) must see the change again
                raise
            return old
        if not replace:
            # CloudFormation updates this in place; the emulator has no update for the type, so it
            # recreates it under the same name (to the outside, an update in place).
            new = cls(old.name, new_properties, account_id, region_name, old.logical_id, old.stack_id)
            old.delete(account_id, region_name)
            new._guarded(new.create)
            return new
        # A replacement, as CloudFormation does it: the new resource first (a new name where the
        # name is generated), the old one deleted after the update (or kept if it rolls back).
        if explicit_new and explicit_new == explicit_old:
            raise ValidationError(
                message=f"{cls.TYPE} {old.logical_id}: CloudFormation cannot update a stack when a "
                f"custom-named resource requires replacing. Rename {explicit_new} and update the "
                "stack again."
            )
        name = explicit_new or cls._shape_name(new_resource_name)
        new = cls(name, new_properties, account_id, region_name, old.logical_id, old.stack_id)
        new._create_new()
        from ..cloudformation import retire

        retire(old, account_id, region_name)
        return new

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        """Not used: moto calls the instance's :meth:`delete` first, which never raises the
        TypeError/AttributeError that would make it fall back to this."""

    def delete(self, account_id: str | None = None, region_name: str | None = None) -> None:
        try:
            self._guarded(self.remove)
        except Exception as error:
            # "Not found" may be about the resource (already gone: fine) or about something it
            # refers to (then it is still there): look it up in its service's API to tell.
            if not _not_found(error) or self._still_exists():
                raise

    def _still_exists(self) -> bool:
        return bool(self.physical_id) and self._exists(self.physical_id)

    def _exists(self, physical_id: str) -> bool:
        """Whether its service's API finds a resource of this type with ``physical_id``."""
        from ..inventory import CHECKS, Probe

        check = CHECKS.get(self.TYPE)
        if check is None:
            return False
        try:
            check(Probe(physical_id, self.properties, self.region_name))
        except Exception:
            return False
        return True

    def _guarded(self, action: Any) -> None:
        # A failure becomes CloudFormation's ValidationError naming the resource (the CLI prints
        # it). moto would also read a TypeError/AttributeError from delete() as "this model has
        # no delete" and quietly fall back to delete_from_cloudformation_json.
        try:
            action()
        except Exception as error:
            raise ValidationError(
                message=f"{self.TYPE} {self.logical_id or self.name}: {type(error).__name__}: {error}"
            ) from error

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.attributes:
            return self.attributes[attribute_name]
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<{self.TYPE} {self.logical_id} {self.physical_id}>"
