"""The planner: pure decisions about a schedule. State and ``now`` in, decisions out.

Nothing here reads a clock, a store or the network; the worker calls these functions
and carries out what they return. Three moments matter:

* :func:`first_due`: a schedule is created, changed or resumed: when does it next need
  attention, and after which instant do its fires count?
* :func:`decide`: a worker has claimed a due schedule: what fires now (a retry, a manual
  trigger, or a cron instant chosen by the missed-fire policy), what is recorded as
  MISSED, and what the concurrency policy makes of the runs still going.
* :func:`after_fire`: the fire is done (launched, failed, skipped): where do ``due_at``,
  ``cursor``, ``pending`` and the manual queue go next?
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from clockwork_core.model import (
    Concurrency,
    MissedFires,
    Pending,
    Run,
    Schedule,
    ScheduleRecord,
    Trigger,
)
from clockwork_core.zones import to_ms

#: With missed_fires=skip and no starting deadline: a fire this late still counts as on time.
ON_TIME = timedelta(seconds=30)
#: At most this many missed instants are recorded per decision (the rest are counted in logs).
MISSED_RECORDS = 10
_MS = timedelta(milliseconds=1)


def jitter(schedule: Schedule, instant: datetime) -> timedelta:
    """The delay of one fire: stable for (schedule id, instant), uniform below the policy's bound.

    The bound is also kept below the gap to the next instant, so a jitter longer than the
    schedule's period never pushes one fire past the next (which would turn on-time fires
    into missed ones).
    """
    bound = schedule.policies.jitter
    if bound <= timedelta(0):
        return timedelta(0)
    following = schedule.cron.next_after(instant)
    if following is not None:
        bound = min(bound, following - instant)
    bound_ms = int(bound / _MS)
    if bound_ms <= 0:
        return timedelta(0)
    digest = hashlib.sha256(f"{schedule.id}\n{to_ms(instant)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % bound_ms * _MS


def launch_time(schedule: Schedule, instant: datetime) -> datetime:
    """When the fire for ``instant`` launches: the instant plus its jitter."""
    return instant + jitter(schedule, instant)


def next_instant(schedule: Schedule, after: datetime) -> datetime | None:
    """The schedule's first cron instant strictly after ``after`` within its start and end."""
    if schedule.start is not None and after < schedule.start:
        after = schedule.start - _MS
    instant = schedule.cron.next_after(after)
    if instant is None or (schedule.end is not None and instant > schedule.end):
        return None
    return instant


def recent_instants(
    schedule: Schedule, after: datetime, until: datetime, limit: int
) -> tuple[list[datetime], bool]:
    """The latest ``limit`` instants in ``(after, until]``, oldest first, and whether older ones exist.

    Costs O(limit x log(span)) cron computations whatever the density: a window growing
    backwards from ``until`` finds a start with at least ``limit`` instants after it, then
    a bisection to the second finds the latest such start. A schedule that fires every
    second and was missed for a week costs a few hundred computations, not 600,000.
    """
    head = _first(schedule, after, until, limit)
    if len(head) < limit:
        return head, False  # all of them
    known_short = until  # (known_short, until] holds fewer than ``limit`` instants
    window = timedelta(minutes=1)
    while True:
        low = max(after, until - window)
        found = _first(schedule, low, until, limit)
        if len(found) == limit:
            break
        known_short, window = low, window * 2
    # (low, until] holds >= limit instants and ``found`` are the first of them;
    # (known_short, until] holds fewer. Instants are whole seconds: bisect to the second.
    while known_short - low > timedelta(seconds=1):
        middle = low + (known_short - low) / 2
        probe = _first(schedule, middle, until, limit)
        if len(probe) == limit:
            low, found = middle, probe
        else:
            known_short = middle
    first = next_instant(schedule, after)
    return found, first is not None and first < found[0]


