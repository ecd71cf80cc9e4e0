"""The cron dialect, form by form, with concrete fires in UTC; and what it rejects.

Dialect: DESIGN.md, "Cron semantics". Unless a case says otherwise, the schedule runs
in UTC and starts at 2026-01-01 00:00Z, a Thursday:

       January 2026            February 2026            May 2026
    Su Mo Tu We Th Fr Sa    Su Mo Tu We Th Fr Sa    Su Mo Tu We Th Fr Sa
                 1  2  3     1  2  3  4  5  6  7                    1  2
     4  5  6  7  8  9 10     8  9 10 11 12 13 14     3  4  5  6  7  8  9
    11 12 13 14 15 16 17    15 16 17 18 19 20 21    10 11 12 13 14 15 16
    18 19 20 21 22 23 24    22 23 24 25 26 27 28    17 18 19 20 21 22 23
    25 26 27 28 29 30 31                            24 25 26 27 28 29 30
                                                    31
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
from clockwork_core import CronExpression
from clockwork_core.errors import InvalidExpression, UnknownTimeZone

NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, *clock: int) -> datetime:
    """``utc(2026, 3, 8, 7, 30)``: an instant in UTC (hour, minute, second default to 0)."""
    assert len(clock) <= 3, clock
    hour, minute, second = (*clock, 0, 0, 0)[:3]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def fires(
    expression: str,
    count: int,
    start: datetime = NEW_YEAR,
    *,
    timezone: str = "UTC",
    seed: str | None = None,
) -> list[datetime]:
    """The first ``count`` fires strictly after ``start``."""
    schedule = CronExpression(expression, timezone=timezone, seed=seed)
    return list(itertools.islice(schedule.iter_after(start), count))


def minutes_of_hour(expression: str, seed: str) -> set[int]:
    """The minutes at which ``expression`` fires during the hour after 2026-01-01 00:00Z."""
    in_hour = itertools.takewhile(
        lambda f: f < utc(2026, 1, 1, 1),
        CronExpression(expression, seed=seed).iter_after(NEW_YEAR - timedelta(seconds=1)),
    )
    return {f.minute for f in in_hour}


class TestFields:
    """Numbers, ranges, steps and lists, in each field."""

    @pytest.mark.parametrize(
        ("expression", "expected"),
        [
            ("5 4 * * *", [utc(2026, 1, 1, 4, 5), utc(2026, 1, 2, 4, 5)]),
            ("*/15 * * * *", [utc(2026, 1, 1, 0, m) for m in (15, 30, 45)] + [utc(2026, 1, 1, 1)]),
            (
                "0 9-17/4 * * *",
                [utc(2026, 1, 1, 9), utc(2026, 1, 1, 13), utc(2026, 1, 1, 17), utc(2026, 1, 2, 9)],
            ),
            (
                "0 8-9,17 * * *",
                [utc(2026, 1, 1, 8), utc(2026, 1, 1, 9), utc(2026, 1, 1, 17), utc(2026, 1, 2, 8)],
            ),
            ("0 0 1,15 * *", [utc(2026, 1, 15), utc(2026, 2, 1), utc(2026, 2, 15)]),
            ("0 0 */10 * *", [utc(2026, 1, 11), utc(2026, 1, 21), utc(2026, 1, 31), utc(2026, 2, 1)]),
            ("0 0 1 */3 *", [utc(2026, 4, 1), utc(2026, 7, 1), utc(2026, 10, 1), utc(2027, 1, 1)]),
            ("0 12 * * 1-5", [utc(2026, 1, 1, 12), utc(2026, 1, 2, 12), utc(2026, 1, 5, 12)]),
            ("0 0 * * */2", [utc(2026, 1, 3), utc(2026, 1, 4), utc(2026, 1, 6), utc(2026, 1, 8)]),
            ("0 0 31 1,4 *", [utc(2026, 1, 31), utc(2027, 1, 31)]),
            ("0 0 29 2 *", [utc(2028, 2, 29), utc(2032, 2, 29)]),
        ],
    )
    def test_it_fires_at_each_matching_minute(self, expression: str, expected: list[datetime]) -> None:
        assert fires(expression, len(expected)) == expected

    # `a/s` means `a-max/s`.
    def test_a_start_with_a_step_runs_to_the_end_of_the_range(self) -> None:
        assert fires("10/20 * * * *", 4) == [utc(2026, 1, 1, 0, m) for m in (10, 30, 50)] + [
            utc(2026, 1, 1, 1, 10)
        ]

    def test_a_step_larger_than_the_range_means_just_the_start(self) -> None:
        assert fires("5/60 * * * *", 2) == [utc(2026, 1, 1, 0, 5), utc(2026, 1, 1, 1, 5)]
        assert fires("0 0 1/40 * *", 2) == [utc(2026, 2, 1), utc(2026, 3, 1)]

    def test_a_range_of_one_value_is_that_value(self) -> None:
        assert fires("0 0 1 JAN-JAN *", 2) == [utc(2027, 1, 1), utc(2028, 1, 1)]
        assert fires("0 7-7 * * *", 2) == [utc(2026, 1, 1, 7), utc(2026, 1, 2, 7)]

    def test_question_mark_means_any(self) -> None:
        assert fires("0 0 ? * MON", 2) == [utc(2026, 1, 5), utc(2026, 1, 12)]
        assert fires("? 0 * * *", 2) == [utc(2026, 1, 1, 0, 1), utc(2026, 1, 1, 0, 2)]

    def test_it_ignores_surrounding_whitespace_and_repeated_blanks(self) -> None:
        assert fires("  5   4 *  * *  ", 1) == [utc(2026, 1, 1, 4, 5)]


class TestNames:
    """Month and day names, in any case, alone, in lists and in ranges."""

    @pytest.mark.parametrize("expression", ["0 0 * * MON", "0 0 * * mon", "0 0 * * Mon", "0 0 * * mOn"])
    def test_day_names_in_any_case(self, expression: str) -> None:
        assert fires(expression, 2) == [utc(2026, 1, 5), utc(2026, 1, 12)]

    @pytest.mark.parametrize("expression", ["0 0 1 jan,Jul *", "0 0 1 JAN,JUL *", "0 0 1 1,jul *"])
    def test_month_names_in_any_case(self, expression: str) -> None:
        assert fires(expression, 2) == [utc(2026, 7, 1), utc(2027, 1, 1)]

    def test_name_ranges(self) -> None:
        assert fires("0 0 * jan-MAR sUn", 2, utc(2026, 3, 25)) == [utc(2026, 3, 29), utc(2027, 1, 3)]
        assert fires("0 0 * * MON-FRI", 3) == [utc(2026, 1, 2), utc(2026, 1, 5), utc(2026, 1, 6)]


class TestDayOfWeekNumbering:
    """0 and 7 are both Sunday; 1 is Monday."""

    @pytest.mark.parametrize("expression", ["0 0 * * 0", "0 0 * * 7", "0 0 * * SUN"])
    def test_sunday(self, expression: str) -> None:
        assert fires(expression, 2) == [utc(2026, 1, 4), utc(2026, 1, 11)]

    def test_a_range_ending_at_7_includes_sunday(self) -> None:
        assert fires("0 0 * * 5-7", 4) == [utc(2026, 1, 2), utc(2026, 1, 3), utc(2026, 1, 4), utc(2026, 1, 9)]

    def test_monday_is_1(self) -> None:
        assert fires("0 0 * * 1", 1) == [utc(2026, 1, 5)]


class TestLastDayForms:
    """L (last day), nL (last weekday n), LW (last Mon-Fri), L-n (n days before the last)."""

    def test_l_is_the_last_day_of_the_month(self) -> None:
        assert fires("0 0 L * *", 3) == [utc(2026, 1, 31), utc(2026, 2, 28), utc(2026, 3, 31)]

    def test_l_in_february_follows_leap_years(self) -> None:
        assert fires("0 0 L 2 *", 3) == [utc(2026, 2, 28), utc(2027, 2, 28), utc(2028, 2, 29)]

    def test_5l_is_the_last_friday(self) -> None:
        assert fires("0 0 * * 5L", 3) == [utc(2026, 1, 30), utc(2026, 2, 27), utc(2026, 3, 27)]

    def test_lw_is_the_last_weekday_of_the_month(self) -> None:
        # Jan 31 and Feb 28 are Saturdays; Mar 31 is a Tuesday; May 31 is a Sunday.
        assert fires("0 0 LW * *", 5) == [
            utc(2026, 1, 30),
            utc(2026, 2, 27),
            utc(2026, 3, 31),
            utc(2026, 4, 30),
            utc(2026, 5, 29),
        ]

    def test_l_minus_n_counts_back_from_the_last_day(self) -> None:
        assert fires("0 0 L-2 * *", 3) == [utc(2026, 1, 29), utc(2026, 2, 26), utc(2026, 3, 29)]


class TestNthWeekday:
    """n#k: the k-th weekday n of the month."""

    def test_the_first_monday(self) -> None:
        assert fires("0 0 * * 1#1", 3) == [utc(2026, 1, 5), utc(2026, 2, 2), utc(2026, 3, 2)]

    def test_a_fifth_friday_fires_only_in_months_that_have_one(self) -> None:
        assert fires("0 0 * * 5#5", 2) == [utc(2026, 1, 30), utc(2026, 5, 29)]

    def test_hash_and_l_inside_a_list(self) -> None:
        assert fires("0 0 * * 1#1,5L", 4) == [
            utc(2026, 1, 5),
            utc(2026, 1, 30),
            utc(2026, 2, 2),
            utc(2026, 2, 27),
        ]


