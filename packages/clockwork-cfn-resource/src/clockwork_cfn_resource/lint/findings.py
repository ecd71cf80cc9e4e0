"""What the cfn-lint rules report, worked out without cfn-lint: plain mappings in, findings out.

A clockwork schedule is a custom resource (``AWS::CloudFormation::CustomResource`` or
``Custom::...``) whose ``Properties`` hold ``SchedulerDynamoDBTable`` or ``CronTime``.
Its properties are judged by :func:`clockwork_cfn_resource.properties.check` (values that
are still ``Ref`` or ``Fn::`` functions are not judged), and each problem is placed at the
template path of the value it is about, so that cfn-lint reports the right line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from clockwork_cfn_resource.properties import Path, Problem, check, is_intrinsic

#: Any one of these in a custom resource's Properties makes it a clockwork schedule.
MARKERS = ("SchedulerDynamoDBTable", "CronTime")


@attrs.frozen
class Finding:
    """One problem of one schedule resource: its kind (``unknown``, ``missing``,
    ``invalid``), the template path cfn-lint locates, and the message it prints."""

    kind: str
    path: tuple[str | int, ...]
    message: str


def is_custom_resource(resource_type: object) -> bool:
    return isinstance(resource_type, str) and (
        resource_type == "AWS::CloudFormation::CustomResource" or resource_type.startswith("Custom::")
    )


def schedule_resources(template: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each clockwork schedule resource's logical id and Properties, in template order.

    Resources whose Properties are not a mapping, or are themselves a function
    (``Fn::If``), are left alone: their properties are only known at deploy time.
    """
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return
    for name, resource in resources.items():
        if not isinstance(resource, Mapping) or not is_custom_resource(resource.get("Type")):
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, Mapping) or is_intrinsic(properties):
            continue
        if any(marker in properties for marker in MARKERS):
            yield str(name), properties


def findings(template: Mapping[str, Any]) -> Iterator[Finding]:
    """Every problem of every schedule resource in ``template``, each once."""
    for name, properties in schedule_resources(template):
        seen: set[Finding] = set()
        for problem in check(properties, intrinsics=True):
            path = ("Resources", name, "Properties", *_located(properties, problem.path))
            found = Finding(problem.kind, path, message(problem))
            if found not in seen:
                seen.add(found)
                yield found


def message(problem: Problem) -> str:
    """``RetryPolicy.Attempts: 0 is out of range 1-20``; ``CronTime is required``."""
    if not problem.path:
        return problem.message
    if problem.kind == "missing":
        return f"{problem.property} {problem.message}"
    return str(problem)


def _located(properties: Mapping[str, Any], path: Path) -> Path:
    """The longest start of ``path`` that is in ``properties``, as the template spells it.

    A missing property is reported at ``Properties``; a nested key that the checker names
    in PascalCase but the template writes in camelCase (ECS's own spelling) is found too.
    """
    found: list[str | int] = []
    here: object = properties
    for part in path:
        if isinstance(part, int):
            if not isinstance(here, list) or not 0 <= part < len(here):
                break
            found.append(part)
            here = here[part]
            continue
        if not isinstance(here, Mapping):
            break
        key = next((key for key in (part, part[:1].lower() + part[1:]) if key in here), None)
        if key is None:
            break
        found.append(key)
        here = here[key]
    return tuple(found)