def _first(schedule: Schedule, low: datetime, until: datetime, limit: int) -> list[datetime]:
    """The first (at most ``limit``) instants in ``(low, until]``."""
    found: list[datetime] = []
    current = next_instant(schedule, low)
    while current is not None and current <= until and len(found) < limit:
        found.append(current)
        current = next_instant(schedule, current) if len(found) < limit else None
    return found


@attrs.frozen
class Due:
    """When a schedule next needs attention, and after which instant its fires count."""

    due_at: datetime | None
    cursor: datetime


def next_due(schedule: Schedule, cursor: datetime, manual: Sequence[datetime] = ()) -> datetime | None:
    """The launch time of the next instant after ``cursor``, or the earliest manual trigger."""
    candidates = list(manual)
    if schedule.enabled:
        instant = next_instant(schedule, cursor)
        if instant is not None:
            candidates.append(launch_time(schedule, instant))
    return min(candidates, default=None)


def first_due(schedule: Schedule, *, after: datetime, manual: Sequence[datetime] = ()) -> Due:
    """A new or changed schedule counts fires from ``after`` (usually now).

    For a resumed schedule, pass its old cursor: its missed-fire policy then decides what
    happens to the instants that passed while it was paused.
    """
    return Due(due_at=next_due(schedule, after, manual), cursor=after)


class Action(enum.Enum):
    LAUNCH = "launch"  # launch ``fire``
    SKIP = "skip"  # record ``fire`` as SKIPPED (concurrency=forbid and a run is still going)
    MISS = "miss"  # record ``fire`` as MISSED (past its starting deadline)
    NOTHING = "nothing"  # nothing to fire now (paused, ended, or a lease came back empty)


@attrs.frozen
class Fire:
    instant: datetime
    trigger: Trigger
    attempt: int
    launch_at: datetime


@attrs.frozen
class Decision:
    action: Action
    fire: Fire | None = None
    #: Instants to record as MISSED (at most MISSED_RECORDS), oldest first.
    missed: tuple[datetime, ...] = ()
    #: True when more instants were missed than ``missed`` lists.
    more_missed: bool = False
    #: Runs to stop before launching (concurrency=replace).
    stop: tuple[Run, ...] = ()
    #: The cursor once this decision is recorded (the missed instants are behind it).
    cursor: datetime | None = None


def decide(record: ScheduleRecord, *, now: datetime, active: Sequence[Run] = ()) -> Decision:
    """What a claimed schedule does at ``now``; ``active`` are its runs still going.

    ``now`` is the moment the decision is for: a worker claims a little before
    ``due_at`` so as to launch on time, and passes ``max(clock, due_at)``.
    """
    schedule = record.schedule
    cursor = record.cursor if record.cursor is not None else now
    if record.pending is not None:
        pending = record.pending
        fire = Fire(pending.instant, pending.trigger, pending.attempt, _launch_at(schedule, pending))
        if pending.trigger is Trigger.SCHEDULE:
            cursor = max(cursor, pending.instant)
        return _with_policies(schedule, fire, now, active, cursor=cursor)
    due_manual = sorted(t for t in record.manual if t <= now)
    if due_manual:
        fire = Fire(due_manual[0], Trigger.MANUAL, 1, due_manual[0])
        return _with_policies(schedule, fire, now, active, cursor=cursor)
    if not schedule.enabled:
        return Decision(Action.NOTHING, cursor=cursor)
    return _scheduled(schedule, cursor, now, active)


def _launch_at(schedule: Schedule, pending: Pending) -> datetime:
    if pending.trigger is Trigger.MANUAL:
        return pending.instant
    return launch_time(schedule, pending.instant)


