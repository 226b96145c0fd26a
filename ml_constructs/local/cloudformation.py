"""CloudFormation's promises, kept by moto's CloudFormation (patched here; :func:`install` is
idempotent).

- Reads never create: moto's resource map is lazy (reading a resource that is not there yet
  creates it), so ``DescribeStackResources`` / ``DescribeStacks`` polled while a deploy ran
  created resources a second time ("already exists"), or early, out of dependency order. Only
  the thread running a stack's create or update creates its resources now; readers see what
  exists, and outputs once the stack is complete.
- A failed create rolls back: the resources made so far are deleted (not those with
  ``DeletionPolicy: Retain``), the stack ends ``ROLLBACK_COMPLETE`` with the failed resource's
  reason in its events (``OnFailure=DO_NOTHING``: ``CREATE_FAILED``, resources kept;
  ``DELETE``: the stack is deleted too). ``CreateStack`` succeeds as on AWS: the outcome is the
  stack's status. Exports are registered once the stack is complete.
- A failed update rolls back to the previous state: added resources deleted, modified ones
  updated back, replaced ones restored (the old one is still there), template and parameters
  restored; the stack ends ``UPDATE_ROLLBACK_COMPLETE``. Updates run in dependency order, adds
  and modifications first, then the cleanup: removed resources (``Retain`` kept) and the old
  ones of replacements are deleted last, as CloudFormation does. A resource whose physical id
  changed updates what refers to it.
- Stack deletes: moto tried the resources in no particular order (retrying what failed), so a
  resource could go before the ones that depend on it (a route table before the VPC endpoint
  routing through it). Deletes now run dependents first, as CloudFormation does (``Ref``,
  ``Fn::GetAtt``, ``Fn::Sub`` and ``DependsOn`` are the dependencies), still retrying.
- Stack updates: moto's parser adds ``"Properties": {}`` to the deployed template's resources
  that have none, so the next update saw them all as modified (and replaced them, new names and
  all). The new template gets the same treatment before the two are compared.

The taught models (:mod:`.models`) add the rest: a named resource that exists already fails
the create instead of being taken over, and a replacement creates the new resource first
(:func:`retire` defers the old one's delete to the cleanup).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_installed = False
_state = threading.local()  # per request thread: .retired (replaced resources), .on_failure

COMPLETE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})
"""Stack statuses whose outputs are readable."""


def install() -> None:
    """Patch moto's CloudFormation (once per process)."""
    global _installed
    if _installed:
        return
    _fix_update_diff()
    _fix_delete_order()
    _fix_lazy_reads()
    _fix_create()
    _fix_update()
    _installed = True


def retire(resource: Any, account_id: str, region_name: str) -> None:
    """Delete ``resource``, replaced by a new one: in the cleanup of the update running in this
    thread (so a rollback can keep it), or now when no update runs."""
    pending = getattr(_state, "retired", None)
    if pending is None:
        resource.delete(account_id, region_name)
    else:
        pending.append(resource)


