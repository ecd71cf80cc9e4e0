"""Writing schedules (:mod:`clockwork_core.schedules`): each clause of its contract, on each store.

Every test runs against the memory store and the SQLite store (a file). The schedule is
hourly (``0 * * * *``) unless a test says otherwise; it is created at ``T0`` (07:00 UTC),
so its cursor is 07:00 and it is due at 08:00. Where a test speaks of a worker that was
down, "now" is 10:20: the instants 08:00, 09:00 and 10:00 have passed undecided.

Races are forced, not hoped for: ``define`` runs between a write's read and its
compare-and-set, so a ``define`` that writes (a trigger, a claim, a delete) is a
concurrent writer landing exactly there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from clockwork_core.errors import Conflict, InvalidValue, ScheduleExists, ScheduleNotFound
from clockwork_core.model import Pending, Policies, Schedule, ScheduleRecord, Target, Trigger
from clockwork_core.planner import Action, decide, launch_time
from clockwork_core.plugins import open_store
from clockwork_core.schedules import (
    ROUNDS,
    Change,
    Written,
    pause_schedule,
    put_schedule,
    resume_schedule,
    update_schedule,
    write_schedule,
)
from clockwork_core.store import Store
from clockwork_core.testing import sample_run, sample_schedule
from clockwork_core.testing.support import T0

ID = "nightly"
DOWN = T0 + timedelta(hours=3, minutes=20)  # 10:20: 08:00, 09:00 and 10:00 passed undecided


def hour(h: int, minute: int = 0, second: int = 0) -> datetime:
    return T0.replace(hour=h, minute=minute, second=second)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'clockwork.db'}"
    with closing(open_store(url)) as opened:
        yield opened


def hourly(**changes: Any) -> Schedule:
    return sample_schedule(ID, **{"expression": "0 * * * *", **changes})


def created(store: Store, **changes: Any) -> ScheduleRecord:
    written = put_schedule(store, hourly(**changes), now=T0)
    assert written.change is Change.CREATED
    return written.record


def retry_waiting(store: Store, trigger: Trigger = Trigger.SCHEDULE) -> ScheduleRecord:
    """The 08:00 fire failed to launch and waits for its retry at 08:00:02 (no lease)."""
    record = created(store)
    instant = hour(8) if trigger is Trigger.SCHEDULE else hour(7, 30)
    claimed = store.claim(
        record,
        owner="worker-a",
        lease_until=hour(8, 0, 30),
        pending=Pending(instant, 1, trigger),
        now=hour(8),
    )
    return store.complete(
        claimed,
        due_at=hour(8, 0, 2),
        cursor=hour(8),
        pending=Pending(instant, 2, trigger),
        now=hour(8),
    )


class TestANewSchedule:
    def test_it_counts_from_now_and_is_due_at_its_first_instant(self, store: Store) -> None:
        written = put_schedule(store, hourly(), now=hour(7, 1, 30))
        assert written.change is Change.CREATED
        assert (written.record.version, written.record.cursor, written.record.due_at) == (
            1,
            hour(7, 1, 30),
            hour(8),
        )
        assert store.get(ID) == written.record

    def test_its_due_time_includes_its_jitter(self, store: Store) -> None:
        schedule = hourly(policies=Policies(jitter=timedelta(minutes=10)))
        record = put_schedule(store, schedule, now=T0).record
        assert record.due_at == launch_time(schedule, hour(8))
        assert record.due_at != hour(8)

    def test_one_that_starts_later_is_due_at_its_start(self, store: Store) -> None:
        assert created(store, start=hour(12)).due_at == hour(12)

    def test_one_created_paused_is_out_of_the_due_index(self, store: Store) -> None:
        record = created(store, enabled=False)
        assert (record.due_at, record.cursor) == (None, T0)
        assert store.due(T0 + timedelta(days=400)) == []

    def test_without_replace_an_existing_schedule_is_an_error_and_nothing_is_written(
        self, store: Store
    ) -> None:
        first = created(store)
        with pytest.raises(ScheduleExists):
            put_schedule(store, hourly(expression="30 * * * *"), now=DOWN, replace=False)
        assert store.get(ID) == first


class TestAnUnchangedDefinition:
    def test_writing_it_again_writes_nothing(self, store: Store) -> None:
        first = created(store)
        again = put_schedule(store, hourly(), now=DOWN)
        assert again == Written(Change.UNCHANGED, first)
        assert store.get(ID) == first

    def test_it_is_compared_as_the_store_keeps_it(self, store: Store) -> None:
        # A tuple is kept as a JSON list, a time to the millisecond: still the same definition.
        loose = hourly(
            target=Target("recording", {"argv": ("a", "b")}),
            start=T0 + timedelta(microseconds=123_456),
        )
        first = put_schedule(store, loose, now=T0).record
        assert put_schedule(store, loose, now=DOWN) == Written(Change.UNCHANGED, first)

    def test_pausing_a_paused_schedule_writes_nothing(self, store: Store) -> None:
        created(store)
        paused = pause_schedule(store, ID, now=hour(7, 10))
        assert pause_schedule(store, ID, now=DOWN) == Written(Change.UNCHANGED, paused.record)

    def test_resuming_an_enabled_schedule_writes_nothing(self, store: Store) -> None:
        first = created(store)
        assert resume_schedule(store, ID, now=DOWN) == Written(Change.UNCHANGED, first)


class TestANewTiming:
    @pytest.mark.parametrize(
        ("changes", "due_at"),
        [
            ({"expression": "30 * * * *"}, hour(10, 30)),
            ({"timezone": "Asia/Kathmandu"}, hour(11, 15)),  # UTC+05:45: 17:00 there is 11:15
            ({"start": hour(12)}, hour(12)),
            ({"end": T0 + timedelta(days=1)}, hour(11)),
        ],
        ids=["expression", "zone", "start", "end"],
    )
    def test_it_counts_from_now(self, store: Store, changes: dict[str, Any], due_at: datetime) -> None:
        created(store)
        written = put_schedule(store, hourly(**changes), now=DOWN)
        assert written.change is Change.UPDATED
        assert (written.record.version, written.record.cursor, written.record.due_at) == (2, DOWN, due_at)

    def test_none_of_its_instants_before_now_fires(self, store: Store) -> None:
        created(store)
        record = put_schedule(store, hourly(expression="*/20 * * * *"), now=DOWN).record
        decision = decide(record, now=DOWN)
        assert (decision.action, decision.missed) == (Action.NOTHING, ())


class TestTheSameTiming:
    def test_a_new_target_keeps_the_schedule_s_place(self, store: Store) -> None:
        created(store)
        written = put_schedule(store, hourly(target=Target("recording", {"exit_code": 3})), now=DOWN)
        assert written.change is Change.UPDATED
        assert (written.record.cursor, written.record.due_at) == (T0, hour(8))
        assert written.record.schedule.target.params == {"exit_code": 3}

    def test_a_new_jitter_moves_the_launch_time(self, store: Store) -> None:
        created(store)
        schedule = hourly(policies=Policies(jitter=timedelta(minutes=10)))
        record = put_schedule(store, schedule, now=hour(7, 10)).record
        assert (record.cursor, record.due_at) == (T0, launch_time(schedule, hour(8)))


class TestPauseAndResume:
    def test_a_pause_keeps_the_cursor_and_leaves_the_due_index(self, store: Store) -> None:
        created(store)
        written = pause_schedule(store, ID, now=hour(7, 10))
        assert written.change is Change.UPDATED
        assert (written.record.schedule.enabled, written.record.cursor, written.record.due_at) == (
            False,
            T0,
            None,
        )
        assert store.due(T0 + timedelta(days=400)) == []

    @pytest.mark.parametrize(
        "resume",
        [
            lambda store: resume_schedule(store, ID, now=DOWN),
            lambda store: put_schedule(store, hourly(), now=DOWN),  # declared enabled again
        ],
        ids=["resume", "declared-enabled"],
    )
    def test_a_resume_starts_from_where_the_pause_left_it(
        self, store: Store, resume: Callable[[Store], Written]
    ) -> None:
        created(store)
        pause_schedule(store, ID, now=hour(7, 10))
        written = resume(store)
        assert (written.change, written.record.schedule.enabled) == (Change.UPDATED, True)
        assert (written.record.cursor, written.record.due_at) == (T0, hour(8))
        # So the missed-fire policy (latest) covers the pause: the most recent instant fires.
        decision = decide(written.record, now=DOWN)
        assert decision.action is Action.LAUNCH
        assert decision.fire is not None
        assert (decision.fire.instant, decision.missed) == (hour(10), (hour(8), hour(9)))

    @pytest.mark.parametrize("write", [pause_schedule, resume_schedule])
    def test_a_missing_schedule_is_an_error_and_nothing_is_written(
        self, store: Store, write: Callable[..., Written]
    ) -> None:
        with pytest.raises(ScheduleNotFound):
            write(store, ID, now=T0)
        assert list(store.list()) == []


#: Writes that change the schedule in each way the contract names.
WRITES: dict[str, Callable[[Store, datetime], Written]] = {
    "new-timing": lambda store, now: put_schedule(store, hourly(expression="30 * * * *"), now=now),
    "new-target": lambda store, now: put_schedule(
        store, hourly(target=Target("recording", {"exit_code": 3})), now=now
    ),
    "pause": lambda store, now: pause_schedule(store, ID, now=now),
    "origin": lambda store, now: update_schedule(
        store, ID, lambda schedule: attrs.evolve(schedule, origin={"line": "2"}), now=now
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
class TestWhatEveryWriteKeeps:
    def test_manual_triggers_stay_queued_and_due(
        self, store: Store, write: Callable[[Store, datetime], Written]
    ) -> None:
        created(store)
        store.trigger(ID, instant=hour(7, 2), now=hour(7, 2))
        store.trigger(ID, instant=hour(7, 3), now=hour(7, 3))
        record = write(store, hour(7, 4)).record
        assert record.manual == (hour(7, 2), hour(7, 3))
        assert record.due_at == hour(7, 2)
        assert [due.id for due in store.due(hour(7, 4))] == [ID]

    def test_a_held_lease_stands_and_its_owner_completes(
        self, store: Store, write: Callable[[Store, datetime], Written]
    ) -> None:
        pending = Pending(hour(8))
        claimed = store.claim(
            created(store), owner="worker-a", lease_until=hour(8, 0, 30), pending=pending, now=hour(8)
        )
        record = write(store, hour(8, 0, 10)).record
        assert (record.lease_owner, record.due_at, record.pending) == ("worker-a", hour(8, 0, 30), pending)
        completed = store.complete(claimed, due_at=hour(9), cursor=hour(8), now=hour(8, 0, 20))
        assert completed.lease_owner is None
        assert completed.schedule == record.schedule, "the new definition takes effect"

    def test_an_expired_lease_stands_too(
        self, store: Store, write: Callable[[Store, datetime], Written]
    ) -> None:
        store.claim(created(store), owner="worker-a", lease_until=hour(8, 0, 30), pending=None, now=hour(8))
        record = write(store, DOWN).record
        assert (record.lease_owner, record.due_at) == ("worker-a", hour(8, 0, 30))

    def test_the_runs_are_kept(self, store: Store, write: Callable[[Store, datetime], Written]) -> None:
        created(store)
        store.put_run(sample_run(ID, hour(8)))
        write(store, DOWN)
        assert [run.instant for run in store.runs(ID)] == [hour(8)]


class TestARetryWaiting:
    @pytest.mark.parametrize("write", [WRITES["new-timing"], WRITES["new-target"]], ids=["timing", "target"])
    def test_it_keeps_its_retry_time(self, store: Store, write: Callable[[Store, datetime], Written]) -> None:
        waiting = retry_waiting(store)
        record = write(store, hour(8, 0, 1)).record
        assert (record.due_at, record.pending) == (hour(8, 0, 2), waiting.pending)

    def test_a_pause_holds_it_and_a_resume_makes_it_due_at_once(self, store: Store) -> None:
        waiting = retry_waiting(store)
        paused = pause_schedule(store, ID, now=hour(8, 0, 1)).record
        assert (paused.due_at, paused.pending) == (None, waiting.pending)
        resumed = resume_schedule(store, ID, now=hour(8, 30)).record  # before the 09:00 instant
        assert (resumed.due_at, resumed.pending) == (hour(8, 30), waiting.pending)

    def test_a_manual_fire_s_retry_goes_on_while_paused(self, store: Store) -> None:
        waiting = retry_waiting(store, Trigger.MANUAL)
        paused = pause_schedule(store, ID, now=hour(8, 0, 1)).record
        assert (paused.due_at, paused.pending) == (hour(8, 0, 2), waiting.pending)


@attrs.define
class Landing:
    """A ``define`` whose first call lets ``first`` write: a writer landing after the read."""

    schedule: Schedule
    first: Callable[[], object]
    calls: int = 0

    def __call__(self, stored: ScheduleRecord | None) -> Schedule:
        if self.calls == 0:
            self.first()
        self.calls += 1
        return self.schedule


class TestConcurrentWriters:
    def test_a_trigger_that_lands_first_is_not_lost(self, store: Store) -> None:
        created(store)
        trigger = Landing(
            hourly(expression="30 * * * *"), lambda: store.trigger(ID, instant=hour(7, 2), now=hour(7, 2))
        )
        written = write_schedule(store, ID, trigger, now=hour(7, 3))
        assert trigger.calls == 2, "decided again after losing the compare-and-set"
        assert (written.change, written.record.schedule.expression) == (Change.UPDATED, "30 * * * *")
        assert (written.record.manual, written.record.due_at) == ((hour(7, 2),), hour(7, 2))

    def test_a_claim_that_lands_first_keeps_its_lease(self, store: Store) -> None:
        record = created(store)
        claim = Landing(
            hourly(expression="30 * * * *"),
            lambda: store.claim(
                record, owner="worker-a", lease_until=hour(8, 0, 30), pending=None, now=hour(8)
            ),
        )
        written = write_schedule(store, ID, claim, now=hour(8, 0, 1))
        assert (written.change, written.record.lease_owner) == (Change.UPDATED, "worker-a")
        assert written.record.schedule.expression == "30 * * * *"

    def test_an_update_is_made_over_a_pause_that_lands_first(self, store: Store) -> None:
        created(store)
        paused: list[Written] = []

        def moved(schedule: Schedule) -> Schedule:
            if not paused:
                paused.append(pause_schedule(store, ID, now=hour(7, 2)))
            return attrs.evolve(schedule, origin={"line": "2"})

        record = update_schedule(store, ID, moved, now=hour(7, 3)).record
        assert (record.schedule.enabled, dict(record.schedule.origin)) == (False, {"line": "2"})

    def test_a_schedule_deleted_first_is_created_again(self, store: Store) -> None:
        created(store)
        delete = Landing(hourly(expression="30 * * * *"), lambda: store.delete(ID))
        written = write_schedule(store, ID, delete, now=DOWN)
        assert (written.change, written.record.version, written.record.cursor) == (Change.CREATED, 1, DOWN)

    def test_a_schedule_created_first_is_replaced(self, store: Store) -> None:
        other = hourly(expression="15 * * * *")
        create = Landing(hourly(), lambda: store.create(other, due_at=None, cursor=T0, now=T0))
        written = write_schedule(store, ID, create, now=T0)
        assert (written.change, written.record.version) == (Change.UPDATED, 2)
        assert written.record.schedule.expression == "0 * * * *"

    def test_it_gives_up_with_a_conflict_and_its_definition_is_not_written(self, store: Store) -> None:
        created(store)
        instants = iter(range(ROUNDS + 1))

        def define(stored: ScheduleRecord | None) -> Schedule:
            store.trigger(ID, instant=hour(7, next(instants)), now=T0)
            return hourly(expression="30 * * * *")

        with pytest.raises(Conflict):
            write_schedule(store, ID, define, now=T0)
        record = store.get(ID)
        assert (record.schedule.expression, len(record.manual)) == ("0 * * * *", ROUNDS)


class TestDefine:
    def test_what_it_raises_propagates_and_nothing_is_written(self, store: Store) -> None:
        first = created(store)

        def refuse(stored: ScheduleRecord | None) -> Schedule:
            raise InvalidValue("origin", "declared by another stack")

        with pytest.raises(InvalidValue, match="another stack"):
            write_schedule(store, ID, refuse, now=DOWN)
        assert store.get(ID) == first

    def test_it_sees_nothing_stored_for_a_free_id(self, store: Store) -> None:
        seen: list[ScheduleRecord | None] = []

        def define(stored: ScheduleRecord | None) -> Schedule:
            seen.append(stored)
            return hourly()

        write_schedule(store, ID, define, now=T0)
        assert seen == [None]

    def test_it_may_not_change_the_id(self, store: Store) -> None:
        with pytest.raises(InvalidValue) as caught:
            write_schedule(store, ID, lambda _: hourly(id="other"), now=T0)
        assert caught.value.field == "id"
        assert list(store.list()) == []


class TestADryRun:
    def test_it_says_what_would_be_created_and_writes_nothing(self, store: Store) -> None:
        written = write_schedule(store, ID, lambda _: hourly(), now=T0, dry_run=True)
        assert (written.change, written.record.due_at, written.record.cursor) == (Change.CREATED, hour(8), T0)
        assert list(store.list()) == []

    def test_it_says_what_would_change_and_writes_nothing(self, store: Store) -> None:
        first = created(store)
        new = hourly(expression="30 * * * *")
        written = write_schedule(store, ID, lambda _: new, now=DOWN, dry_run=True)
        assert (written.change, written.record.version, written.record.due_at) == (
            Change.UPDATED,
            2,
            hour(10, 30),
        )
        assert store.get(ID) == first
        assert write_schedule(store, ID, lambda _: first.schedule, now=DOWN, dry_run=True).change is (
            Change.UNCHANGED
        )
