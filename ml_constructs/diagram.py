"""Draw an app's architecture from its synthesized templates (Graphviz DOT, no dependencies).

Each top-level construct of a stack is a node, grouped by the ML stage of its class
(collect, store, process, train + optimize, deploy, orchestrate); an arrow joins two constructs
when a resource of one references (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``) a resource of the
other, drawn in the direction data flows (earlier stage to later). ``make docs`` renders the
reference app with Graphviz's ``dot``::

    python -m ml_constructs.diagram > docs/architecture.dot && dot -Tsvg ...
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from aws_cdk import App, Stack
from constructs import IConstruct

STAGES = ("collect", "store", "process", "train + optimize", "deploy", "orchestrate", "other")
_STAGE_OF_MODULE = {"collect": "collect", "store": "store", "process": "process", "workflow": "orchestrate"}
_DEPLOY_CLASSES = {"ModelEndpoint", "BatchTransform"}
_COLOURS = {
    "collect": "#e8f1fb",
    "store": "#eaf6ea",
    "process": "#fff4e0",
    "train + optimize": "#f3e8fb",
    "deploy": "#fde8ec",
    "orchestrate": "#eeeeee",
    "other": "#ffffff",
}
# Resources carry their construct path only with this context (the CDK CLI sets it).
PATH_METADATA = {"aws:cdk:enable-path-metadata": True}
_SUB_REF = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z.]+)?\}")


def stage_of(construct: IConstruct) -> str:
    """The ML stage a construct belongs to, from the module its class lives in."""
    cls = type(construct)
    parts = cls.__module__.split(".")
    if parts[0] != "ml_constructs" or len(parts) < 2:
        return "other"
    if parts[1] == "ml":
        return "deploy" if cls.__name__ in _DEPLOY_CLASSES else "train + optimize"
    return _STAGE_OF_MODULE.get(parts[1], "other")


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
        if "Fn::Sub" in value:
            text = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]
            found.update(_SUB_REF.findall(text))
        for item in value.values():
            found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def architecture_dot(app: App, *, title: str = "") -> str:
    """The DOT source of ``app``'s architecture (the app is synthesized if it was not yet).

    Create the app with ``context=PATH_METADATA``: resources name their construct path then.
    """
    assembly = app.synth()
    lines = [
        "digraph architecture {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, nodesep=0.3, ranksep=0.7'
        + (f', label="{title}"' if title else "")
        + "];",
        '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=10];',
        '  edge [color="#555555", arrowsize=0.7];',
    ]
    for stack in (c for c in app.node.children if isinstance(c, Stack)):
        template = assembly.get_stack_by_name(stack.stack_name).template
        owner: dict[str, str] = {}
        counts: Counter[str] = Counter()
        for logical_id, resource in template.get("Resources", {}).items():
            path = resource.get("Metadata", {}).get("aws:cdk:path", "")
            parts = path.split("/")
            if len(parts) >= 2 and parts[1] != "CDKMetadata":
                owner[logical_id] = parts[1]
                counts[parts[1]] += 1
        if not owner:
            raise ValueError(
                f"{stack.stack_name}: no aws:cdk:path metadata; create the App with context=PATH_METADATA"
            )
        children = {c.node.id: c for c in stack.node.children if c.node.id in counts}
        stages: dict[str, list[str]] = defaultdict(list)
        for name, child in children.items():
            stages[stage_of(child)].append(name)
        node_id = {name: f"{stack.stack_name}_{name}".replace("-", "_") for name in children}
        for stage in STAGES:
            if not stages.get(stage):
                continue
            lines.append(f'  subgraph "cluster_{stack.stack_name}_{stage}" {{')
            lines.append(
                f'    label="{stage}"; style="rounded,filled"; color="#999999";'
                f' fillcolor="{_COLOURS[stage]}";'
            )
            for name in sorted(stages[stage]):
                kind, count = type(children[name]).__name__, counts[name]
                plural = "" if count == 1 else "s"
                lines.append(f'    {node_id[name]} [label="{name}\\n({kind}, {count} resource{plural})"];')
            lines.append("  }")
        order = {name: STAGES.index(stage_of(child)) for name, child in children.items()}
        edges: set[tuple[str, str]] = set()
        for logical_id, resource in template.get("Resources", {}).items():
            source = owner.get(logical_id)
            if source is None:
                continue
            for target in _references(resource.get("Properties", {})):
                other = owner.get(target)
                if other is None or other == source:
                    continue
                first, second = (other, source) if order[other] <= order[source] else (source, other)
                edges.add((first, second))
        for first, second in sorted(edges):
            lines.append(f"  {node_id[first]} -> {node_id[second]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:  # pragma: no cover - used by `make docs`
    import os

    os.environ.setdefault("CDK_VALIDATION", "false")
    from stacks.app import build_app

    app = build_app(App(context=PATH_METADATA), nag=False)
    print(architecture_dot(app, title="ml-constructs reference app"), end="")


if __name__ == "__main__":  # pragma: no cover
    main()
