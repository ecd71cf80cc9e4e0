"""The original aws-ecs-clockwork's dialect, against its real libraries' vectors.

``tests/golden/original/vectors.json`` (made by ``generate.mjs`` there, with node-schedule 0.2.9,
its cron-parser 0.6.2 and cron-parser 0.7.1; see tests/golden/README.md) holds, for every
committed and generated text, the Lambda's verdict and the worker's first fires from fixed
starts, or its error. No node is needed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from clockwork_core.cron import CronExpression, parse_cron
from clockwork_core.errors import InvalidExpression, InvalidValue
from clockwork_core.original_cron import (
    OriginalRefused,
    compare,
    in_clockwork_syntax,
    lambda_refusal,
    worker_fires,
)
from clockwork_core.original_cron_syntax import (
    JsError,
    OriginalFields,
    find_schedule,
    one_line,
    parse_original,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "original" / "vectors.json"
DATA: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
EXPRESSIONS: list[dict[str, Any]] = DATA["expressions"]
HORIZON = timedelta(days=DATA["options"]["horizon_days"])
PARSED = [e for e in EXPRESSIONS if e["worker"]["parse_error"] is None]
REFUSED = [e for e in EXPRESSIONS if e["worker"]["parse_error"] is not None]
CHECK = "Invalid explicit day of month definition"
SECOND = timedelta(seconds=1)
NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def label(entry: dict[str, Any]) -> str:
    text: str = entry["text"]
    return repr(text) if len(text) < 40 else repr(text[:37] + "...")


def search(fields: OriginalFields, start: datetime, count: int) -> tuple[list[datetime], JsError | None]:
    """The model's successive searches from ``start`` (naive UTC), as the vectors' runs do them."""
    fires: list[datetime] = []
    while len(fires) < count:
        try:
            found = find_schedule(fields, start)
        except JsError as exc:
            return fires, exc
        fires.append(found)
        start = found + SECOND
    return fires, None


class TestTheVectors:
    def test_they_come_from_the_original_libraries(self) -> None:
        versions = DATA["versions"]
        assert versions["node-schedule"] == "0.2.9"
        assert versions["cron-parser (worker, under node-schedule)"] == "0.6.2"
        assert versions["cron-parser (Lambda)"] == "0.7.1"

    def test_node_schedule_fell_back_to_a_date_that_stalled_the_worker(self) -> None:
        # What the docstrings say the worker did with a text it could not parse, as the
        # generator saw it happen with node-schedule's real timers.
        assert DATA["checks"] == {
            "refused_text_is_scheduled_as_an_invalid_date": True,
            "a_readable_past_date_fires_once_at_once": True,
            "an_invalid_date_stops_the_other_jobs": True,
        }
        fallbacks = {e["text"]: e["worker"]["fallback"] for e in REFUSED}
        assert fallbacks["0 0 * * sun"] == "Invalid Date"
        assert fallbacks["60 * * * *"] == "1960-01-01T00:00:00Z"  # a date to node: it fired once

    def test_they_hold_the_committed_groups_and_the_generated_texts(self) -> None:
        groups = {e["group"] for e in EXPRESSIONS}
        assert {"issue", "sample", "names", "macro", "quartz", "six", "space", "short", "days"} <= groups
        assert sum(e["group"] == "generated" for e in EXPRESSIONS) >= 200
        assert GOLDEN.stat().st_size < 300_000


class TestTheLambda:
    @pytest.mark.parametrize("entry", EXPRESSIONS, ids=label)
    def test_it_accepts_and_refuses_what_cron_parser_0_7_1_did(self, entry: dict[str, Any]) -> None:
        expected = entry["lambda_error"]
        assert lambda_refusal(entry["text"]) == (None if expected is None else one_line(expected))

    def test_it_accepted_day_names_that_the_worker_could_not_use(self) -> None:
        assert lambda_refusal("0 0 * * sun") is None
        with pytest.raises(OriginalRefused, match='Cannot resolve alias "sun"'):
            worker_fires("0 0 * * sun", NOW, 1)


class TestTheWorker:
    @pytest.mark.parametrize("entry", REFUSED, ids=label)
    def test_it_refuses_what_cron_parser_0_6_2_could_not_parse(self, entry: dict[str, Any]) -> None:
        with pytest.raises(OriginalRefused) as caught:
            worker_fires(entry["text"], NOW, 1)
        assert one_line(entry["worker"]["parse_error"]) in caught.value.reason
        assert "new Date(text)" in caught.value.reason
        assert "\n" not in caught.value.reason

    @pytest.mark.parametrize("entry", PARSED, ids=label)
    def test_its_searches_are_cron_parser_0_6_2s(self, entry: dict[str, Any]) -> None:
        fields = parse_original(entry["text"], "0.6.2")
        for run in entry["worker"]["runs"]:
            start = instant(run["start"]).replace(tzinfo=None)
            expected = [instant(f).replace(tzinfo=None) for f in run["fires"]]
            fires, error = search(fields, start, len(expected) + 1)
            assert fires[: len(expected)] == expected, run["start"]
            if run["error"] == CHECK:
                assert len(fires) == len(expected)
                assert error is not None
                assert error.message == CHECK
                assert error.at is not None
                assert error.at <= start + HORIZON
            elif run["error"] is not None:  # the vectors' horizon: no fire before it
                assert run["error"] == "Out of the timespan range"
                assert (error is not None and (error.at is None or error.at > start + HORIZON)) or (
                    fires[len(expected)] > start + HORIZON
                )

    @pytest.mark.parametrize("entry", PARSED, ids=label)
    def test_worker_fires_are_strictly_after_the_start(self, entry: dict[str, Any]) -> None:
        for run in entry["worker"]["runs"]:
            expected = [instant(f) for f in run["fires"]]
            after = instant(run["start"]) - SECOND  # cron-parser's first search includes its start
            if run["error"] is None:
                assert worker_fires(entry["text"], after, len(expected)) == expected
                assert worker_fires(entry["text"], after + timedelta(microseconds=999_999), 1) == expected[:1]
            elif run["error"] == CHECK:
                with pytest.raises(OriginalRefused, match=CHECK):
                    worker_fires(entry["text"], after, len(expected) + 1)

    def test_it_wants_an_aware_start(self) -> None:
        with pytest.raises(InvalidValue, match=r"after: .* is not an aware datetime"):
            worker_fires("* * * * *", datetime(2026, 1, 1), 1)
        with pytest.raises(InvalidValue, match=r"now: .* is not an aware datetime"):
            compare("*/2 * * * *", now=datetime(2026, 1, 1), schedule_id="s")

    def test_a_failed_search_after_a_fire_ends_the_worker(self) -> None:
        # 0 0 1,31 2-12 *: fires on 1 February, then the search throws on reaching March.
        after = datetime(2027, 1, 15, tzinfo=UTC)
        assert worker_fires("0 0 1,31 2-12 *", after, 1) == [datetime(2027, 2, 1, tzinfo=UTC)]
        with pytest.raises(OriginalRefused, match="ends the worker process"):
            worker_fires("0 0 1,31 2-12 *", after, 2)

    def test_every_minute_fails_in_february_of_leap_years(self) -> None:
        after = datetime(2028, 1, 31, 23, 58, tzinfo=UTC)
        assert worker_fires("* * * * *", after, 1) == [datetime(2028, 1, 31, 23, 59, tzinfo=UTC)]
        with pytest.raises(OriginalRefused, match="2028-02-01T00:00:00Z"):
            worker_fires("* * * * *", after, 2)

    def test_a_field_that_matches_nothing_hangs_or_fails_the_search(self) -> None:
        with pytest.raises(
            OriginalRefused, match=re.escape("never fires it: its minute '1|2' matches nothing")
        ):
            in_clockwork_syntax("1|2 * * * *")
        with pytest.raises(OriginalRefused, match="never ends"):
            worker_fires("0 0 * 12 */0", NOW, 1)  # day-of-week empty; December's check never throws


class TestTheTranslation:
    @pytest.mark.parametrize("entry", PARSED, ids=label)
    def test_clockwork_fires_the_translation_at_the_original_fires(self, entry: dict[str, Any]) -> None:
        runs = entry["worker"]["runs"]
        try:
            translation = in_clockwork_syntax(entry["text"])
        except OriginalRefused:
            assert not any(run["fires"] for run in runs)
            return
        expression = parse_cron(translation, "UTC", "s")
        for run in runs:
            expected = [instant(f) for f in run["fires"]]
            after = instant(run["start"]) - SECOND
            assert list(islice(expression.iter_after(after), len(expected))) == expected, translation

    @pytest.mark.parametrize(
        ("text", "translation"),
        [
            ("5/15 * * * *", "5 * * * *"),
            ("0,30 * * * * ", "0,30 * * * * *"),
            ("*/2  *  * * *", "*/2 * * * * *"),
            ("*/2 * * *", "* */2 * * *"),
            ("", "* * * * *"),
            ("0 0 * * * * 2027", "0 * * * *"),
            ("30,5 * * * *", "30 * * * *"),
            ("0 0 * * 5-7", "0 0 * * 5,6"),
            ("0 0 1 * 0-7", "0 0 1 * *"),
            ("0 0 1-31 * 1", "0 0 * * 1"),
            ("0 0 1,15 * 1", "0 0 1,15 * 1"),
            ("0 0 * * MON-FRI", "0 0 * * 1-5"),
            ("0 0 * * 0,7", "0 0 * * 0"),
            ("0 0 * * 7,1", "0 0 * * 0,1"),
            ("0-30/10 * * * *", "0-30/10 * * * *"),
            ("*/20 * * * *", "*/20 * * * *"),
            ("1,2,3,4,10 * * * *", "1-4,10 * * * *"),
            ("@weekly", "0 0 * * 0"),
        ],
    )
    def test_it_writes_the_simplest_form(self, text: str, translation: str) -> None:
        assert in_clockwork_syntax(text) == translation


ISSUE_MEANINGS = [
    # text, the original's first fires after NOW, clockwork's (or None: clockwork refuses), a word of why
    ("5/15 * * * *", ["16:05", "17:05", "18:05"], ["16:05", "16:20", "16:35"], "a/s as a alone"),
    ("0,30 * * * * ", ["16:00:30", "16:01", "16:01:30"], ["16:30", "17:00", "17:30"], "trailing space"),
    ("*/2  *  * * *", ["16:00:02", "16:00:04", "16:00:06"], ["16:02", "16:04", "16:06"], "doubled spaces"),
    ("*/2 * * *", ["16:01", "16:02", "16:03"], None, "fewer than 5 fields"),
    ("", ["16:01", "16:02", "16:03"], None, "empty"),
    ("0 0 * * * * 2027", ["17:00", "18:00", "19:00"], None, "first six"),
    ("30,5 * * * *", ["16:30", "17:30", "18:30"], ["16:05", "16:30", "17:05"], "larger than the ones before"),
]


class TestTheIssuesExamples:
    @pytest.mark.parametrize(("text", "original", "ours", "cause"), ISSUE_MEANINGS)
    def test_each_has_both_meanings(
        self, text: str, original: list[str], ours: list[str] | None, cause: str
    ) -> None:
        meaning = compare(text, now=NOW, schedule_id="s", fires=3)
        assert meaning is not None
        day = NOW.date().isoformat()
        assert [t.isoformat() for t in meaning.original] == [f"{day}T{clock(t)}+00:00" for t in original]
        if ours is None:
            assert meaning.clockwork == ()
            assert meaning.clockwork_error is not None
            with pytest.raises(InvalidExpression):
                parse_cron(text)
        else:
            assert meaning.clockwork_error is None
            assert [t.isoformat() for t in meaning.clockwork] == [f"{day}T{clock(t)}+00:00" for t in ours]
        assert cause in meaning.why
        assert "\n" not in meaning.why
        assert meaning.translation == in_clockwork_syntax(text)

    def test_sunday_in_a_range_is_no_sunday_to_the_original(self) -> None:
        meaning = compare("0 0 * * 5-7", now=NOW, schedule_id="s", fires=3)
        assert meaning is not None
        assert [t.day for t in meaning.original] == [11, 12, 18]  # Friday, Saturday, Friday
        assert [t.day for t in meaning.clockwork] == [11, 12, 13]  # ... and Sunday
        assert "7 is Sunday only on its own" in meaning.why

    def test_a_day_name_the_worker_cannot_resolve_is_refused(self) -> None:
        with pytest.raises(OriginalRefused, match='Cannot resolve alias "sun"'):
            compare("0 0 * * sun", now=NOW, schedule_id="s")

    @pytest.mark.parametrize("text", ["*/2 * * * *", "*/3 * * * *", "0 * * * 0,4-6", " 0 * * * *", "@daily"])
    def test_the_originals_own_samples_mean_the_same(self, text: str) -> None:
        assert compare(text, now=NOW, schedule_id="s") is None

    def test_a_check_that_throws_every_year_is_a_difference(self) -> None:
        meaning = compare("0 0 1,31 2-12 *", now=NOW, schedule_id="s", fires=3)
        assert meaning is not None
        assert meaning.original == (datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))
        assert "stops on reaching March each year" in meaning.why
        assert meaning.translation == "0 0 1,31 2-12 *"


def clock(text: str) -> str:
    return text if text.count(":") == 2 else f"{text}:00"


# --- properties -----------------------------------------------------------------------------

NAMES = {4: ["jan", "Feb", "MAR", "dec"], 5: ["mon", "FRI", "Sat", "sun"]}
BOUNDS = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


@st.composite
def fields_text(draw: st.DrawFn, index: int) -> str:
    low, high = BOUNDS[index]
    value = st.integers(low, high).map(str)
    if index in NAMES:
        value = st.one_of(value, st.sampled_from(NAMES[index]))
    # Rising ranges only: the original refuses the others (the vectors hold those).
    ranged = st.builds(lambda a, n: f"{a}-{min(a + n, high)}", st.integers(low, high - 1), st.integers(1, 12))
    step = st.integers(1, 20)
    item = st.one_of(
        st.just("*"),
        value,
        ranged,
        st.builds(lambda s: f"*/{s}", step),
        st.builds(lambda a, s: f"{a}/{s}", value, step),
        st.builds(lambda r, s: f"{r}/{s}", ranged, step),
    )
    return ",".join(draw(st.lists(item, min_size=1, max_size=3)))


@st.composite
def texts(draw: st.DrawFn) -> str:
    six = draw(st.booleans())
    fields = [draw(st.just("*") | fields_text(i)) for i in range(0 if six else 1, 6)]
    text = " ".join(fields)
    return draw(st.sampled_from([text, text + " ", text.replace(" ", "  ", 1)]))


def usable(text: str) -> OriginalFields | None:
    try:
        in_clockwork_syntax(text)
    except OriginalRefused:
        return None
    return parse_original(text, "0.6.2")


instants = st.datetimes(datetime(2026, 1, 1), datetime(2034, 1, 1)).map(lambda t: t.replace(tzinfo=UTC))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts(), after=instants)
def test_the_translation_fires_where_the_worker_does(text: str, after: datetime) -> None:
    fields = usable(text)
    if fields is None:
        return
    expected, _ = search(fields, after.replace(tzinfo=None, microsecond=0) + SECOND, 8)
    fires = islice(parse_cron(in_clockwork_syntax(text), "UTC", "s").iter_after(after), len(expected))
    assert [t.replace(tzinfo=None) for t in fires] == expected


#: 28 years: every kind of day (its month, day, weekday, Feb 29) comes up in them.
CYCLE_START, CYCLE_DAYS = datetime(2029, 1, 1), 28 * 365 + 7


class Walk:
    """The next fire after each of a rising series of probes, reusing the last answer."""

    def __init__(self, next_after: Callable[[datetime], datetime | None]) -> None:
        self.next_after = next_after
        self.last: datetime | None = None

    def __call__(self, probe: datetime) -> datetime | None:
        if self.last is None or self.last <= probe:
            self.last = self.next_after(probe)
        return self.last


def first_difference(fields: OriginalFields, ours: CronExpression) -> datetime | None:
    """A probe after which the worker's next fire is not clockwork's (probes where the worker's
    search throws are skipped): one before every day of the cycle, before every minute of the
    worker's first fire day in it, and before every second of that fire's minute."""

    def worker(probe: datetime) -> datetime | None:
        fires, error = search(fields, probe + SECOND, 1)
        return None if error is not None else fires[0]

    def clockwork(probe: datetime) -> datetime | None:
        found = ours.next_after(probe.replace(tzinfo=UTC))
        return None if found is None else found.replace(tzinfo=None)

    probes = [CYCLE_START + timedelta(days=d) - SECOND for d in range(CYCLE_DAYS)]
    first = worker(CYCLE_START)
    if first is not None:
        day = datetime(first.year, first.month, first.day)
        minute = first.replace(second=0)
        probes += [day + timedelta(minutes=m) - SECOND for m in range(1440)]
        probes += [minute + timedelta(seconds=s) - SECOND for s in range(60)]
    walks = Walk(worker), Walk(clockwork)
    for probe in sorted(set(probes)):
        theirs = walks[0](probe)
        if theirs is not None and walks[1](probe) != theirs:
            return probe
    return None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts())
def test_compare_finds_a_difference_exactly_when_the_fires_differ(text: str) -> None:
    fields = usable(text)
    if fields is None:
        return
    meaning = compare(text, now=NOW, schedule_id="s")
    try:
        ours = parse_cron(text, "UTC", "s")
    except InvalidExpression:
        assert meaning is not None
        assert meaning.clockwork_error is not None
        return
    difference = first_difference(fields, ours)
    if meaning is None:
        assert difference is None
    elif "each year" not in meaning.why:  # a yearly failure of the worker's search, not of the fire sets
        assert difference is not None, meaning