class TestNearestWeekday:
    """nW: the weekday (Mon-Fri) nearest to day n, never leaving the month."""

    def test_a_weekday_is_itself_and_a_weekend_moves_to_the_nearest_weekday(self) -> None:
        # Jan 15 is a Thursday; Feb 15 and Mar 15 are Sundays.
        assert fires("0 0 15W * *", 3) == [utc(2026, 1, 15), utc(2026, 2, 16), utc(2026, 3, 16)]

    def test_a_saturday_moves_back_to_friday(self) -> None:
        # 2026-08-15 is a Saturday.
        assert fires("0 0 15W 8 *", 1) == [utc(2026, 8, 14)]

    def test_a_saturday_the_1st_moves_forward_to_monday_the_3rd(self) -> None:
        # 2026-08-01 is a Saturday; the Friday before is in July.
        assert fires("0 0 1W 8 *", 1) == [utc(2026, 8, 3)]

    def test_a_sunday_the_31st_moves_back_to_friday_the_29th(self) -> None:
        # 2026-05-31 is a Sunday; the Monday after is in June. 2027-05-31 is a Monday.
        assert fires("0 0 31W 5 *", 2) == [utc(2026, 5, 29), utc(2027, 5, 31)]


class TestDayOfMonthOrDayOfWeek:
    """A day field is restricted unless it is exactly * or ?; both restricted: either matches."""

    def test_both_restricted_fire_on_either(self) -> None:
        # Fridays (Jan 2, 9, 16) and the 13th (a Tuesday).
        assert fires("0 0 13 * 5", 4) == [
            utc(2026, 1, 2),
            utc(2026, 1, 9),
            utc(2026, 1, 13),
            utc(2026, 1, 16),
        ]

    @pytest.mark.parametrize("expression", ["0 0 13 * *", "0 0 13 * ?"])
    def test_day_of_week_any_leaves_day_of_month_alone(self, expression: str) -> None:
        assert fires(expression, 2) == [utc(2026, 1, 13), utc(2026, 2, 13)]

    @pytest.mark.parametrize("expression", ["0 0 * * 5", "0 0 ? * 5"])
    def test_day_of_month_any_leaves_day_of_week_alone(self, expression: str) -> None:
        assert fires(expression, 2) == [utc(2026, 1, 2), utc(2026, 1, 9)]

    def test_a_step_over_every_day_counts_as_restricted(self) -> None:
        # '*/1' is not exactly '*': with a restricted day-of-week, either matches, so every day.
        assert fires("0 0 */1 * 5", 3) == [utc(2026, 1, 2), utc(2026, 1, 3), utc(2026, 1, 4)]

    def test_special_forms_combine_with_or_too(self) -> None:
        # The last day of the month, or a Monday.
        assert fires("0 0 L * MON", 4, utc(2026, 1, 20)) == [
            utc(2026, 1, 26),
            utc(2026, 1, 31),
            utc(2026, 2, 2),
            utc(2026, 2, 9),
        ]


