"""Store clauses: due and claim."""

from __future__ import annotations

import random

import attrs
import pytest

from clockwork_core.errors import Conflict
from clockwork_core.model import Pending, Trigger
from clockwork_core.store import Store, shard_of
from clockwork_core.testing.store_base import StoreKit
from clockwork_core.testing.support import T0, at, sample_schedule


class DueClauses(StoreKit):
    def test_it_has_at_least_one_shard(self, store: Store) -> None:
        assert isinstance(store.shards, int)
        assert store.shards >= 1

    def test_it_returns_due_schedules_earliest_first(self, store: Store) -> None:
        offsets = {"e": 10, "a": 50, "d": 20, "b": 40, "c": 30}  # not in the order of ids
        for schedule_id, seconds in offsets.items():
            self.create(store, schedule_id, due_at=at(seconds))
        assert [record.id for record in store.due(at(100))] == ["e", "d", "c", "b", "a"]

    def test_it_returns_schedules_due_at_or_before_until(self, store: Store) -> None:
        self.create(store, "before", due_at=at(9.999))
        self.create(store, "exactly", due_at=at(10))
        self.create(store, "after", due_at=at(10.001))
        assert [record.id for record in store.due(at(10))] == ["before", "exactly"]

    def test_it_never_returns_a_schedule_without_due_at(self, store: Store) -> None:
        self.create(store, "idle", due_at=None)
        self.create(store, "busy", due_at=at(-86_400 * 365))
        assert [record.id for record in store.due(at(86_400 * 365 * 50))] == ["busy"]

    def test_it_returns_the_records_as_stored(self, store: Store) -> None:
        created = self.create(store, due_at=at(5), cursor=at(-60))
        assert store.due(at(5)) == [created]

    def test_it_returns_at_most_limit_schedules_earliest_first(self, store: Store) -> None:
        for n in random.Random(3).sample(range(10), 10):
            self.create(store, f"s-{n}", due_at=at(10 - n))
        assert [record.id for record in store.due(at(60), limit=3)] == ["s-9", "s-8", "s-7"]

    def test_it_returns_only_the_given_shards(self, store: Store) -> None:
        ids = [f"sharded-{n}" for n in range(60)]
        for n, schedule_id in enumerate(ids):
            self.create(store, schedule_id, due_at=at(n))
        chosen = {shard_of(ids[0], store.shards), shard_of(ids[7], store.shards)}
        expected = [i for i in ids if shard_of(i, store.shards) in chosen]
        assert [record.id for record in store.due(at(60), shards=chosen)] == expected
        if store.shards > 2:
            assert len(expected) < len(ids), "sixty ids should not all fall in two shards"

    def test_it_returns_every_shard_when_given_them_all(self, store: Store) -> None:
        ids = [f"sharded-{n}" for n in range(20)]
        for schedule_id in ids:
            self.create(store, schedule_id)
        found = store.due(at(1), shards=range(store.shards))
        assert sorted(record.id for record in found) == sorted(ids)

    def test_it_returns_nothing_for_no_shards(self, store: Store) -> None:
        self.create(store)
        assert list(store.due(at(60), shards=[])) == []

    # --- claim ------------------------------------------------------------------------

    def test_it_claims_a_due_schedule(self, store: Store) -> None:
        created = self.create(store, due_at=T0, cursor=at(-60))
        pending = Pending(T0, attempt=1, trigger=Trigger.SCHEDULE)
        claimed = store.claim(created, owner="worker-a", lease_until=at(30), pending=pending, now=at(1))
        assert claimed == attrs.evolve(
            created,
            version=created.version + 1,
            lease_owner="worker-a",
            due_at=at(30),
            pending=pending,
            updated_at=at(1),
        )
        assert store.get(created.id) == claimed

    def test_it_claims_without_a_pending_fire(self, store: Store) -> None:
        claimed = store.claim(self.create(store), owner="w", lease_until=at(30), pending=None, now=T0)
        assert (claimed.lease_owner, claimed.pending) == ("w", None)

    def test_it_makes_a_claimed_schedule_due_at_the_end_of_its_lease(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store), lease_until=at(30))
        assert store.due(at(29.999)) == []
        assert store.due(at(30)) == [claimed]

    def test_it_refuses_a_claim_with_a_stale_version_and_writes_nothing(self, store: Store) -> None:
        stale = self.create(store)
        store.replace(sample_schedule(name="renamed"), due_at=T0, now=at(1))  # same due_at
        current = store.get(stale.id)
        with pytest.raises(Conflict):
            self.claim(store, stale)
        assert store.get(stale.id) == current

    def test_it_refuses_a_claim_with_a_stale_due_at_and_writes_nothing(self, store: Store) -> None:
        created = self.create(store, due_at=T0)
        with pytest.raises(Conflict):
            self.claim(store, attrs.evolve(created, due_at=at(1)))
        with pytest.raises(Conflict):
            self.claim(store, attrs.evolve(created, due_at=None))
        assert store.get(created.id) == created

    def test_it_refuses_a_second_claim_of_one_record(self, store: Store) -> None:
        created = self.create(store)
        claimed = self.claim(store, created, owner="worker-a")
        with pytest.raises(Conflict):
            self.claim(store, created, owner="worker-b")
        assert store.get(created.id) == claimed

    def test_it_refuses_a_claim_of_a_deleted_schedule(self, store: Store) -> None:
        created = self.create(store)
        store.delete(created.id)
        with pytest.raises(Conflict):
            self.claim(store, created)
        assert list(store.list()) == []

    def test_it_claims_a_schedule_that_needs_no_attention(self, store: Store) -> None:
        created = self.create(store, due_at=None)
        assert self.claim(store, created).lease_owner == "worker-a"

    def test_it_lets_another_worker_claim_an_expired_lease(self, store: Store) -> None:
        first = self.claim(store, self.create(store), owner="worker-a", lease_until=at(30))
        [expired] = store.due(at(60))
        second = self.claim(
            store, expired, owner="worker-b", lease_until=at(90), pending=Pending(T0, 2), now=at(60)
        )
        assert (second.lease_owner, second.due_at, second.pending) == ("worker-b", at(90), Pending(T0, 2))
        assert second.version == first.version + 1
        with pytest.raises(Conflict):
            store.complete(first, due_at=at(120), cursor=T0, now=at(61))
        assert store.get(first.id) == second
