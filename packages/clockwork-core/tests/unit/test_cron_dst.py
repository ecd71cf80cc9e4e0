"""CronExpression across real DST transitions (2026-2030), as example tables.

Each case carries its transition in a comment: the local wall clock before and after
the jump, and the UTC instant at which it happens. Expected fires are UTC instants,
worked out by hand from the zone rules of the pinned tzdata (the IANA rules for New
York, Berlin, Lord Howe, Santiago and Chatham), not from our implementation.

The rules under test (DESIGN.md, "Cron semantics"):

* A schedule is *interval* if its second, minute or hour field contains ``*``, ``?``
  or a ``/`` step; otherwise it is *fixed*.
* Fixed: a wall time that does not exist (spring forward) fires once, at the first
  instant after the gap; a wall time that exists twice (fall back) fires once, at
  its first occurrence, even when the computation starts inside the second pass.
* Interval: wall times in the gap are skipped; repeated wall times fire at both
  instants, so the schedule keeps its real-time cadence.
* Several wall times that map to one instant fire once; ``next_after(t)`` is strictly
  after ``t``; the sequence strictly increases.

The zones, for reading the tables:

* America/New_York: EST -05:00, EDT -04:00; 02:00 -> 03:00 in March, 02:00 -> 01:00
  in November.
* Europe/Berlin: CET +01:00, CEST +02:00; both jumps at 01:00Z.
* Australia/Lord_Howe: +10:30 standard, +11:00 summer (southern hemisphere: summer
  runs October-April); a 30-minute jump, 02:00 -> 02:30 in October, 02:00 -> 01:30
  in April.
* America/Santiago: -04:00 standard, -03:00 summer (September-April); the jumps are at
  local midnight: 24:00 -> 01:00 in September, 24:00 -> 23:00 in April.
* Pacific/Chatham: +12:45 standard, +13:45 summer (September-April); 02:45 -> 03:45
  in September, 03:45 -> 02:45 in April, both at 14:00Z.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
from clockwork_core import CronExpression

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
LORD_HOWE = "Australia/Lord_Howe"
SANTIAGO = "America/Santiago"
CHATHAM = "Pacific/Chatham"


def utc(year: int, month: int, day: int, *clock: int) -> datetime:
    """``utc(2026, 3, 8, 7, 30)``: an instant in UTC (hour, minute, second default to 0)."""
    assert len(clock) <= 3, clock
    hour, minute, second = (*clock, 0, 0, 0)[:3]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local_zone(name: str) -> ZoneInfo:
    """A zone from the pinned tzdata package (the host's zoneinfo may differ)."""
    with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as fh:
        return ZoneInfo.from_file(fh, key=name)


def fires(expression: str, timezone: str, start: datetime, count: int) -> list[datetime]:
    """The first ``count`` fires strictly after ``start``."""
    found = list(itertools.islice(CronExpression(expression, timezone=timezone).iter_after(start), count))
    assert all(f.utcoffset() == timedelta(0) for f in found), found
    return found


def next_fire(expression: str, timezone: str, start: datetime) -> datetime | None:
    return CronExpression(expression, timezone=timezone).next_after(start)


class TestFixedTimeInSpringForwardGap:
    """A fixed wall time that does not exist fires once, at the first instant after the gap."""

    # Each case: the day before, the day of the gap, the day after.
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
            pytest.param(
                utc(2026, 3, 7),
                [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)],
                id="2026",
            ),
            # 2027-03-14 02:00 EST -> 03:00 EDT (07:00Z)
            pytest.param(
                utc(2027, 3, 13),
                [utc(2027, 3, 13, 7, 30), utc(2027, 3, 14, 7, 0), utc(2027, 3, 15, 6, 30)],
                id="2027",
            ),
            # 2028-03-12 02:00 EST -> 03:00 EDT (07:00Z)
            pytest.param(
                utc(2028, 3, 11),
                [utc(2028, 3, 11, 7, 30), utc(2028, 3, 12, 7, 0), utc(2028, 3, 13, 6, 30)],
                id="2028",
            ),
            # 2029-03-11 02:00 EST -> 03:00 EDT (07:00Z)
            pytest.param(
                utc(2029, 3, 10),
                [utc(2029, 3, 10, 7, 30), utc(2029, 3, 11, 7, 0), utc(2029, 3, 12, 6, 30)],
                id="2029",
            ),
            # 2030-03-10 02:00 EST -> 03:00 EDT (07:00Z)
            pytest.param(
                utc(2030, 3, 9),
                [utc(2030, 3, 9, 7, 30), utc(2030, 3, 10, 7, 0), utc(2030, 3, 11, 6, 30)],
                id="2030",
            ),
        ],
    )
    def test_new_york_0230_fires_at_0300_edt_on_the_day_of_the_gap(
        self, start: datetime, expected: list[datetime]
    ) -> None:
        assert fires("30 2 * * *", NEW_YORK, start, 3) == expected

    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z)
            pytest.param(
                utc(2026, 3, 28),
                [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)],
                id="2026",
            ),
            # 2027-03-28 02:00 CET -> 03:00 CEST (01:00Z)
            pytest.param(
                utc(2027, 3, 27),
                [utc(2027, 3, 27, 1, 30), utc(2027, 3, 28, 1, 0), utc(2027, 3, 29, 0, 30)],
                id="2027",
            ),
            # 2028-03-26 02:00 CET -> 03:00 CEST (01:00Z)
            pytest.param(
                utc(2028, 3, 25),
                [utc(2028, 3, 25, 1, 30), utc(2028, 3, 26, 1, 0), utc(2028, 3, 27, 0, 30)],
                id="2028",
            ),
            # 2029-03-25 02:00 CET -> 03:00 CEST (01:00Z)
            pytest.param(
                utc(2029, 3, 24),
                [utc(2029, 3, 24, 1, 30), utc(2029, 3, 25, 1, 0), utc(2029, 3, 26, 0, 30)],
                id="2029",
            ),
            # 2030-03-31 02:00 CET -> 03:00 CEST (01:00Z)
            pytest.param(
                utc(2030, 3, 30),
                [utc(2030, 3, 30, 1, 30), utc(2030, 3, 31, 1, 0), utc(2030, 4, 1, 0, 30)],
                id="2030",
            ),
        ],
    )
    def test_berlin_0230_fires_at_0300_cest_on_the_day_of_the_gap(
        self, start: datetime, expected: list[datetime]
    ) -> None:
        assert fires("30 2 * * *", BERLIN, start, 3) == expected

    # Lord Howe's local date is the UTC date + 1 in the small hours: 02:15 +10:30 is
    # 15:45Z the day before, 02:15 +11:00 is 15:15Z the day before.
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-10-04 02:00 +10:30 -> 02:30 +11:00 (2026-10-03 15:30Z)
            pytest.param(
                utc(2026, 10, 2),
                [utc(2026, 10, 2, 15, 45), utc(2026, 10, 3, 15, 30), utc(2026, 10, 4, 15, 15)],
                id="2026",
            ),
            # 2027-10-03 02:00 +10:30 -> 02:30 +11:00 (2027-10-02 15:30Z)
            pytest.param(
                utc(2027, 10, 1),
                [utc(2027, 10, 1, 15, 45), utc(2027, 10, 2, 15, 30), utc(2027, 10, 3, 15, 15)],
                id="2027",
            ),
            # 2028-10-01 02:00 +10:30 -> 02:30 +11:00 (2028-09-30 15:30Z)
            pytest.param(
                utc(2028, 9, 29),
                [utc(2028, 9, 29, 15, 45), utc(2028, 9, 30, 15, 30), utc(2028, 10, 1, 15, 15)],
                id="2028",
            ),
            # 2029-10-07 02:00 +10:30 -> 02:30 +11:00 (2029-10-06 15:30Z)
            pytest.param(
                utc(2029, 10, 5),
                [utc(2029, 10, 5, 15, 45), utc(2029, 10, 6, 15, 30), utc(2029, 10, 7, 15, 15)],
                id="2029",
            ),
            # 2030-10-06 02:00 +10:30 -> 02:30 +11:00 (2030-10-05 15:30Z)
            pytest.param(
                utc(2030, 10, 4),
                [utc(2030, 10, 4, 15, 45), utc(2030, 10, 5, 15, 30), utc(2030, 10, 6, 15, 15)],
                id="2030",
            ),
        ],
    )
    def test_lord_howe_0215_fires_at_0230_after_its_half_hour_gap(
        self, start: datetime, expected: list[datetime]
    ) -> None:
        assert fires("15 2 * * *", LORD_HOWE, start, 3) == expected

    # Midnight -04:00 is 04:00Z; midnight -03:00 is 03:00Z.
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-09-06 00:00 -04 -> 01:00 -03 (04:00Z)
            pytest.param(
                utc(2026, 9, 5),
                [utc(2026, 9, 5, 4), utc(2026, 9, 6, 4), utc(2026, 9, 7, 3)],
                id="2026",
            ),
            # 2027-09-05 00:00 -04 -> 01:00 -03 (04:00Z)
            pytest.param(
                utc(2027, 9, 4),
                [utc(2027, 9, 4, 4), utc(2027, 9, 5, 4), utc(2027, 9, 6, 3)],
                id="2027",
            ),
            # 2028-09-03 00:00 -04 -> 01:00 -03 (04:00Z)
            pytest.param(
                utc(2028, 9, 2),
                [utc(2028, 9, 2, 4), utc(2028, 9, 3, 4), utc(2028, 9, 4, 3)],
                id="2028",
            ),
            # 2029-09-02 00:00 -04 -> 01:00 -03 (04:00Z)
            pytest.param(
                utc(2029, 9, 1),
                [utc(2029, 9, 1, 4), utc(2029, 9, 2, 4), utc(2029, 9, 3, 3)],
                id="2029",
            ),
            # 2030-09-08 00:00 -04 -> 01:00 -03 (04:00Z)
            pytest.param(
                utc(2030, 9, 7),
                [utc(2030, 9, 7, 4), utc(2030, 9, 8, 4), utc(2030, 9, 9, 3)],
                id="2030",
            ),
        ],
    )
    def test_santiago_midnight_fires_at_0100_when_midnight_is_skipped(
        self, start: datetime, expected: list[datetime]
    ) -> None:
        assert fires("0 0 * * *", SANTIAGO, start, 3) == expected

    # 03:00 +12:45 is 14:15Z the day before; 03:00 +13:45 is 13:15Z the day before.
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-09-27 02:45 +12:45 -> 03:45 +13:45 (2026-09-26 14:00Z)
            pytest.param(
                utc(2026, 9, 25),
                [utc(2026, 9, 25, 14, 15), utc(2026, 9, 26, 14, 0), utc(2026, 9, 27, 13, 15)],
                id="2026",
            ),
            # 2027-09-26 02:45 +12:45 -> 03:45 +13:45 (2027-09-25 14:00Z)
            pytest.param(
                utc(2027, 9, 24),
                [utc(2027, 9, 24, 14, 15), utc(2027, 9, 25, 14, 0), utc(2027, 9, 26, 13, 15)],
                id="2027",
            ),
            # 2028-09-24 02:45 +12:45 -> 03:45 +13:45 (2028-09-23 14:00Z)
            pytest.param(
                utc(2028, 9, 22),
                [utc(2028, 9, 22, 14, 15), utc(2028, 9, 23, 14, 0), utc(2028, 9, 24, 13, 15)],
                id="2028",
            ),
            # 2029-09-30 02:45 +12:45 -> 03:45 +13:45 (2029-09-29 14:00Z)
            pytest.param(
                utc(2029, 9, 28),
                [utc(2029, 9, 28, 14, 15), utc(2029, 9, 29, 14, 0), utc(2029, 9, 30, 13, 15)],
                id="2029",
            ),
            # 2030-09-29 02:45 +12:45 -> 03:45 +13:45 (2030-09-28 14:00Z)
            pytest.param(
                utc(2030, 9, 27),
                [utc(2030, 9, 27, 14, 15), utc(2030, 9, 28, 14, 0), utc(2030, 9, 29, 13, 15)],
                id="2030",
            ),
        ],
    )
    def test_chatham_0300_fires_at_0345_after_its_gap(
        self, start: datetime, expected: list[datetime]
    ) -> None:
        assert fires("0 3 * * *", CHATHAM, start, 3) == expected

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
    def test_it_fires_a_date_specific_time_in_the_gap(self) -> None:
        assert fires("30 2 8 3 *", NEW_YORK, utc(2026, 1, 1), 2) == [
            utc(2026, 3, 8, 7, 0),
            utc(2027, 3, 8, 7, 30),
        ]

    # 2026-09-06 00:00 -04 -> 01:00 -03 (04:00Z): the whole hour 00:00-00:59 is missing.
    def test_santiago_0030_fires_at_0100(self) -> None:
        assert fires("30 0 * * *", SANTIAGO, utc(2026, 9, 5, 12), 2) == [
            utc(2026, 9, 6, 4, 0),
            utc(2026, 9, 7, 3, 30),
        ]

    # 2026-10-04 02:00 +10:30 -> 02:30 +11:00 (2026-10-03 15:30Z): 02:45 exists.
    def test_lord_howe_0245_is_after_its_gap_and_fires_normally(self) -> None:
        assert fires("45 2 * * *", LORD_HOWE, utc(2026, 10, 3, 12), 2) == [
            utc(2026, 10, 3, 15, 45),
            utc(2026, 10, 4, 15, 45),
        ]


