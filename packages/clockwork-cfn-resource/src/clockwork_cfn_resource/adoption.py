"""Whose schedule a request may change, and the origin it writes.

A stored schedule belongs to the resource that declared it:

* **Declared by CloudFormation** (origin ``cloudformation``): a resource of the same stack
  (the logical id may change: a renamed resource).
* **Migrated from the original aws-ecs-clockwork** (origin ``aws-ecs-clockwork``, written
  by ``clockwork dynamodb migrate``): the resource that created it through the original's
  function, recognised by what the original stored and what CloudFormation sends. The
  physical id is the schedule's id (the original's uuid); the table the origin names is
  one the request's properties name; and for an Update, the stored definition
  (``CronTime``, ``Name``, ``TaskDefinitionArn``, ``ECSClusterArn``) is what the old
  properties say, or the new ones (a rollback sends back what is stored). The first
  write adopts it: its origin becomes ``cloudformation`` with the stack and the logical
  id, and keeps where it came from (``migrated_from``, ``table``, ``last_updated``), so
  later requests take the first way.
* Anything else (a crontab's, the command line's) is refused.

A request that names an original table (served from the clockwork table its schedules
were migrated into, see :mod:`clockwork_cfn_resource.places`) touches only schedules whose
origin says they came from that table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from clockwork_core.errors import InvalidValue
from clockwork_core.model import Schedule, ScheduleRecord, Target

from clockwork_cfn_resource.places import Place
from clockwork_cfn_resource.properties import ECS

ORIGIN_KIND = "cloudformation"
# What ``clockwork dynamodb migrate`` writes into a migrated schedule's origin: its kind,
# the original table, and, where it stored another text than the item's, the item's
# CronTime and which meaning it kept (``original`` or ``clockwork``), and the whole Name.
LEGACY_KIND = "aws-ecs-clockwork"
TABLE = "table"
CRON_TIME_KEY = "cron_time"
MEANING_KEY = "meaning"
NAME_KEY = "name"
#: Written anew by each request, from its own properties.
TEXT_KEYS = (CRON_TIME_KEY, NAME_KEY)
#: In the origin of an adopted schedule: where it came from (the original's kind).
MIGRATED_FROM = "migrated_from"
#: The ``ecs`` launcher parameters of the original's two ECS properties.
ECS_PARAMS = {"TaskDefinitionArn": "task_definition", "ECSClusterArn": "cluster"}
#: Every ``ecs`` parameter the properties set; a migration's others (its startedBy, a
#: handover) have no property, and are kept.
SET_BY_PROPERTIES = frozenset({*ECS_PARAMS.values(), "region", *ECS.values()})
#: What a stack's resource writes into the origin itself; the rest of the origin is kept.
OWN_KEYS = ("kind", "stack", "logical_id")
#: The original's ids: what its Create answered (a uuid v4).
ORIGINAL_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class NotOurs(InvalidValue):
    """The schedule by this id was declared by another resource (or not by CloudFormation)."""

    def __init__(self, schedule_id: str, origin: Mapping[str, str], why: str = "") -> None:
        declared = (
            f"resource {origin.get('logical_id')!r} of stack {origin.get('stack')!r}"
            if origin.get("kind") == ORIGIN_KIND
            else "something other than CloudFormation"
        )
        super().__init__(
            "PhysicalResourceId",
            why or f"schedule {schedule_id!r} exists and was declared by {declared}",
        )


def is_original(origin: Mapping[str, str]) -> bool:
    """Whether a schedule with this origin came from the original aws-ecs-clockwork."""
    return origin.get("kind") == LEGACY_KIND or origin.get(MIGRATED_FROM) == LEGACY_KIND


def stack_origin(event: Mapping[str, Any]) -> dict[str, str]:
    return {
        "kind": ORIGIN_KIND,
        "stack": str(event.get("StackId", "")),
        "logical_id": str(event.get("LogicalResourceId", "")),
    }


def check_owner(
    stored: ScheduleRecord,
    event: Mapping[str, Any],
    places: Sequence[Place],
    declared: Sequence[object] = (),
) -> None:
    """Raises :class:`NotOurs` unless the request's resource owns ``stored``.

    ``places`` are where the request's properties (new, and old for an Update) say the
    schedule is; ``declared``, those properties, to compare with a migrated definition.
    """
    origin = stored.schedule.origin
    originals = [place.original for place in places if place.original is not None]
    if originals and origin.get(TABLE) not in originals:
        came = f"from {origin[TABLE]!r}" if origin.get(TABLE) else "from no original table"
        raise NotOurs(
            stored.id,
            origin,
            f"schedule {stored.id!r} in {places[0].table!r} came {came}, not from "
            f"{' or '.join(repr(name) for name in dict.fromkeys(originals))} as the resource says",
        )
    if origin.get("kind") == LEGACY_KIND:
        _check_migrated(stored, places, declared)
        return
    if origin.get("kind") != ORIGIN_KIND or origin.get("stack") != stack_origin(event)["stack"]:
        raise NotOurs(stored.id, origin)


def _check_migrated(stored: ScheduleRecord, places: Sequence[Place], declared: Sequence[object]) -> None:
    origin = stored.schedule.origin
    named = [place.named for place in places]
    if origin.get(TABLE) not in named:
        raise NotOurs(
            stored.id,
            origin,
            f"schedule {stored.id!r} was migrated from table {origin.get(TABLE)!r}, which the resource "
            f"does not name (it names {' and '.join(repr(name) for name in dict.fromkeys(named))})",
        )
    mappings = [properties for properties in declared if isinstance(properties, Mapping)]
    if not mappings:
        return
    differences = [differences_from(stored.schedule, properties) for properties in mappings]
    if all(differences):
        raise NotOurs(
            stored.id,
            origin,
            f"schedule {stored.id!r} was migrated from table {origin.get(TABLE)!r} with "
            f"{'; '.join(differences[0])}: not what this resource declares. If the table changed "
            f"after the migration, run `clockwork dynamodb migrate --from {origin.get(TABLE)}` again",
        )


def differences_from(schedule: Schedule, properties: Mapping[str, Any]) -> list[str]:
    """The original's properties whose value is not the one the migrated ``schedule`` holds:
    ``["CronTime '*/2 * * * *' (the resource says '*/3 * * * *')"]``."""
    params = schedule.target.params
    stored = {
        "CronTime": schedule.origin.get(CRON_TIME_KEY, schedule.expression),
        "Name": schedule.origin.get(NAME_KEY, schedule.name),
        **{name: params.get(param, "") for name, param in ECS_PARAMS.items()},
    }
    found = []
    for name, value in stored.items():
        given = properties.get(name)
        if given != value and not (name == "CronTime" and given == schedule.expression):
            found.append(f"{name} {value!r} (the resource says {given!r})")
    return found


def origin_for(
    event: Mapping[str, Any],
    stored: ScheduleRecord | None,
    place: Place,
    schedule_id: str,
    *,
    update: bool = False,
) -> dict[str, str]:
    """The origin a request writes: its stack and logical id, and, for a schedule that came
    from an original table, where it came from (kept from the stored origin).

    ``table`` follows the resource when it names another original table; when it names the
    clockwork table itself, the table the schedule came from is kept (a rollback may name
    it again). An Update of a schedule of the original's (a uuid, through an original
    table) that is not there (deleted, or the table not migrated) is written as adopted.
    """
    origin = stack_origin(event)
    if stored is not None:
        kept = {key: value for key, value in stored.schedule.origin.items() if key not in OWN_KEYS}
        if stored.schedule.origin.get("kind") == LEGACY_KIND:
            kept[MIGRATED_FROM] = LEGACY_KIND
        origin = {**kept, **origin}
    elif update and place.original is not None and ORIGINAL_ID.fullmatch(schedule_id):
        origin[MIGRATED_FROM] = LEGACY_KIND
    if place.original is not None:
        origin[TABLE] = place.original
    return origin


def keep_migrated(stored: Schedule, declared: Schedule, properties: Mapping[str, Any]) -> Schedule:
    """``declared`` with what a migration set and the properties do not: its launch
    parameters that no property sets (``started_by``, ``handover``), and its missed-fire
    policy while ``MissedFirePolicy`` is not given."""
    params = {key: value for key, value in stored.target.params.items() if key not in SET_BY_PROPERTIES}
    policies = declared.policies
    if properties.get("MissedFirePolicy") is None:
        policies = attrs.evolve(policies, missed_fires=stored.policies.missed_fires)
    return attrs.evolve(
        declared,
        target=Target(declared.target.launcher, {**params, **declared.target.params}),
        policies=policies,
    )
