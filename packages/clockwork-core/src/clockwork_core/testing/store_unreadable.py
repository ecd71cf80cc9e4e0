"""Store clauses: one unreadable record is skipped and reported, never a reason to fail a call.

The kit writes bad records underneath the store, through the plugin's
:meth:`~clockwork_core.testing.store_base.StoreKit.spoil_schedule` and
:meth:`~clockwork_core.testing.store_base.StoreKit.spoil_run`, as a damaged disk, a hand
edit or a clockwork with a laxer parser would. Two kinds of damage: text that is not JSON,
and a well-formed definition whose expression this clockwork's parser rejects.
"""

from __future__ import annotations

import json

import pytest

from clockwork_core.codec import schedule_to_data
from clockwork_core.errors import RecordUnreadable
from clockwork_core.model import RunStatus
from clockwork_core.store import Store
from clockwork_core.testing.store_base import StoreKit
from clockwork_core.testing.support import T0, at, sample_run, sample_schedule

NOT_JSON = '{"id": "broken", "expression": '
#: A definition as a clockwork with a laxer parser might have written it.
REJECTED = json.dumps({**schedule_to_data(sample_schedule("broken")), "expression": "61 * * * *"})
DAMAGE = pytest.mark.parametrize(
    ("definition", "problem"), [(NOT_JSON, "not JSON"), (REJECTED, "61")], ids=["not-json", "rejected"]
)


class UnreadableClauses(StoreKit):
    def _broken_among_good(self, store: Store, definition: str) -> None:
        """``a`` and ``c`` readable, ``broken`` between them (by id and by due time) not."""
        self.create(store, "a", due_at=at(1))
        self.create(store, "broken", due_at=at(2))
        self.create(store, "c", due_at=at(3))
        self.spoil_schedule(store, "broken", definition)

    # --- schedules --------------------------------------------------------------------

    @DAMAGE
    def test_due_skips_an_unreadable_schedule_and_returns_the_others(
        self, store: Store, definition: str, problem: str
    ) -> None:
        self._broken_among_good(store, definition)
        assert [record.id for record in store.due(at(60))] == ["a", "c"]

    @DAMAGE
    def test_it_reports_a_skipped_schedule_with_its_id_version_and_problem(
        self, store: Store, definition: str, problem: str
    ) -> None:
        self._broken_among_good(store, definition)
        store.due(at(60))
        [found] = list(store.unreadable)
        assert (found.schedule_id, found.run_id, found.version) == ("broken", None, 1)
        assert problem in found.reason
        assert "\n" not in str(found)
        assert str(found).startswith("schedule 'broken' cannot be read: ")

    @DAMAGE
    def test_list_skips_an_unreadable_schedule_and_lists_the_others(
        self, store: Store, definition: str, problem: str
    ) -> None:
        self._broken_among_good(store, definition)
        assert [record.id for record in store.list()] == ["a", "c"]
        assert [found.schedule_id for found in store.unreadable] == ["broken"]

    @DAMAGE
    def test_get_of_an_unreadable_schedule_names_it_and_the_problem(
        self, store: Store, definition: str, problem: str
    ) -> None:
        self._broken_among_good(store, definition)
        with pytest.raises(RecordUnreadable) as caught:
            store.get("broken")
        assert caught.value.schedule_id == "broken"
        assert problem in caught.value.reason
        message = str(caught.value)
        assert "'broken'" in message
        assert problem in message
        assert "\n" not in message
        assert store.get("a").id == "a"

    def test_it_reports_each_unreadable_record_once(self, store: Store) -> None:
        self._broken_among_good(store, NOT_JSON)
        store.due(at(60))
        assert [found.schedule_id for found in store.unreadable.unreported()] == ["broken"]
        store.due(at(60))
        list(store.list())
        assert store.unreadable.unreported() == []
        assert len(store.unreadable) == 1

    def test_a_replaced_definition_makes_the_schedule_readable_again(self, store: Store) -> None:
        self._broken_among_good(store, REJECTED)
        store.due(at(60))
        replaced = store.replace(sample_schedule("broken", expression="rate(1 minute)"), due_at=at(2), now=T0)
        assert replaced.version == 2
        assert store.get("broken") == replaced
        assert [record.id for record in store.due(at(60))] == ["a", "broken", "c"]
        assert list(store.unreadable) == []

    def test_an_unreadable_schedule_can_be_deleted_with_its_runs(self, store: Store) -> None:
        self._broken_among_good(store, NOT_JSON)
        store.put_run(sample_run("broken", T0))
        assert [record.id for record in store.list()] == ["a", "c"]
        assert store.delete("broken") is True
        assert list(store.unreadable) == []
        assert store.runs("broken") == []
        self.create(store, "broken")
        assert store.get("broken").version == 1

    # --- runs -------------------------------------------------------------------------

    def _broken_run_among_good(self, store: Store, status: RunStatus = RunStatus.SUCCEEDED) -> str:
        """Runs at T0, +60 and +120 of ``nightly``; the middle one unreadable. Its run id."""
        for seconds in (0, 60, 120):
            store.put_run(sample_run("nightly", at(seconds), status, updated_at=at(seconds)))
        broken = sample_run("nightly", at(60)).run_id
        self.spoil_run(store, "nightly", broken, "[1, 2")
        return broken

    def test_runs_skips_an_unreadable_run_and_returns_the_others(self, store: Store) -> None:
        broken = self._broken_run_among_good(store)
        assert [run.instant for run in store.runs("nightly")] == [at(120), T0]
        [found] = list(store.unreadable)
        assert (found.schedule_id, found.run_id) == ("nightly", broken)
        assert str(found).startswith(f"run {broken!r} of schedule 'nightly' cannot be read: ")

    def test_active_runs_skips_an_unreadable_run_and_returns_the_others(self, store: Store) -> None:
        broken = self._broken_run_among_good(store, RunStatus.RUNNING)
        assert [run.instant for run in store.active_runs()] == [T0, at(120)]
        assert [(found.schedule_id, found.run_id) for found in store.unreadable] == [("nightly", broken)]

    def test_get_run_of_an_unreadable_run_names_it_and_the_problem(self, store: Store) -> None:
        broken = self._broken_run_among_good(store)
        with pytest.raises(RecordUnreadable) as caught:
            store.get_run("nightly", broken)
        assert (caught.value.schedule_id, caught.value.run_id) == ("nightly", broken)
        assert "not JSON" in str(caught.value)

    def test_a_rewritten_run_is_readable_again(self, store: Store) -> None:
        broken = self._broken_run_among_good(store)
        store.runs("nightly")
        store.put_run(sample_run("nightly", at(60), RunStatus.FAILED))
        assert store.get_run("nightly", broken).status is RunStatus.FAILED
        assert len(store.runs("nightly")) == 3
        assert list(store.unreadable) == []