class TestFixedTimeInFallBackOverlap:
    """A fixed wall time that exists twice fires once, at its first occurrence."""

    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z); 01:30 is 05:30Z and 06:30Z
            pytest.param(
                utc(2026, 10, 31),
                [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
                id="2026",
            ),
            # 2027-11-07 02:00 EDT -> 01:00 EST (06:00Z)
            pytest.param(
                utc(2027, 11, 6),
                [utc(2027, 11, 6, 5, 30), utc(2027, 11, 7, 5, 30), utc(2027, 11, 8, 6, 30)],
                id="2027",
            ),
            # 2028-11-05 02:00 EDT -> 01:00 EST (06:00Z)
            pytest.param(
                utc(2028, 11, 4),
                [utc(2028, 11, 4, 5, 30), utc(2028, 11, 5, 5, 30), utc(2028, 11, 6, 6, 30)],
                id="2028",
            ),
            # 2029-11-04 02:00 EDT -> 01:00 EST (06:00Z)
            pytest.param(
                utc(2029, 11, 3),
                [utc(2029, 11, 3, 5, 30), utc(2029, 11, 4, 5, 30), utc(2029, 11, 5, 6, 30)],
                id="2029",
            ),
            # 2030-11-03 02:00 EDT -> 01:00 EST (06:00Z)
            pytest.param(
                utc(2030, 11, 2),
                [utc(2030, 11, 2, 5, 30), utc(2030, 11, 3, 5, 30), utc(2030, 11, 4, 6, 30)],
                id="2030",
            ),
        ],
    )
    def test_new_york_0130_fires_once_at_its_edt_occurrence(
        self, start: datetime, expected: list[datetime]
    ) -> None:
        assert fires("30 1 * * *", NEW_YORK, start, 3) == expected

    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z); 02:30 is 00:30Z and 01:30Z
            pytest.param(
                utc(2026, 10, 24),
                [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
                id="2026",
            ),
            # 2027-10-31 03:00 CEST -> 02:00 CET (01:00Z)
            pytest.param(
                utc(2027, 10, 30),
                [utc(2027, 10, 30, 0, 30), utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)],
                id="2027",
            ),
            # 2028-10-29 03:00 CEST -> 02:00 CET (01:00Z)
            pytest.param(
                utc(2028, 10, 28),
                [utc(2028, 10, 28, 0, 30), utc(2028, 10, 29, 0, 30), utc(2028, 10, 30, 1, 30)],
                id="2028",
            ),
            # 2029-10-28 03:00 CEST -> 02:00 CET (01:00Z)
            pytest.param(
                utc(2029, 10, 27),
                [utc(2029, 10, 27, 0, 30), utc(2029, 10, 28, 0, 30), utc(2029, 10, 29, 1, 30)],
                id="2029",
            ),
            # 2030-10-27 03:00 CEST -> 02:00 CET (01:00Z)
            pytest.param(
                utc(2030, 10, 26),
                [utc(2030, 10, 26, 0, 30), utc(2030, 10, 27, 0, 30), utc(2030, 10, 28, 1, 30)],
                id="2030",
            ),
        ],
    )
    def test_berlin_0230_fires_once_at_its_cest_occurrence(
        self, start: datetime, expected: list[datetime]
    ) -> None:
        assert fires("30 2 * * *", BERLIN, start, 3) == expected

    # 01:45 +11:00 is 14:45Z the day before; 01:45 +10:30 is 15:15Z the day before.
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-04-05 02:00 +11:00 -> 01:30 +10:30 (2026-04-04 15:00Z)
            pytest.param(
                utc(2026, 4, 3),
                [utc(2026, 4, 3, 14, 45), utc(2026, 4, 4, 14, 45), utc(2026, 4, 5, 15, 15)],
                id="2026",
            ),
            # 2027-04-04 02:00 +11:00 -> 01:30 +10:30 (2027-04-03 15:00Z)
            pytest.param(
                utc(2027, 4, 2),
                [utc(2027, 4, 2, 14, 45), utc(2027, 4, 3, 14, 45), utc(2027, 4, 4, 15, 15)],
                id="2027",
            ),
            # 2028-04-02 02:00 +11:00 -> 01:30 +10:30 (2028-04-01 15:00Z)
            pytest.param(
                utc(2028, 3, 31),
                [utc(2028, 3, 31, 14, 45), utc(2028, 4, 1, 14, 45), utc(2028, 4, 2, 15, 15)],
                id="2028",
            ),
            # 2029-04-01 02:00 +11:00 -> 01:30 +10:30 (2029-03-31 15:00Z)
            pytest.param(
                utc(2029, 3, 30),
                [utc(2029, 3, 30, 14, 45), utc(2029, 3, 31, 14, 45), utc(2029, 4, 1, 15, 15)],
                id="2029",
            ),
            # 2030-04-07 02:00 +11:00 -> 01:30 +10:30 (2030-04-06 15:00Z)
            pytest.param(
                utc(2030, 4, 5),
                [utc(2030, 4, 5, 14, 45), utc(2030, 4, 6, 14, 45), utc(2030, 4, 7, 15, 15)],
                id="2030",
            ),
        ],
    )
    def test_lord_howe_0145_fires_once_in_its_half_hour_overlap(
        self, start: datetime, expected: list[datetime]
    ) -> None:
        assert fires("45 1 * * *", LORD_HOWE, start, 3) == expected

    # 23:30 -03:00 is 02:30Z the next day; 23:30 -04:00 is 03:30Z the next day.
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-04-05 00:00 -03 -> 2026-04-04 23:00 -04 (03:00Z)
            pytest.param(
                utc(2026, 4, 4),
                [utc(2026, 4, 4, 2, 30), utc(2026, 4, 5, 2, 30), utc(2026, 4, 6, 3, 30)],
                id="2026",
            ),
            # 2027-04-04 00:00 -03 -> 2027-04-03 23:00 -04 (03:00Z)
            pytest.param(
                utc(2027, 4, 3),
                [utc(2027, 4, 3, 2, 30), utc(2027, 4, 4, 2, 30), utc(2027, 4, 5, 3, 30)],
                id="2027",
            ),
            # 2028-04-02 00:00 -03 -> 2028-04-01 23:00 -04 (03:00Z)
            pytest.param(
                utc(2028, 4, 1),
                [utc(2028, 4, 1, 2, 30), utc(2028, 4, 2, 2, 30), utc(2028, 4, 3, 3, 30)],
                id="2028",
            ),
            # 2029-04-08 00:00 -03 -> 2029-04-07 23:00 -04 (03:00Z)
            pytest.param(
                utc(2029, 4, 7),
                [utc(2029, 4, 7, 2, 30), utc(2029, 4, 8, 2, 30), utc(2029, 4, 9, 3, 30)],
                id="2029",
            ),
            # 2030-04-07 00:00 -03 -> 2030-04-06 23:00 -04 (03:00Z)
            pytest.param(
                utc(2030, 4, 6),
                [utc(2030, 4, 6, 2, 30), utc(2030, 4, 7, 2, 30), utc(2030, 4, 8, 3, 30)],
                id="2030",
            ),
        ],
    )
    def test_santiago_2330_fires_once_when_the_last_hour_of_the_day_repeats(
        self, start: datetime, expected: list[datetime]
    ) -> None:
        assert fires("30 23 * * *", SANTIAGO, start, 3) == expected

    # 03:00 +13:45 is 13:15Z the day before; 03:00 +12:45 is 14:15Z the day before.
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            # 2026-04-05 03:45 +13:45 -> 02:45 +12:45 (2026-04-04 14:00Z)
            pytest.param(
                utc(2026, 4, 3),
                [utc(2026, 4, 3, 13, 15), utc(2026, 4, 4, 13, 15), utc(2026, 4, 5, 14, 15)],
                id="2026",
            ),
            # 2027-04-04 03:45 +13:45 -> 02:45 +12:45 (2027-04-03 14:00Z)
            pytest.param(
                utc(2027, 4, 2),
                [utc(2027, 4, 2, 13, 15), utc(2027, 4, 3, 13, 15), utc(2027, 4, 4, 14, 15)],
                id="2027",
            ),
            # 2028-04-02 03:45 +13:45 -> 02:45 +12:45 (2028-04-01 14:00Z)
            pytest.param(
                utc(2028, 3, 31),
                [utc(2028, 3, 31, 13, 15), utc(2028, 4, 1, 13, 15), utc(2028, 4, 2, 14, 15)],
                id="2028",
            ),
            # 2029-04-01 03:45 +13:45 -> 02:45 +12:45 (2029-03-31 14:00Z)
            pytest.param(
                utc(2029, 3, 30),
                [utc(2029, 3, 30, 13, 15), utc(2029, 3, 31, 13, 15), utc(2029, 4, 1, 14, 15)],
                id="2029",
            ),
            # 2030-04-07 03:45 +13:45 -> 02:45 +12:45 (2030-04-06 14:00Z)
            pytest.param(
                utc(2030, 4, 5),
                [utc(2030, 4, 5, 13, 15), utc(2030, 4, 6, 13, 15), utc(2030, 4, 7, 14, 15)],
                id="2030",
            ),
        ],
    )
    def test_chatham_0300_fires_once_in_its_overlap(self, start: datetime, expected: list[datetime]) -> None:
        assert fires("0 3 * * *", CHATHAM, start, 3) == expected

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z): minutes 01:00-01:59 run twice.
    def test_a_fixed_minute_range_does_not_run_the_repeated_hour_again(self) -> None:
        assert fires("0-59 1 * * *", NEW_YORK, utc(2026, 11, 1, 5, 58), 2) == [
            utc(2026, 11, 1, 5, 59),
            utc(2026, 11, 2, 6, 0),
        ]


