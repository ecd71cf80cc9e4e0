"""The planner: when a schedule is due, what a claimed schedule fires, and where it goes next.

Times are aware UTC. ``t("07:05")`` is 07:05 UTC on Sunday 2026-03-08; other days are
written in full. The default schedule fires every five minutes (``*/5 * * * *``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from clockwork_core.cron import CronExpression
from clockwork_core.model import (
    Concurrency,
    MissedFires,
    Pending,
    Policies,
    RetryPolicy,
    Run,
    RunStatus,
    Schedule,
    ScheduleRecord,
    Target,
    Trigger,
)
from clockwork_core.planner import (
    MISSED_RECORDS,
    ON_TIME,
    Action,
    Decision,
    Fire,
    Outcome,
    after_fire,
    decide,
    first_due,
    jitter,
    launch_time,
    next_due,
    next_instant,
    recent_instants,
)

SCHEDULE_ID = "nightly-report"


def t(clock: str) -> datetime:
    """A time of day on 2026-03-08, UTC: ``t("07:05")``, ``t("07:05:30")``, ``t("07:05:30.250")``."""
    return datetime.fromisoformat(f"2026-03-08T{clock}+00:00")


def make_schedule(
    expression: str = "*/5 * * * *", *, schedule_id: str = SCHEDULE_ID, **fields: Any
) -> Schedule:
    return Schedule(id=schedule_id, expression=expression, target=Target("process"), **fields)


def make_record(schedule: Schedule | None = None, **fields: Any) -> ScheduleRecord:
    return ScheduleRecord(schedule or make_schedule(), **fields)


def running(instant: datetime, status: RunStatus = RunStatus.RUNNING) -> Run:
    return Run(
        schedule_id=SCHEDULE_ID,
        instant=instant,
        status=status,
        launcher="process",
        attempts=1,
        launched_at=instant,
        handles=(f"pid:{instant.minute}",),
    )


def completed(record: ScheduleRecord, decision: Decision, outcome: Outcome, now: datetime) -> ScheduleRecord:
    """The record as a store's ``complete`` would write it."""
    completion = after_fire(record, decision, outcome, now=now)
    return attrs.evolve(
        record,
        version=record.version + 1,
        due_at=completion.due_at,
        cursor=completion.cursor,
        pending=completion.pending,
        manual=completion.manual,
        lease_owner=None,
    )


def fire_while_due(
    record: ScheduleRecord, now: datetime, *, step: timedelta = timedelta(0)
) -> tuple[list[Decision], ScheduleRecord]:
    """The worker loop in miniature: decide and complete while the schedule is due.

    Each round decides at ``max(clock, due_at)`` as the worker does, and completes with
    DONE; the clock moves on by ``step`` per round. Returns the decisions and the record
    as left at the end (stops after 500 rounds at most).
    """
    decisions: list[Decision] = []
    for _ in range(500):
        if record.due_at is None or record.due_at > now:
            return decisions, record
        decision = decide(record, now=max(now, record.due_at))
        decisions.append(decision)
        record = completed(record, decision, Outcome.DONE, now)
        now += step
    raise AssertionError("the schedule never stopped being due")


def launched(decisions: list[Decision]) -> list[datetime]:
    return [d.fire.instant for d in decisions if d.action is Action.LAUNCH and d.fire is not None]