class RolledBack(Exception):
    """A stack update failed and was rolled back (``rolled_back``: completely)."""

    def __init__(self, error: Exception, rolled_back: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.rolled_back = rolled_back


@contextlib.contextmanager
def _building(resource_map: Any) -> Iterator[None]:
    """This thread creates and updates ``resource_map``'s resources (other threads only read)."""
    previous = getattr(resource_map, "_ml_builder", None)
    resource_map._ml_builder = threading.get_ident()
    try:
        yield
    finally:
        resource_map._ml_builder = previous


def _reason(error: Exception) -> str:
    return str(getattr(error, "message", None) or error)


def _event(
    stack: Any, logical_id: str, resource_type: str, status: str, reason: str | None, physical: str = ""
) -> None:
    from moto.cloudformation.models import Event

    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical,
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


# --- reads never create ----------------------------------------------------------------------


def _fix_lazy_reads() -> None:
    from moto.cloudformation.models import Stack
    from moto.cloudformation.parsing import ResourceMap, parse_and_create_resource

    def __getitem__(self: Any, key: str) -> Any:  # noqa: N807
        parsed = self._parsed_resources
        if key in parsed:
            return parsed[key]
        resource_json = self._resource_json_map.get(key)
        if not resource_json:
            raise KeyError(key)
        if getattr(self, "_ml_builder", None) != threading.get_ident():
            return None  # not created (yet): only the stack's create or update creates
        try:
            _refuse_take_over(self, key, resource_json)
            resource = parse_and_create_resource(
                key, resource_json, self, account_id=self._account_id, region_name=self._region_name
            )
        except Exception as error:
            if getattr(self, "_ml_failure", None) is None:  # the innermost resource failed
                self._ml_failure = (key, resource_json.get("Type", ""), _reason(error))
            raise
        if resource is not None:
            parsed[key] = resource
        return resource

    setattr(ResourceMap, "__getitem__", __getitem__)  # noqa: B010

    create = ResourceMap.create

    def create_all(self: Any, template: dict[str, Any]) -> bool:
        with _building(self):
            return bool(create(self, template))

    setattr(ResourceMap, "create", create_all)  # noqa: B010

    def stack_resources(self: Any) -> list[Any]:
        resource_map = self.resource_map
        found = (resource_map._parsed_resources.get(key) for key in list(resource_map._resource_json_map))
        return [r for r in found if r is not None and hasattr(r, "logical_resource_id")]

    setattr(Stack, "stack_resources", property(stack_resources))  # noqa: B010

    outputs = Stack.outputs.fget  # type: ignore[attr-defined]

    def stack_outputs(self: Any) -> Any:
        if self.status not in COMPLETE or getattr(self.resource_map, "_ml_builder", None) is not None:
            return getattr(self, "_ml_outputs", None) if self.status.startswith("UPDATE") else None
        self._ml_outputs = outputs(self)
        return self._ml_outputs

    setattr(Stack, "outputs", property(stack_outputs))  # noqa: B010


def _named(properties: dict[str, Any], name_property: str) -> str:
    return str(properties.get(name_property) or "")


def _queue_exists(account: str, region: str, props: dict[str, Any]) -> str:
    from moto.sqs.models import sqs_backends

    name = _named(props, "QueueName")
    return name if name and name in sqs_backends[account][region].queues else ""


def _topic_exists(account: str, region: str, props: dict[str, Any]) -> str:
    from moto.sns.models import sns_backends

    name = _named(props, "TopicName")
    topics = sns_backends[account][region].topics.values()
    return name if name and any(topic.name == name for topic in topics) else ""


def _rule_exists(account: str, region: str, props: dict[str, Any]) -> str:
    from moto.events.models import events_backends

    name = _named(props, "Name")
    bus = events_backends[account][region].event_buses.get(
        _named(props, "EventBusName").rsplit("/", 1)[-1] or "default"
    )
    return name if name and bus is not None and name in bus.rules else ""


def _state_machine_exists(account: str, region: str, props: dict[str, Any]) -> str:
    from moto.stepfunctions.models import stepfunctions_backends

    name = _named(props, "StateMachineName")
    machines = stepfunctions_backends[account][region].state_machines
    return name if name and any(machine.name == name for machine in machines) else ""


def _alias_exists(account: str, region: str, props: dict[str, Any]) -> str:
    from moto.kms.models import kms_backends

    name = _named(props, "AliasName")
    return name if name and kms_backends[account][region].alias_exists(name) else ""


TAKE_OVER_CHECKS = {
    "AWS::SQS::Queue": _queue_exists,
    "AWS::SNS::Topic": _topic_exists,
    "AWS::Events::Rule": _rule_exists,
    "AWS::StepFunctions::StateMachine": _state_machine_exists,
    "AWS::KMS::Alias": _alias_exists,
}
"""moto's own models whose create quietly returns (or overwrites) a resource of that name that
exists: each finds it from the template's (resolved) properties. The taught models check
themselves (``UNIQUE_NAME``)."""


def _refuse_take_over(resource_map: Any, logical_id: str, resource_json: dict[str, Any]) -> None:
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.parsing import clean_json

    check = TAKE_OVER_CHECKS.get(str(resource_json.get("Type")))
    properties = resource_json.get("Properties") or {}
    if check is None or not properties:
        return
    resolved = clean_json(properties, resource_map)
    name = check(resource_map._account_id, resource_map._region_name, resolved)
    if name:
        raise ValidationError(message=f"{resource_json['Type']} {logical_id}: {name} already exists")


# --- create: rollback on failure ---------------------------------------------------------------


def _fix_create() -> None:
    from moto.cloudformation.exceptions import AlreadyExistsException
    from moto.cloudformation.models import CloudFormationBackend, Stack, cloudformation_backends
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.cloudformation.utils import generate_stack_id

    def create_stack(
        self: Any,
        name: str,
        template: str,
        parameters: dict[str, Any],
        notification_arns: list[str] | None = None,
        tags: dict[str, str] | None = None,
        role_arn: str | None = None,
        enable_termination_protection: bool | None = False,
        timeout_in_mins: int | None = None,
        stack_policy_body: str | None = None,
    ) -> Any:
        if name in [stack.name for stack in self.stacks.values()]:
            raise AlreadyExistsException(f"Stack {name} already exists")
        stack_id = generate_stack_id(name, self.region_name, self.account_id)
        stack = Stack(  # type: ignore[abstract]
            stack_id=stack_id,
            name=name,
            template=template,
            parameters=parameters,
            account_id=self.account_id,
            region_name=self.region_name,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
            cross_stack_resources=self.exports,
            enable_termination_protection=enable_termination_protection,
            timeout_in_mins=timeout_in_mins,
            stack_policy_body=stack_policy_body,
        )
        self.stacks[stack_id] = stack
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.create_resources()
        return stack

    setattr(CloudFormationBackend, "create_stack", create_stack)  # noqa: B010

    def create_resources(self: Any) -> None:
        self.status = "CREATE_IN_PROGRESS"
        resource_map = self.resource_map
        resource_map._ml_failure = None
        backend = cloudformation_backends[self.account_id][self.region_name]
        try:
            with _building(resource_map):
                ready = resource_map.create(self.template_dict)
                self.description = self.template_dict.get("Description")
                backend._validate_export_uniqueness(self)
                exports = self.exports
        except Exception as error:
            _roll_back_create(self, backend, error)
            return
        for export in exports:
            backend.exports[export.name] = export
        if ready:
            self.mark_creation_complete()

    setattr(Stack, "create_resources", create_resources)  # noqa: B010

    respond = CloudFormationResponse.create_stack

    def create_stack_response(self: Any) -> Any:
        disable = str(self._get_param("DisableRollback") or "").lower() == "true"
        _state.on_failure = "DO_NOTHING" if disable else (self._get_param("OnFailure") or "ROLLBACK")
        try:
            return respond(self)
        finally:
            _state.on_failure = None

    setattr(CloudFormationResponse, "create_stack", create_stack_response)  # noqa: B010


def _roll_back_create(stack: Any, backend: Any, error: Exception) -> None:
    failure = getattr(stack.resource_map, "_ml_failure", None)
    logical_id, resource_type, reason = failure or ("", "", _reason(error))
    if logical_id:
        _event(stack, logical_id, resource_type, "CREATE_FAILED", reason)
    failed = f"The following resource(s) failed to create: [{logical_id}]. " if logical_id else f"{reason}. "
    on_failure = getattr(_state, "on_failure", None) or "ROLLBACK"
    if on_failure == "DO_NOTHING":
        stack.status, stack.status_reason = "CREATE_FAILED", failed.strip()
        stack._add_stack_event("CREATE_FAILED", resource_status_reason=stack.status_reason)
        return
    stack.status, stack.status_reason = "ROLLBACK_IN_PROGRESS", failed + "Rollback requested by user."
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=stack.status_reason)
    try:
        stack.resource_map._ml_rolling_back_create = True
        stack.resource_map.delete()
    except Exception as rollback_error:
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=_reason(rollback_error))
        return
    finally:
        stack.resource_map._ml_rolling_back_create = False
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")
    if on_failure == "DELETE":
        stack.status = "DELETE_COMPLETE"
        stack._add_stack_event("DELETE_COMPLETE")
        backend.stacks.pop(stack.stack_id, None)
        backend.deleted_stacks[stack.stack_id] = stack