class TestSeconds:
    """Six fields put seconds first."""

    def test_the_first_of_six_fields_is_the_second(self) -> None:
        assert fires("30 * * * * *", 2) == [utc(2026, 1, 1, 0, 0, 30), utc(2026, 1, 1, 0, 1, 30)]

    def test_a_second_step_at_a_fixed_time(self) -> None:
        assert fires("*/20 0 0 * * *", 3) == [
            utc(2026, 1, 1, 0, 0, 20),
            utc(2026, 1, 1, 0, 0, 40),
            utc(2026, 1, 2, 0, 0, 0),
        ]

    def test_five_fields_fire_at_second_zero(self) -> None:
        assert all(f.second == 0 for f in fires("* * * * *", 5, utc(2026, 1, 1, 0, 0, 30)))


class TestMacros:
    @pytest.mark.parametrize(
        ("macro", "expected"),
        [
            ("@yearly", [utc(2027, 1, 1), utc(2028, 1, 1)]),
            ("@annually", [utc(2027, 1, 1), utc(2028, 1, 1)]),
            ("@monthly", [utc(2026, 2, 1), utc(2026, 3, 1)]),
            ("@weekly", [utc(2026, 1, 4), utc(2026, 1, 11)]),
            ("@daily", [utc(2026, 1, 2), utc(2026, 1, 3)]),
            ("@midnight", [utc(2026, 1, 2), utc(2026, 1, 3)]),
            ("@hourly", [utc(2026, 1, 1, 1), utc(2026, 1, 1, 2)]),
            ("@minutely", [utc(2026, 1, 1, 0, 1), utc(2026, 1, 1, 0, 2)]),
            ("@secondly", [utc(2026, 1, 1, 0, 0, 1), utc(2026, 1, 1, 0, 0, 2)]),
            ("@weekdays", [utc(2026, 1, 2), utc(2026, 1, 5), utc(2026, 1, 6)]),
            ("@weekends", [utc(2026, 1, 3), utc(2026, 1, 4), utc(2026, 1, 10)]),
        ],
    )
    def test_each_macro(self, macro: str, expected: list[datetime]) -> None:
        assert fires(macro, len(expected)) == expected