class TestStartingInsideTheOverlap:
    """The second pass of a repeated hour never fires a fixed time again, wherever we start."""

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z); 01:30 EDT is 05:30Z, 01:30 EST 06:30Z
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            pytest.param(utc(2026, 11, 1, 5, 10), utc(2026, 11, 1, 5, 30), id="first-pass-before"),
            pytest.param(utc(2026, 11, 1, 5, 29, 59), utc(2026, 11, 1, 5, 30), id="just-before"),
            pytest.param(utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30), id="at-the-fire"),
            pytest.param(utc(2026, 11, 1, 5, 45), utc(2026, 11, 2, 6, 30), id="first-pass-after"),
            pytest.param(utc(2026, 11, 1, 6, 0), utc(2026, 11, 2, 6, 30), id="at-the-transition"),
            pytest.param(utc(2026, 11, 1, 6, 10), utc(2026, 11, 2, 6, 30), id="second-pass-before"),
            pytest.param(utc(2026, 11, 1, 6, 30), utc(2026, 11, 2, 6, 30), id="second-occurrence"),
            pytest.param(utc(2026, 11, 1, 6, 45), utc(2026, 11, 2, 6, 30), id="second-pass-after"),
        ],
    )
    def test_new_york_0130_fires_only_at_the_first_occurrence(
        self, start: datetime, expected: datetime
    ) -> None:
        assert next_fire("30 1 * * *", NEW_YORK, start) == expected

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
    def test_it_accepts_a_start_given_as_local_time_in_the_second_pass(self) -> None:
        second_pass = datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=local_zone(NEW_YORK))
        assert second_pass.astimezone(UTC) == utc(2026, 11, 1, 6, 10)
        assert next_fire("30 1 * * *", NEW_YORK, second_pass) == utc(2026, 11, 2, 6, 30)

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
    def test_it_accepts_a_start_given_as_local_time_in_the_first_pass(self) -> None:
        first_pass = datetime(2026, 11, 1, 1, 10, fold=0, tzinfo=local_zone(NEW_YORK))
        assert first_pass.astimezone(UTC) == utc(2026, 11, 1, 5, 10)
        assert next_fire("30 1 * * *", NEW_YORK, first_pass) == utc(2026, 11, 1, 5, 30)

    # 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z); now 02:10 CET (01:10Z)
    def test_berlin_second_pass_goes_to_the_next_day(self) -> None:
        assert next_fire("30 2 * * *", BERLIN, utc(2026, 10, 25, 1, 10)) == utc(2026, 10, 26, 1, 30)

    # 2026-04-05 02:00 +11:00 -> 01:30 +10:30 (2026-04-04 15:00Z); now 01:35 +10:30 (15:05Z)
    def test_lord_howe_second_pass_goes_to_the_next_day(self) -> None:
        assert next_fire("45 1 * * *", LORD_HOWE, utc(2026, 4, 4, 15, 5)) == utc(2026, 4, 5, 15, 15)

    # 2026-04-05 00:00 -03 -> 2026-04-04 23:00 -04 (03:00Z); now 23:10 -04 (03:10Z)
    def test_santiago_second_pass_goes_to_the_next_day(self) -> None:
        assert next_fire("30 23 * * *", SANTIAGO, utc(2026, 4, 5, 3, 10)) == utc(2026, 4, 6, 3, 30)

    # 2026-04-05 03:45 +13:45 -> 02:45 +12:45 (2026-04-04 14:00Z); now 02:50 +12:45 (14:05Z)
    def test_chatham_second_pass_goes_to_the_next_day(self) -> None:
        assert next_fire("0 3 * * *", CHATHAM, utc(2026, 4, 4, 14, 5)) == utc(2026, 4, 5, 14, 15)

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z); now 01:10 EST (06:10Z)
    def test_a_fixed_time_after_the_overlap_still_fires_that_day(self) -> None:
        assert next_fire("30 2 * * *", NEW_YORK, utc(2026, 11, 1, 6, 10)) == utc(2026, 11, 1, 7, 30)