# --- update: CloudFormation's order, rollback on failure -------------------------------------------


def _fix_update() -> None:
    from moto.cloudformation.models import Stack
    from moto.cloudformation.parsing import ResourceMap

    def update_all(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        with _building(self):
            _update_resources(self, template, parameters)

    setattr(ResourceMap, "update", update_all)  # noqa: B010

    def update(
        self: Any,
        template: str,
        role_arn: str | None = None,
        parameters: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        self._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
        self.status, self.status_reason = "UPDATE_IN_PROGRESS", None
        previous = (self.template, self.template_dict)
        self.template = template
        self._parse_template()
        resource_map = self.resource_map
        resource_map._ml_failure = None
        try:
            with _building(resource_map):
                resource_map.update(self.template_dict, parameters)
                self.output_map = self._create_output_map()
        except RolledBack as failed:
            self.template, self.template_dict = previous
            logical_id, resource_type, reason = getattr(resource_map, "_ml_failure", None) or (
                "",
                "",
                _reason(failed.error),
            )
            if logical_id:
                _event(self, logical_id, resource_type, "UPDATE_FAILED", reason)
            self.status_reason = (
                f"The following resource(s) failed to update: [{logical_id}]. {reason}"
                if logical_id
                else reason
            )
            self._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=self.status_reason)
            self.status = "UPDATE_ROLLBACK_COMPLETE" if failed.rolled_back else "UPDATE_ROLLBACK_FAILED"
            self._add_stack_event(self.status)
            return
        self._add_stack_event("UPDATE_COMPLETE")
        self.status = "UPDATE_COMPLETE"
        self.role_arn = role_arn
        if parameters:
            self.parameters = parameters
        if tags is not None:
            self.tags = tags

    setattr(Stack, "update", update)  # noqa: B010


def _update_resources(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """``ResourceMap.update``: adds and modifications in dependency order, then the cleanup;
    on a failure, everything done is undone and :class:`RolledBack` raised."""
    from moto.cloudformation.parsing import parse_and_update_resource

    for resource in (template.get("Resources") or {}).values():
        if isinstance(resource, dict):
            resource.setdefault("Properties", {})
    diff = self.build_resource_diff(template, parameters)
    saved = {
        "_template": self._template,
        "_resource_json_map": self._resource_json_map,
        "input_parameters": self.input_parameters,
        "resolved_parameters": dict(self.resolved_parameters),
        "no_echo_parameter_keys": list(getattr(self, "no_echo_parameter_keys", [])),
        "lazy_condition_map": getattr(self, "lazy_condition_map", None),
    }
    parsed_before = dict(self._parsed_resources)
    old_json = self._resource_json_map
    modified: list[tuple[str, Any, Any]] = []  # (logical id, resource before, resource after)
    retired: list[Any] = []
    name, new_json = "", template.get("Resources") or {}
    _state.retired = retired
    try:
        self._template = template
        if parameters:
            self.input_parameters = parameters
        self.load_mapping()
        self.load_parameters()
        self.load_conditions()
        self._resource_json_map = template["Resources"]
        new_json = self._resource_json_map
        names = set(new_json)
        depends = {name: dependencies(new_json[name], names) - {name} for name in names}
        to_modify = set(diff["Modify"])
        for name in deletion_order(new_json)[::-1]:  # dependencies first
            if name in diff["Add"]:
                self[name]
            elif name in to_modify and name in self._parsed_resources:
                before = self._parsed_resources[name]
                after = parse_and_update_resource(
                    name, new_json[name], self, account_id=self._account_id, region_name=self._region_name
                )
                if after is None:
                    continue
                self._parsed_resources[name] = after
                modified.append((name, before, after))
                if getattr(after, "physical_resource_id", None) != getattr(
                    before, "physical_resource_id", None
                ):
                    to_modify.update(
                        n for n, deps in depends.items() if name in deps and n not in diff["Add"]
                    )
    except Exception as error:
        if getattr(self, "_ml_failure", None) is None:
            self._ml_failure = (name, (new_json.get(name) or {}).get("Type", ""), _reason(error))
        _state.retired = None
        rolled_back = _undo_update(self, saved, parsed_before, old_json, modified, retired)
        raise RolledBack(error, rolled_back) from error
    finally:
        _state.retired = None
    # The cleanup: what the new template removed, then the old resources of replacements.
    removed = [
        name
        for name in deletion_order(old_json)
        if name in diff["Remove"]
        and old_json[name].get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate")
    ]
    _delete_all(self, [(name, self._parsed_resources.get(name), old_json[name]) for name in removed])
    for name in diff["Remove"]:
        self._parsed_resources.pop(name, None)
    for resource in retired:
        with contextlib.suppress(Exception):  # CloudFormation leaves a failed cleanup behind too
            resource.delete(self._account_id, self._region_name)


def _undo_update(
    self: Any,
    saved: dict[str, Any],
    parsed_before: dict[str, Any],
    old_json: dict[str, Any],
    modified: list[tuple[str, Any, Any]],
    retired: list[Any],
) -> bool:
    """Put the resource map back as it was before the update; whether that all worked."""
    from moto.cloudformation.parsing import parse_and_update_resource

    complete = True
    # what the update created (dependencies of a failed one included), dependents first
    new_json = self._resource_json_map
    for name in deletion_order(new_json):
        resource = self._parsed_resources.get(name)
        if name not in parsed_before and resource is not None:
            try:
                self._delete_resource(resource, new_json[name])
            except Exception:
                complete = False
            self._parsed_resources.pop(name, None)
    for key, value in saved.items():
        setattr(self, key, value)
    # Replaced resources first get their old one back (still there: its delete was deferred),
    # so that what refers to them updates back to the old one; then the new ones go.
    kept = {id(resource) for resource in retired}
    replaced = [(name, after) for name, before, after in modified if id(before) in kept]
    for name, before, after in modified:
        self._parsed_resources[name] = before if id(before) in kept else after
    for name, before, _ in reversed(modified):
        if id(before) in kept:
            continue
        try:
            with _building(self):
                reverted = parse_and_update_resource(
                    name, old_json[name], self, account_id=self._account_id, region_name=self._region_name
                )
            if reverted is not None:
                self._parsed_resources[name] = reverted
        except Exception:
            complete = False
    for name, after in reversed(replaced):
        try:
            self._delete_resource(after, old_json[name])
        except Exception:
            complete = False
    for key in list(self._parsed_resources):
        if key not in parsed_before and key not in old_json:
            self._parsed_resources.pop(key, None)
    for key, value in parsed_before.items():
        if key not in old_json:  # parameters, mappings, pseudo parameters
            self._parsed_resources[key] = value
    return complete


def _delete_all(self: Any, items: list[tuple[str, Any, dict[str, Any]]]) -> None:
    """Delete ``(name, resource, template json)`` in order, retrying what failed while any goes."""
    remaining = [item for item in items if item[1] is not None and not isinstance(item[1], str)]
    previous = len(remaining) + 1
    while remaining and len(remaining) < previous:
        previous = len(remaining)
        for item in list(remaining):
            with contextlib.suppress(Exception):
                self._delete_resource(item[1], item[2])
                remaining.remove(item)


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
        rollback = getattr(self, "_ml_rolling_back_create", False)
        kept = ("Retain",) if rollback else ("Retain", "RetainExceptOnCreate")
        remaining = [
            name
            for name in deletion_order(self._resource_json_map)
            if self._resource_json_map[name].get("DeletionPolicy") not in kept
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
