"""Store clauses: runs, active runs, shard leases, and times kept to the millisecond."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from clockwork_core.errors import Conflict, RunNotFound
from clockwork_core.model import Pending, RunStatus, Trigger
from clockwork_core.store import Store, shard_of
from clockwork_core.testing.store_base import StoreKit
from clockwork_core.testing.support import T0, at, sample_run, sample_schedule

_MICROS = timedelta(microseconds=123_456)  # 123 ms and 456 µs: a store keeps the 123 ms


class RunClauses(StoreKit):
    def test_it_stores_and_gets_a_run(self, store: Store) -> None:
        run = sample_run(
            instant=T0,
            status=RunStatus.FAILED,
            trigger=Trigger.MANUAL,
            attempts=3,
            launched_at=at(1.25),
            finished_at=at(61),
            handles=("arn:aws:ecs:task/1", "arn:aws:ecs:task/2"),
            exit_codes={"app": 3, "sidecar": None},
            stop_reason="Essential container in task exited",
            error="exit code 3",
            output="line one\nline two ✓",
            updated_at=at(62),
        )
        store.put_run(run)
        assert store.get_run(run.schedule_id, run.run_id) == run

    def test_it_overwrites_a_run_with_the_same_id(self, store: Store) -> None:
        launched = sample_run(status=RunStatus.LAUNCHED, handles=("h-1",), updated_at=at(1))
        store.put_run(launched)
        finished = attrs.evolve(launched, status=RunStatus.SUCCEEDED, exit_codes={"main": 0})
        store.put_run(finished)
        assert store.get_run(launched.schedule_id, launched.run_id) == finished
        assert store.runs(launched.schedule_id) == [finished]

    def test_it_refuses_a_run_written_under_an_older_claim(self, store: Store) -> None:
        newer = sample_run(status=RunStatus.MISSED, fence=7, updated_at=at(5))
        store.put_run(newer)
        for fence in (6, None):
            stale = sample_run(status=RunStatus.LAUNCHED, fence=fence, launched_at=at(14), updated_at=at(14))
            with pytest.raises(Conflict):
                store.put_run(stale)
        assert store.get_run(newer.schedule_id, newer.run_id) == newer
        assert store.active_runs() == []

    def test_it_lets_a_run_be_overwritten_under_the_same_or_a_newer_claim(self, store: Store) -> None:
        launched = sample_run(status=RunStatus.LAUNCHED, handles=("h-1",), fence=3, updated_at=at(1))
        store.put_run(launched)
        tracked = attrs.evolve(launched, status=RunStatus.RUNNING, updated_at=at(2))
        store.put_run(tracked)
        store.put_run(tracked)  # a retried write whose first try landed
        replaced = attrs.evolve(tracked, stop_reason="replaced", fence=9, updated_at=at(3))
        store.put_run(replaced)
        assert store.get_run(launched.schedule_id, launched.run_id) == replaced
        unfenced = sample_run("other", status=RunStatus.SUCCEEDED)
        store.put_run(unfenced)
        store.put_run(attrs.evolve(unfenced, fence=1))
        assert store.get_run("other", unfenced.run_id).fence == 1

    def test_it_keeps_a_scheduled_and_a_manual_run_of_one_instant_apart(self, store: Store) -> None:
        scheduled = sample_run(instant=T0, trigger=Trigger.SCHEDULE)
        manual = sample_run(instant=T0, trigger=Trigger.MANUAL, status=RunStatus.FAILED)
        store.put_run(scheduled)
        store.put_run(manual)
        assert store.get_run("nightly", scheduled.run_id) == scheduled
        assert store.get_run("nightly", manual.run_id) == manual
        assert len(store.runs("nightly")) == 2

    def test_it_reports_a_missing_run_as_not_found(self, store: Store) -> None:
        store.put_run(sample_run("nightly", T0))
        with pytest.raises(RunNotFound):
            store.get_run("nightly", sample_run("nightly", at(60)).run_id)
        with pytest.raises(RunNotFound):
            store.get_run("ghost", sample_run("ghost", T0).run_id)

    def test_it_lists_runs_newest_first(self, store: Store) -> None:
        for minutes in (3, 1, 4, 0, 2):
            store.put_run(sample_run("nightly", at(60 * minutes)))
        store.put_run(sample_run("other", at(600)))
        assert [run.instant for run in store.runs("nightly")] == [at(60 * m) for m in (4, 3, 2, 1, 0)]

    def test_it_lists_at_most_limit_runs_newest_first(self, store: Store) -> None:
        for minutes in range(10):
            store.put_run(sample_run("nightly", at(60 * minutes)))
        assert [run.instant for run in store.runs("nightly", limit=3)] == [at(540), at(480), at(420)]

    def test_it_lists_no_runs_for_a_schedule_without_any(self, store: Store) -> None:
        self.create(store)
        assert list(store.runs("nightly")) == []
        assert list(store.runs("ghost")) == []

    # --- active runs ------------------------------------------------------------------

    def test_it_lists_only_launched_and_running_runs_as_active(self, store: Store) -> None:
        for n, status in enumerate(RunStatus):
            store.put_run(sample_run(f"s-{status.value.lower()}", at(n), status=status))
        active = store.active_runs()
        assert sorted(run.status.value for run in active) == ["LAUNCHED", "RUNNING"]

    def test_it_lists_active_runs_oldest_update_first(self, store: Store) -> None:
        for schedule_id, updated in (("c", 30), ("a", 20), ("b", 10), ("d", 40)):
            store.put_run(sample_run(schedule_id, T0, RunStatus.RUNNING, updated_at=at(updated)))
        assert [run.schedule_id for run in store.active_runs()] == ["b", "a", "c", "d"]
        assert [run.schedule_id for run in store.active_runs(limit=2)] == ["b", "a"]

    def test_it_drops_a_run_from_the_active_list_when_it_stops(self, store: Store) -> None:
        running = sample_run(status=RunStatus.RUNNING)
        store.put_run(running)
        assert store.active_runs() == [running]
        store.put_run(attrs.evolve(running, status=RunStatus.SUCCEEDED, updated_at=at(60)))
        assert store.active_runs() == []

    def test_it_lists_active_runs_of_the_given_shards_only(self, store: Store) -> None:
        ids = [f"sharded-{n}" for n in range(40)]
        for n, schedule_id in enumerate(ids):
            store.put_run(sample_run(schedule_id, T0, RunStatus.LAUNCHED, updated_at=at(n)))
        chosen = {shard_of(ids[0], store.shards), shard_of(ids[5], store.shards)}
        expected = [i for i in ids if shard_of(i, store.shards) in chosen]
        assert [run.schedule_id for run in store.active_runs(shards=chosen)] == expected
        assert list(store.active_runs(shards=[])) == []
        assert len(store.active_runs(shards=range(store.shards))) == len(ids)


class LeaseClauses(StoreKit):
    def test_it_grants_a_free_lease(self, store: Store) -> None:
        assert store.acquire_lease("shard-3", owner="worker-a", until=at(30), now=T0) is True
        assert store.lease_holders(now=T0) == {"shard-3": "worker-a"}

    def test_it_renews_a_lease_for_its_owner(self, store: Store) -> None:
        store.acquire_lease("shard-3", owner="worker-a", until=at(30), now=T0)
        assert store.acquire_lease("shard-3", owner="worker-a", until=at(60), now=at(20)) is True
        assert store.lease_holders(now=at(45)) == {"shard-3": "worker-a"}

    def test_it_refuses_a_held_lease_to_others_until_it_ends(self, store: Store) -> None:
        store.acquire_lease("shard-3", owner="worker-a", until=at(30), now=T0)
        assert store.acquire_lease("shard-3", owner="worker-b", until=at(60), now=at(29.999)) is False
        assert store.lease_holders(now=at(29.999)) == {"shard-3": "worker-a"}
        assert store.acquire_lease("shard-3", owner="worker-b", until=at(60), now=at(30)) is True
        assert store.lease_holders(now=at(30)) == {"shard-3": "worker-b"}

    def test_it_refuses_the_old_owner_a_lease_taken_over(self, store: Store) -> None:
        store.acquire_lease("shard-3", owner="worker-a", until=at(30), now=T0)
        store.acquire_lease("shard-3", owner="worker-b", until=at(60), now=at(31))
        assert store.acquire_lease("shard-3", owner="worker-a", until=at(90), now=at(32)) is False
        store.release_lease("shard-3", owner="worker-a")
        assert store.lease_holders(now=at(33)) == {"shard-3": "worker-b"}

    def test_it_releases_a_lease_only_for_its_owner(self, store: Store) -> None:
        store.acquire_lease("shard-3", owner="worker-a", until=at(30), now=T0)
        store.release_lease("shard-3", owner="worker-b")
        assert store.lease_holders(now=T0) == {"shard-3": "worker-a"}
        store.release_lease("shard-3", owner="worker-a")
        assert store.lease_holders(now=T0) == {}
        assert store.acquire_lease("shard-3", owner="worker-b", until=at(30), now=at(1)) is True

    def test_it_releases_a_lease_nobody_holds_without_error(self, store: Store) -> None:
        store.release_lease("shard-9", owner="worker-a")
        assert store.lease_holders(now=T0) == {}

    def test_it_lists_only_leases_still_held(self, store: Store) -> None:
        store.acquire_lease("shard-1", owner="worker-a", until=at(10), now=T0)
        store.acquire_lease("shard-2", owner="worker-b", until=at(20), now=T0)
        store.acquire_lease("shard-3", owner="worker-a", until=at(30), now=T0)
        assert store.lease_holders(now=at(10)) == {"shard-2": "worker-b", "shard-3": "worker-a"}
        assert store.lease_holders(now=at(30)) == {}

    def test_it_keeps_leases_apart_from_schedules(self, store: Store) -> None:
        store.acquire_lease("nightly", owner="worker-a", until=at(30), now=T0)
        assert list(store.list()) == []
        self.create(store, "nightly")
        assert store.lease_holders(now=T0) == {"nightly": "worker-a"}


class TimeClauses(StoreKit):
    def test_it_keeps_millisecond_times_exactly(self, store: Store) -> None:
        created = self.create(store, due_at=at(1.001), cursor=at(-0.999))
        again = store.get(created.id)
        assert (again.due_at, again.cursor, again.updated_at) == (at(1.001), at(-0.999), T0)
        for value in (again.due_at, again.cursor, again.updated_at):
            assert value is not None
            assert value.utcoffset() == timedelta(0)

    def test_it_truncates_schedule_times_to_the_millisecond(self, store: Store) -> None:
        created = store.create(
            sample_schedule(), due_at=at(1) + _MICROS, cursor=at(-1) + _MICROS, now=T0 + _MICROS
        )
        expected = (at(1.123), at(-0.877), at(0.123))
        assert (created.due_at, created.cursor, created.updated_at) == expected
        again = store.get(created.id)
        assert (again.due_at, again.cursor, again.updated_at) == expected

    def test_it_truncates_firing_times_to_the_millisecond(self, store: Store) -> None:
        created = self.create(store)
        claimed = store.claim(
            created, owner="w", lease_until=at(30) + _MICROS, pending=Pending(T0 + _MICROS), now=T0
        )
        assert (claimed.due_at, claimed.pending) == (at(30.123), Pending(at(0.123)))
        store.complete(claimed, due_at=at(60) + _MICROS, cursor=T0 + _MICROS, now=T0)
        triggered = store.trigger("nightly", instant=at(5) + _MICROS, now=T0)
        assert (triggered.due_at, triggered.cursor, triggered.manual) == (
            at(5.123),
            at(0.123),
            (at(5.123),),
        )
        assert store.get("nightly") == triggered

    def test_it_truncates_run_times_to_the_millisecond(self, store: Store) -> None:
        run = sample_run(
            instant=T0 + _MICROS,
            status=RunStatus.RUNNING,
            launched_at=at(1) + _MICROS,
            updated_at=at(2) + _MICROS,
        )
        store.put_run(run)
        [kept] = store.runs("nightly")
        assert (kept.instant, kept.launched_at, kept.updated_at) == (at(0.123), at(1.123), at(2.123))
        assert kept.run_id == run.run_id
        assert store.get_run("nightly", run.run_id) == kept

    def test_it_compares_lease_ends_to_the_millisecond(self, store: Store) -> None:
        store.acquire_lease("shard-1", owner="worker-a", until=at(30) + _MICROS, now=T0)
        assert store.lease_holders(now=at(30.122)) == {"shard-1": "worker-a"}
        assert store.lease_holders(now=at(30.123)) == {}
