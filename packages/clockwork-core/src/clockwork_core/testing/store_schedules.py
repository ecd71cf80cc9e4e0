"""Store clauses: create, replace, delete, get, list."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from clockwork_core.errors import Conflict, RunNotFound, ScheduleExists, ScheduleNotFound
from clockwork_core.model import (
    Concurrency,
    MissedFires,
    Pending,
    Policies,
    RetryPolicy,
    RunStatus,
    ScheduleRecord,
    Target,
)
from clockwork_core.store import Store
from clockwork_core.testing.store_base import StoreKit
from clockwork_core.testing.support import T0, at, sample_run, sample_schedule


class ScheduleClauses(StoreKit):
    # --- create -----------------------------------------------------------------------

    def test_it_creates_a_schedule_at_version_one(self, store: Store) -> None:
        schedule = sample_schedule("nightly")
        record = store.create(schedule, due_at=at(60), now=T0)
        assert record == ScheduleRecord(schedule, version=1, due_at=at(60), updated_at=T0)
        assert store.get("nightly") == record

    def test_it_creates_a_schedule_with_a_cursor(self, store: Store) -> None:
        record = store.create(sample_schedule(), due_at=at(60), cursor=at(-60), now=T0)
        assert record.cursor == at(-60)
        assert store.get(record.id).cursor == at(-60)

    def test_it_creates_a_schedule_that_needs_no_attention(self, store: Store) -> None:
        record = store.create(sample_schedule(enabled=False), due_at=None, now=T0)
        assert record.due_at is None
        assert store.get(record.id).due_at is None

    def test_it_keeps_every_field_of_the_definition(self, store: Store) -> None:
        schedule = sample_schedule(
            "report.daily:eu@2",
            expression="30 6 * * 1-5",
            target=Target("recording", {"exit_code": 3, "nested": {"list": [1, "two", None]}}),
            name="Daily report",
            description="Sends the report. Ünïcode ✓",
            timezone="Europe/Berlin",
            enabled=False,
            start=at(1.5),
            end=at(86_400),
            policies=Policies(
                concurrency=Concurrency.REPLACE,
                missed_fires=MissedFires.ALL,
                starting_deadline=timedelta(minutes=5),
                max_catch_up=7,
                jitter=timedelta(seconds=30),
                retry=RetryPolicy(attempts=5, backoff=timedelta(seconds=1.5), multiplier=3.0),
                timeout=timedelta(hours=2),
            ),
            tags={"team": "data", "cost-centre": "42"},
            origin={"kind": "cloudformation", "stack": "arn:aws:cloudformation:stack/x"},
        )
        store.create(schedule, due_at=at(60), now=T0)
        assert store.get(schedule.id).schedule == schedule

    def test_it_refuses_a_taken_id_and_writes_nothing(self, store: Store) -> None:
        first = self.create(store, "nightly", name="first")
        with pytest.raises(ScheduleExists):
            store.create(sample_schedule("nightly", name="second"), due_at=at(5), now=at(1))
        assert store.get("nightly") == first

    def test_it_lets_a_deleted_id_be_created_again(self, store: Store) -> None:
        self.create(store, "nightly", name="first")
        store.put_run(sample_run("nightly"))
        store.delete("nightly")
        again = self.create(store, "nightly", name="second")
        assert (again.version, again.schedule.name) == (1, "second")
        assert store.runs("nightly") == []

    # --- replace ----------------------------------------------------------------------

    def test_it_replaces_the_definition_and_grows_the_version(self, store: Store) -> None:
        created = self.create(store, due_at=at(60))
        changed = sample_schedule(name="renamed", expression="*/5 * * * *")
        replaced = store.replace(changed, due_at=at(300), now=at(1))
        assert replaced.schedule == changed
        assert (replaced.version, replaced.due_at, replaced.updated_at) == (2, at(300), at(1))
        assert store.get(created.id) == replaced

    def test_it_replaces_due_at_with_none(self, store: Store) -> None:
        self.create(store, due_at=at(60))
        replaced = store.replace(sample_schedule(enabled=False), due_at=None, now=at(1))
        assert replaced.due_at is None
        assert store.due(at(3600)) == []

    def test_it_keeps_the_lease_when_replacing_a_leased_schedule(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store), pending=Pending(T0, attempt=2))
        changed = sample_schedule(name="renamed")
        replaced = store.replace(changed, due_at=at(3600), now=at(1))
        assert replaced.schedule == changed
        assert replaced.version == claimed.version + 1
        assert (replaced.lease_owner, replaced.due_at, replaced.pending) == (
            claimed.lease_owner,
            claimed.due_at,
            claimed.pending,
        )

    def test_it_keeps_the_cursor_when_replacing_without_one(self, store: Store) -> None:
        self.create(store, cursor=at(-60))
        assert store.replace(sample_schedule(), due_at=at(60), now=at(1)).cursor == at(-60)

    def test_it_moves_the_cursor_when_replacing_with_one(self, store: Store) -> None:
        self.create(store, cursor=at(-60))
        replaced = store.replace(sample_schedule(), due_at=at(60), now=at(1), cursor=at(-3600))
        assert replaced.cursor == at(-3600)
        assert store.get(replaced.id).cursor == at(-3600)

    def test_it_refuses_a_replace_with_a_stale_expected_version(self, store: Store) -> None:
        created = self.create(store)
        store.replace(sample_schedule(name="second"), due_at=at(60), now=at(1))
        current = store.get(created.id)
        with pytest.raises(Conflict):
            store.replace(sample_schedule(name="third"), due_at=at(9), now=at(2), expected_version=1)
        assert store.get(created.id) == current

    def test_it_accepts_a_replace_with_the_current_expected_version(self, store: Store) -> None:
        created = self.create(store)
        replaced = store.replace(
            sample_schedule(name="second"), due_at=at(60), now=at(1), expected_version=created.version
        )
        assert (replaced.version, replaced.schedule.name) == (2, "second")

    def test_it_refuses_to_replace_a_missing_schedule(self, store: Store) -> None:
        with pytest.raises(ScheduleNotFound):
            store.replace(sample_schedule("ghost"), due_at=at(60), now=T0)
        with pytest.raises(ScheduleNotFound):
            store.get("ghost")

    def test_it_keeps_the_runs_when_replacing(self, store: Store) -> None:
        self.create(store)
        run = sample_run("nightly")
        store.put_run(run)
        store.replace(sample_schedule(name="renamed"), due_at=at(60), now=at(1))
        assert store.runs("nightly") == [run]

    # --- delete -----------------------------------------------------------------------

    def test_it_deletes_a_schedule_and_its_runs(self, store: Store) -> None:
        self.create(store, "nightly")
        self.create(store, "hourly")
        run = sample_run("nightly")
        store.put_run(run)
        store.put_run(sample_run("nightly", at(60), status=RunStatus.RUNNING))
        kept = sample_run("hourly")
        store.put_run(kept)
        assert store.delete("nightly") is True
        with pytest.raises(ScheduleNotFound):
            store.get("nightly")
        with pytest.raises(RunNotFound):
            store.get_run("nightly", run.run_id)
        assert store.runs("nightly") == []
        assert store.active_runs() == []  # the one active run was nightly's
        assert [record.id for record in store.list()] == ["hourly"]
        assert [record.id for record in store.due(at(3600))] == ["hourly"]
        assert store.runs("hourly") == [kept]

    def test_it_deletes_idempotently(self, store: Store) -> None:
        self.create(store)
        assert store.delete("nightly") is True
        assert store.delete("nightly") is False
        assert store.delete("never-there") is False

    def test_it_fails_the_completion_of_a_deleted_schedule(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store))
        store.delete(claimed.id)
        with pytest.raises(Conflict):
            store.complete(claimed, due_at=at(60), cursor=T0, now=at(1))
        with pytest.raises(ScheduleNotFound):
            store.get(claimed.id)

    # --- get and list -----------------------------------------------------------------

    def test_it_reports_a_missing_schedule_as_not_found(self, store: Store) -> None:
        with pytest.raises(ScheduleNotFound) as caught:
            store.get("ghost")
        assert caught.value.schedule_id == "ghost"

    def test_it_lists_nothing_when_empty(self, store: Store) -> None:
        assert list(store.list()) == []

    def test_it_lists_ids_in_code_point_order(self, store: Store) -> None:
        ids = ["b", "B", "a-1", "a.1", "a", "A", "0", "9z", "a_b", "a1", "Z"]
        for schedule_id in ids:
            self.create(store, schedule_id)
        assert [record.id for record in store.list()] == sorted(ids)

    def test_it_lists_every_schedule_across_pages(self, store: Store) -> None:
        ids = [f"s-{n:05d}" for n in range(self.list_size)]
        for schedule_id in random.Random(7).sample(ids, len(ids)):
            self.create(store, schedule_id, due_at=None)
        listed = [record.id for record in store.list()]
        assert len(listed) == len(ids)
        assert listed == ids