class TestHashForms:
    """H picks a value from a stable hash of the seed (the schedule id)."""

    def test_the_same_seed_gives_the_same_instants(self) -> None:
        first = fires("H H * * *", 5, seed="schedule-42")
        assert fires("H H * * *", 5, seed="schedule-42") == first
        assert len(set(first)) == 5

    def test_the_same_seed_gives_the_same_instants_in_another_process(self) -> None:
        expressions = ["H * * * *", "H H * * *", "H(10-20) H * * *", "H/15 * * * *"]
        script = (
            "import itertools, sys\n"
            "from datetime import datetime, UTC\n"
            "from clockwork_core import CronExpression\n"
            "for text in sys.argv[1:]:\n"
            "    e = CronExpression(text, seed='schedule-42')\n"
            "    print([f.isoformat() for f in itertools.islice("
            "e.iter_after(datetime(2026, 1, 1, tzinfo=UTC)), 3)])\n"
        )
        here = [str([f.isoformat() for f in fires(text, 3, seed="schedule-42")]) for text in expressions]
        for hash_seed in ("1", "2", "random"):
            env = {**os.environ, "PYTHONHASHSEED": hash_seed}
            result = subprocess.run(
                [sys.executable, "-c", script, *expressions],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
            assert result.stdout.splitlines() == here

    def test_h_is_one_minute_of_every_hour(self) -> None:
        for seed in (f"schedule-{n}" for n in range(20)):
            found = fires("H * * * *", 3, seed=seed)
            assert found[1] - found[0] == timedelta(hours=1)
            assert found[2] - found[1] == timedelta(hours=1)
            assert 0 <= found[0].minute <= 59
            assert found[0].second == 0

    def test_h_in_the_hour_field_is_one_hour_of_the_day(self) -> None:
        for seed in (f"schedule-{n}" for n in range(20)):
            found = fires("0 H * * *", 2, seed=seed)
            assert found[1] - found[0] == timedelta(days=1)
            assert found[0].minute == 0

    def test_h_with_a_range_stays_in_the_range(self) -> None:
        picked = {fires("H(10-20) * * * *", 1, seed=f"id-{n}")[0].minute for n in range(200)}
        assert picked <= set(range(10, 21))
        assert len(picked) >= 8

    def test_different_seeds_spread_over_the_hour(self) -> None:
        picked = [fires("H * * * *", 1, seed=f"schedule-{n}")[0].minute for n in range(200)]
        # 200 uniform picks from 60 minutes leave about 2 minutes unused.
        assert len(set(picked)) >= 45

    def test_every_value_of_a_small_range_is_picked_by_some_seed(self) -> None:
        picked = {fires("H(0-9) * * * *", 1, seed=f"job-{n}")[0].minute for n in range(200)}
        assert picked == set(range(10))

    def test_h_with_a_step_fires_every_step_from_a_hashed_start(self) -> None:
        starts = set()
        for seed in (f"schedule-{n}" for n in range(100)):
            minutes = minutes_of_hour("H/15 * * * *", seed)
            start = min(minutes)
            assert start < 15
            assert minutes == {start, start + 15, start + 30, start + 45}
            starts.add(start)
        assert len(starts) >= 8

    def test_h_with_a_range_and_a_step(self) -> None:
        starts = set()
        for seed in (f"schedule-{n}" for n in range(100)):
            minutes = minutes_of_hour("H(0-29)/10 * * * *", seed)
            start = min(minutes)
            assert start < 10
            assert minutes == {start, start + 10, start + 20}
            starts.add(start)
        assert len(starts) >= 6

    def test_h_in_the_seconds_field(self) -> None:
        found = fires("H * * * * *", 3, seed="schedule-42")
        assert [b - a for a, b in itertools.pairwise(found)] == [timedelta(minutes=1)] * 2


class TestEventBridgeCron:
    """cron(minutes hours day-of-month month day-of-week year), as EventBridge defines it."""

    def test_every_day_at_noon(self) -> None:
        assert fires("cron(0 12 * * ? *)", 2) == [utc(2026, 1, 1, 12), utc(2026, 1, 2, 12)]

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            ("1", utc(2026, 1, 4, 10)),  # Sunday
            ("2", utc(2026, 1, 5, 10)),  # Monday
            ("6", utc(2026, 1, 2, 10)),  # Friday
            ("7", utc(2026, 1, 3, 10)),  # Saturday
            ("SUN", utc(2026, 1, 4, 10)),
            ("sat", utc(2026, 1, 3, 10)),
        ],
    )
    def test_day_of_week_1_to_7_is_sunday_to_saturday(self, day: str, expected: datetime) -> None:
        assert fires(f"cron(0 10 ? * {day} *)", 1) == [expected]

    def test_a_weekday_range(self) -> None:
        assert fires("cron(0 18 ? * MON-FRI *)", 3) == [
            utc(2026, 1, 1, 18),
            utc(2026, 1, 2, 18),
            utc(2026, 1, 5, 18),
        ]

    def test_numeric_weekday_range_uses_eventbridge_numbering(self) -> None:
        # 2-6 is Monday to Friday inside cron(...).
        assert fires("cron(0 18 ? * 2-6 *)", 3) == [
            utc(2026, 1, 1, 18),
            utc(2026, 1, 2, 18),
            utc(2026, 1, 5, 18),
        ]

    def test_the_third_friday(self) -> None:
        assert fires("cron(0 0 ? * 6#3 *)", 2) == [utc(2026, 1, 16), utc(2026, 2, 20)]

    def test_the_last_friday(self) -> None:
        assert fires("cron(0 0 ? * 6L *)", 2) == [utc(2026, 1, 30), utc(2026, 2, 27)]

    def test_the_last_day_of_the_month(self) -> None:
        assert fires("cron(0 0 L * ? *)", 2) == [utc(2026, 1, 31), utc(2026, 2, 28)]

    def test_a_minute_step(self) -> None:
        assert fires("cron(0/15 * * * ? *)", 2) == [utc(2026, 1, 1, 0, 15), utc(2026, 1, 1, 0, 30)]

    def test_the_year_field_restricts_years_and_then_it_is_over(self) -> None:
        schedule = CronExpression("cron(0 0 1 1 ? 2027-2028)")
        assert list(schedule.iter_after(NEW_YEAR)) == [utc(2027, 1, 1), utc(2028, 1, 1)]
        assert schedule.next_after(utc(2028, 1, 1)) is None

    def test_a_year_in_the_past_never_fires(self) -> None:
        assert CronExpression("cron(0 0 1 1 ? 2025)").next_after(NEW_YEAR) is None

    def test_a_list_of_years(self) -> None:
        assert fires("cron(30 6 1 7 ? 2026,2030)", 3) == [utc(2026, 7, 1, 6, 30), utc(2030, 7, 1, 6, 30)]

    def test_february_29_fires_in_the_leap_years_of_the_year_field(self) -> None:
        schedule = CronExpression("cron(0 0 29 2 ? 2025-2028)")
        assert list(schedule.iter_after(NEW_YEAR)) == [utc(2028, 2, 29)]

    def test_a_fifth_friday_of_february_fires_in_the_one_year_that_has_it(self) -> None:
        # February 2036 starts on a Friday and has 29 days.
        schedule = CronExpression("cron(0 0 ? 2 6#5 2030-2040)")
        assert list(schedule.iter_after(NEW_YEAR)) == [utc(2036, 2, 29)]


