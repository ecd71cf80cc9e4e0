"""Store clauses: complete and trigger."""

from __future__ import annotations

import attrs
import pytest

from clockwork_core.errors import Conflict, ScheduleNotFound
from clockwork_core.model import Pending
from clockwork_core.store import Store
from clockwork_core.testing.store_base import StoreKit
from clockwork_core.testing.support import T0, at, sample_schedule


class CompletionClauses(StoreKit):
    def test_it_completes_a_claim(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store))
        done = store.complete(claimed, due_at=at(60), cursor=T0, now=at(2))
        assert done == attrs.evolve(
            claimed,
            version=claimed.version + 1,
            lease_owner=None,
            due_at=at(60),
            cursor=T0,
            pending=None,
            updated_at=at(2),
        )
        assert store.get(claimed.id) == done

    def test_it_completes_a_schedule_that_needs_no_more_attention(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store))
        assert store.complete(claimed, due_at=None, cursor=T0, now=at(2)).due_at is None
        assert store.due(at(86_400)) == []

    def test_it_keeps_a_pending_fire_for_a_retry(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store), pending=Pending(T0, attempt=1))
        retry = Pending(T0, attempt=2)
        done = store.complete(claimed, due_at=at(4), cursor=at(-60), pending=retry, now=at(2))
        assert (done.lease_owner, done.pending, done.due_at) == (None, retry, at(4))
        assert store.get(claimed.id).pending == retry

    def test_it_keeps_the_manual_queue_when_completing_without_one(self, store: Store) -> None:
        self.create(store, due_at=at(60))
        triggered = store.trigger("nightly", instant=at(10), now=at(1))
        claimed = self.claim(store, triggered)
        assert store.complete(claimed, due_at=at(60), cursor=T0, now=at(2)).manual == (at(10),)

    def test_it_replaces_the_manual_queue_on_completion(self, store: Store) -> None:
        self.create(store, due_at=at(60))
        store.trigger("nightly", instant=at(10), now=at(1))
        claimed = self.claim(store, store.trigger("nightly", instant=at(20), now=at(1)))
        done = store.complete(claimed, due_at=at(20), cursor=T0, manual=[at(20)], now=at(11))
        assert done.manual == (at(20),)
        assert (
            store.complete(
                self.claim(store, done, now=at(20)), due_at=at(60), cursor=T0, manual=[], now=at(21)
            ).manual
            == ()
        )

    def test_it_refuses_a_completion_by_another_owner(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store), owner="worker-a")
        with pytest.raises(Conflict):
            store.complete(attrs.evolve(claimed, lease_owner="worker-b"), due_at=at(60), cursor=T0, now=at(1))
        assert store.get(claimed.id) == claimed

    def test_it_refuses_a_completion_after_a_newer_claim_by_the_same_owner(self, store: Store) -> None:
        first = self.claim(store, self.create(store), owner="worker-a", lease_until=at(30))
        second = self.claim(store, first, owner="worker-a", lease_until=at(90), now=at(60))
        with pytest.raises(Conflict):
            store.complete(first, due_at=at(120), cursor=T0, now=at(61))
        assert store.get(first.id) == second
        assert store.complete(second, due_at=at(120), cursor=T0, now=at(62)).lease_owner is None

    def test_it_refuses_a_completion_with_a_stale_version(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store))
        for version in (claimed.version - 1, claimed.version + 1):
            with pytest.raises(Conflict):
                store.complete(attrs.evolve(claimed, version=version), due_at=at(60), cursor=T0, now=at(1))
        assert store.get(claimed.id) == claimed

    def test_it_refuses_to_complete_a_claim_twice(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store))
        done = store.complete(claimed, due_at=at(60), cursor=T0, now=at(1))
        with pytest.raises(Conflict):
            store.complete(claimed, due_at=at(120), cursor=at(60), now=at(2))
        assert store.get(claimed.id) == done

    def test_it_refuses_to_complete_an_unclaimed_record(self, store: Store) -> None:
        created = self.create(store)
        with pytest.raises(Conflict):
            store.complete(created, due_at=at(60), cursor=T0, now=at(1))
        assert store.get(created.id) == created

    def test_it_completes_with_the_definition_replaced_during_the_lease(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store))
        changed = sample_schedule(name="renamed", expression="*/5 * * * *")
        replaced = store.replace(changed, due_at=at(3600), now=at(1))
        done = store.complete(claimed, due_at=at(300), cursor=T0, now=at(2))
        assert done.schedule == changed
        assert done.version > replaced.version
        assert (done.lease_owner, done.due_at, done.pending) == (None, at(300), None)
        assert store.get(claimed.id) == done

    def test_it_keeps_a_manual_trigger_queued_during_the_lease(self, store: Store) -> None:
        # The claimer never saw this trigger: completing must neither fail nor drop it.
        claimed = self.claim(store, self.create(store, due_at=T0))
        store.trigger("nightly", instant=at(5), now=at(1))
        done = store.complete(claimed, due_at=at(60), cursor=T0, manual=[], now=at(2))
        assert done.manual == (at(5),)
        assert done.due_at is not None
        assert done.due_at <= at(5)
        assert store.get(claimed.id) == done

    # --- trigger ----------------------------------------------------------------------

    def test_it_queues_a_manual_fire_and_makes_the_schedule_due(self, store: Store) -> None:
        created = self.create(store, due_at=at(60), cursor=at(-60))
        triggered = store.trigger("nightly", instant=at(5), now=at(1))
        assert triggered == attrs.evolve(
            created, version=created.version + 1, due_at=at(5), manual=(at(5),), updated_at=at(1)
        )
        assert store.get("nightly") == triggered
        assert store.due(at(5)) == [triggered]

    def test_it_makes_an_idle_schedule_due_on_trigger(self, store: Store) -> None:
        self.create(store, due_at=None)
        assert store.trigger("nightly", instant=at(5), now=at(1)).due_at == at(5)

    def test_it_keeps_an_earlier_due_at_on_trigger(self, store: Store) -> None:
        self.create(store, due_at=at(3))
        triggered = store.trigger("nightly", instant=at(5), now=at(1))
        assert (triggered.due_at, triggered.manual) == (at(3), (at(5),))

    def test_it_leaves_the_lease_standing_on_trigger(self, store: Store) -> None:
        claimed = self.claim(store, self.create(store), lease_until=at(30))
        triggered = store.trigger("nightly", instant=at(5), now=at(1))
        assert (triggered.lease_owner, triggered.due_at, triggered.pending) == (
            claimed.lease_owner,
            at(30),
            claimed.pending,
        )
        assert triggered.manual == (at(5),)

    def test_it_does_not_move_the_cursor_on_trigger(self, store: Store) -> None:
        self.create(store, cursor=at(-60))
        assert store.trigger("nightly", instant=at(5), now=at(1)).cursor == at(-60)

    def test_it_queues_triggers_in_the_order_they_come(self, store: Store) -> None:
        self.create(store, due_at=None)
        store.trigger("nightly", instant=at(20), now=at(1))
        triggered = store.trigger("nightly", instant=at(10), now=at(2))
        assert (triggered.manual, triggered.due_at, triggered.version) == ((at(20), at(10)), at(10), 3)

    def test_it_reports_a_trigger_of_a_missing_schedule_as_not_found(self, store: Store) -> None:
        with pytest.raises(ScheduleNotFound):
            store.trigger("ghost", instant=at(5), now=at(1))
        assert list(store.list()) == []
