"""One fire, in-process, when the worker carrying it out stops without dying.

A paused worker (SIGSTOP, a starved VM) resumes believing it still holds its claim. The
clock here is injected: its ``wait_until`` jumps past the instant by the length of the
pause, as a resumed process finds it. Real processes paused with SIGSTOP are in
``tests/acceptance/test_faults.py``; these pin each rule down on its own.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from clockwork_core import Policies, RunStatus, Schedule, Target
from clockwork_core.errors import Conflict
from clockwork_core.model import Concurrency, run_id_for
from clockwork_core.planner import first_due
from clockwork_core.stores.memory import MemoryStore
from clockwork_core.testing.recording import RecordingLauncher
from clockwork_worker.firing import FireContext, fire
from clockwork_worker.metrics import Metrics
from clockwork_worker.tracker import Tracker

T0 = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)
LEASE = timedelta(seconds=3)


class PausingClock:
    """Time as a paused process sees it: the next wait overshoots its instant by ``pause``."""

    def __init__(self, now: datetime, pause: timedelta = timedelta(0)) -> None:
        self.instant = now
        self.pause = pause

    def now(self) -> datetime:
        return self.instant

    def wait_until(self, instant: datetime, stop: threading.Event) -> bool:
        self.instant = max(self.instant, instant) + self.pause
        self.pause = timedelta(0)
        return stop.is_set()


def context(
    store: MemoryStore, launcher: RecordingLauncher, clock: PausingClock, owner: str, lease: timedelta = LEASE
) -> FireContext:
    metrics = Metrics()
    tracker = Tracker(store, {"recording": launcher}, metrics)
    return FireContext(
        store=store,
        launchers={"recording": launcher},
        clock=clock,
        metrics=metrics,
        owner=owner,
        lease=lease,
        launch_margin=lease / 3,
        refresh=lambda runs: tracker.refresh(runs, clock.now()),
    )


def add(store: MemoryStore, expression: str = "* * * * * *", **kwargs: Any) -> Schedule:
    params = kwargs.pop("params", {})
    schedule = Schedule(id="tick", expression=expression, target=Target("recording", params), **kwargs)
    due = first_due(schedule, after=T0 - timedelta(seconds=1))
    store.create(schedule, due_at=due.due_at, cursor=due.cursor, now=T0 - timedelta(seconds=1))
    return schedule


class TestAPausedWorker:
    def test_it_does_not_launch_once_its_lease_has_run_out(self) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store)
        paused = PausingClock(T0 - timedelta(milliseconds=200), pause=timedelta(seconds=13))
        assert fire(context(store, launcher, paused, "a"), store.get("tick")) is None
        assert launcher.requests == []
        assert store.runs("tick") == []
        # The claim's next holder carries the fire out, once, with the same key.
        taker = PausingClock(paused.now())
        completed = fire(context(store, launcher, taker, "b"), store.get("tick"))
        assert completed is not None
        assert completed.lease_owner is None
        [request] = launcher.requests
        assert request.instant == T0
        assert request.may_have_started
        [run] = store.runs("tick")
        assert (run.instant, run.status, run.fence) == (T0, RunStatus.LAUNCHED, completed.version - 1)

    def test_it_gives_a_fire_up_when_less_than_the_margin_is_left(self) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store)
        # Resumed 1.2 s into a 3 s lease taken 0.2 s early: 2.0 s left, the margin is 1 s.
        resumed_in_time = PausingClock(T0 - timedelta(milliseconds=200), pause=timedelta(seconds=1.2))
        assert fire(context(store, launcher, resumed_in_time, "a"), store.get("tick")) is not None
        assert len(launcher.requests) == 1
        store2, launcher2 = MemoryStore(), RecordingLauncher()
        add(store2)
        # 2.3 s in: 0.5 s left, under the margin.
        too_late = PausingClock(T0 - timedelta(milliseconds=200), pause=timedelta(seconds=2.3))
        assert fire(context(store2, launcher2, too_late, "a"), store2.get("tick")) is None
        assert launcher2.requests == []

    def test_it_records_a_fire_past_its_starting_deadline_as_missed_instead_of_launching(self) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, policies=Policies(starting_deadline=timedelta(seconds=1)))
        lease = timedelta(seconds=30)  # the claim outlives the pause: only the deadline is broken
        paused = PausingClock(T0 - timedelta(milliseconds=200), pause=timedelta(seconds=13))
        completed = fire(context(store, launcher, paused, "a", lease=lease), store.get("tick"))
        assert completed is not None
        assert launcher.requests == []
        [run] = store.runs("tick")
        assert (run.instant, run.status) == (T0, RunStatus.MISSED)
        assert run.error is not None
        assert "starting deadline" in run.error

    def test_its_late_run_record_does_not_overwrite_the_new_holders(self) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, policies=Policies(starting_deadline=timedelta(seconds=1)))
        paused = PausingClock(T0 - timedelta(milliseconds=200), pause=timedelta(seconds=13))
        record = store.get("tick")
        claimed = store.claim(record, owner="a", lease_until=T0 + LEASE, pending=None, now=paused.now())
        # The lease runs out; "b" claims, decides the instant is past its deadline, records it.
        later = PausingClock(T0 + timedelta(seconds=4))
        fire(context(store, launcher, later, "b"), store.get("tick"))
        missed = store.get_run("tick", run_id_for(T0))
        assert missed.status is RunStatus.MISSED
        assert missed.fence is not None
        assert missed.fence > claimed.version
        # "a" resumes and writes what it would have: refused, the record stands.
        late = attrs.evolve(missed, status=RunStatus.SUCCEEDED, fence=claimed.version, error=None)
        with pytest.raises(Conflict):
            store.put_run(late)
        assert store.get_run("tick", run_id_for(T0)) == missed


class TestForbid:
    def test_a_run_that_ended_since_the_last_tracking_pass_does_not_block_the_next_fire(self) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, policies=Policies(concurrency=Concurrency.FORBID))
        first = PausingClock(T0 - timedelta(milliseconds=200))
        completed = fire(context(store, launcher, first, "a"), store.get("tick"))
        assert completed is not None
        [launched] = store.runs("tick")
        assert launched.status is RunStatus.LAUNCHED  # no tracking pass has run: it says so still
        # The task has long ended (the recording launcher's tasks end at once); the next
        # fire asks the launcher rather than trusting the record.
        second = PausingClock(T0 + timedelta(milliseconds=800))
        assert fire(context(store, launcher, second, "a"), completed) is not None
        assert [r.instant for r in launcher.requests] == [T0, T0 + timedelta(seconds=1)]
        statuses = {run.instant: run.status for run in store.runs("tick")}
        assert statuses == {T0: RunStatus.SUCCEEDED, T0 + timedelta(seconds=1): RunStatus.LAUNCHED}

    def test_a_run_still_going_still_skips_the_fire(self) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, policies=Policies(concurrency=Concurrency.FORBID), params={"runs_until_stopped": True})
        first = PausingClock(T0 - timedelta(milliseconds=200))
        completed = fire(context(store, launcher, first, "a"), store.get("tick"))
        assert completed is not None
        second = PausingClock(T0 + timedelta(milliseconds=800))
        fire(context(store, launcher, second, "a"), completed)
        assert len(launcher.requests) == 1
        statuses = {run.instant: run.status for run in store.runs("tick")}
        assert statuses == {T0: RunStatus.RUNNING, T0 + timedelta(seconds=1): RunStatus.SKIPPED}
