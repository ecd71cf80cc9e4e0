"""Adopt the schedules of the original aws-ecs-clockwork into a clockwork store.

The original's table has one hash key, ``id``, and one item per schedule with the
attributes ``id``, ``name``, ``cron_time``, ``definition_arn``, ``ecs_cluster_arn`` and
``last_updated`` (text). A table's key cannot change, so its items are read from that
table (``--from``, see :mod:`clockwork_dynamodb.original_table`) and written to the
store's; the original's table is left as it is.

Each legacy item becomes a schedule with the same id (the CloudFormation physical id
the original's custom resource returned, so stacks keep finding their schedules), the
same name and expression, evaluated in UTC (the original's worker ran in UTC), and an
``ecs`` target with the cluster and task definition. Its origin records where it came
from. A name longer than clockwork's 255 characters is cut there; the whole name stays
in the origin (``origin["name"]``).

What the original did that clockwork does not by default is kept, each with an
:class:`Options` field (a flag of ``clockwork dynamodb migrate``) to get clockwork's
behaviour instead:

* missed fires: ``skip`` (the original never caught up after an outage);
* the ECS launch's ``startedBy``: ``ecs-aws-clockwork``, as on every task the original
  started (target parameter ``started_by``; the fire's key stays in the task's tags and
  ``clientToken``);
* a handover, when asked for: until its instant a fire first adopts the task the
  original's still running worker started for the same instant (target parameter
  ``handover = {"until": ...}``). A run without it keeps the handover a previous run
  wrote, so that re-running the migration during a switch cannot end it early; once
  past, it has no effect.

Each outcome also says when the original never fired the schedule (past its worker's
first Scan page), so that the user knows those fires are new.

Running the migration again is safe: an adopted schedule whose legacy item has not
changed (with the same options) is left as it is, one whose item changed is updated
(keeping its manual triggers, and its pause if it was paused in clockwork since: see
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
from clockwork_core.model import MissedFires, Policies, Schedule, ScheduleRecord, Target
from clockwork_core.schedules import Change, write_schedule
from clockwork_core.store import Store
from clockwork_core.zones import isoformat_z

from clockwork_dynamodb.original_table import BEYOND_FIRST_PAGE, OriginalTable, item_id

LEGACY_KIND = "aws-ecs-clockwork"
#: The ECS launcher's parameters for the original's two ARNs, its startedBy and a handover.
ECS_LAUNCHER = "ecs"
CLUSTER_PARAM = "cluster"
TASK_DEFINITION_PARAM = "task_definition"
STARTED_BY_PARAM = "started_by"
HANDOVER_PARAM = "handover"
#: The ``startedBy`` of every task the original's worker started.
ORIGINAL_STARTED_BY = "ecs-aws-clockwork"
#: clockwork's longest schedule name.
NAME_LIMIT = 255


class Action(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # clockwork manages it now (another origin): the legacy item is ignored
    INVALID = "invalid"


class StartedBy(enum.Enum):
    """Whose ``startedBy`` a migrated schedule's ECS tasks carry."""

    ORIGINAL = "original"  # ecs-aws-clockwork, as the original's tasks did
    CLOCKWORK = "clockwork"  # clockwork's own, carrying the fire's key


@attrs.frozen
class Options:
    """What a migration writes besides what the legacy items say."""

    missed_fires: MissedFires = MissedFires.SKIP
    started_by: StartedBy = StartedBy.ORIGINAL
    #: Until when a fire adopts the task the original's worker started (None: keep the stored one).
    handover_until: datetime | None = None


@attrs.frozen
class Outcome:
    schedule_id: str
    action: Action
    detail: str = ""
    #: Why the original never fired this schedule (clockwork will): empty when it did.
    never_fired: tuple[str, ...] = ()
    #: Anything else the user should know about what was written.
    notes: tuple[str, ...] = ()


@attrs.frozen
class LegacyItem:
    """One item of the original's table, as its Lambda wrote it."""

    id: str
    name: str
    cron_time: str
    definition_arn: str
    cluster: str | None = None
    last_updated: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> LegacyItem:
        """The item's values; InvalidValue naming the attribute that is missing."""
        values = {name: value.get("S") for name, value in item.items() if isinstance(value, Mapping)}
        for required in ("id", "cron_time", "definition_arn"):
            if not isinstance(values.get(required), str) or not values[required]:
                raise InvalidValue(required, "is missing")
        return cls(
            id=str(values["id"]),
            name=str(values.get("name") or ""),
            cron_time=str(values["cron_time"]),
            definition_arn=str(values["definition_arn"]),
            cluster=str(values["ecs_cluster_arn"]) if values.get("ecs_cluster_arn") else None,
            last_updated=str(values["last_updated"]) if values.get("last_updated") else None,
        )