class TestRate:
    """rate(n unit): a real-time interval, aligned to multiples of the period since the epoch."""

    def test_every_5_minutes(self) -> None:
        assert fires("rate(5 minutes)", 3, utc(2026, 1, 1, 0, 2, 30)) == [
            utc(2026, 1, 1, 0, 5),
            utc(2026, 1, 1, 0, 10),
            utc(2026, 1, 1, 0, 15),
        ]

    def test_a_start_on_a_multiple_is_not_a_fire(self) -> None:
        assert fires("rate(5 minutes)", 1, utc(2026, 1, 1, 0, 5)) == [utc(2026, 1, 1, 0, 10)]

    def test_singular_units(self) -> None:
        assert fires("rate(1 minute)", 2, utc(2026, 1, 1, 0, 0, 30)) == [
            utc(2026, 1, 1, 0, 1),
            utc(2026, 1, 1, 0, 2),
        ]
        assert fires("rate(1 hour)", 2, utc(2026, 1, 1, 0, 30)) == [utc(2026, 1, 1, 1), utc(2026, 1, 1, 2)]
        assert fires("rate(1 day)", 2, utc(2026, 1, 1, 12)) == [utc(2026, 1, 2), utc(2026, 1, 3)]

    def test_the_alignment_is_to_the_epoch_not_to_the_day(self) -> None:
        # 2026-01-02 00:00Z is 29,455,200 minutes after the epoch, 5 past a multiple of 7.
        assert fires("rate(7 minutes)", 2, utc(2026, 1, 2)) == [utc(2026, 1, 2, 0, 2), utc(2026, 1, 2, 0, 9)]

    def test_every_2_days(self) -> None:
        # 2026-01-01 is day 20,454 after the epoch, an even day.
        assert fires("rate(2 days)", 2, utc(2026, 1, 1, 12)) == [utc(2026, 1, 3), utc(2026, 1, 5)]
        assert fires("rate(2 days)", 1, utc(2026, 1, 2)) == [utc(2026, 1, 3)]

    @pytest.mark.parametrize("timezone", ["Asia/Kolkata", "America/New_York", "Pacific/Chatham"])
    def test_the_time_zone_does_not_move_a_rate(self, timezone: str) -> None:
        assert fires("rate(1 hour)", 2, utc(2026, 1, 1, 0, 30), timezone=timezone) == [
            utc(2026, 1, 1, 1),
            utc(2026, 1, 1, 2),
        ]
        assert fires("rate(1 day)", 1, utc(2026, 3, 8, 3), timezone=timezone) == [utc(2026, 3, 9)]

    @pytest.mark.parametrize("expression", ["rate(3650 days)", "rate(87600 hours)", "rate(5256000 minutes)"])
    def test_the_longest_rate_is_ten_years(self, expression: str) -> None:
        # 2026-01-01 is day 20,454 after the epoch; the next multiple of 3650 is day 21,900.
        assert fires(expression, 1) == [utc(2029, 12, 17)]


class TestAt:
    """at(yyyy-mm-ddThh:mm:ss): once, at that wall time in the schedule's zone."""

    def test_it_fires_once(self) -> None:
        schedule = CronExpression("at(2026-12-01T10:00:00)")
        assert list(schedule.iter_after(NEW_YEAR)) == [utc(2026, 12, 1, 10)]

    def test_there_is_nothing_after_it(self) -> None:
        schedule = CronExpression("at(2026-12-01T10:00:00)")
        assert schedule.next_after(utc(2026, 12, 1, 10)) is None
        assert schedule.next_after(utc(2027, 1, 1)) is None
        assert schedule.next_after(utc(2026, 12, 1, 9, 59, 59)) == utc(2026, 12, 1, 10)

    @pytest.mark.parametrize(
        ("timezone", "expected"),
        [
            ("UTC", utc(2026, 12, 1, 10)),
            ("Europe/Berlin", utc(2026, 12, 1, 9)),  # CET, +01:00
            ("America/New_York", utc(2026, 12, 1, 15)),  # EST, -05:00
            ("Asia/Kathmandu", utc(2026, 12, 1, 4, 15)),  # +05:45
        ],
    )
    def test_it_is_a_wall_time_in_the_schedules_zone(self, timezone: str, expected: datetime) -> None:
        assert CronExpression("at(2026-12-01T10:00:00)", timezone=timezone).next_after(NEW_YEAR) == expected


