"""What the cfn-lint rules report, worked out without cfn-lint: plain mappings in, findings out.

A clockwork schedule is a custom resource (``AWS::CloudFormation::CustomResource`` or
``Custom::...``) whose ``Properties`` hold ``SchedulerDynamoDBTable`` or ``CronTime``.
Its properties are judged by :func:`clockwork_cfn_resource.properties.check` (values that
are still ``Ref`` or ``Fn::`` functions are not judged), and each problem is placed at the
template path of the value it is about, so that cfn-lint reports the right line.

A template cannot say whether a schedule came from the original aws-ecs-clockwork, so
unless its ``Compatibility`` says which, a resource is judged both ways
(:mod:`clockwork_cfn_resource.compat`): what a strict Update refuses or reads otherwise
but compatibility keeps (an unknown ``Comment``, a 4-field ``CronTime``, a long ``Name``)
is a ``compatible`` finding (a warning), as is anything only compatibility would
refuse. An unknown name that is most likely a typo of
a known one (``TimeZon``) stays ``unknown``: nobody wrote it for the original.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from clockwork_cfn_resource import compat
from clockwork_cfn_resource.properties import KNOWN, InvalidProperties, Path, Problem, check, is_intrinsic

#: Any one of these in a custom resource's Properties makes it a clockwork schedule.
MARKERS = ("SchedulerDynamoDBTable", "CronTime")


@attrs.frozen
class Finding:
    """One problem of one schedule resource: its kind (``unknown``, ``missing``,
    ``invalid``, ``compatible``), the template path cfn-lint locates, and the message it prints."""

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
        for kind, where, text in judged(properties):
            found = Finding(kind, ("Resources", name, "Properties", *_located(properties, where)), text)
            if found not in seen:
                seen.add(found)
                yield found


def judged(properties: Mapping[str, Any]) -> Iterator[tuple[str, Path, str]]:
    """(kind, property path, message) of each problem, in strict and compatibility mode."""
    strict = check(properties, intrinsics=True)
    given = properties.get(compat.PROPERTY)
    try:
        mode = None if given is None or is_intrinsic(given) else compat.mode_of(properties, {})
    except InvalidProperties as exc:
        strict, mode = [*exc.problems, *strict], compat.Mode.STRICT
    if mode is compat.Mode.STRICT:
        yield from ((problem.kind, problem.path, message(problem)) for problem in strict)
        return
    relaxed = compat.relax(properties, schedule_id="check", origin={}, now=None, intrinsics=True)
    kept = [item for item in relaxed.kept if _not_a_typo(str(item.path[0]))]
    covered = {item.path for item in kept}
    errors = [problem for problem in strict if problem.path[:1] not in covered]
    if mode is compat.Mode.ORIGINAL:  # typos, and what compatibility refuses
        errors = [*(problem for problem in errors if problem.kind == "unknown"), *relaxed.problems]
    errors += check(relaxed.properties, intrinsics=True)
    yield from ((problem.kind, problem.path, message(problem)) for problem in errors)
    for item in kept:
        yield ("compatible", item.path, _kept(item, explicit=mode is not None))
    if mode is None:
        refused = {problem.path for problem in strict}
        for problem in relaxed.problems:
            if problem.path not in refused:
                yield (
                    "compatible",
                    problem.path,
                    f"{problem.property}: in {_COMPAT} an Update refuses it: {problem.message}",
                )


def _not_a_typo(name: str) -> bool:
    return name in KNOWN or compat.typo_of(name) is None


_COMPAT = f"compatibility mode (schedules from {compat.ORIGINAL_NAME})"


def _kept(item: compat.Kept, *, explicit: bool) -> str:
    if explicit:
        return f"{item.property}: in compatibility mode, {item.kept}"
    strict = (
        f"a strict Update refuses it ({item.refused})"
        if item.refused
        else "a strict Update reads it as clockwork does"
    )
    return f"{item.property}: {strict}; in {_COMPAT}: {item.kept}"


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