class TestStartingAroundTheGap:
    """next_after is strictly after its start, also when the fire is the end of a gap."""

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            pytest.param(utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 0), id="before-the-gap"),
            pytest.param(utc(2026, 3, 8, 6, 59, 59), utc(2026, 3, 8, 7, 0), id="just-before"),
            pytest.param(utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30), id="at-the-gap"),
            pytest.param(utc(2026, 3, 8, 7, 0, 1), utc(2026, 3, 9, 6, 30), id="just-after"),
            pytest.param(utc(2026, 3, 8, 7, 40), utc(2026, 3, 9, 6, 30), id="after-0330-edt"),
        ],
    )
    def test_new_york_0230(self, start: datetime, expected: datetime) -> None:
        assert next_fire("30 2 * * *", NEW_YORK, start) == expected

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
    def test_it_accepts_a_start_given_as_local_time_just_before_the_gap(self) -> None:
        before = datetime(2026, 3, 8, 1, 59, 59, tzinfo=local_zone(NEW_YORK))
        assert next_fire("30 2 * * *", NEW_YORK, before) == utc(2026, 3, 8, 7, 0)

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            pytest.param(utc(2026, 3, 8, 6, 45), utc(2026, 3, 8, 7, 0), id="at-0145-est"),
            pytest.param(utc(2026, 3, 8, 6, 50), utc(2026, 3, 8, 7, 0), id="at-0150-est"),
            pytest.param(utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 7, 15), id="at-0300-edt"),
        ],
    )
    def test_every_15_minutes_resumes_at_0300_edt(self, start: datetime, expected: datetime) -> None:
        assert next_fire("*/15 * * * *", NEW_YORK, start) == expected