class TestIsInterval:
    """Interval: a '*', '?' or '/' in the second, minute or hour field. Otherwise fixed."""

    @pytest.mark.parametrize(
        ("expression", "interval"),
        [
            ("*/5 * * * *", True),
            ("0 * * * *", True),
            ("0 */1 * * *", True),
            ("30 2/1 * * *", True),
            ("? 0 * * *", True),
            ("* 0 0 * * *", True),
            ("0 * 2 * * *", True),
            ("30 2 * * *", False),
            ("0 1-3 * * *", False),
            ("0,30 2,3 * * *", False),
            ("0 0 */2 * *", False),
            ("0 0 * * *", False),
            ("0 0 0 * * *", False),
            ("0 0 * * */2", False),
            ("@daily", False),
            ("@weekly", False),
            ("@yearly", False),
            ("@weekdays", False),
            ("@hourly", True),
            ("@minutely", True),
            ("@secondly", True),
            ("cron(0 12 * * ? *)", False),
            ("cron(0/15 * * * ? *)", True),
            ("cron(0 * * * ? *)", True),
            ("rate(5 minutes)", True),
            ("rate(1 day)", True),
            ("at(2026-12-01T10:00:00)", False),
            ("H H * * *", False),
            ("H * * * *", True),
            ("H/15 * * * *", True),
        ],
    )
    def test_classification(self, expression: str, interval: bool) -> None:
        assert CronExpression(expression, seed="s").is_interval is interval


# (expression, cron field or None, fragments the message must contain, reason pattern)
REJECTED: list[tuple[str, str | None, list[str], str]] = [
    ("* 24 * * *", "hour", ["hour 24 is out of range 0-23"], ""),
    ("0 0 32 * *", "day-of-month", ["day-of-month 32 is out of range 1-31"], ""),
    ("0 0 0 * *", "day-of-month", ["day-of-month 0 is out of range 1-31"], ""),
    ("0 0 * 13 *", "month", ["month 13 is out of range 1-12"], ""),
    ("0 0 * 0 *", "month", ["month 0 is out of range 1-12"], ""),
    ("0 0 * * 8", "day-of-week", ["day-of-week 8 is out of range 0-7"], ""),
    ("60 * * * * *", "second", ["second 60 is out of range 0-59"], ""),
    ("0-60 * * * *", "minute", ["minute 60 is out of range 0-59"], ""),
    ("*/0 * * * *", "minute", ["*/0"], r"step"),
    ("0 0/0 * * *", "hour", ["0/0"], r"step"),
    ("*/x * * * *", "minute", ["x"], r"step|number"),
    ("5-1 * * * *", "minute", ["5-1"], r"revers|backward|greater|before"),
    ("0 0 * * 5-1", "day-of-week", ["5-1"], r"revers|backward|greater|before"),
    ("0 0 * DEC-JAN *", "month", ["DEC-JAN"], r"revers|backward|greater|before"),
    ("H(20-10) * * * *", "minute", ["20"], r"revers|backward|greater|before"),
    ("0 0 30 2 *", "day-of-month", ["30"], r"(?i)never|impossible|not exist|feb"),
    ("0 0 31 2,4 *", "day-of-month", ["31"], r"(?i)never|impossible|not exist"),
    ("0 0 31 4,6,9,11 *", "day-of-month", ["31"], r"(?i)never|impossible|not exist"),
    ("0 0 * FOO *", "month", ["FOO"], ""),
    ("0 0 * * FOO", "day-of-week", ["FOO"], ""),
    ("0 0 * * 6#6", "day-of-week", ["6#6"], ""),
    ("0 0 * * 1#0", "day-of-week", ["1#0"], ""),
    ("0 0 , * *", "day-of-month", [], ""),
    ("cron(0 0 ? * 0 *)", "day-of-week", ["day-of-week 0 is out of range 1-7"], ""),
    ("cron(0 0 ? * 8 *)", "day-of-week", ["day-of-week 8 is out of range 1-7"], ""),
    # Only ASCII digits are numbers: str.isdigit() and int() also take other scripts' digits.
    ("\u00b9 * * * *", "minute", ["minute '\u00b9' is not a number"], ""),
    ("\u0663 * * * *", "minute", ["minute '\u0663' is not a number"], ""),
    ("\uff13 * * * *", "minute", ["minute '\uff13' is not a number"], ""),
    ("0 \u0663-5 * * *", "hour", ["hour '\u0663' is not a number"], ""),
    ("*/\u0663 * * * *", "minute", ["*/\u0663"], r"step"),
    ("0 0 * * 5#\u0663", "day-of-week", ["5#\u0663"], r"number from 1 to 5"),
    ("0 0 L-\u0663 * *", "day-of-month", ["L-\u0663"], r"number from 0 to 30"),
    ("0 0 \u0663W * *", "day-of-month", ["\u0663W"], r"number"),
    ("H(\u0663-9) * * * *", "minute", ["H(\u0663-9)"], r"H form"),
    ("cron(0 0 1 1 ? \u0662\u0660\u0662\u0666)", "year", ["is not a number"], ""),
    # A year field that no matching day falls in: the expression can never fire.
    ("cron(0 0 29 2 ? 2023)", "year", ["2023", "never"], r"leap|no day"),
    ("cron(0 0 29 2 ? 2025,2027)", "year", ["2025, 2027", "never"], ""),
    ("cron(0 0 ? 2 6#5 2025-2027)", "year", ["2025-2027", "never"], ""),
    ("cron(0 0 L-28 2 ? 2023)", "year", ["2023", "never"], ""),
]


