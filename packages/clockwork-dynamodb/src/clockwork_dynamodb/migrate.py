"""Adopt the schedules of the original aws-ecs-clockwork into a clockwork store.

The original's table has one hash key, ``id``, and one item per schedule. A table's key
cannot change, so its items are read from that table (``--from``, see
:mod:`clockwork_dynamodb.original_table`) and written to the store's, each as the schedule
:mod:`clockwork_dynamodb.migrated` describes; the original's table is left as it is.

Each outcome says, besides what was written:

* when the original never fired the schedule (clockwork will): past its worker's first
  Scan page, or a text its worker could not use (``0 0 * * sun``);
* when the expression means something else to clockwork than it meant to the original
  (``5/15 * * * *``, a trailing space, doubled spaces, or a text clockwork refuses but the
  original fired, such as ``""``), with the first fires under each.

All or nothing for those: while any schedule's meaning differs and no meaning to keep
was decided for it (:class:`~clockwork_dynamodb.migrated.Options`, or an earlier
migration of the same text), :func:`adopt` writes no schedule at all and reports those
as ``undecided``. An item that cannot be adopted whatever is decided (``invalid``: an
attribute missing, a text neither fires) does not hold the others back.

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
from clockwork_core.errors import ClockworkError, Conflict, InvalidValue, ScheduleNotFound
from clockwork_core.model import Schedule, ScheduleRecord
from clockwork_core.original_cron import Meaning, OriginalRefused, compare
from clockwork_core.schedules import Change, write_schedule
from clockwork_core.store import Store

from clockwork_dynamodb.migrated import (
    CLUSTER_PARAM,
    ECS_LAUNCHER,
    HANDOVER_PARAM,
    LEGACY_KIND,
    NAME_LIMIT,
    ORIGINAL_STARTED_BY,
    STARTED_BY_PARAM,
    TASK_DEFINITION_PARAM,
    Keep,
    LegacyItem,
    Options,
    StartedBy,
    migrated_schedule,
    remembered,
)
from clockwork_dynamodb.original_table import BEYOND_FIRST_PAGE, OriginalTable, item_id

__all__ = [
    "CLUSTER_PARAM",
    "ECS_LAUNCHER",
    "HANDOVER_PARAM",
    "LEGACY_KIND",
    "ORIGINAL_STARTED_BY",
    "STARTED_BY_PARAM",
    "TASK_DEFINITION_PARAM",
    "Action",
    "Adoption",
    "Keep",
    "Options",
    "Outcome",
    "StartedBy",
    "adopt",
    "summary",
]

#: How many fires under each meaning an outcome shows.
FIRES = 5


class Action(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # clockwork manages it now (another origin): the legacy item is ignored
    UNDECIDED = "undecided"  # its meaning differs and nobody said which to keep: nothing written
    INVALID = "invalid"


@attrs.frozen
class Outcome:
    schedule_id: str
    action: Action
    detail: str = ""
    #: Why the original never fired this schedule (clockwork will): empty when it did.
    never_fired: tuple[str, ...] = ()
    #: How its expression's meaning differs between the original and clockwork (None: it does not).
    meaning: Meaning | None = None
    #: Which of the two meanings was written (None: they do not differ, or nothing was).
    kept: Keep | None = None
    #: Anything else the user should know about what was written.
    notes: tuple[str, ...] = ()


@attrs.frozen
class _Plan:
    """One legacy item, judged before anything is written."""

    legacy: LegacyItem
    never_fired: tuple[str, ...]
    meaning: Meaning | None


@attrs.frozen
class Adoption:
    """A migration decided: ``outcomes()`` performs it (writes, unless ``writes`` is False)."""

    store: Store
    source: str
    options: Options
    now: datetime
    dry_run: bool
    #: Whether it writes: not on a dry run, nor while a schedule is undecided.
    writes: bool
    #: The ids whose meaning differs with no meaning to keep decided.
    undecided: tuple[str, ...]
    plans: tuple[_Plan | Outcome, ...]

    def outcomes(self) -> Iterator[Outcome]:
        """What happens to each legacy item, in the table's order, as it happens."""
        for plan in self.plans:
            yield plan if isinstance(plan, Outcome) else self._adopt_one(plan)

    def _adopt_one(self, plan: _Plan) -> Outcome:
        legacy = plan.legacy
        outcome = _written(self.store, plan, self.source, self.options, now=self.now, dry_run=not self.writes)
        notes: tuple[str, ...] = ()
        if len(legacy.name) > NAME_LIMIT and outcome.action is not Action.KEPT:
            notes = (f"name cut to {NAME_LIMIT} characters (the origin keeps all {len(legacy.name)})",)
        return attrs.evolve(outcome, never_fired=plan.never_fired, meaning=plan.meaning, notes=notes)