class TestSeveralWallTimesOnOneInstant:
    """Wall times that all map to the first instant after a gap fire once."""

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z): 02:00, 02:30 and 03:00 are all 07:00Z.
    def test_new_york_0200_0230_0300_fire_once(self) -> None:
        assert fires("0,30 2,3 * * *", NEW_YORK, utc(2026, 3, 8, 6), 4) == [
            utc(2026, 3, 8, 7, 0),
            utc(2026, 3, 8, 7, 30),
            utc(2026, 3, 9, 6, 0),
            utc(2026, 3, 9, 6, 30),
        ]

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z): 02:00-02:05 are all 07:00Z.
    def test_a_minute_range_inside_the_gap_fires_once(self) -> None:
        assert fires("0-5 2 * * *", NEW_YORK, utc(2026, 3, 8, 6), 3) == [
            utc(2026, 3, 8, 7, 0),
            utc(2026, 3, 9, 6, 0),
            utc(2026, 3, 9, 6, 1),
        ]

    # 2026-09-06 00:00 -04 -> 01:00 -03 (04:00Z): 00:00 and 01:00 are both 04:00Z.
    def test_santiago_midnight_and_0100_fire_once(self) -> None:
        assert fires("0 0,1 * * *", SANTIAGO, utc(2026, 9, 5, 12), 3) == [
            utc(2026, 9, 6, 4),
            utc(2026, 9, 7, 3),
            utc(2026, 9, 7, 4),
        ]

    # 2026-09-27 02:45 +12:45 -> 03:45 +13:45 (2026-09-26 14:00Z): 02:45 and 03:45 are 14:00Z.
    def test_chatham_0245_and_0345_fire_once(self) -> None:
        assert fires("45 2,3 * * *", CHATHAM, utc(2026, 9, 26, 12), 3) == [
            utc(2026, 9, 26, 14, 0),
            utc(2026, 9, 27, 13, 0),
            utc(2026, 9, 27, 14, 0),
        ]

    # 2026-10-04 02:00 +10:30 -> 02:30 +11:00 (2026-10-03 15:30Z): 02:00, 02:15, 02:30 -> 15:30Z.
    def test_lord_howe_0200_0215_0230_fire_once(self) -> None:
        assert fires("0,15,30 2 * * *", LORD_HOWE, utc(2026, 10, 3, 12), 4) == [
            utc(2026, 10, 3, 15, 30),
            utc(2026, 10, 4, 15, 0),
            utc(2026, 10, 4, 15, 15),
            utc(2026, 10, 4, 15, 30),
        ]