class TestValidation:
    """An invalid expression raises InvalidExpression naming the field and the reason."""

    def test_the_message_names_the_expression_the_field_and_the_reason(self) -> None:
        with pytest.raises(InvalidExpression) as caught:
            CronExpression("61 * * * *")
        assert str(caught.value) == "'61 * * * *': minute 61 is out of range 0-59"
        assert caught.value.expression == "61 * * * *"
        assert caught.value.cron_field == "minute"
        assert caught.value.reason == "minute 61 is out of range 0-59"

    def test_it_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="minute 61"):
            CronExpression("61 * * * *")

    @pytest.mark.parametrize(("expression", "field", "fragments", "reason"), REJECTED)
    def test_it_rejects(self, expression: str, field: str | None, fragments: list[str], reason: str) -> None:
        with pytest.raises(InvalidExpression) as caught:
            CronExpression(expression)
        message = str(caught.value)
        assert message.startswith(f"{expression!r}: ")
        assert caught.value.expression == expression
        assert caught.value.cron_field == field
        assert field is None or field in message
        for fragment in fragments:
            assert fragment in message
        assert re.search(reason, caught.value.reason), message

    @pytest.mark.parametrize("expression", ["", "   ", "\t"])
    def test_it_rejects_the_empty_expression_with_an_example(self, expression: str) -> None:
        with pytest.raises(InvalidExpression) as caught:
            CronExpression(expression)
        message = str(caught.value)
        assert "empty" in message
        assert "5 fields" in message

    @pytest.mark.parametrize(
        ("expression", "meant"),
        [
            ("* * * *", "* * * * *"),
            ("*/5 * * *", "*/5 * * * *"),
            ("0 12", "0 12 * * *"),
            ("5", "5 * * * *"),
        ],
    )
    def test_it_rejects_too_few_fields_and_suggests_the_five_field_form(
        self, expression: str, meant: str
    ) -> None:
        with pytest.raises(InvalidExpression) as caught:
            CronExpression(expression)
        message = str(caught.value)
        assert repr(meant) in message
        assert "5" in message

    def test_it_rejects_more_than_six_fields(self) -> None:
        with pytest.raises(InvalidExpression, match="7 fields"):
            CronExpression("0 0 0 1 1 * 2026")

    @pytest.mark.parametrize("macro", ["@fortnightly", "@reboot", "@"])
    def test_it_rejects_unknown_macros(self, macro: str) -> None:
        with pytest.raises(InvalidExpression, match=re.escape(macro)):
            CronExpression(macro)

    @pytest.mark.parametrize(
        "expression", ["cron(0 0 1 * MON *)", "cron(0 12 * * * *)", "cron(0 12 5 * 2 *)"]
    )
    def test_eventbridge_cron_needs_a_question_mark_in_one_day_field(self, expression: str) -> None:
        with pytest.raises(InvalidExpression) as caught:
            CronExpression(expression)
        message = str(caught.value)
        assert "?" in message
        assert "day-of-month" in message
        assert "day-of-week" in message

    @pytest.mark.parametrize("expression", ["cron(0 12 * * ?)", "cron(0 0 12 * * ? *)", "cron()"])
    def test_eventbridge_cron_has_six_fields(self, expression: str) -> None:
        with pytest.raises(InvalidExpression, match="6"):
            CronExpression(expression)

    @pytest.mark.parametrize(
        ("expression", "fragment"),
        [
            ("rate(0 minutes)", "0"),
            ("rate(-5 minutes)", "-5"),
            ("rate(five minutes)", "five"),
            ("rate(5 fortnights)", "fortnight"),
            ("rate(5)", "rate"),
            ("rate(1.5 hours)", "1.5"),
            ("rate(\u0665 minutes)", "\u0665"),
            ("rate(\uff15 minutes)", "\uff15"),
            ("rate(99999999999 days)", "3650 days"),
            ("rate(3651 days)", "3650 days"),
            ("rate(87601 hours)", "87600 hours"),
            ("rate(5256001 minutes)", "5256000 minutes"),
            ("rate(" + "9" * 5000 + " minutes)", "at most"),
        ],
    )
    def test_it_rejects_bad_rates(self, expression: str, fragment: str) -> None:
        with pytest.raises(InvalidExpression) as caught:
            CronExpression(expression)
        assert str(caught.value).startswith(f"{expression!r}: ")
        assert fragment in caught.value.reason

    @pytest.mark.parametrize(
        ("expression", "fragment"),
        [
            ("at(2026-02-30T10:00:00)", "2026-02-30"),
            ("at(2026-12-01T25:00:00)", "2026-12-01T25:00:00"),
            ("at(2026-12-01)", "at("),
            ("at(tomorrow)", "at("),
            ("at(\uff12\uff10\uff12\uff16-12-01T10:00:00)", "at("),
            ("at(9999-12-31T23:00:00)", "year 9999 is out of range 1970-2199"),
            ("at(0001-01-01T00:00:00)", "year 1 is out of range 1970-2199"),
        ],
    )
    def test_it_rejects_bad_at_times(self, expression: str, fragment: str) -> None:
        with pytest.raises(InvalidExpression) as caught:
            CronExpression(expression)
        assert str(caught.value).startswith(f"{expression!r}: ")
        assert fragment in caught.value.reason


