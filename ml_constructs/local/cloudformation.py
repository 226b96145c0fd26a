"""CloudFormation's promises, kept by moto's CloudFormation (patched here; :func:`install` is
idempotent).

- Stack deletes: moto tried the resources in no particular order (retrying what failed), so a
  resource could go before the ones that depend on it (a route table before the VPC endpoint
  routing through it). Deletes now run dependents first, as CloudFormation does (``Ref``,
  ``Fn::GetAtt``, ``Fn::Sub`` and ``DependsOn`` are the dependencies), still retrying.
- Stack updates: moto's parser adds ``"Properties": {}`` to the deployed template's resources
  that have none, so the next update saw them all as modified (and replaced them, new names and
  all). The new template gets the same treatment before the two are compared.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    """Patch moto's CloudFormation (once per process)."""
    global _installed
    if _installed:
        return
    _fix_update_diff()
    _fix_delete_order()
    _installed = True


def _fix_update_diff() -> None:
    from moto.cloudformation.parsing import ResourceMap

    original = ResourceMap.build_resource_diff

    def build_resource_diff(self: Any, other_template: dict[str, Any], parameters: Any = None) -> Any:
        for resource in (other_template.get("Resources") or {}).values():
            if isinstance(resource, dict):
                resource.setdefault("Properties", {})
        return original(self, other_template, parameters)

    setattr(ResourceMap, "build_resource_diff", build_resource_diff)  # noqa: B010


# --- stack delete order --------------------------------------------------------------------


def dependencies(resource: Any, names: set[str]) -> set[str]:
    """The logical ids in ``names`` that ``resource`` (a template resource) depends on."""
    import re

    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Ref" and isinstance(value, str):
                    found.add(value)
                elif key == "Fn::GetAtt":
                    target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                    found.add(target)
                elif key == "Fn::Sub":
                    text = value[0] if isinstance(value, list) else value
                    found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", str(text)))
                    walk(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(resource.get("Properties"))
    depends_on = resource.get("DependsOn") or []
    found.update([depends_on] if isinstance(depends_on, str) else depends_on)
    return found & names


def deletion_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids, each one before everything it depends on (cycles broken arbitrarily)."""
    names = set(resources)
    depends = {name: dependencies(resource, names) - {name} for name, resource in resources.items()}
    creation: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name):
            return  # done, or on the current path (a cycle)
        state[name] = 1
        for dependency in sorted(depends[name]):
            visit(dependency)
        state[name] = 2
        creation.append(name)

    for name in sorted(names):
        visit(name)
    return creation[::-1]


def _fix_delete_order() -> None:
    from moto.cloudformation.parsing import ResourceMap

    def delete(self: Any) -> None:
        remaining = [
            name
            for name in deletion_order(self._resource_json_map)
            if self._resource_json_map[name].get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate")
        ]
        previous = len(remaining) + 1
        last_error: Exception | None = None
        while remaining and len(remaining) < previous:
            previous = len(remaining)
            for name in list(remaining):
                parsed = self._parsed_resources.get(name)
                try:
                    if parsed is not None and not isinstance(parsed, str):
                        self._delete_resource(parsed, self._resource_json_map[name])
                        self._parsed_resources.pop(name, None)
                except Exception as error:  # a dependency violation: try again in the next pass
                    last_error = error
                else:
                    remaining.remove(name)
        if remaining and last_error is not None:
            raise last_error

    setattr(ResourceMap, "delete", delete)  # noqa: B010