class TestFixedHourRanges:
    """`0 1-3 * * *` is fixed: each hour fires once, the gap's at 03:00, the overlap's first."""

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z): 02:00 and 03:00 are both 07:00Z.
    def test_new_york_spring_forward(self) -> None:
        assert fires("0 1-3 * * *", NEW_YORK, utc(2026, 3, 8), 5) == [
            utc(2026, 3, 8, 6),  # 01:00 EST
            utc(2026, 3, 8, 7),  # 02:00 (missing) and 03:00 EDT
            utc(2026, 3, 9, 5),  # 01:00 EDT
            utc(2026, 3, 9, 6),
            utc(2026, 3, 9, 7),
        ]

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z): 01:00 is 05:00Z and 06:00Z.
    def test_new_york_fall_back(self) -> None:
        assert fires("0 1-3 * * *", NEW_YORK, utc(2026, 11, 1), 4) == [
            utc(2026, 11, 1, 5),  # 01:00 EDT; not again at 01:00 EST (06:00Z)
            utc(2026, 11, 1, 7),  # 02:00 EST
            utc(2026, 11, 1, 8),  # 03:00 EST
            utc(2026, 11, 2, 6),  # 01:00 EST
        ]

    # 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z): 02:00 is 00:00Z and 01:00Z.
    def test_berlin_fall_back(self) -> None:
        assert fires("0 1-3 * * *", BERLIN, utc(2026, 10, 24, 22), 4) == [
            utc(2026, 10, 24, 23),  # 01:00 CEST
            utc(2026, 10, 25, 0),  # 02:00 CEST; not again at 02:00 CET (01:00Z)
            utc(2026, 10, 25, 2),  # 03:00 CET
            utc(2026, 10, 26, 0),  # 01:00 CET
        ]


class TestSeconds:
    """Six-field expressions (seconds first) follow the same rules to the second."""

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
    def test_a_fixed_time_with_seconds_in_the_gap_fires_at_the_end_of_the_gap(self) -> None:
        assert fires("30 30 2 * * *", NEW_YORK, utc(2026, 3, 8), 2) == [
            utc(2026, 3, 8, 7, 0, 0),
            utc(2026, 3, 9, 6, 30, 30),
        ]

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
    def test_a_fixed_time_with_seconds_in_the_overlap_fires_once(self) -> None:
        assert fires("15 30 1 * * *", NEW_YORK, utc(2026, 11, 1), 2) == [
            utc(2026, 11, 1, 5, 30, 15),
            utc(2026, 11, 2, 6, 30, 15),
        ]

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z): 01:59:59 EST is followed by 03:00:00 EDT.
    def test_every_second_runs_straight_through_the_gap(self) -> None:
        assert fires("* * * * * *", NEW_YORK, utc(2026, 3, 8, 6, 59, 58), 3) == [
            utc(2026, 3, 8, 6, 59, 59),
            utc(2026, 3, 8, 7, 0, 0),
            utc(2026, 3, 8, 7, 0, 1),
        ]

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z): 01:59:59 EDT is followed by 01:00:00 EST.
    def test_every_second_runs_straight_through_the_overlap(self) -> None:
        assert fires("* * * * * *", NEW_YORK, utc(2026, 11, 1, 5, 59, 58), 3) == [
            utc(2026, 11, 1, 5, 59, 59),
            utc(2026, 11, 1, 6, 0, 0),
            utc(2026, 11, 1, 6, 0, 1),
        ]

    # 2026-10-04 02:00 +10:30 -> 02:30 +11:00 (2026-10-03 15:30Z)
    def test_every_20_seconds_through_lord_howes_gap(self) -> None:
        assert fires("*/20 * * * * *", LORD_HOWE, utc(2026, 10, 3, 15, 29, 30), 3) == [
            utc(2026, 10, 3, 15, 29, 40),  # 01:59:40 +10:30
            utc(2026, 10, 3, 15, 30, 0),  # 02:30:00 +11:00
            utc(2026, 10, 3, 15, 30, 20),
        ]

    # 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z): minute '*' makes it interval.
    def test_every_minute_of_the_repeated_hour_fires_twice(self) -> None:
        assert fires("0 * 2 * * *", BERLIN, utc(2026, 10, 25, 0, 58), 3) == [
            utc(2026, 10, 25, 0, 59),  # 02:59 CEST
            utc(2026, 10, 25, 1, 0),  # 02:00 CET
            utc(2026, 10, 25, 1, 1),
        ]


