"""Writing schedules into a store: the one path every writer takes.

``clockwork schedule add``, ``pause`` and ``resume``, the CloudFormation custom resource,
``clockwork dynamodb migrate`` and the crontab sync all write definitions through these
functions, so a schedule stands in the same place whoever wrote it. Each write reads the
stored record, decides with the planner, and writes with a compare-and-set on the version
it read; a write that loses to a worker (a claim, a completion) or to a trigger is decided
again from what won, up to :data:`ROUNDS` times, then raises
:class:`~clockwork_core.errors.Conflict`.

Where a schedule stands after a write (:func:`placement`): ``due_at``, when it next needs
attention, and ``cursor``, the instant after which its fires count.

* **New.** Its fires count from ``now`` (:func:`~clockwork_core.planner.first_due`): it is
  due at the launch time of its first instant after ``now`` (jitter included, within its
  start and end), or never when it is created paused or can no longer fire.
* **Unchanged.** When the definition, as the store keeps it (to the millisecond, params
  in their JSON form), is the stored one, nothing is written and the version does not
  grow: writing the same definition again (a replayed request, a re-run migration) is
  safe and free.
* **New timing** (another expression, time zone, start or end). Its fires count from
  ``now``: instants of the old timing that were still to come are dropped, and no
  instant of the new timing before ``now`` fires.
* **Same timing** (another target, name, policy, tag or origin; paused; resumed). It
  keeps its place: the cursor is kept and ``due_at`` follows from it, as the worker's
  completion would have set it (a changed jitter moves the launch time). Pausing takes
  it out of the due index (``due_at`` None) unless a manual trigger waits. Resuming, by whichever writer
  (``schedule resume``, ``Enabled: "true"`` in a stack, ``schedule add --replace``),
  starts from the cursor the pause left, so the missed-fire policy decides what happens
  to the instants that passed while it was paused (``latest``: one fire for the most
  recent; ``all``: each, oldest first; ``skip``: none).
* **Kept by every write**, whatever changes:

  - manual triggers queued (``manual``): they still fire, also while the schedule is
    paused or after its end; the schedule stays due no later than the earliest of them;
  - a held lease (``lease_owner`` set, expired or not): its owner, ``due_at`` and
    ``pending`` stand so the claiming worker completes its fire, and the new definition
    takes effect from that completion (:meth:`~clockwork_core.store.Store.replace`);
  - a fire waiting for its retry (``pending`` set, no lease): it stays due at its retry
    time. A pause holds a scheduled fire's retry until the schedule is resumed, when it
    is due at once; a manual fire's retry goes on while paused, as manual fires do;
  - the runs (history).

Times are aware UTC, kept to the millisecond, as everywhere in a store.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from datetime import datetime

import attrs

from clockwork_core.codec import schedule_to_data
from clockwork_core.errors import Conflict, InvalidValue, ScheduleExists, ScheduleNotFound
from clockwork_core.model import Schedule, ScheduleRecord, Trigger
from clockwork_core.planner import Due, first_due, next_due
from clockwork_core.store import Store
from clockwork_core.stores.memory import definition_json

#: How many times a write is decided again after losing a compare-and-set.
ROUNDS = 10
#: The fields that say when a schedule fires; a change of any of them starts it afresh.
TIMING = ("expression", "timezone", "start", "end")


class Change(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@attrs.frozen
class Written:
    """What a write did, and the record as the store holds it afterwards.

    On a dry run, ``record`` is the record as it would be written.
    """

    change: Change
    record: ScheduleRecord


#: Given the stored record (None when the id is free), the definition to store. It is
#: called after every read, so it sees what a concurrent writer left; whatever it raises
#: propagates and nothing is written.
Define = Callable[[ScheduleRecord | None], Schedule]


def placement(stored: ScheduleRecord, schedule: Schedule, *, now: datetime) -> Due | None:
    """Where ``schedule`` stands once written over ``stored`` (see the module); None: unchanged.

    (A new schedule stands where :func:`~clockwork_core.planner.first_due` puts it.) Pure:
    the store, the clock and the network are the caller's. A held lease is not looked at
    here: the store keeps its ``due_at`` whatever this returns.
    """
    if definition_json(stored.schedule) == definition_json(schedule):
        return None
    cursor = now
    if stored.cursor is not None and _timing(stored.schedule) == _timing(schedule):
        cursor = stored.cursor
    due_at = next_due(schedule, cursor, stored.manual)
    pending = stored.pending
    if (
        pending is not None
        and stored.lease_owner is None
        and (schedule.enabled or pending.trigger is Trigger.MANUAL)
    ):
        # A retry waiting keeps its time; one a pause held is due at once.
        retry_at = stored.due_at if stored.due_at is not None else now
        due_at = retry_at if due_at is None else min(due_at, retry_at)
    return Due(due_at=due_at, cursor=cursor)


def _timing(schedule: Schedule) -> str:
    data = schedule_to_data(schedule)
    return json.dumps([data[field] for field in TIMING])


def write_schedule(
    store: Store, schedule_id: str, define: Define, *, now: datetime, dry_run: bool = False
) -> Written:
    """Store the definition ``define`` returns for what is stored under ``schedule_id``.

    Creates the schedule when the id is free, replaces it when the definition differs,
    writes nothing when it does not (:class:`Change` says which). Raises
    :class:`~clockwork_core.errors.Conflict` when the record changed under each of
    :data:`ROUNDS` attempts, and :class:`~clockwork_core.errors.InvalidValue` when
    ``define`` returns a schedule with another id. With ``dry_run``, decides and writes
    nothing.
    """
    for _ in range(ROUNDS):
        stored = _read(store, schedule_id)
        schedule = define(stored)
        if schedule.id != schedule_id:
            raise InvalidValue("id", f"{schedule.id!r} cannot replace the schedule {schedule_id!r}")
        try:
            return _write(store, stored, schedule, now=now, dry_run=dry_run)
        except (Conflict, ScheduleExists, ScheduleNotFound):
            continue  # created, changed or deleted since the read: decide again
    raise Conflict(schedule_id, f"it changed under {ROUNDS} writes in a row")


def _write(
    store: Store, stored: ScheduleRecord | None, schedule: Schedule, *, now: datetime, dry_run: bool
) -> Written:
    """One attempt: write ``schedule`` over ``stored``, if the store still holds ``stored``."""
    if stored is None:
        due = first_due(schedule, after=now)
        if dry_run:
            would = ScheduleRecord(schedule, due_at=due.due_at, cursor=due.cursor, updated_at=now)
            return Written(Change.CREATED, would)
        return Written(Change.CREATED, store.create(schedule, due_at=due.due_at, cursor=due.cursor, now=now))
    placed = placement(stored, schedule, now=now)
    if placed is None:
        return Written(Change.UNCHANGED, stored)
    if dry_run:
        return Written(Change.UPDATED, _replaced(stored, schedule, placed, now))
    # Only over the version read: a claim, completion or trigger since makes this a Conflict.
    replaced = store.replace(
        schedule, due_at=placed.due_at, cursor=placed.cursor, now=now, expected_version=stored.version
    )
    return Written(Change.UPDATED, replaced)


def put_schedule(store: Store, schedule: Schedule, *, now: datetime, replace: bool = True) -> Written:
    """Make the store hold ``schedule``: create it, or replace the stored one with it.

    With ``replace`` False an existing schedule is an error:
    :class:`~clockwork_core.errors.ScheduleExists`, and nothing is written.
    """

    def define(stored: ScheduleRecord | None) -> Schedule:
        if stored is not None and not replace:
            raise ScheduleExists(schedule.id)
        return schedule

    return write_schedule(store, schedule.id, define, now=now)


def update_schedule(
    store: Store, schedule_id: str, change: Callable[[Schedule], Schedule], *, now: datetime
) -> Written:
    """Store ``change(stored definition)``; the change is made again over a concurrent write.

    Raises :class:`~clockwork_core.errors.ScheduleNotFound` if there is no such schedule
    (or it is deleted meanwhile).
    """

    def define(stored: ScheduleRecord | None) -> Schedule:
        if stored is None:
            raise ScheduleNotFound(schedule_id)
        return change(stored.schedule)

    return write_schedule(store, schedule_id, define, now=now)


def pause_schedule(store: Store, schedule_id: str, *, now: datetime) -> Written:
    """Stop firing the schedule; it keeps its cursor. UNCHANGED if it was paused already."""
    return update_schedule(
        store, schedule_id, lambda schedule: attrs.evolve(schedule, enabled=False), now=now
    )


def resume_schedule(store: Store, schedule_id: str, *, now: datetime) -> Written:
    """Fire the schedule again, from the cursor its pause left. UNCHANGED if it was enabled."""
    return update_schedule(store, schedule_id, lambda schedule: attrs.evolve(schedule, enabled=True), now=now)


def _read(store: Store, schedule_id: str) -> ScheduleRecord | None:
    try:
        return store.get(schedule_id)
    except ScheduleNotFound:
        return None


def _replaced(stored: ScheduleRecord, schedule: Schedule, placed: Due, now: datetime) -> ScheduleRecord:
    """The record :meth:`~clockwork_core.store.Store.replace` would write (for a dry run)."""
    return attrs.evolve(
        stored,
        schedule=schedule,
        version=stored.version + 1,
        due_at=stored.due_at if stored.lease_owner is not None else placed.due_at,
        cursor=placed.cursor,
        updated_at=now,
    )
