"""The codec: plain, JSON-compatible data for stores and ``--json``, and back through the model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from clockwork_core.codec import (
    record_from_data,
    record_to_data,
    run_from_data,
    run_to_data,
    schedule_from_data,
    schedule_from_json,
    schedule_to_data,
    time_from_text,
    time_to_text,
)
from clockwork_core.errors import InvalidValue
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
from clockwork_core.zones import get_zone
from hypothesis import given, settings
from hypothesis import strategies as st

T0700 = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


def through_json(data: Any) -> Any:
    """What a store or ``--json`` hands back: the data after a trip through JSON text."""
    return json.loads(json.dumps(data, allow_nan=False))


FULL_SCHEDULE = Schedule(
    id="nightly-report",
    name="Nightly report",
    description="Builds the report for the day before.",
    expression="30 2 * * MON-FRI",
    timezone="Europe/Berlin",
    enabled=False,
    start=datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
    end=datetime(2026, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    target=Target(
        "ecs",
        {
            "cluster": "main",
            "task_definition": "report:3",
            "count": 2,
            "overrides": {"containerOverrides": [{"name": "app", "command": ["run", "--all"]}]},
            "enable_execute_command": True,
            "group": None,
        },
    ),
    policies=Policies(
        concurrency=Concurrency.FORBID,
        missed_fires=MissedFires.ALL,
        starting_deadline=timedelta(minutes=5),
        max_catch_up=5,
        jitter=timedelta(seconds=30),
        retry=RetryPolicy(
            attempts=5, backoff=timedelta(seconds=1.5), multiplier=3.0, max_backoff=timedelta(minutes=10)
        ),
        timeout=timedelta(hours=2),
    ),
    tags={"team": "data", "cost-centre": "42"},
    origin={"kind": "cloudformation", "stack": "reports", "logical_id": "NightlyReport"},
)

FULL_SCHEDULE_DATA = {
    "id": "nightly-report",
    "name": "Nightly report",
    "description": "Builds the report for the day before.",
    "expression": "30 2 * * MON-FRI",
    "timezone": "Europe/Berlin",
    "enabled": False,
    "start": "2026-03-01T00:00:00Z",
    "end": "2026-12-31T23:59:59.500Z",
    "target": {
        "launcher": "ecs",
        "params": {
            "cluster": "main",
            "task_definition": "report:3",
            "count": 2,
            "overrides": {"containerOverrides": [{"name": "app", "command": ["run", "--all"]}]},
            "enable_execute_command": True,
            "group": None,
        },
    },
    "policies": {
        "concurrency": "forbid",
        "missed_fires": "all",
        "starting_deadline": 300.0,
        "max_catch_up": 5,
        "jitter": 30.0,
        "retry": {"attempts": 5, "backoff": 1.5, "multiplier": 3.0, "max_backoff": 600.0},
        "timeout": 7200.0,
    },
    "tags": {"team": "data", "cost-centre": "42"},
    "origin": {"kind": "cloudformation", "stack": "reports", "logical_id": "NightlyReport"},
}


class TestTimes:
    def test_a_time_is_written_as_utc_text_with_a_z(self) -> None:
        assert time_to_text(T0700) == "2026-03-08T07:00:00Z"
        assert (
            time_to_text(datetime(2026, 3, 8, 8, 0, tzinfo=get_zone("Europe/Berlin")))
            == "2026-03-08T07:00:00Z"
        )

    def test_milliseconds_are_written_only_when_present(self) -> None:
        assert time_to_text(T0700 + timedelta(milliseconds=5)) == "2026-03-08T07:00:00.005Z"

    def test_times_are_kept_to_the_millisecond(self) -> None:
        # Stores keep epoch milliseconds (store.py): the text form is as precise, no more.
        assert time_to_text(T0700 + timedelta(microseconds=5999)) == "2026-03-08T07:00:00.005Z"

    def test_none_is_none_both_ways(self) -> None:
        assert time_to_text(None) is None
        assert time_from_text(None) is None

    @pytest.mark.parametrize(
        "text",
        [
            "2026-03-08T07:00:00Z",
            "2026-03-08T07:00:00+00:00",
            "2026-03-08T08:00:00+01:00",
            "2026-03-08T01:30:00-05:30",
            "2026-03-08T07:00:00.000Z",
        ],
    )
    def test_aware_text_is_read_as_utc(self, text: str) -> None:
        parsed = time_from_text(text)
        assert parsed == T0700
        assert parsed is not None
        assert parsed.tzinfo is UTC

    def test_milliseconds_are_read(self) -> None:
        assert time_from_text("2026-03-08T07:00:00.250Z") == datetime(2026, 3, 8, 7, 0, 0, 250000, tzinfo=UTC)

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-03-08T25:00:00Z",
            "ZZ",
            1741417200,
        ],
    )
    def test_junk_is_rejected_naming_the_field(self, text: Any) -> None:
        with pytest.raises(InvalidValue) as caught:
            time_from_text(text, "start")
        assert caught.value.field == "start"
        assert caught.value.reason == f"{text!r} is not an ISO-8601 time"

    @pytest.mark.parametrize("text", ["2026-03-08T07:00:00", "2026-03-08", "2026-03-08 07:00"])
    def test_naive_text_is_rejected_naming_the_field(self, text: str) -> None:
        with pytest.raises(InvalidValue) as caught:
            time_from_text(text, "end")
        assert caught.value.field == "end"
        assert caught.value.reason == f"{text!r} has no time zone"


class TestSchedules:
    def test_a_schedule_is_written_as_plain_data(self) -> None:
        assert schedule_to_data(FULL_SCHEDULE) == FULL_SCHEDULE_DATA

    def test_a_schedule_with_every_field_set_round_trips(self) -> None:
        assert schedule_from_data(through_json(schedule_to_data(FULL_SCHEDULE))) == FULL_SCHEDULE

    def test_a_schedule_with_none_values_round_trips(self) -> None:
        schedule = Schedule(id="minimal", expression="@hourly", target=Target("process"))
        data = schedule_to_data(schedule)
        assert data["start"] is None
        assert data["end"] is None
        assert data["policies"]["starting_deadline"] is None
        assert data["policies"]["timeout"] is None
        assert schedule_from_data(through_json(data)) == schedule

    def test_missing_optional_fields_take_their_defaults(self) -> None:
        schedule = schedule_from_data(
            {"id": "minimal", "expression": "@hourly", "target": {"launcher": "process"}}
        )
        assert schedule == Schedule(id="minimal", expression="@hourly", target=Target("process"))

    def test_a_partial_policy_keeps_the_other_defaults(self) -> None:
        schedule = schedule_from_data(
            {
                "id": "minimal",
                "expression": "@hourly",
                "target": {"launcher": "process"},
                "policies": {"concurrency": "replace", "jitter": 10, "retry": {"attempts": 7}},
            }
        )
        assert schedule.policies == Policies(
            concurrency=Concurrency.REPLACE, jitter=timedelta(seconds=10), retry=RetryPolicy(attempts=7)
        )

    def test_invalid_data_is_rejected_by_the_model_naming_the_field(self) -> None:
        data = through_json(FULL_SCHEDULE_DATA)
        data["policies"]["retry"]["attempts"] = 0
        with pytest.raises(InvalidValue, match=r"^policies\.retry\.attempts: 0 is out of range 1-20$"):
            schedule_from_data(data)

    def test_a_naive_start_in_the_data_is_rejected_naming_the_field(self) -> None:
        data = through_json(FULL_SCHEDULE_DATA)
        data["start"] = "2026-03-01T00:00:00"
        with pytest.raises(InvalidValue) as caught:
            schedule_from_data(data)
        assert caught.value.field == "start"


class TestStoredJson:
    """A definition as a store holds it: JSON text, which may have been written by anyone."""

    def test_a_definition_is_read_back(self) -> None:
        assert schedule_from_json(json.dumps(schedule_to_data(FULL_SCHEDULE))) == FULL_SCHEDULE

    @pytest.mark.parametrize("depth", [33, 50_000])
    def test_a_definition_nested_too_deep_is_rejected_without_recursing(self, depth: int) -> None:
        # json.loads recurses once per level: 50,000 levels raised RecursionError.
        data = schedule_to_data(FULL_SCHEDULE)
        text = json.dumps(data).replace('"group": null', '"group": ' + "[" * depth + "]" * depth)
        with pytest.raises(InvalidValue) as caught:
            schedule_from_json(text)
        assert caught.value.field == "definition"
        assert caught.value.reason == "nests deeper than 32 levels of lists and mappings"

    def test_brackets_inside_strings_are_not_nesting(self) -> None:
        data = schedule_to_data(FULL_SCHEDULE)
        data["target"]["params"]["group"] = "[{" * 100 + '\\"'
        assert schedule_from_json(json.dumps(data)).target.params["group"] == "[{" * 100 + '\\"'

    def test_text_that_is_not_json_names_the_field(self) -> None:
        with pytest.raises(
            InvalidValue, match=r"^definition: is not JSON: Expecting property name .* at column 2$"
        ):
            schedule_from_json("{not json")


class TestRecords:
    def test_a_record_with_a_pending_fire_manual_triggers_and_a_cursor_round_trips(self) -> None:
        record = ScheduleRecord(
            FULL_SCHEDULE,
            version=7,
            due_at=datetime(2026, 3, 8, 7, 1, tzinfo=UTC),
            cursor=datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
            lease_owner="worker-1",
            pending=Pending(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), 2, Trigger.MANUAL),
            manual=(
                datetime(2026, 3, 8, 7, 3, tzinfo=UTC),
                datetime(2026, 3, 8, 7, 2, 0, 250000, tzinfo=UTC),
            ),
            updated_at=datetime(2026, 3, 8, 7, 0, 0, 5000, tzinfo=UTC),
        )
        data = record_to_data(record)
        assert {k: v for k, v in data.items() if k != "schedule"} == {
            "version": 7,
            "due_at": "2026-03-08T07:01:00Z",
            "cursor": "2026-03-08T07:00:00Z",
            "lease_owner": "worker-1",
            "pending": {"instant": "2026-03-08T07:00:00Z", "attempt": 2, "trigger": "manual"},
            "manual": ["2026-03-08T07:03:00Z", "2026-03-08T07:02:00.250Z"],
            "updated_at": "2026-03-08T07:00:00.005Z",
        }
        assert record_from_data(through_json(data)) == record

    def test_an_idle_record_round_trips(self) -> None:
        record = ScheduleRecord(Schedule(id="idle", expression="@daily", target=Target("process")))
        data = record_to_data(record)
        assert data["pending"] is None
        assert data["manual"] == []
        assert data["cursor"] is None
        assert record_from_data(through_json(data)) == record

    def test_a_pending_scheduled_fire_round_trips(self) -> None:
        record = ScheduleRecord(FULL_SCHEDULE, pending=Pending(T0700))
        assert record_from_data(through_json(record_to_data(record))).pending == Pending(
            T0700, 1, Trigger.SCHEDULE
        )


class TestRuns:
    RUN = Run(
        schedule_id="nightly-report",
        instant=T0700,
        status=RunStatus.SUCCEEDED,
        trigger=Trigger.MANUAL,
        launcher="ecs",
        attempts=2,
        launched_at=datetime(2026, 3, 8, 7, 0, 1, 250000, tzinfo=UTC),
        finished_at=datetime(2026, 3, 8, 7, 14, tzinfo=UTC),
        handles=("arn:aws:ecs:eu-west-1:123456789012:task/main/abc",),
        exit_codes={"app": 0, "sidecar": None},
        stop_reason="Essential container in task exited",
        error=None,
        output="done\n",
        updated_at=datetime(2026, 3, 8, 7, 14, 5, tzinfo=UTC),
        fence=12,
    )

    def test_a_run_is_written_with_its_id_and_lateness(self) -> None:
        assert run_to_data(self.RUN) == {
            "schedule_id": "nightly-report",
            "run_id": "20260308T070000.000Z-manual",
            "instant": "2026-03-08T07:00:00Z",
            "status": "SUCCEEDED",
            "trigger": "manual",
            "launcher": "ecs",
            "attempts": 2,
            "launched_at": "2026-03-08T07:00:01.250Z",
            "finished_at": "2026-03-08T07:14:00Z",
            "lateness": 1.25,
            "handles": ["arn:aws:ecs:eu-west-1:123456789012:task/main/abc"],
            "exit_codes": {"app": 0, "sidecar": None},
            "stop_reason": "Essential container in task exited",
            "error": None,
            "output": "done\n",
            "updated_at": "2026-03-08T07:14:05Z",
            "fence": 12,
        }

    def test_a_run_round_trips(self) -> None:
        assert run_from_data(through_json(run_to_data(self.RUN))) == self.RUN

    def test_a_bare_run_round_trips(self) -> None:
        run = Run(schedule_id="nightly-report", instant=T0700, status=RunStatus.MISSED)
        data = run_to_data(run)
        assert data["lateness"] is None
        assert data["launched_at"] is None
        assert run_from_data(through_json(data)) == run

    def test_missing_optional_fields_take_their_defaults(self) -> None:
        run = run_from_data(
            {"schedule_id": "nightly-report", "instant": "2026-03-08T07:00:00Z", "status": "MISSED"}
        )
        assert run == Run(schedule_id="nightly-report", instant=T0700, status=RunStatus.MISSED)

    def test_an_unknown_status_is_rejected_naming_the_field(self) -> None:
        data = through_json(run_to_data(self.RUN))
        data["status"] = "DONE"
        with pytest.raises(InvalidValue) as caught:
            run_from_data(data)
        assert caught.value.field == "status"

    def test_an_unknown_trigger_is_rejected_naming_the_field(self) -> None:
        data = through_json(record_to_data(ScheduleRecord(FULL_SCHEDULE, pending=Pending(T0700))))
        data["pending"]["trigger"] = "cron"
        with pytest.raises(InvalidValue) as caught:
            record_from_data(data)
        assert caught.value.field == "pending.trigger"


# --- properties -------------------------------------------------------------------------

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Santiago",
]
EXPRESSIONS = [
    "*/5 * * * *",
    "30 2 * * MON-FRI",
    "0 0 L * *",
    "*/10 * * * * *",
    "@daily",
    "H H * * *",
    "rate(5 minutes)",
    "cron(0 12 ? * 2-6 *)",
    "at(2030-01-01T10:00:00)",
]
ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ID_TAIL = ID_ALPHABET + "._:@+=-"


def _ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


# Times as stores keep them: aware, to the millisecond (any zone on the way in).
times = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), get_zone("America/New_York")]),
).map(_ms)
optional_times = st.none() | times
# Manual triggers in UTC only: the model does not convert them (test_model's
# test_manual_triggers_are_kept_in_utc), and a zoned time in a DST gap or fold never
# compares equal to its UTC form (PEP 495).
utc_times = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(_ms)
ids = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(ID_ALPHABET),
    st.text(ID_TAIL, max_size=40),
)
texts = st.text(max_size=40)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


def durations(low: timedelta, high: timedelta) -> st.SearchStrategy[timedelta]:
    return st.timedeltas(min_value=low, max_value=high)


retry_policies = st.builds(
    RetryPolicy,
    attempts=st.integers(1, 20),
    backoff=durations(timedelta(microseconds=1), timedelta(hours=1)),
    multiplier=st.floats(1, 10),
    max_backoff=durations(timedelta(microseconds=1), timedelta(hours=6)),
)
policies = st.builds(
    Policies,
    concurrency=st.sampled_from(Concurrency),
    missed_fires=st.sampled_from(MissedFires),
    starting_deadline=st.none() | durations(timedelta(microseconds=1), timedelta(days=366)),
    max_catch_up=st.integers(1, 10_000),
    jitter=durations(timedelta(0), timedelta(hours=1)),
    retry=retry_policies,
    timeout=st.none() | durations(timedelta(microseconds=1), timedelta(days=14)),
)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    start, end = draw(optional_times), draw(optional_times)
    if start is not None and end is not None and end <= start:
        start, end = end - timedelta(days=1), start + timedelta(milliseconds=1)
    return Schedule(
        id=draw(ids),
        name=draw(texts),
        description=draw(texts),
        expression=draw(st.sampled_from(EXPRESSIONS)),
        timezone=draw(st.sampled_from(ZONES)),
        enabled=draw(st.booleans()),
        start=start,
        end=end,
        target=Target(
            draw(st.sampled_from(["ecs", "process", "my-launcher_2"])),
            draw(st.dictionaries(texts, json_values, max_size=4)),
        ),
        policies=draw(policies),
        tags=draw(st.dictionaries(texts, texts, max_size=4)),
        origin=draw(st.dictionaries(texts, texts, max_size=3)),
    )


pendings = st.builds(Pending, instant=times, attempt=st.integers(1, 20), trigger=st.sampled_from(Trigger))
records = st.builds(
    ScheduleRecord,
    schedule=schedules(),
    version=st.integers(1, 2**53),
    due_at=optional_times,
    cursor=optional_times,
    lease_owner=st.none() | texts,
    pending=st.none() | pendings,
    manual=st.lists(utc_times, max_size=4).map(tuple),
    updated_at=optional_times,
)
runs = st.builds(
    Run,
    schedule_id=ids,
    instant=times,
    status=st.sampled_from(RunStatus),
    trigger=st.sampled_from(Trigger),
    launcher=st.sampled_from(["", "ecs", "process"]),
    attempts=st.integers(0, 20),
    launched_at=optional_times,
    finished_at=optional_times,
    handles=st.lists(texts, max_size=3).map(tuple),
    exit_codes=st.dictionaries(texts, st.none() | st.integers(-255, 255), max_size=3),
    stop_reason=st.none() | texts,
    error=st.none() | texts,
    output=st.none() | st.text(max_size=200),
    updated_at=optional_times,
)


class TestRoundTripProperties:
    @settings(deadline=None, max_examples=60)
    @given(schedules())
    def test_a_schedule_survives_json_and_is_written_the_same_again(self, schedule: Schedule) -> None:
        data = schedule_to_data(schedule)
        again = schedule_from_data(through_json(data))
        assert again == schedule
        # Written again, the data is the same: stores can compare it to detect changes.
        assert schedule_to_data(again) == data

    @settings(deadline=None, max_examples=40)
    @given(records)
    def test_a_record_survives_json(self, record: ScheduleRecord) -> None:
        assert record_from_data(through_json(record_to_data(record))) == record

    @settings(max_examples=60)
    @given(runs)
    def test_a_run_survives_json(self, run: Run) -> None:
        assert run_from_data(through_json(run_to_data(run))) == run