def legacy_schedule(
    item: Mapping[str, Any],
    *,
    source: str,
    options: Options | None = None,
    stored: ScheduleRecord | None = None,
) -> Schedule:
    """The schedule a legacy item describes; InvalidValue naming the attribute at fault."""
    return _schedule(LegacyItem.from_item(item), source=source, options=options or Options(), stored=stored)


def _schedule(
    legacy: LegacyItem, *, source: str, options: Options, stored: ScheduleRecord | None
) -> Schedule:
    origin = {"kind": LEGACY_KIND, "table": source}
    if legacy.last_updated:
        origin["last_updated"] = legacy.last_updated
    if len(legacy.name) > NAME_LIMIT:
        origin["name"] = legacy.name
    return Schedule(
        id=legacy.id,
        name=legacy.name[:NAME_LIMIT],
        expression=legacy.cron_time,
        target=Target(ECS_LAUNCHER, _params(legacy, options, stored)),
        policies=Policies(missed_fires=options.missed_fires),
        origin=origin,
        # Paused or resumed in clockwork since: that stays as it is.
        enabled=stored.schedule.enabled if stored is not None else True,
    )


def _params(legacy: LegacyItem, options: Options, stored: ScheduleRecord | None) -> dict[str, Any]:
    params: dict[str, Any] = {TASK_DEFINITION_PARAM: legacy.definition_arn}
    if legacy.cluster:
        params[CLUSTER_PARAM] = legacy.cluster
    if options.started_by is StartedBy.ORIGINAL:
        params[STARTED_BY_PARAM] = ORIGINAL_STARTED_BY
    if options.handover_until is not None:
        params[HANDOVER_PARAM] = {"until": isoformat_z(options.handover_until)}
    elif stored is not None and HANDOVER_PARAM in stored.schedule.target.params:
        params[HANDOVER_PARAM] = stored.schedule.target.params[HANDOVER_PARAM]
    return params


def adopt(
    store: Store,
    table: OriginalTable,
    *,
    now: datetime,
    options: Options | None = None,
    dry_run: bool = False,
) -> Iterator[Outcome]:
    """Adopt each item of ``table`` into ``store``; yields what happened to each (nothing is written on a dry run)."""
    options = options or Options()
    for item in table.items:
        never_fired = () if table.seen_by_worker(item) else (BEYOND_FIRST_PAGE,)
        try:
            legacy = LegacyItem.from_item(item)
        except InvalidValue as exc:
            yield Outcome(item_id(item) or "?", Action.INVALID, f"{exc.field}: {exc.reason}", never_fired)
            continue
        outcome = _adopt_one(store, legacy, source=table.name, options=options, now=now, dry_run=dry_run)
        notes = (f"name cut to {NAME_LIMIT} characters (the origin keeps all {len(legacy.name)})",)
        yield attrs.evolve(
            outcome,
            never_fired=never_fired,
            notes=notes if len(legacy.name) > NAME_LIMIT and outcome.action is not Action.KEPT else (),
        )


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


def _adopt_one(
    store: Store, legacy: LegacyItem, *, source: str, options: Options, now: datetime, dry_run: bool
) -> Outcome:
    def adopted(stored: ScheduleRecord | None) -> Schedule:
        if stored is not None and stored.schedule.origin.get("kind") != LEGACY_KIND:
            raise _ManagedElsewhere(stored.schedule.origin.get("kind") or "clockwork")
        return _schedule(legacy, source=source, options=options, stored=stored)

    try:
        written = write_schedule(store, legacy.id, adopted, now=now, dry_run=dry_run)
    except _ManagedElsewhere as exc:
        return Outcome(legacy.id, Action.KEPT, str(exc))
    except Conflict as exc:
        return Outcome(legacy.id, Action.KEPT, f"changed while migrating: {exc}")
    except InvalidValue as exc:
        return Outcome(legacy.id, Action.INVALID, f"{exc.field}: {exc.reason}")
    action = _ACTIONS[written.change]
    if action is Action.UNCHANGED:
        return Outcome(legacy.id, action)
    schedule = written.record.schedule
    return Outcome(legacy.id, action, f"{schedule.expression} -> {schedule.target.params}")


def summary(outcomes: Iterable[Outcome]) -> str:
    """``2 created, 1 unchanged`` (actions in a fixed order, absent ones left out)."""
    counts = dict.fromkeys(Action, 0)
    for outcome in outcomes:
        counts[outcome.action] += 1
    return (
        ", ".join(f"{count} {action.value}" for action, count in counts.items() if count)
        or "nothing to adopt"
    )