def _scheduled(schedule: Schedule, cursor: datetime, now: datetime, active: Sequence[Run]) -> Decision:
    policy = schedule.policies
    if policy.missed_fires is MissedFires.ALL:
        window, older = recent_instants(schedule, cursor, now, policy.max_catch_up)
        if not window:
            return Decision(Action.NOTHING, cursor=cursor)
        missed: list[datetime] = []
        if older:
            missed, older = recent_instants(schedule, cursor, window[0] - _MS, MISSED_RECORDS)
        fire = Fire(window[0], Trigger.SCHEDULE, 1, launch_time(schedule, window[0]))
        return _with_policies(schedule, fire, now, active, missed=missed, more=older, cursor=window[0])
    recent, older = recent_instants(schedule, cursor, now, MISSED_RECORDS + 1)
    if not recent:
        return Decision(Action.NOTHING, cursor=cursor)
    *earlier, latest = recent
    fire = Fire(latest, Trigger.SCHEDULE, 1, launch_time(schedule, latest))
    if policy.missed_fires is MissedFires.SKIP and now - fire.launch_at > (
        policy.starting_deadline or ON_TIME
    ):
        kept = recent[-MISSED_RECORDS:]
        return Decision(
            Action.NOTHING, missed=tuple(kept), more_missed=older or len(recent) > len(kept), cursor=latest
        )
    return _with_policies(schedule, fire, now, active, missed=earlier, more=older, cursor=latest)


def past_deadline(schedule: Schedule, fire: Fire, now: datetime) -> bool:
    """Whether launching ``fire`` at ``now`` would break the schedule's starting deadline.

    The worker asks again just before the launch call: a fire decided on time may reach
    its launch late (a paused or overloaded worker), and is then recorded MISSED instead.
    """
    deadline = schedule.policies.starting_deadline
    return deadline is not None and now - fire.launch_at > deadline


def _with_policies(
    schedule: Schedule,
    fire: Fire,
    now: datetime,
    active: Sequence[Run],
    *,
    cursor: datetime,
    missed: Sequence[datetime] = (),
    more: bool = False,
) -> Decision:
    policy = schedule.policies
    common = {"fire": fire, "missed": tuple(missed), "more_missed": more, "cursor": cursor}
    if past_deadline(schedule, fire, now):
        return Decision(Action.MISS, **common)  # type: ignore[arg-type]
    # A recovered fire may already have its own run on record: that one is not "previous".
    still_going = tuple(
        run
        for run in active
        if run.status.is_active and (run.instant, run.trigger) != (fire.instant, fire.trigger)
    )
    if still_going and policy.concurrency is Concurrency.FORBID:
        return Decision(Action.SKIP, **common)  # type: ignore[arg-type]
    stop = still_going if policy.concurrency is Concurrency.REPLACE else ()
    return Decision(Action.LAUNCH, stop=stop, **common)  # type: ignore[arg-type]


class Outcome(enum.Enum):
    DONE = "done"  # launched, skipped, missed, or failed for good: the fire is decided
    RETRY = "retry"  # a transient launch failure: try again later, if attempts remain


@attrs.frozen
class Completion:
    """What :meth:`Store.complete` writes after a fire."""

    due_at: datetime | None
    cursor: datetime | None
    pending: Pending | None
    manual: tuple[datetime, ...]
    #: False when a RETRY was asked for but the attempts are used up: record FAILED_TO_LAUNCH.
    retrying: bool = False


def after_fire(record: ScheduleRecord, decision: Decision, outcome: Outcome, *, now: datetime) -> Completion:
    """Where the schedule goes after ``decision`` was carried out with ``outcome``."""
    schedule = record.schedule
    fire = decision.fire
    cursor = decision.cursor if decision.cursor is not None else (record.cursor or now)
    manual = tuple(record.manual)
    if fire is not None and fire.trigger is Trigger.MANUAL:
        manual = tuple(sorted(manual))
        if fire.instant in manual:
            index = manual.index(fire.instant)
            manual = manual[:index] + manual[index + 1 :]
    if fire is not None and outcome is Outcome.RETRY and fire.attempt < schedule.policies.retry.attempts:
        retry_at = now + schedule.policies.retry.delay(fire.attempt)
        pending = Pending(fire.instant, fire.attempt + 1, fire.trigger)
        return Completion(due_at=retry_at, cursor=cursor, pending=pending, manual=manual, retrying=True)
    return Completion(due_at=next_due(schedule, cursor, manual), cursor=cursor, pending=None, manual=manual)