class TestTimeZones:
    def test_the_default_zone_is_utc(self) -> None:
        assert fires("0 9 * * *", 1) == [utc(2026, 1, 1, 9)]

    def test_it_evaluates_wall_times_in_the_zone(self) -> None:
        # Berlin: CET (+01:00) in January, CEST (+02:00) in July.
        assert fires("0 9 * * *", 1, timezone="Europe/Berlin") == [utc(2026, 1, 1, 8)]
        assert fires("0 9 * * *", 1, utc(2026, 7, 1), timezone="Europe/Berlin") == [utc(2026, 7, 1, 7)]
        assert fires("0 9 * * *", 1, timezone="Asia/Kathmandu") == [utc(2026, 1, 1, 3, 15)]

    def test_the_local_date_decides_the_day_fields(self) -> None:
        # Monday 2026-01-05 00:30 in Tokyo (+09:00) is Sunday 2026-01-04 15:30Z.
        assert fires("30 0 * * MON", 1, timezone="Asia/Tokyo") == [utc(2026, 1, 4, 15, 30)]

    @pytest.mark.parametrize(
        "name", ["Mars/Olympus_Mons", "Europe/Berlinn", "", "../../../../etc/localtime", "europe/berlin?"]
    )
    def test_it_rejects_an_unknown_zone(self, name: str) -> None:
        with pytest.raises(UnknownTimeZone) as caught:
            CronExpression("* * * * *", timezone=name)
        assert isinstance(caught.value, ValueError)
        if name:
            assert name in str(caught.value)

    @pytest.mark.parametrize(
        "name",
        [
            "Europe/Berlin\x00",
            "\x00",
            "../etc/passwd",
            "Europe/../Europe/Berlin",
            "/etc/localtime",
            "Europe/B\u00e9rlin",
            "Asia/\u6771\u4eac",
            "Europe/Berlin\n",
            "Europe//Berlin",
            "Europe/Berlin/",
            "Etc",
            "leapseconds",
            "zone1970.tab",
            "__init__",
        ],
    )
    def test_it_rejects_names_that_are_no_zone_file(self, name: str) -> None:
        with pytest.raises(UnknownTimeZone) as caught:
            CronExpression("* * * * *", timezone=name)
        assert repr(name) in str(caught.value)
        assert "\n" not in str(caught.value)

    @pytest.mark.parametrize("name", ["A" * 300, "Europe/" + "B" * 250, "A/" * 200 + "B"])
    def test_it_rejects_a_long_name_in_a_short_message(self, name: str) -> None:
        with pytest.raises(UnknownTimeZone) as caught:
            CronExpression("* * * * *", timezone=name)
        message = str(caught.value)
        assert f"({len(name)} characters; zone names are at most 64)" in message
        assert name[:20] in message
        assert len(message) < 200

    def test_it_rejects_a_zone_that_is_not_text(self) -> None:
        with pytest.raises(UnknownTimeZone, match="expected a name, got list"):
            CronExpression("* * * * *", timezone=["Europe/Berlin"])  # type: ignore[arg-type]


class TestStartInstants:
    def test_a_naive_start_is_rejected(self) -> None:
        with pytest.raises(ValueError):  # noqa: PT011 - the message is the implementation's
            CronExpression("* * * * *").next_after(datetime(2026, 1, 1))

    def test_a_naive_start_is_rejected_by_iter_after(self) -> None:
        with pytest.raises(ValueError):  # noqa: PT011
            next(CronExpression("* * * * *").iter_after(datetime(2026, 1, 1)))

    def test_the_fire_is_strictly_after_the_start(self) -> None:
        assert fires("0 0 * * *", 1, utc(2026, 1, 1)) == [utc(2026, 1, 2)]
        assert fires("* * * * * *", 1, utc(2026, 1, 1, 0, 0, 0)) == [utc(2026, 1, 1, 0, 0, 1)]

    def test_a_start_with_a_fraction_of_a_second(self) -> None:
        half_past = utc(2026, 1, 1) + timedelta(microseconds=500_000)
        assert fires("* * * * * *", 1, half_past) == [utc(2026, 1, 1, 0, 0, 1)]
        just_before = utc(2026, 1, 1, 0, 0, 59) + timedelta(microseconds=999_999)
        assert fires("* * * * *", 1, just_before) == [utc(2026, 1, 1, 0, 1)]
        assert fires("0 0 * * *", 1, utc(2026, 1, 1) - timedelta(microseconds=1)) == [utc(2026, 1, 1)]

    def test_fires_are_utc_datetimes(self) -> None:
        for found in fires("0 9 * * *", 3, timezone="America/New_York"):
            assert found.utcoffset() == timedelta(0)
            assert found.tzname() == "UTC"

    def test_a_start_in_another_zone_is_the_same_instant(self) -> None:
        with resources.files("tzdata.zoneinfo").joinpath("Asia", "Tokyo").open("rb") as fh:
            tokyo = ZoneInfo.from_file(fh, key="Asia/Tokyo")
        start = datetime(2026, 1, 1, 9, 0, tzinfo=tokyo)  # 2026-01-01 00:00Z
        assert fires("*/15 * * * *", 2, start) == [utc(2026, 1, 1, 0, 15), utc(2026, 1, 1, 0, 30)]

    def test_iter_after_is_next_after_repeated(self) -> None:
        schedule = CronExpression("*/7 3-5 * * MON-FRI", timezone="Europe/Berlin")
        chained: list[datetime] = []
        current = schedule.next_after(NEW_YEAR)
        while current is not None and len(chained) < 40:
            chained.append(current)
            current = schedule.next_after(current)
        assert fires("*/7 3-5 * * MON-FRI", 40, timezone="Europe/Berlin") == chained
