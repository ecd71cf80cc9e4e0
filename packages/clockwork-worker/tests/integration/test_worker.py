"""The worker loop in-process: real threads, a real (memory) store, the recording launcher.

The recording launcher starts nothing and obeys a script from the target's params
(fail the first k launches, run until stopped, ...): it is how launch failures that no
local launcher produces on demand are exercised here.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clockwork_core import Policies, RetryPolicy, Run, RunStatus, Schedule, Target
from clockwork_core.model import Pending
from clockwork_core.planner import first_due
from clockwork_core.stores.memory import MemoryStore
from clockwork_core.testing.recording import RecordingLauncher
from clockwork_worker import Worker, WorkerSettings

FAST = WorkerSettings(
    worker_id="w",
    poll_interval=timedelta(milliseconds=200),
    track_interval=timedelta(milliseconds=200),
    lease=timedelta(seconds=2),
    shard_lease=timedelta(seconds=3),
)


def add(store: MemoryStore, schedule_id: str, expression: str = "* * * * * *", **kwargs: Any) -> Schedule:
    params = kwargs.pop("params", {})
    schedule = Schedule(id=schedule_id, expression=expression, target=Target("recording", params), **kwargs)
    now = datetime.now(UTC)
    due = first_due(schedule, after=now)
    store.create(schedule, due_at=due.due_at, cursor=due.cursor, now=now)
    return schedule


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


class Running:
    """Workers on threads, stopped at the end of the test."""

    def __init__(self) -> None:
        self.workers: list[tuple[Worker, threading.Thread]] = []

    def start(self, store: MemoryStore, launcher: RecordingLauncher, worker_id: str = "w") -> Worker:
        worker = Worker(store, {"recording": launcher}, _settings(worker_id))
        thread = threading.Thread(target=worker.run, name=worker_id)
        thread.start()
        self.workers.append((worker, thread))
        return worker

    def stop(self) -> None:
        for worker, _ in self.workers:
            worker.stop()
        for _, thread in self.workers:
            thread.join(timeout=20)
            assert not thread.is_alive(), "a worker did not stop"


def _settings(worker_id: str) -> WorkerSettings:
    import attrs

    return attrs.evolve(FAST, worker_id=worker_id)


@pytest.fixture
def running() -> Iterator[Running]:
    pool = Running()
    yield pool
    pool.stop()


def runs_of(store: MemoryStore, schedule_id: str) -> list[Run]:
    return sorted(store.runs(schedule_id, limit=1000), key=lambda run: run.instant)


class TestFiring:
    def test_three_workers_launch_every_instant_exactly_once(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        for i in range(10):
            add(store, f"s{i}")
        begin = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        for n in range(3):
            running.start(store, launcher, f"w{n}")
        time.sleep(4)
        end = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
        running.stop()
        keys = Counter((r.schedule_id, r.instant) for r in launcher.started())
        assert all(count == 1 for count in keys.values())
        window = int((end - begin).total_seconds()) + 1
        assert window >= 2
        for i in range(10):
            for s in range(window):
                assert (f"s{i}", begin + timedelta(seconds=s)) in keys

    def test_it_launches_within_a_few_milliseconds_of_the_instant(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, "on-time")
        running.start(store, launcher)
        wait_for(lambda: len(runs_of(store, "on-time")) >= 3)
        lateness = [run.lateness for run in runs_of(store, "on-time") if run.lateness is not None]
        assert lateness
        assert all(timedelta(0) <= late < timedelta(milliseconds=500) for late in lateness)

    def test_the_task_learns_its_schedule_instant_and_run(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, "env")
        running.start(store, launcher)
        wait_for(lambda: bool(launcher.started()))
        request = launcher.started()[0]
        assert request.environment == {
            "CLOCKWORK_SCHEDULE_ID": "env",
            "CLOCKWORK_FIRE_TIME": request.instant.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "CLOCKWORK_RUN_ID": request.run_id,
        }


class TestLaunchFailures:
    def test_a_transient_failure_is_retried_with_backoff_until_it_launches(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        retry = RetryPolicy(attempts=3, backoff=timedelta(milliseconds=100))
        add(store, "flaky", "* * * * * *", params={"fail_first": 2}, policies=Policies(retry=retry))
        running.start(store, launcher)
        wait_for(lambda: any(r.status is RunStatus.SUCCEEDED for r in runs_of(store, "flaky")), timeout=40)
        run = next(r for r in runs_of(store, "flaky") if r.status is RunStatus.SUCCEEDED)
        assert run.attempts == 3
        assert [r.attempt for r in launcher.requests if r.key == run.key] == [1, 2, 3]
        # A fresh claim is the fire's first launch; its retries may have started a task.
        assert [r.may_have_started for r in launcher.requests if r.key == run.key] == [False, True, True]

    def test_exhausted_retries_record_failed_to_launch(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        retry = RetryPolicy(attempts=2, backoff=timedelta(milliseconds=100))
        add(store, "broken", "* * * * * *", params={"fail_first": 99}, policies=Policies(retry=retry))
        running.start(store, launcher)
        wait_for(lambda: any(r.status is RunStatus.FAILED_TO_LAUNCH for r in runs_of(store, "broken")), 40)
        run = next(r for r in runs_of(store, "broken") if r.status is RunStatus.FAILED_TO_LAUNCH)
        assert run.attempts == 2
        assert launcher.started() == []

    def test_a_permanent_failure_fails_at_once_with_the_launchers_reason(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, "denied", params={"fail_first": 99, "failure": "permanent"})
        running.start(store, launcher)
        wait_for(lambda: bool(runs_of(store, "denied")))
        run = runs_of(store, "denied")[0]
        assert run.status is RunStatus.FAILED_TO_LAUNCH
        assert run.attempts == 1
        assert run.error


class TestRecovery:
    def test_a_fire_left_by_a_dead_worker_is_launched_once_with_the_same_key(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, "orphan", "0 0 0 1 1 *")  # next fire next New Year: only the orphan fires
        record = store.get("orphan")
        instant = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
        # A worker claimed the fire and died: its lease ends in a second, pending stays set.
        store.claim(
            record,
            owner="dead",
            lease_until=datetime.now(UTC) + timedelta(seconds=1),
            pending=Pending(instant),
            now=datetime.now(UTC),
        )
        running.start(store, launcher)
        wait_for(lambda: bool(launcher.started()))
        time.sleep(1)
        assert [(r.schedule_id, r.instant) for r in launcher.started()] == [("orphan", instant)]
        assert launcher.started()[0].may_have_started, (
            "a recovered fire may have been launched by the dead worker"
        )
        cursor = store.get("orphan").cursor
        assert cursor is not None
        assert cursor >= instant
        assert store.get("orphan").pending is None


class TestTracking:
    def test_exit_codes_are_recorded(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, "fails", params={"exit_code": 3})
        running.start(store, launcher)
        wait_for(lambda: any(r.status is RunStatus.FAILED for r in runs_of(store, "fails")))
        run = next(r for r in runs_of(store, "fails") if r.status is RunStatus.FAILED)
        assert dict(run.exit_codes) == {"main": 3}
        assert run.finished_at is not None

    def test_a_run_past_its_timeout_is_stopped_and_recorded_timed_out(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        policies = Policies(timeout=timedelta(seconds=1))
        add(store, "slow", "* * * * * *", params={"runs_until_stopped": True}, policies=policies)
        running.start(store, launcher)
        wait_for(lambda: any(r.status is RunStatus.TIMED_OUT for r in runs_of(store, "slow")), timeout=45)
        assert launcher.stops
        run = next(r for r in runs_of(store, "slow") if r.status is RunStatus.TIMED_OUT)
        assert run.stop_reason
        assert "timed out" in run.stop_reason


class TestShards:
    def test_workers_divide_the_shards_between_them(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        workers = [running.start(store, launcher, f"w{n}") for n in range(3)]

        def divided() -> bool:
            held = [w.shards.held for w in workers]
            fair = -(-store.shards // len(workers))  # ceil: 6 of 16 for 3 workers
            return all(0 < len(h) <= fair for h in held) and len(frozenset().union(*held)) == store.shards

        wait_for(divided)
        held = [w.shards.held for w in workers]
        assert sum(len(h) for h in held) == store.shards, "no shard is held twice"

    def test_a_stopped_workers_shards_pass_to_the_others(self, running: Running) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        first = running.start(store, launcher, "first")
        second = running.start(store, launcher, "second")
        wait_for(lambda: bool(first.shards.held) and bool(second.shards.held))
        first.stop()
        wait_for(lambda: len(second.shards.held) == store.shards)


class TestLifecycle:
    def test_stopping_releases_the_shard_leases(self) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        worker = Worker(store, {"recording": launcher}, FAST)
        thread = threading.Thread(target=worker.run)
        thread.start()
        wait_for(lambda: bool(store.lease_holders(now=datetime.now(UTC))))
        worker.stop()
        thread.join(timeout=20)
        assert store.lease_holders(now=datetime.now(UTC)) == {}

    def test_run_once_fires_what_is_due_and_returns(self) -> None:
        store, launcher = MemoryStore(), RecordingLauncher()
        add(store, "once", start=datetime.now(UTC) - timedelta(minutes=5))
        store.replace(
            store.get("once").schedule,
            due_at=datetime.now(UTC) - timedelta(seconds=30),
            cursor=datetime.now(UTC) - timedelta(seconds=31),
            now=datetime.now(UTC),
        )
        fired = Worker(store, {"recording": launcher}, FAST).run_once()
        assert fired == 1
        assert len(launcher.started()) == 1

    def test_health_fails_when_the_loop_stalls(self) -> None:
        worker = Worker(MemoryStore(), {}, FAST)
        assert worker.health() == (False, "starting")
        worker.last_loop = datetime.now(UTC) - timedelta(minutes=5)
        ok, detail = worker.health()
        assert not ok
        assert "stalled" in detail