class TestIntervalScheduleInTheGap:
    """Interval schedules skip the wall times that do not exist, and only those."""

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
    def test_every_15_minutes_goes_from_0145_est_to_0300_edt(self) -> None:
        assert fires("*/15 * * * *", NEW_YORK, utc(2026, 3, 8, 6, 30), 3) == [
            utc(2026, 3, 8, 6, 45),
            utc(2026, 3, 8, 7, 0),
            utc(2026, 3, 8, 7, 15),
        ]

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
    def test_hourly_with_a_step_skips_0200(self) -> None:
        assert fires("0 */1 * * *", NEW_YORK, utc(2026, 3, 8, 5, 30), 3) == [
            utc(2026, 3, 8, 6),  # 01:00 EST
            utc(2026, 3, 8, 7),  # 03:00 EDT
            utc(2026, 3, 8, 8),  # 04:00 EDT
        ]

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z): 03:00 is not a multiple of 2 hours.
    def test_every_two_hours_adds_no_fire_at_the_end_of_the_gap(self) -> None:
        assert fires("0 */2 * * *", NEW_YORK, utc(2026, 3, 8, 4, 30), 3) == [
            utc(2026, 3, 8, 5),  # 00:00 EST
            utc(2026, 3, 8, 8),  # 04:00 EDT
            utc(2026, 3, 8, 10),  # 06:00 EDT
        ]

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
    def test_half_past_every_hour_skips_0230(self) -> None:
        assert fires("30 * * * *", NEW_YORK, utc(2026, 3, 8, 6), 2) == [
            utc(2026, 3, 8, 6, 30),  # 01:30 EST
            utc(2026, 3, 8, 7, 30),  # 03:30 EDT
        ]

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z): hour 2 does not exist that day.
    def test_an_interval_schedule_inside_the_missing_hour_skips_the_day(self) -> None:
        assert fires("*/30 2 * * *", NEW_YORK, utc(2026, 3, 7, 8), 2) == [
            utc(2026, 3, 9, 6, 0),
            utc(2026, 3, 9, 6, 30),
        ]

    # 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z)
    def test_berlin_hourly_with_a_step_skips_0200(self) -> None:
        assert fires("0 */1 * * *", BERLIN, utc(2026, 3, 28, 23, 30), 3) == [
            utc(2026, 3, 29, 0),  # 01:00 CET
            utc(2026, 3, 29, 1),  # 03:00 CEST
            utc(2026, 3, 29, 2),  # 04:00 CEST
        ]

    # 2026-10-04 02:00 +10:30 -> 02:30 +11:00 (2026-10-03 15:30Z)
    def test_lord_howe_every_15_minutes_skips_0200_and_0215(self) -> None:
        assert fires("*/15 * * * *", LORD_HOWE, utc(2026, 10, 3, 15), 3) == [
            utc(2026, 10, 3, 15, 15),  # 01:45 +10:30
            utc(2026, 10, 3, 15, 30),  # 02:30 +11:00
            utc(2026, 10, 3, 15, 45),  # 02:45 +11:00
        ]

    # 2026-10-04 02:00 +10:30 -> 02:30 +11:00 (2026-10-03 15:30Z)
    def test_lord_howe_hourly_is_90_minutes_apart_across_the_gap(self) -> None:
        assert fires("0 * * * *", LORD_HOWE, utc(2026, 10, 3, 14), 2) == [
            utc(2026, 10, 3, 14, 30),  # 01:00 +10:30
            utc(2026, 10, 3, 16, 0),  # 03:00 +11:00
        ]

    # 2026-09-06 00:00 -04 -> 01:00 -03 (04:00Z)
    def test_santiago_hourly_goes_from_2300_to_0100(self) -> None:
        assert fires("0 * * * *", SANTIAGO, utc(2026, 9, 6, 2, 30), 3) == [
            utc(2026, 9, 6, 3),  # 2026-09-05 23:00 -04
            utc(2026, 9, 6, 4),  # 2026-09-06 01:00 -03
            utc(2026, 9, 6, 5),  # 02:00 -03
        ]

    # 2026-09-06 00:00 -04 -> 01:00 -03 (04:00Z): hour 0 does not exist that day.
    def test_santiago_interval_in_the_missing_midnight_hour_skips_the_day(self) -> None:
        assert fires("*/30 0 * * *", SANTIAGO, utc(2026, 9, 5, 12), 2) == [
            utc(2026, 9, 7, 3, 0),
            utc(2026, 9, 7, 3, 30),
        ]

    # 2026-09-27 02:45 +12:45 -> 03:45 +13:45 (2026-09-26 14:00Z)
    def test_chatham_every_30_minutes_keeps_its_cadence(self) -> None:
        assert fires("*/30 * * * *", CHATHAM, utc(2026, 9, 26, 13, 30), 3) == [
            utc(2026, 9, 26, 13, 45),  # 02:30 +12:45
            utc(2026, 9, 26, 14, 15),  # 04:00 +13:45
            utc(2026, 9, 26, 14, 45),  # 04:30 +13:45
        ]