@pytest.fixture
def cron_calls(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Every cron computation (``CronExpression.next_after``) the planner makes."""
    calls: list[datetime] = []
    original = CronExpression.next_after

    def counting(self: CronExpression, instant: datetime) -> datetime | None:
        calls.append(instant)
        return original(self, instant)

    monkeypatch.setattr(CronExpression, "next_after", counting)
    return calls


# --- when a schedule is due -------------------------------------------------------------


class TestFirstDue:
    def test_a_new_schedule_counts_its_fires_from_after(self) -> None:
        due = first_due(make_schedule(), after=t("07:02"))
        assert due.due_at == t("07:05")
        assert due.cursor == t("07:02")

    def test_an_instant_equal_to_after_does_not_count(self) -> None:
        assert first_due(make_schedule(), after=t("07:05")).due_at == t("07:10")

    def test_a_schedule_in_a_time_zone_is_due_at_its_local_wall_time(self) -> None:
        schedule = make_schedule("30 9 * * *", timezone="Europe/Berlin")
        # Berlin is UTC+1 in March 2026 (summer time starts on 2026-03-29).
        assert first_due(schedule, after=t("07:00")).due_at == t("08:30")

    def test_the_due_time_includes_the_jitter(self) -> None:
        schedule = make_schedule(policies=Policies(jitter=timedelta(minutes=4)))
        due = first_due(schedule, after=t("07:02"))
        # The jitter of (nightly-report, 07:05) is pinned in TestJitter.
        assert due.due_at == t("07:08:32.408")
        assert due.cursor == t("07:02")

    def test_a_resumed_schedule_given_its_old_cursor_is_due_at_once_and_its_policy_decides(self) -> None:
        due = first_due(make_schedule(), after=t("06:00"))
        assert due.due_at == t("06:05")
        decision = decide(make_record(cursor=due.cursor, due_at=due.due_at), now=t("08:00:10"))
        assert decision.fire == Fire(t("08:00"), Trigger.SCHEDULE, 1, t("08:00"))
        assert decision.more_missed is True

    def test_a_disabled_schedule_is_not_due(self) -> None:
        assert first_due(make_schedule(enabled=False), after=t("07:02")).due_at is None

    def test_a_disabled_schedule_with_a_queued_manual_trigger_is_due_at_the_trigger(self) -> None:
        due = first_due(make_schedule(enabled=False), after=t("07:02"), manual=[t("07:03")])
        assert due.due_at == t("07:03")

    def test_a_manual_trigger_before_the_next_instant_comes_first(self) -> None:
        due = first_due(make_schedule(), after=t("07:02"), manual=[t("07:04"), t("07:03")])
        assert due.due_at == t("07:03")

    def test_a_manual_trigger_after_the_next_instant_waits_its_turn(self) -> None:
        assert first_due(make_schedule(), after=t("07:02"), manual=[t("07:07")]).due_at == t("07:05")


class TestStartAndEnd:
    def test_a_schedule_that_has_not_started_is_due_at_its_start(self) -> None:
        schedule = make_schedule(start=datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
        assert first_due(schedule, after=t("07:02")).due_at == datetime(2026, 4, 1, 0, 0, tzinfo=UTC)

    def test_a_start_between_instants_waits_for_the_next_instant(self) -> None:
        schedule = make_schedule(start=datetime(2026, 4, 1, 0, 1, tzinfo=UTC))
        assert first_due(schedule, after=t("07:02")).due_at == datetime(2026, 4, 1, 0, 5, tzinfo=UTC)

    def test_the_end_is_inclusive(self) -> None:
        schedule = make_schedule(end=t("07:05"))
        assert first_due(schedule, after=t("07:02")).due_at == t("07:05")

    def test_nothing_after_the_end_is_due(self) -> None:
        schedule = make_schedule(end=t("07:05"))
        assert first_due(schedule, after=t("07:05")).due_at is None
        assert first_due(schedule, after=t("07:07")).due_at is None

    def test_next_instant_is_none_after_the_end(self) -> None:
        schedule = make_schedule(end=t("07:09"))
        assert next_instant(schedule, t("07:00")) == t("07:05")
        assert next_instant(schedule, t("07:05")) is None

    def test_a_one_time_schedule_is_due_once(self) -> None:
        schedule = make_schedule("at(2026-03-08T07:30:00)")
        assert first_due(schedule, after=t("07:00")).due_at == t("07:30")
        assert first_due(schedule, after=t("07:30")).due_at is None

    def test_the_last_fire_before_the_end_leaves_nothing_due(self) -> None:
        record = make_record(make_schedule(end=t("07:07")), cursor=t("07:00"), due_at=t("07:05"))
        decisions, final = fire_while_due(record, t("07:05"))
        assert launched(decisions) == [t("07:05")]
        assert final.due_at is None
        assert final.cursor == t("07:05")


class TestNextDue:
    def test_it_is_the_launch_time_of_the_next_instant_after_the_cursor(self) -> None:
        assert next_due(make_schedule(), t("07:05")) == t("07:10")

    def test_a_disabled_schedule_without_manual_triggers_is_never_due(self) -> None:
        assert next_due(make_schedule(enabled=False), t("07:05")) is None

    def test_a_disabled_schedule_is_due_at_its_earliest_manual_trigger(self) -> None:
        assert next_due(make_schedule(enabled=False), t("07:05"), [t("08:00"), t("07:30")]) == t("07:30")

    def test_a_manual_trigger_keeps_an_ended_schedule_due(self) -> None:
        schedule = make_schedule(end=t("07:00"))
        assert next_due(schedule, t("07:05"), [t("07:06")]) == t("07:06")


class TestRecentInstants:
    def test_it_lists_the_instants_after_the_start_and_up_to_the_end_oldest_first(self) -> None:
        found, older = recent_instants(make_schedule(), t("07:00"), t("07:15"), 10)
        assert found == [t("07:05"), t("07:10"), t("07:15")]
        assert older is False

    def test_it_keeps_the_latest_and_says_when_older_ones_exist(self) -> None:
        found, older = recent_instants(make_schedule(), t("06:00"), t("08:00"), 3)
        assert found == [t("07:50"), t("07:55"), t("08:00")]
        assert older is True

    def test_exactly_limit_instants_have_no_older_ones(self) -> None:
        found, older = recent_instants(make_schedule(), t("07:00"), t("07:15"), 3)
        assert found == [t("07:05"), t("07:10"), t("07:15")]
        assert older is False

    def test_older_ones_are_found_far_back(self) -> None:
        schedule = make_schedule("0 0 1 1 *")
        found, older = recent_instants(
            schedule, datetime(2020, 6, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC), 2
        )
        assert found == [datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)]
        assert older is True

    def test_nothing_in_the_interval_is_an_empty_list(self) -> None:
        assert recent_instants(make_schedule(), t("07:00"), t("07:04:59"), 10) == ([], False)


class TestJitter:
    def test_it_is_zero_when_the_policy_is_zero(self) -> None:
        schedule = make_schedule()
        instants = [t("07:00") + timedelta(minutes=5 * n) for n in range(50)]
        assert {jitter(schedule, i) for i in instants} == {timedelta(0)}
        assert launch_time(schedule, t("07:05")) == t("07:05")

    def test_it_is_pinned_for_a_schedule_and_an_instant(self) -> None:
        # Workers of different versions must agree on a fire's launch time (a retry can be
        # picked up by a newer worker during a deploy): changing the derivation is visible.
        schedule = make_schedule(policies=Policies(jitter=timedelta(minutes=4)))
        assert jitter(schedule, t("07:05")) == timedelta(minutes=3, seconds=32, milliseconds=408)
        assert launch_time(schedule, t("07:05")) == t("07:08:32.408")

    def test_it_depends_only_on_the_schedule_id_and_the_instant(self) -> None:
        policies = Policies(jitter=timedelta(minutes=4))
        one = make_schedule(policies=policies)
        other = make_schedule("0 * * * *", name="renamed", timezone="Asia/Tokyo", policies=policies)
        assert jitter(one, t("08:00")) == jitter(other, t("08:00"))
        # The same instant written in another zone is the same instant.
        tokyo = datetime(2026, 3, 8, 17, 0, tzinfo=other.cron.zone)
        assert jitter(one, tokyo) == jitter(one, t("08:00"))

    def test_it_stays_below_its_bound(self) -> None:
        schedule = make_schedule(policies=Policies(jitter=timedelta(seconds=10)))
        values = [jitter(schedule, t("00:00") + timedelta(minutes=n)) for n in range(1000)]
        assert all(timedelta(0) <= v < timedelta(seconds=10) for v in values)
        # Spread over the whole range, not bunched at one end.
        assert min(values) < timedelta(seconds=1)
        assert max(values) > timedelta(seconds=9)
        assert len(set(values)) > 900

    def test_a_bound_of_one_millisecond_is_always_zero(self) -> None:
        schedule = make_schedule(policies=Policies(jitter=timedelta(milliseconds=1)))
        assert {jitter(schedule, t("07:00") + timedelta(minutes=n)) for n in range(100)} == {timedelta(0)}

    def test_it_differs_across_schedule_ids(self) -> None:
        policies = Policies(jitter=timedelta(hours=1))
        values = {
            jitter(make_schedule(schedule_id=f"job-{n}", policies=policies), t("07:05")) for n in range(20)
        }
        assert len(values) == 20

    def test_it_differs_across_instants(self) -> None:
        schedule = make_schedule(policies=Policies(jitter=timedelta(hours=1)))
        assert jitter(schedule, t("07:05")) != jitter(schedule, t("07:10"))


# --- deciding a fire --------------------------------------------------------------------


class TestOnTime:
    def test_one_instant_since_the_cursor_launches_with_nothing_missed(self) -> None:
        decision = decide(make_record(cursor=t("07:00")), now=t("07:05"))
        assert decision == Decision(
            Action.LAUNCH,
            fire=Fire(t("07:05"), Trigger.SCHEDULE, 1, t("07:05")),
            missed=(),
            more_missed=False,
            stop=(),
            cursor=t("07:05"),
        )

    def test_a_few_seconds_late_is_still_on_time(self) -> None:
        decision = decide(make_record(cursor=t("07:00")), now=t("07:05:20"))
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 1, t("07:05"))
        assert decision.missed == ()

    def test_the_fire_carries_its_jittered_launch_time(self) -> None:
        schedule = make_schedule(policies=Policies(jitter=timedelta(minutes=4)))
        decision = decide(make_record(schedule, cursor=t("07:00")), now=t("07:08:32.408"))
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 1, t("07:08:32.408"))
        assert decision.missed == ()

    def test_no_instant_since_the_cursor_is_nothing(self) -> None:
        decision = decide(make_record(cursor=t("07:00")), now=t("07:04:59"))
        assert decision == Decision(Action.NOTHING, cursor=t("07:00"))

    def test_an_instant_at_the_cursor_is_not_fired_again(self) -> None:
        decision = decide(make_record(cursor=t("07:05")), now=t("07:05:10"))
        assert decision.action is Action.NOTHING
        assert decision.fire is None

    def test_fires_every_instant_once_when_the_worker_keeps_up(self) -> None:
        record = make_record(cursor=t("07:00"), due_at=t("07:05"))
        fired: list[datetime] = []
        for minute in range(5, 35, 5):
            decisions, record = fire_while_due(record, t(f"07:{minute:02d}:01"))
            assert all(d.missed == () for d in decisions)
            fired += launched(decisions)
        assert fired == [t("07:05"), t("07:10"), t("07:15"), t("07:20"), t("07:25"), t("07:30")]
        assert record.due_at == t("07:35")

    def test_a_jitter_longer_than_the_period_does_not_turn_on_time_fires_into_missed_ones(self) -> None:
        # Every minute, up to 10 minutes of jitter (the policy allows up to an hour whatever
        # the period). A fire's jitter is kept below the gap to the next instant, so the fire
        # for 07:01 launches before 07:02; the worker decides on time, at that launch time.
        # Nothing was down, so nothing may be recorded as missed, and the instant fired is
        # the one that was due.
        schedule = make_schedule("* * * * *", policies=Policies(jitter=timedelta(minutes=10)))
        due = first_due(schedule, after=t("07:00"))
        assert due.due_at is not None
        assert t("07:01") <= due.due_at < t("07:02")
        assert due.due_at != t("07:01"), "the jitter is not zero"
        decision = decide(make_record(schedule, cursor=due.cursor, due_at=due.due_at), now=due.due_at)
        assert decision.action is Action.LAUNCH
        assert decision.fire is not None
        assert decision.fire.instant == t("07:01")
        assert decision.missed == ()


class TestMissedFiresLatest:
    def test_after_downtime_it_fires_the_latest_instant_and_records_the_others_as_missed(self) -> None:
        decision = decide(make_record(cursor=t("07:00")), now=t("07:31"))
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:30"), Trigger.SCHEDULE, 1, t("07:30"))
        assert decision.missed == (t("07:05"), t("07:10"), t("07:15"), t("07:20"), t("07:25"))
        assert decision.more_missed is False
        assert decision.cursor == t("07:30")

    def test_the_missed_list_is_bounded_and_says_when_there_were_more(self) -> None:
        decision = decide(make_record(cursor=t("06:00")), now=t("08:00:30"))
        assert decision.fire == Fire(t("08:00"), Trigger.SCHEDULE, 1, t("08:00"))
        assert MISSED_RECORDS == 10
        assert decision.missed == tuple(t(f"07:{m:02d}") for m in range(10, 60, 5))
        assert decision.more_missed is True

    def test_exactly_the_bound_of_missed_instants_has_no_more(self) -> None:
        # 07:05 … 07:55 are eleven instants: ten missed, one fired.
        decision = decide(make_record(cursor=t("07:00")), now=t("07:55"))
        assert decision.fire is not None
        assert decision.fire.instant == t("07:55")
        assert decision.missed == tuple(t(f"07:{m:02d}") for m in range(5, 55, 5))
        assert decision.more_missed is False

    def test_one_more_than_the_bound_has_more(self) -> None:
        # 07:05 … 08:00 are twelve instants: 08:00 fired, the latest ten of the others listed.
        decision = decide(make_record(cursor=t("07:00")), now=t("08:00"))
        assert decision.missed == tuple(t(f"07:{m:02d}") for m in range(10, 60, 5))
        assert decision.more_missed is True

    def test_the_backlog_is_fired_once_and_the_schedule_moves_to_the_future(self) -> None:
        record = make_record(cursor=t("06:00"), due_at=t("06:05"))
        decisions, final = fire_while_due(record, t("08:00:30"))
        assert launched(decisions) == [t("08:00")]
        assert final.due_at == t("08:05")
        assert final.cursor == t("08:00")


class TestMissedFiresAll:
    policies = Policies(missed_fires=MissedFires.ALL)

    def test_it_fires_the_oldest_missed_instant_and_moves_the_cursor_to_it(self) -> None:
        decision = decide(
            make_record(make_schedule(policies=self.policies), cursor=t("07:00")), now=t("07:31")
        )
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 1, t("07:05"))
        assert decision.missed == ()
        assert decision.cursor == t("07:05")

    def test_after_the_fire_the_schedule_is_due_again_at_once(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"))
        decision = decide(record, now=t("07:31"))
        completion = after_fire(record, decision, Outcome.DONE, now=t("07:31"))
        assert completion.due_at == t("07:10")
        assert completion.cursor == t("07:05")

    def test_the_loop_fires_each_missed_instant_once_oldest_first_then_waits(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"), due_at=t("07:05"))
        decisions, final = fire_while_due(record, t("07:31"), step=timedelta(seconds=1))
        assert launched(decisions) == [t("07:05"), t("07:10"), t("07:15"), t("07:20"), t("07:25"), t("07:30")]
        assert all(d.missed == () for d in decisions)
        assert final.due_at == t("07:35")
        assert final.cursor == t("07:30")

    def test_it_catches_up_at_most_max_catch_up_instants_and_records_the_rest_as_missed(self) -> None:
        schedule = make_schedule(policies=Policies(missed_fires=MissedFires.ALL, max_catch_up=3))
        record = make_record(schedule, cursor=t("06:00"), due_at=t("06:05"))
        decisions, final = fire_while_due(record, t("08:00:30"))
        assert launched(decisions) == [t("07:50"), t("07:55"), t("08:00")]
        assert final.due_at == t("08:05")
        first, *rest = decisions
        # The ten latest of those left behind are recorded; there were more (06:05 … 06:55).
        assert first.missed == tuple(t(f"07:{m:02d}") for m in range(0, 50, 5))
        assert first.more_missed is True
        assert all(d.missed == () and not d.more_missed for d in rest)

    def test_instants_that_come_due_while_catching_up_are_fired_too(self) -> None:
        # The catch-up takes a minute per fire: 07:35 comes due during it and is fired in turn.
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"), due_at=t("07:05"))
        decisions, _ = fire_while_due(record, t("07:31"), step=timedelta(minutes=1))
        fired = launched(decisions)
        assert fired == [t(f"07:{m:02d}") for m in range(5, 40, 5)]
        assert len(set(fired)) == len(fired)

    def test_an_on_time_fire_has_nothing_missed(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"))
        decision = decide(record, now=t("07:05"))
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 1, t("07:05"))
        assert decision.missed == ()
        assert decision.cursor == t("07:05")


class TestMissedFiresSkip:
    policies = Policies(missed_fires=MissedFires.SKIP)

    def test_a_late_latest_instant_is_not_launched_and_all_are_recorded_missed(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"))
        decision = decide(record, now=t("07:31"))
        assert decision.action is Action.NOTHING
        assert decision.fire is None
        assert decision.missed == (t("07:05"), t("07:10"), t("07:15"), t("07:20"), t("07:25"), t("07:30"))
        assert decision.cursor == t("07:30")

    def test_after_skipping_the_schedule_waits_for_the_next_instant(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"))
        decision = decide(record, now=t("07:31"))
        assert after_fire(record, decision, Outcome.DONE, now=t("07:31")).due_at == t("07:35")

    def test_an_on_time_instant_is_launched(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:25"))
        decision = decide(record, now=t("07:30:10"))
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:30"), Trigger.SCHEDULE, 1, t("07:30"))

    def test_on_time_means_up_to_thirty_seconds_late(self) -> None:
        assert timedelta(seconds=30) == ON_TIME
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:25"))
        assert decide(record, now=t("07:30:30")).action is Action.LAUNCH
        assert decide(record, now=t("07:30:30.001")).action is Action.NOTHING

    def test_an_on_time_latest_instant_is_launched_and_the_earlier_ones_are_missed(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:15"))
        decision = decide(record, now=t("07:30:10"))
        assert decision.action is Action.LAUNCH
        assert decision.fire is not None
        assert decision.fire.instant == t("07:30")
        assert decision.missed == (t("07:20"), t("07:25"))

    def test_a_starting_deadline_replaces_the_on_time_margin(self) -> None:
        policies = Policies(missed_fires=MissedFires.SKIP, starting_deadline=timedelta(minutes=3))
        record = make_record(make_schedule(policies=policies), cursor=t("07:25"))
        assert decide(record, now=t("07:33")).action is Action.LAUNCH
        assert decide(record, now=t("07:33:00.001")).action is Action.NOTHING

    def test_the_missed_list_is_bounded_and_says_when_there_were_more(self) -> None:
        # Decision.missed holds at most MISSED_RECORDS instants, whatever the policy.
        record = make_record(make_schedule(policies=self.policies), cursor=t("06:00"))
        decision = decide(record, now=t("08:01"))
        assert decision.action is Action.NOTHING
        assert len(decision.missed) == MISSED_RECORDS
        assert decision.missed[-1] == t("08:00")
        assert decision.more_missed is True
        assert decision.cursor == t("08:00")


class TestStartingDeadline:
    policies = Policies(starting_deadline=timedelta(seconds=60))

    def test_a_fire_within_the_deadline_launches(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"))
        assert decide(record, now=t("07:06")).action is Action.LAUNCH

    def test_a_fire_later_than_the_deadline_is_missed(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"))
        decision = decide(record, now=t("07:06:00.001"))
        assert decision.action is Action.MISS
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 1, t("07:05"))
        assert decision.cursor == t("07:05")

    def test_lateness_counts_from_the_jittered_launch_time(self) -> None:
        policies = Policies(starting_deadline=timedelta(seconds=60), jitter=timedelta(minutes=4))
        record = make_record(make_schedule(policies=policies), cursor=t("07:00"))
        # 07:05 launches at 07:08:32.408: four minutes after the instant is still on time.
        assert decide(record, now=t("07:09:02.408")).action is Action.LAUNCH
        assert decide(record, now=t("07:09:32.409")).action is Action.MISS

    def test_after_downtime_the_latest_is_missed_with_the_others(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"))
        decision = decide(record, now=t("07:31:30"))
        assert decision.action is Action.MISS
        assert decision.fire is not None
        assert decision.fire.instant == t("07:30")
        assert decision.missed == (t("07:05"), t("07:10"), t("07:15"), t("07:20"), t("07:25"))

    def test_a_missed_fire_moves_the_schedule_on(self) -> None:
        record = make_record(make_schedule(policies=self.policies), cursor=t("07:00"))
        decision = decide(record, now=t("07:08"))
        assert after_fire(record, decision, Outcome.DONE, now=t("07:08")).due_at == t("07:10")


class TestConcurrency:
    def record(self, concurrency: Concurrency) -> ScheduleRecord:
        return make_record(make_schedule(policies=Policies(concurrency=concurrency)), cursor=t("07:00"))

    def test_forbid_skips_a_fire_while_a_run_is_going(self) -> None:
        decision = decide(self.record(Concurrency.FORBID), now=t("07:05"), active=[running(t("07:00"))])
        assert decision.action is Action.SKIP
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 1, t("07:05"))
        assert decision.stop == ()
        assert decision.cursor == t("07:05")

    def test_forbid_launches_when_the_previous_runs_have_stopped(self) -> None:
        finished = [running(t("06:55"), RunStatus.SUCCEEDED), running(t("07:00"), RunStatus.FAILED)]
        decision = decide(self.record(Concurrency.FORBID), now=t("07:05"), active=finished)
        assert decision.action is Action.LAUNCH

    def test_forbid_counts_a_launched_run_as_going(self) -> None:
        active = [running(t("07:00"), RunStatus.LAUNCHED)]
        assert decide(self.record(Concurrency.FORBID), now=t("07:05"), active=active).action is Action.SKIP

    def test_allow_launches_beside_a_running_run(self) -> None:
        decision = decide(self.record(Concurrency.ALLOW), now=t("07:05"), active=[running(t("07:00"))])
        assert decision.action is Action.LAUNCH
        assert decision.stop == ()

    def test_replace_launches_and_stops_the_runs_still_going(self) -> None:
        going = [running(t("06:55"), RunStatus.LAUNCHED), running(t("07:00"))]
        finished = running(t("06:50"), RunStatus.SUCCEEDED)
        decision = decide(self.record(Concurrency.REPLACE), now=t("07:05"), active=[finished, *going])
        assert decision.action is Action.LAUNCH
        assert decision.stop == tuple(going)

    def test_replace_with_nothing_going_stops_nothing(self) -> None:
        decision = decide(self.record(Concurrency.REPLACE), now=t("07:05"))
        assert decision.action is Action.LAUNCH
        assert decision.stop == ()

    def test_a_starting_deadline_is_checked_before_concurrency(self) -> None:
        policies = Policies(concurrency=Concurrency.FORBID, starting_deadline=timedelta(seconds=60))
        record = make_record(make_schedule(policies=policies), cursor=t("07:00"))
        assert decide(record, now=t("07:07"), active=[running(t("07:00"))]).action is Action.MISS


class TestPendingFires:
    def test_a_retry_repeats_the_fire_with_its_attempt_number(self) -> None:
        record = make_record(cursor=t("07:05"), due_at=t("07:05:02"), pending=Pending(t("07:05"), 2))
        decision = decide(record, now=t("07:05:02"))
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 2, t("07:05"))
        assert decision.cursor == t("07:05")

    def test_a_retry_keeps_its_jittered_launch_time(self) -> None:
        schedule = make_schedule(policies=Policies(jitter=timedelta(minutes=4)))
        record = make_record(schedule, cursor=t("07:05"), pending=Pending(t("07:05"), 3))
        decision = decide(record, now=t("07:08:40"))
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 3, t("07:08:32.408"))

    def test_a_manual_retry_keeps_its_trigger_and_has_no_jitter(self) -> None:
        schedule = make_schedule(policies=Policies(jitter=timedelta(minutes=4)))
        record = make_record(schedule, cursor=t("07:00"), pending=Pending(t("07:02:30"), 2, Trigger.MANUAL))
        decision = decide(record, now=t("07:02:34"))
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:02:30"), Trigger.MANUAL, 2, t("07:02:30"))
        assert decision.cursor == t("07:00")

    def test_a_fire_left_by_an_expired_lease_is_repeated_as_it_was(self) -> None:
        # A worker claimed 07:05 (pending set, cursor not yet moved) and died; its lease
        # ended at 07:06. The next worker repeats the same fire (same instant, same key).
        record = make_record(
            cursor=t("07:00"), due_at=t("07:06"), lease_owner="dead-worker", pending=Pending(t("07:05"))
        )
        decision = decide(record, now=t("07:06"))
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 1, t("07:05"))

    def test_after_a_fire_left_by_an_expired_lease_the_schedule_moves_past_its_instant(self) -> None:
        record = make_record(
            cursor=t("07:00"), due_at=t("07:06"), lease_owner="dead-worker", pending=Pending(t("07:05"))
        )
        decision = decide(record, now=t("07:06"))
        completion = after_fire(record, decision, Outcome.DONE, now=t("07:06:01"))
        assert completion.cursor == t("07:05")
        assert completion.due_at == t("07:10")

    def test_a_fire_left_by_an_expired_lease_is_launched_exactly_once(self) -> None:
        record = make_record(
            cursor=t("07:00"), due_at=t("07:06"), lease_owner="dead-worker", pending=Pending(t("07:05"))
        )
        decisions, final = fire_while_due(record, t("07:06:01"))
        assert launched(decisions) == [t("07:05")]
        assert final.due_at == t("07:10")

    def test_a_recovered_fire_is_not_skipped_because_of_its_own_run(self) -> None:
        # The dead worker launched 07:05 and recorded the run before dying: that run is this
        # fire, not a previous one. Skipping would overwrite the LAUNCHED run with SKIPPED
        # (same run id) and stop tracking the task; launching again with the same key
        # finds the task already started.
        policies = Policies(concurrency=Concurrency.FORBID)
        record = make_record(make_schedule(policies=policies), cursor=t("07:00"), pending=Pending(t("07:05")))
        decision = decide(record, now=t("07:06"), active=[running(t("07:05"), RunStatus.LAUNCHED)])
        assert decision.action is Action.LAUNCH
        assert decision.stop == ()

    def test_a_recovered_fire_under_replace_does_not_stop_its_own_run(self) -> None:
        policies = Policies(concurrency=Concurrency.REPLACE)
        record = make_record(make_schedule(policies=policies), cursor=t("07:00"), pending=Pending(t("07:05")))
        previous, own = running(t("07:00")), running(t("07:05"), RunStatus.LAUNCHED)
        decision = decide(record, now=t("07:06"), active=[previous, own])
        assert decision.action is Action.LAUNCH
        assert decision.stop == (previous,)

    def test_a_pending_fire_comes_before_manual_triggers_and_cron_instants(self) -> None:
        record = make_record(cursor=t("07:00"), manual=(t("07:01"),), pending=Pending(t("07:05"), 2))
        decision = decide(record, now=t("07:31"))
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 2, t("07:05"))
        assert decision.missed == ()

    def test_a_pending_fire_of_a_disabled_schedule_still_fires(self) -> None:
        record = make_record(make_schedule(enabled=False), cursor=t("07:05"), pending=Pending(t("07:05"), 2))
        decision = decide(record, now=t("07:05:02"))
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:05"), Trigger.SCHEDULE, 2, t("07:05"))


class TestManualTriggers:
    def test_a_due_manual_trigger_fires_at_its_instant_without_moving_the_cursor(self) -> None:
        record = make_record(cursor=t("07:00"), manual=(t("07:02:30"),))
        decision = decide(record, now=t("07:02:30"))
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:02:30"), Trigger.MANUAL, 1, t("07:02:30"))
        assert decision.missed == ()
        assert decision.cursor == t("07:00")

    def test_a_manual_trigger_has_no_jitter(self) -> None:
        schedule = make_schedule(policies=Policies(jitter=timedelta(minutes=4)))
        decision = decide(
            make_record(schedule, cursor=t("07:00"), manual=(t("07:02:30"),)), now=t("07:02:30")
        )
        assert decision.fire == Fire(t("07:02:30"), Trigger.MANUAL, 1, t("07:02:30"))

    def test_the_earliest_due_manual_trigger_fires_first(self) -> None:
        record = make_record(cursor=t("07:00"), manual=(t("07:03"), t("07:02"), t("07:30")))
        decision = decide(record, now=t("07:04"))
        assert decision.fire is not None
        assert decision.fire.instant == t("07:02")

    def test_a_manual_trigger_in_the_future_waits(self) -> None:
        decision = decide(make_record(cursor=t("07:00"), manual=(t("07:04"),)), now=t("07:03"))
        assert decision.action is Action.NOTHING
        assert decision.cursor == t("07:00")

    def test_a_manual_trigger_fires_on_a_disabled_schedule(self) -> None:
        record = make_record(make_schedule(enabled=False), cursor=t("07:00"), manual=(t("07:02"),))
        decision = decide(record, now=t("07:31"))
        assert decision.action is Action.LAUNCH
        assert decision.fire == Fire(t("07:02"), Trigger.MANUAL, 1, t("07:02"))
        assert decision.cursor == t("07:00")

    def test_a_manual_trigger_and_a_cron_instant_both_fire(self) -> None:
        record = make_record(cursor=t("07:00"), due_at=t("07:05"), manual=(t("07:05"),))
        decisions, final = fire_while_due(record, t("07:05:01"))
        assert final.manual == ()
        assert [(d.action, d.fire.instant, d.fire.trigger) for d in decisions if d.fire is not None] == [
            (Action.LAUNCH, t("07:05"), Trigger.MANUAL),
            (Action.LAUNCH, t("07:05"), Trigger.SCHEDULE),
        ]

    def test_forbid_applies_to_manual_triggers(self) -> None:
        schedule = make_schedule(policies=Policies(concurrency=Concurrency.FORBID))
        record = make_record(schedule, cursor=t("07:00"), manual=(t("07:02"),))
        assert decide(record, now=t("07:02"), active=[running(t("07:00"))]).action is Action.SKIP


class TestDisabled:
    def test_a_disabled_schedule_does_nothing_and_keeps_its_cursor(self) -> None:
        record = make_record(make_schedule(enabled=False), cursor=t("07:00"))
        assert decide(record, now=t("08:00")) == Decision(Action.NOTHING, cursor=t("07:00"))

    def test_a_disabled_schedule_is_not_due_after_a_decision(self) -> None:
        record = make_record(make_schedule(enabled=False), cursor=t("07:00"))
        decision = decide(record, now=t("08:00"))
        completion = after_fire(record, decision, Outcome.DONE, now=t("08:00"))
        assert completion.due_at is None
        assert completion.cursor == t("07:00")

    def test_a_record_without_a_cursor_counts_from_now(self) -> None:
        decision = decide(make_record(), now=t("07:31"))
        assert decision == Decision(Action.NOTHING, cursor=t("07:31"))


class TestCost:
    """The planner's cost is counted in cron computations, not measured in wall-clock time."""

    def test_a_schedule_firing_every_second_missed_for_a_week_decides_in_few_computations(
        self, cron_calls: list[datetime]
    ) -> None:
        schedule = make_schedule("* * * * * *")
        decision = decide(make_record(schedule, cursor=t("12:00") - timedelta(days=7)), now=t("12:00"))
        assert decision.fire == Fire(t("12:00"), Trigger.SCHEDULE, 1, t("12:00"))
        assert decision.missed == tuple(t(f"11:59:{s}") for s in range(50, 60))
        assert decision.more_missed is True
        assert 0 < len(cron_calls) <= 100

    def test_skip_costs_as_little(self, cron_calls: list[datetime]) -> None:
        schedule = make_schedule("* * * * * *", policies=Policies(missed_fires=MissedFires.SKIP))
        decide(make_record(schedule, cursor=t("12:00") - timedelta(days=7)), now=t("12:01"))
        assert 0 < len(cron_calls) <= 100

    def test_catching_up_costs_in_proportion_to_max_catch_up(self, cron_calls: list[datetime]) -> None:
        schedule = make_schedule("* * * * * *", policies=Policies(missed_fires=MissedFires.ALL))
        decision = decide(make_record(schedule, cursor=t("12:00") - timedelta(days=7)), now=t("12:00"))
        # The last 100 instants are 11:58:21 … 12:00:00; the oldest fires first.
        assert decision.fire == Fire(t("11:58:21"), Trigger.SCHEDULE, 1, t("11:58:21"))
        assert decision.missed == tuple(t(f"11:58:{s}") for s in range(11, 21))
        assert decision.more_missed is True
        assert 0 < len(cron_calls) <= 10 * schedule.policies.max_catch_up

    def test_a_schedule_with_bursts_of_instants_missed_for_a_week_decides_in_few_computations(
        self, cron_calls: list[datetime]
    ) -> None:
        # Every second from 00:00:00 to 00:59:59 each day: 3600 instants a day. The search
        # widens its window backwards from 12:00 until it holds instants, then lists all of
        # them: the cost must not grow with the number of instants in that window.
        schedule = make_schedule("* * 0 * * *")
        decision = decide(make_record(schedule, cursor=t("12:00") - timedelta(days=7)), now=t("12:00"))
        assert decision.fire == Fire(t("00:59:59"), Trigger.SCHEDULE, 1, t("00:59:59"))
        assert decision.missed == tuple(t(f"00:59:{s}") for s in range(49, 59))
        assert 0 < len(cron_calls) <= 1000


# --- after a fire -----------------------------------------------------------------------


class TestAfterFireRetry:
    def test_a_transient_failure_with_attempts_left_is_retried_after_the_backoff(self) -> None:
        record = make_record(cursor=t("07:00"), due_at=t("07:05"))
        decision = decide(record, now=t("07:05"))
        completion = after_fire(record, decision, Outcome.RETRY, now=t("07:05:01"))
        assert completion.retrying is True
        assert completion.pending == Pending(t("07:05"), 2, Trigger.SCHEDULE)
        assert completion.due_at == t("07:05:03")  # the default backoff: 2 s
        assert completion.cursor == t("07:05")

    @pytest.mark.parametrize(
        ("failed_attempt", "delay_seconds"),
        [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32), (6, 60), (7, 60), (9, 60)],
    )
    def test_the_backoff_grows_exponentially_up_to_its_cap(
        self, failed_attempt: int, delay_seconds: int
    ) -> None:
        retry = RetryPolicy(
            attempts=10, backoff=timedelta(seconds=2), multiplier=2, max_backoff=timedelta(minutes=1)
        )
        assert retry.delay(failed_attempt) == timedelta(seconds=delay_seconds)
        schedule = make_schedule(policies=Policies(retry=retry))
        record = make_record(schedule, cursor=t("07:05"), pending=Pending(t("07:05"), failed_attempt))
        decision = decide(record, now=t("07:10"))
        completion = after_fire(record, decision, Outcome.RETRY, now=t("07:10"))
        assert completion.due_at == t("07:10") + timedelta(seconds=delay_seconds)
        assert completion.pending == Pending(t("07:05"), failed_attempt + 1)

    def test_a_failure_of_the_last_attempt_gives_up_and_moves_on(self) -> None:
        record = make_record(cursor=t("07:05"), pending=Pending(t("07:05"), 3))  # default: 3 attempts
        decision = decide(record, now=t("07:05:07"))
        completion = after_fire(record, decision, Outcome.RETRY, now=t("07:05:07"))
        assert completion.retrying is False
        assert completion.pending is None
        assert completion.due_at == t("07:10")
        assert completion.cursor == t("07:05")

    def test_a_single_attempt_policy_never_retries(self) -> None:
        schedule = make_schedule(policies=Policies(retry=RetryPolicy(attempts=1)))
        record = make_record(schedule, cursor=t("07:00"))
        decision = decide(record, now=t("07:05"))
        completion = after_fire(record, decision, Outcome.RETRY, now=t("07:05:01"))
        assert completion.retrying is False
        assert completion.pending is None

    def test_the_retries_of_a_fire_follow_each_other_until_the_attempts_are_used_up(self) -> None:
        record = make_record(cursor=t("07:00"), due_at=t("07:05"))
        attempts: list[int] = []
        now = t("07:05")
        while True:
            decision = decide(record, now=now)
            assert decision.fire is not None
            attempts.append(decision.fire.attempt)
            completion = after_fire(record, decision, Outcome.RETRY, now=now)
            record = completed(record, decision, Outcome.RETRY, now)
            if not completion.retrying:
                break
            assert record.due_at is not None
            now = record.due_at
        assert attempts == [1, 2, 3]
        assert now == t("07:05:06")  # 2 s, then 4 s
        assert record.due_at == t("07:10")

    def test_a_failed_manual_fire_is_retried_as_a_manual_fire(self) -> None:
        record = make_record(cursor=t("07:00"), manual=(t("07:02"),))
        decision = decide(record, now=t("07:02"))
        completion = after_fire(record, decision, Outcome.RETRY, now=t("07:02"))
        assert completion.pending == Pending(t("07:02"), 2, Trigger.MANUAL)
        assert completion.manual == ()
        assert completion.cursor == t("07:00")


