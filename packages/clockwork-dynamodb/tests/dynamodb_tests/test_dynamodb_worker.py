"""The store under the real worker: an outage of DynamoDB, and what a fire and an idle poll cost."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from clockwork_core.model import MissedFires, Pending, Policies, RunStatus, Target
from clockwork_core.planner import first_due
from clockwork_core.testing import RecordingLauncher, at, sample_run, sample_schedule
from clockwork_core.testing.support import T0
from clockwork_dynamodb.calls import Backoff
from clockwork_dynamodb.capacity import CapacityMeter
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend, create_table, dynalite
from clockwork_worker.worker import Worker, WorkerSettings

FAST = Backoff(attempts=3, base=0.01, cap=0.05)
SETTINGS = WorkerSettings(
    worker_id="w",
    lookahead=timedelta(seconds=1),
    poll_interval=timedelta(milliseconds=200),
    lease=timedelta(seconds=2),
    track_interval=timedelta(milliseconds=500),
    shard_lease=timedelta(seconds=3),
)


def wait_for(what: str, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.05)


def test_a_worker_that_loses_dynamodb_keeps_running_says_so_and_loses_no_fire(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    emulator = dynalite(tmp_path / "dynalite.log", path=tmp_path / "db")
    emulator.start()
    launcher = RecordingLauncher()
    try:
        backend = Backend("dynalite on disk", emulator.endpoint, emulator)
        create_table(backend.client(), "clockwork-outage")
        with closing(DynamoDBStore(backend.client(), "clockwork-outage", backoff=FAST)) as store:
            schedule = sample_schedule(
                "every-second",
                expression="* * * * * *",
                target=Target("recording", {}),
                policies=Policies(missed_fires=MissedFires.ALL),
            )
            due = first_due(schedule, after=datetime.now(UTC).replace(microsecond=0))
            store.create(schedule, due_at=due.due_at, cursor=due.cursor, now=due.cursor)
            worker = Worker(store, {"recording": launcher}, SETTINGS)
            thread = threading.Thread(target=worker.run, name="worker")
            thread.start()
            try:
                wait_for("a first launch", lambda: len(launcher.started()) >= 2)
                emulator.stop()
                wait_for(
                    "the health to say so",
                    lambda: worker.health()[1].startswith(
                        ("store reads fail: ", "store writes fail: ", "store call ")
                    ),
                )
                assert worker.health()[0] is False
                assert thread.is_alive()
                time.sleep(2)
                emulator.restart()
                wait_for("the health to recover", lambda: worker.health()[0])
                time.sleep(3)
            finally:
                worker.stop()
                thread.join(timeout=20)
    finally:
        emulator.stop()
    actions = [getattr(record, "action", None) for record in caplog.records]
    assert "store_unavailable" in actions
    assert "store_recovered" in actions
    launched = sorted(request.instant for request in launcher.started())
    expected = [
        launched[0] + timedelta(seconds=s)
        for s in range(int((launched[-1] - launched[0]).total_seconds()) + 1)
    ]
    assert launched == expected, "every instant between the first and the last launch, once each"
    assert len(launched) >= 6, "the outage lasted a few seconds: launches before and after it"


class TestCost:
    """Capacity as dynalite computes it (moto reports constants): the numbers in the README."""

    @pytest.fixture
    def store(self, dynalite_backend: Backend, table: str) -> DynamoDBStore:
        return DynamoDBStore(dynalite_backend.client(), table, meter=CapacityMeter())

    @pytest.fixture
    def backend(self, dynalite_backend: Backend) -> Backend:
        return dynalite_backend

    def test_a_fire_costs_four_small_writes_and_no_read(self, store: DynamoDBStore) -> None:
        created = store.create(sample_schedule(), due_at=T0, now=T0)
        before = store.calls.meter.usage()
        # What a worker writes for one fire: claim, the run launched, completion, the run ended.
        claimed = store.claim(created, owner="w", lease_until=at(30), pending=Pending(T0), now=T0)
        store.put_run(sample_run(status=RunStatus.LAUNCHED, handles=("recording:x/0",)))
        store.complete(claimed, due_at=at(60), cursor=T0, now=at(1))
        store.put_run(sample_run(status=RunStatus.SUCCEEDED, handles=("recording:x/0",)))
        used = store.calls.meter.usage() - before
        assert attrs.astuple(used)[2:] == (4, 0, 0)  # requests, condition failures, retries
        assert used.read_units == 0
        assert used.write_units <= 4 * 2, "each write is one unit, and one more where an index changes"

    def test_an_idle_poll_costs_one_query_per_shard_and_one_for_the_leases(
        self, store: DynamoDBStore
    ) -> None:
        store.create(sample_schedule(), due_at=at(3600), now=T0)
        before = store.calls.meter.usage()
        store.lease_holders(now=T0)
        assert store.due(at(5)) == []
        used = store.calls.meter.usage() - before
        assert (used.requests, used.write_units) == (store.shards + 1, 0)
        assert used.read_units <= (store.shards + 1) * 0.5