class TestIntervalScheduleInTheOverlap:
    """Interval schedules fire a repeated wall time at both instants: real-time cadence."""

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
    def test_every_15_minutes_keeps_going_through_the_repeated_hour(self) -> None:
        quarter = timedelta(minutes=15)
        assert fires("*/15 * * * *", NEW_YORK, utc(2026, 11, 1, 4, 50), 12) == [
            utc(2026, 11, 1, 5, 0) + n * quarter for n in range(12)
        ]

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
    def test_every_15_minutes_from_inside_the_second_pass(self) -> None:
        assert fires("*/15 * * * *", NEW_YORK, utc(2026, 11, 1, 6, 10), 2) == [
            utc(2026, 11, 1, 6, 15),  # 01:15 EST
            utc(2026, 11, 1, 6, 30),
        ]

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
    def test_hourly_with_a_step_fires_0100_twice(self) -> None:
        assert fires("0 */1 * * *", NEW_YORK, utc(2026, 11, 1, 4, 30), 3) == [
            utc(2026, 11, 1, 5),  # 01:00 EDT
            utc(2026, 11, 1, 6),  # 01:00 EST
            utc(2026, 11, 1, 7),  # 02:00 EST
        ]

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
    def test_half_past_every_hour_fires_0130_twice(self) -> None:
        assert fires("30 * * * *", NEW_YORK, utc(2026, 11, 1, 5), 3) == [
            utc(2026, 11, 1, 5, 30),  # 01:30 EDT
            utc(2026, 11, 1, 6, 30),  # 01:30 EST
            utc(2026, 11, 1, 7, 30),  # 02:30 EST
        ]

    # 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z)
    def test_berlin_half_hourly_in_hour_2_fires_four_times(self) -> None:
        assert fires("*/30 2 * * *", BERLIN, utc(2026, 10, 24, 23, 30), 5) == [
            utc(2026, 10, 25, 0, 0),  # 02:00 CEST
            utc(2026, 10, 25, 0, 30),  # 02:30 CEST
            utc(2026, 10, 25, 1, 0),  # 02:00 CET
            utc(2026, 10, 25, 1, 30),  # 02:30 CET
            utc(2026, 10, 26, 1, 0),  # 02:00 CET, the next day
        ]

    # 2026-04-05 02:00 +11:00 -> 01:30 +10:30 (2026-04-04 15:00Z)
    def test_lord_howe_every_15_minutes_repeats_the_half_hour(self) -> None:
        assert fires("*/15 * * * *", LORD_HOWE, utc(2026, 4, 4, 14, 20), 5) == [
            utc(2026, 4, 4, 14, 30),  # 01:30 +11:00
            utc(2026, 4, 4, 14, 45),  # 01:45 +11:00
            utc(2026, 4, 4, 15, 0),  # 01:30 +10:30
            utc(2026, 4, 4, 15, 15),  # 01:45 +10:30
            utc(2026, 4, 4, 15, 30),  # 02:00 +10:30
        ]

    # 2026-04-05 02:00 +11:00 -> 01:30 +10:30 (2026-04-04 15:00Z): 02:00 +11:00 never shows.
    def test_lord_howe_hourly_is_90_minutes_apart_across_the_overlap(self) -> None:
        assert fires("0 * * * *", LORD_HOWE, utc(2026, 4, 4, 13, 30), 3) == [
            utc(2026, 4, 4, 14, 0),  # 01:00 +11:00
            utc(2026, 4, 4, 15, 30),  # 02:00 +10:30
            utc(2026, 4, 4, 16, 30),  # 03:00 +10:30
        ]

    # 2026-04-05 00:00 -03 -> 2026-04-04 23:00 -04 (03:00Z)
    def test_santiago_half_hourly_in_hour_23_fires_four_times(self) -> None:
        assert fires("*/30 23 * * *", SANTIAGO, utc(2026, 4, 5, 1), 5) == [
            utc(2026, 4, 5, 2, 0),  # 23:00 -03
            utc(2026, 4, 5, 2, 30),  # 23:30 -03
            utc(2026, 4, 5, 3, 0),  # 23:00 -04
            utc(2026, 4, 5, 3, 30),  # 23:30 -04
            utc(2026, 4, 6, 3, 0),  # 2026-04-05 23:00 -04
        ]

    # 2026-04-05 03:45 +13:45 -> 02:45 +12:45 (2026-04-04 14:00Z)
    def test_chatham_hourly_fires_0300_twice(self) -> None:
        assert fires("0 * * * *", CHATHAM, utc(2026, 4, 4, 12), 4) == [
            utc(2026, 4, 4, 12, 15),  # 02:00 +13:45
            utc(2026, 4, 4, 13, 15),  # 03:00 +13:45
            utc(2026, 4, 4, 14, 15),  # 03:00 +12:45
            utc(2026, 4, 4, 15, 15),  # 04:00 +12:45
        ]


class TestAtInDst:
    """at(...) is a fixed wall time: once, at the end of a gap or at the first occurrence."""

    # 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z)
    def test_at_a_missing_time_fires_at_the_end_of_the_gap(self) -> None:
        expression = CronExpression("at(2026-03-08T02:30:00)", timezone=NEW_YORK)
        assert expression.next_after(utc(2026, 3, 1)) == utc(2026, 3, 8, 7, 0)
        assert expression.next_after(utc(2026, 3, 8, 7, 0)) is None

    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
    def test_at_a_repeated_time_fires_at_the_first_occurrence_only(self) -> None:
        expression = CronExpression("at(2026-11-01T01:30:00)", timezone=NEW_YORK)
        assert expression.next_after(utc(2026, 11, 1)) == utc(2026, 11, 1, 5, 30)
        assert expression.next_after(utc(2026, 11, 1, 5, 30)) is None
        assert expression.next_after(utc(2026, 11, 1, 6, 10)) is None

    # 2026-10-04 02:00 +10:30 -> 02:30 +11:00 (2026-10-03 15:30Z)
    def test_at_in_lord_howes_gap(self) -> None:
        expression = CronExpression("at(2026-10-04T02:15:00)", timezone=LORD_HOWE)
        assert expression.next_after(utc(2026, 10, 1)) == utc(2026, 10, 3, 15, 30)

    # 2026-09-06 00:00 -04 -> 01:00 -03 (04:00Z)
    def test_at_in_santiagos_missing_midnight(self) -> None:
        expression = CronExpression("at(2026-09-06T00:30:00)", timezone=SANTIAGO)
        assert expression.next_after(utc(2026, 9, 1)) == utc(2026, 9, 6, 4, 0)