class TestAfterFireDone:
    def test_the_schedule_is_due_at_the_launch_time_of_the_next_instant(self) -> None:
        schedule = make_schedule(policies=Policies(jitter=timedelta(minutes=4)))
        record = make_record(schedule, cursor=t("07:00"))
        decision = decide(record, now=t("07:08:32.408"))
        completion = after_fire(record, decision, Outcome.DONE, now=t("07:08:33"))
        assert completion.due_at == t("07:13:21.952")
        assert completion.due_at == launch_time(schedule, t("07:10"))
        assert completion.cursor == t("07:05")
        assert completion.pending is None

    def test_a_successful_retry_clears_the_pending_fire(self) -> None:
        record = make_record(cursor=t("07:05"), pending=Pending(t("07:05"), 2))
        decision = decide(record, now=t("07:05:02"))
        completion = after_fire(record, decision, Outcome.DONE, now=t("07:05:02"))
        assert completion.pending is None
        assert completion.retrying is False
        assert completion.due_at == t("07:10")

    def test_a_manual_fire_is_removed_from_the_queue(self) -> None:
        record = make_record(cursor=t("07:00"), manual=(t("07:03:30"), t("07:02:30")))
        decision = decide(record, now=t("07:02:30"))
        completion = after_fire(record, decision, Outcome.DONE, now=t("07:02:31"))
        assert completion.manual == (t("07:03:30"),)
        assert completion.due_at == t("07:03:30")
        assert completion.cursor == t("07:00")

    def test_after_the_last_manual_fire_the_schedule_is_due_at_its_next_instant(self) -> None:
        record = make_record(cursor=t("07:00"), manual=(t("07:02:30"),))
        decision = decide(record, now=t("07:02:30"))
        completion = after_fire(record, decision, Outcome.DONE, now=t("07:02:31"))
        assert completion.manual == ()
        assert completion.due_at == t("07:05")

    def test_a_scheduled_fire_leaves_the_manual_queue_alone(self) -> None:
        record = make_record(cursor=t("07:00"), manual=(t("07:30"),))
        decision = decide(record, now=t("07:05"))
        completion = after_fire(record, decision, Outcome.DONE, now=t("07:05"))
        assert completion.manual == (t("07:30"),)
        assert completion.due_at == t("07:10")

    def test_a_decision_to_do_nothing_keeps_the_cursor(self) -> None:
        record = make_record(cursor=t("07:00"))
        decision = decide(record, now=t("07:03"))
        completion = after_fire(record, decision, Outcome.DONE, now=t("07:03"))
        assert completion.cursor == t("07:00")
        assert completion.due_at == t("07:05")
