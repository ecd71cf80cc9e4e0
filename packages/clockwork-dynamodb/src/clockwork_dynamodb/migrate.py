"""Adopt the schedules of the original aws-ecs-clockwork into a clockwork store.

The original's table has one hash key, ``id``, and one item per schedule with the
attributes ``id``, ``name``, ``cron_time``, ``definition_arn``, ``ecs_cluster_arn`` and
``last_updated`` (text). A table's key cannot change, so its items are read from that
table (``--from``) and written to the store's; the original's table is left as it is.

Each legacy item becomes a schedule with the same id (the CloudFormation physical id
the original's custom resource returned, so stacks keep finding their schedules), the
same name and expression, evaluated in UTC (the original's worker ran in UTC), and an
``ecs`` target with the cluster and task definition. Its origin records where it came
from. Running the migration again is safe: an adopted schedule whose legacy item has
not changed is left as it is, one whose item changed is updated (keeping its manual
triggers, and its pause if it was paused in clockwork since: see
:mod:`clockwork_core.schedules`), and a schedule that clockwork itself manages by now
(another origin) is kept.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import attrs
from clockwork_core.errors import ClockworkError, Conflict, InvalidValue
from clockwork_core.model import Schedule, ScheduleRecord, Target
from clockwork_core.schedules import Change, write_schedule
from clockwork_core.store import Store

LEGACY_KIND = "aws-ecs-clockwork"
#: The ECS launcher's parameters for the original's two ARNs.
ECS_LAUNCHER = "ecs"
CLUSTER_PARAM = "cluster"
TASK_DEFINITION_PARAM = "task_definition"


class Action(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # clockwork manages it now (another origin): the legacy item is ignored
    INVALID = "invalid"


@attrs.frozen
class Outcome:
    schedule_id: str
    action: Action
    detail: str = ""


def legacy_schedule(item: Mapping[str, Any], *, source: str) -> Schedule:
    """The schedule a legacy item describes; InvalidValue naming the attribute at fault."""
    values = {name: value.get("S") for name, value in item.items() if isinstance(value, Mapping)}
    for required in ("id", "cron_time", "definition_arn"):
        if not values.get(required):
            raise InvalidValue(required, "is missing")
    params = {TASK_DEFINITION_PARAM: values["definition_arn"]}
    if values.get("ecs_cluster_arn"):
        params[CLUSTER_PARAM] = values["ecs_cluster_arn"]
    origin = {"kind": LEGACY_KIND, "table": source}
    if values.get("last_updated"):
        origin["last_updated"] = str(values["last_updated"])
    return Schedule(
        id=str(values["id"]),
        name=str(values.get("name") or ""),
        expression=str(values["cron_time"]),
        target=Target(ECS_LAUNCHER, params),
        origin=origin,
    )


def adopt(
    store: Store, legacy: Iterable[Mapping[str, Any]], *, source: str, now: datetime, dry_run: bool = False
) -> Iterator[Outcome]:
    """Adopt each legacy item into ``store``; yields what happened to each (nothing is written on a dry run)."""
    for item in legacy:
        raw_id = item.get("id", {}).get("S", "?") if isinstance(item.get("id"), Mapping) else "?"
        try:
            schedule = legacy_schedule(item, source=source)
        except InvalidValue as exc:
            yield Outcome(str(raw_id), Action.INVALID, f"{exc.field}: {exc.reason}")
            continue
        try:
            yield _adopt_one(store, schedule, now=now, dry_run=dry_run)
        except Conflict as exc:
            yield Outcome(schedule.id, Action.KEPT, f"changed while migrating: {exc}")


class _ManagedElsewhere(ClockworkError):
    """The stored schedule has another origin by now: clockwork manages it, not the legacy table."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"managed by {kind}")
        self.kind = kind


_ACTIONS = {
    Change.CREATED: Action.CREATED,
    Change.UPDATED: Action.UPDATED,
    Change.UNCHANGED: Action.UNCHANGED,
}


def _adopt_one(store: Store, schedule: Schedule, *, now: datetime, dry_run: bool) -> Outcome:
    def adopted(stored: ScheduleRecord | None) -> Schedule:
        if stored is None:
            return schedule
        if stored.schedule.origin.get("kind") != LEGACY_KIND:
            raise _ManagedElsewhere(stored.schedule.origin.get("kind") or "clockwork")
        # Paused or resumed in clockwork since: that stays as it is.
        return attrs.evolve(schedule, enabled=stored.schedule.enabled)

    try:
        written = write_schedule(store, schedule.id, adopted, now=now, dry_run=dry_run)
    except _ManagedElsewhere as exc:
        return Outcome(schedule.id, Action.KEPT, str(exc))
    action = _ACTIONS[written.change]
    if action is Action.UNCHANGED:
        return Outcome(schedule.id, action)
    return Outcome(schedule.id, action, f"{schedule.expression} -> {schedule.target.params}")


def summary(outcomes: Iterable[Outcome]) -> str:
    """``2 created, 1 unchanged`` (actions in a fixed order, absent ones left out)."""
    counts = dict.fromkeys(Action, 0)
    for outcome in outcomes:
        counts[outcome.action] += 1
    return (
        ", ".join(f"{count} {action.value}" for action, count in counts.items() if count)
        or "nothing to adopt"
    )
