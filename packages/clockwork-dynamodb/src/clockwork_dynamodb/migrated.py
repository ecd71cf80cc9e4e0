"""What one item of the original aws-ecs-clockwork's table becomes: a migrated schedule.

The item (``id``, ``name``, ``cron_time``, ``definition_arn``, ``ecs_cluster_arn``,
``last_updated``, as the original's Lambda wrote it) becomes a schedule with the same id
(the CloudFormation physical id the original's custom resource returned, so stacks keep
finding their schedules), the same name and expression, evaluated in UTC (the original's
worker ran in UTC), and an ``ecs`` target with the cluster and task definition. Its origin
says where it came from: ``{"kind": "aws-ecs-clockwork", "table": ..., "last_updated": ...}``.
A name longer than clockwork's 255 characters is cut there; the whole name stays in the
origin (``origin["name"]``).

An expression whose meaning differs between the original and clockwork
(:func:`clockwork_core.original_cron.compare`) is written as the :class:`Keep` decided:

* ``original``: the original's meaning in clockwork's syntax (``5/15 * * * *`` is written
  ``5 * * * *``);
* ``clockwork``: the text as it is, with clockwork's meaning (which fails if clockwork
  refuses the text).

Either way the origin keeps the user's text and the decision (``origin["cron_time"]``,
``origin["meaning"]``), so that a later migration of the same text keeps the decision
without being told again.

What the original did that clockwork does not by default is kept, each with an
:class:`Options` field (a flag of ``clockwork dynamodb migrate``) to get clockwork's
behaviour instead:

* missed fires: ``skip`` (the original never caught up after an outage);
* the ECS launch's ``startedBy``: ``ecs-aws-clockwork``, as on every task the original
  started (target parameter ``started_by``; the fire's key stays in the task's tags and
  ``clientToken``);
* a handover, when asked for: until its instant a fire first adopts the task the
  original's still running worker started for the same instant (target parameter
  ``handover = {"until": ...}``). A migration without one keeps the handover written
  before, so that re-running the migration during a switch cannot end it early; once
  past, it has no effect.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
from clockwork_core.errors import InvalidValue
from clockwork_core.model import MissedFires, Policies, Schedule, ScheduleRecord, Target
from clockwork_core.original_cron import Meaning
from clockwork_core.zones import isoformat_z

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


class Keep(enum.Enum):
    """Which meaning of an expression a migration keeps, where the two differ."""

    ORIGINAL = "original"  # the original's, written in clockwork's syntax
    CLOCKWORK = "clockwork"  # the text as it is, read as clockwork reads it


class StartedBy(enum.Enum):
    """Whose ``startedBy`` a migrated schedule's ECS tasks carry."""

    ORIGINAL = "original"  # ecs-aws-clockwork, as the original's tasks did
    CLOCKWORK = "clockwork"  # clockwork's own, carrying the fire's key


@attrs.frozen
class Options:
    """What a migration writes besides what the legacy items say."""

    #: The meaning kept where the two differ, for every schedule (None: not decided).
    keep: Keep | None = None
    #: The same for single schedules, by id; it wins over ``keep``.
    keep_each: Mapping[str, Keep] = attrs.field(factory=dict)
    missed_fires: MissedFires = MissedFires.SKIP
    started_by: StartedBy = StartedBy.ORIGINAL
    #: Until when a fire adopts the task the original's worker started (None: keep the stored one).
    handover_until: datetime | None = None
    #: Seconds after its instant a handover fire looks for the original's task (None: the launcher's default).
    handover_grace: int | None = None

    def keep_for(self, schedule_id: str) -> Keep | None:
        """The meaning these options keep for ``schedule_id`` (None: they do not say)."""
        return self.keep_each.get(schedule_id, self.keep)


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
        for required in ("id", "definition_arn"):
            if not isinstance(values.get(required), str) or not values[required]:
                raise InvalidValue(required, "is missing")
        # An empty CronTime is a text too: the original fired it every minute.
        if not isinstance(values.get("cron_time"), str):
            raise InvalidValue("cron_time", "is missing")
        return cls(
            id=str(values["id"]),
            name=str(values.get("name") or ""),
            cron_time=str(values["cron_time"]),
            definition_arn=str(values["definition_arn"]),
            cluster=str(values["ecs_cluster_arn"]) if values.get("ecs_cluster_arn") else None,
            last_updated=str(values["last_updated"]) if values.get("last_updated") else None,
        )


def remembered(legacy: LegacyItem, stored: ScheduleRecord | None) -> Keep | None:
    """The meaning an earlier migration kept for this very text, if it kept one."""
    if stored is None:
        return None
    origin = stored.schedule.origin
    if origin.get("kind") != LEGACY_KIND or origin.get("cron_time") != legacy.cron_time:
        return None
    kept = origin.get("meaning")
    return Keep(kept) if kept in {keep.value for keep in Keep} else None


def migrated_schedule(
    legacy: LegacyItem,
    *,
    source: str,
    options: Options,
    stored: ScheduleRecord | None = None,
    meaning: Meaning | None = None,
    keep: Keep | None = None,
) -> Schedule:
    """The schedule ``legacy`` becomes, migrated from the table ``source`` over ``stored``.

    ``meaning``: how its expression's meaning differs (None: it does not), and ``keep``
    which meaning to write. Raises InvalidValue naming the field at fault (the expression,
    when clockwork refuses the text whose meaning it keeps).
    """
    origin = {"kind": LEGACY_KIND, "table": source}
    if legacy.last_updated:
        origin["last_updated"] = legacy.last_updated
    if len(legacy.name) > NAME_LIMIT:
        origin["name"] = legacy.name
    expression = legacy.cron_time
    if meaning is not None:
        if keep is None:
            raise InvalidValue("expression", f"{legacy.cron_time!r}: which meaning to keep is not decided")
        origin["cron_time"], origin["meaning"] = legacy.cron_time, keep.value
        if keep is Keep.ORIGINAL:
            expression = meaning.translation
    return Schedule(
        id=legacy.id,
        name=legacy.name[:NAME_LIMIT],
        expression=expression,
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
        handover: dict[str, Any] = {"until": isoformat_z(options.handover_until)}
        if options.handover_grace is not None:
            handover["grace_seconds"] = options.handover_grace
        params[HANDOVER_PARAM] = handover
    elif stored is not None and HANDOVER_PARAM in stored.schedule.target.params:
        params[HANDOVER_PARAM] = stored.schedule.target.params[HANDOVER_PARAM]
    return params