def adopt(
    store: Store,
    table: OriginalTable,
    *,
    now: datetime,
    options: Options | None = None,
    dry_run: bool = False,
) -> Adoption:
    """Decide how each item of ``table`` is adopted into ``store`` (nothing is written yet).

    Raises InvalidValue (field ``meaning``) when the options decide a meaning for an id
    that is not in the table.
    """
    options = options or Options()
    ids = {item_id(item) for item in table.items}
    unknown = sorted(set(options.keep_each) - ids)
    if unknown:
        raise InvalidValue("meaning", f"no item {unknown[0]!r} in table {table.name!r}")
    judged: dict[tuple[str, str], Meaning | OriginalRefused | None] = {}
    plans = tuple(_plan(item, table, now, judged) for item in table.items)
    undecided = tuple(
        plan.legacy.id for plan in plans if isinstance(plan, _Plan) and _undecided(store, plan, options)
    )
    return Adoption(
        store=store,
        source=table.name,
        options=options,
        now=now,
        dry_run=dry_run,
        writes=not dry_run and not undecided,
        undecided=undecided,
        plans=plans,
    )


def _plan(
    item: Mapping[str, Any],
    table: OriginalTable,
    now: datetime,
    judged: dict[tuple[str, str], Meaning | OriginalRefused | None],
) -> _Plan | Outcome:
    never_fired = () if table.seen_by_worker(item) else (BEYOND_FIRST_PAGE,)
    try:
        legacy = LegacyItem.from_item(item)
    except InvalidValue as exc:
        return Outcome(item_id(item) or "?", Action.INVALID, f"{exc.field}: {exc.reason}", never_fired)
    # A text's meaning depends on the schedule's id only through clockwork's H forms (seeded
    # by the id): the same text is judged once per run, a text with an H once per schedule.
    key = (legacy.cron_time, legacy.id if "h" in legacy.cron_time.lower() else "")
    if key not in judged:
        try:
            judged[key] = compare(legacy.cron_time, now=now, schedule_id=legacy.id, fires=FIRES)
        except OriginalRefused as exc:
            judged[key] = exc
    meaning = judged[key]
    if isinstance(meaning, OriginalRefused):
        return _Plan(legacy, (*never_fired, meaning.reason), None)
    return _Plan(legacy, never_fired, meaning)


def _undecided(store: Store, plan: _Plan, options: Options) -> bool:
    """Whether ``plan``'s meaning differs with nothing deciding which to keep."""
    if plan.meaning is None or options.keep_for(plan.legacy.id) is not None:
        return False
    try:
        stored = store.get(plan.legacy.id)
    except ScheduleNotFound:
        return True
    if stored.schedule.origin.get("kind") != LEGACY_KIND:
        return False  # kept as clockwork manages it: nothing to decide
    return remembered(plan.legacy, stored) is None


class _ManagedElsewhere(ClockworkError):
    """The stored schedule has another origin by now: clockwork manages it, not the legacy table."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"managed by {kind}")
        self.kind = kind


class _Undecided(ClockworkError):
    """The meaning differs and neither the options nor the stored schedule say which to keep."""


_ACTIONS = {
    Change.CREATED: Action.CREATED,
    Change.UPDATED: Action.UPDATED,
    Change.UNCHANGED: Action.UNCHANGED,
}


def _written(
    store: Store, plan: _Plan, source: str, options: Options, *, now: datetime, dry_run: bool
) -> Outcome:
    legacy, meaning = plan.legacy, plan.meaning
    kept: list[Keep | None] = [None]

    def adopted(stored: ScheduleRecord | None) -> Schedule:
        if stored is not None and stored.schedule.origin.get("kind") != LEGACY_KIND:
            raise _ManagedElsewhere(stored.schedule.origin.get("kind") or "clockwork")
        keep = None if meaning is None else options.keep_for(legacy.id) or remembered(legacy, stored)
        if meaning is not None and keep is None:
            raise _Undecided(legacy.id)
        kept[0] = keep
        return migrated_schedule(
            legacy, source=source, options=options, stored=stored, meaning=meaning, keep=keep
        )

    try:
        written = write_schedule(store, legacy.id, adopted, now=now, dry_run=dry_run)
    except _ManagedElsewhere as exc:
        return Outcome(legacy.id, Action.KEPT, str(exc))
    except _Undecided:
        # Decided before writing (:func:`adopt`); met while writing only when a remembered
        # decision vanished meanwhile (the schedule deleted or replaced): that one waits.
        return Outcome(
            legacy.id, Action.UNDECIDED, f"{legacy.cron_time!r}: which meaning to keep is not decided"
        )
    except Conflict as exc:
        return Outcome(legacy.id, Action.KEPT, f"changed while migrating: {exc}")
    except InvalidValue as exc:
        detail = f"{exc.field}: {exc.reason}"
        if meaning is not None and kept[0] is Keep.CLOCKWORK:
            detail += (
                f"; --meaning {legacy.id}=original writes the original's meaning, {meaning.translation!r}"
            )
        return Outcome(legacy.id, Action.INVALID, detail)
    action = _ACTIONS[written.change]
    if action is Action.UNCHANGED:
        return Outcome(legacy.id, action, kept=kept[0])
    schedule = written.record.schedule
    params = dict(sorted(schedule.target.params.items()))
    return Outcome(legacy.id, action, f"{schedule.expression} -> {params}", kept=kept[0])


def summary(outcomes: Iterable[Outcome]) -> str:
    """``2 created, 1 unchanged`` (actions in a fixed order, absent ones left out)."""
    counts = dict.fromkeys(Action, 0)
    for outcome in outcomes:
        counts[outcome.action] += 1
    return (
        ", ".join(f"{count} {action.value}" for action, count in counts.items() if count)
        or "nothing to adopt"
    )
