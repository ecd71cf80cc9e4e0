"""Differential tests: our cron against the npm ``cron-parser`` 5 and ``croner``.

The golden vectors (``tests/golden/vectors.json``, made by ``tests/golden/generate.mjs``; see
the README there) hold, for a committed list of expressions, the next fire times that each
library computes from several start instants, in UTC and in America/New_York and Europe/Berlin
around the 2026-2027 DST transitions, or the library's error message. No node is needed here.

What is checked, and where our rules deliberately differ (DESIGN.md, "Cron semantics"):

(a) UTC: where we follow a library (cron-parser, unless ``LIBRARY_DISAGREEMENTS`` says
    otherwise), our fires are exactly its fires.
(b) where cron-parser rejects an expression we reject it with ``InvalidExpression``, except our
    additions (``ADDITIONS``, DESIGN's list) and the forms we accept leniently (``LENIENT``),
    whose fires are checked against croner, an equivalent cron-parser expression, or a
    hand-derived calendar. H forms: ``test_hashed``.
(c) where cron-parser pads a short form (fewer than 5 fields, the empty string) we reject it,
    with a message that says what a cron expression needs.
(d) in the DST zones our fires are those that DESIGN's DST rules give for the naive wall-clock
    sequence (``expected_zoned_fires``, written from the rules, not from our implementation);
    cron-parser's fires are explained by its own profile (``cron_parser_profile``) and every
    difference from ours is classified in ``DST_CRON_PARSER_DIFFERENCES``; croner (with
    ``fixedTimeRule: "no-wildcard"``) follows our rules exactly.
(e) where cron-parser and croner disagree with each other, ``LIBRARY_DISAGREEMENTS`` says which
    one we follow and why.
"""

from __future__ import annotations

import calendar
import enum
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import islice, pairwise
from pathlib import Path
from typing import Any, cast

import pytest
from clockwork_core import CronExpression
from clockwork_core.errors import InvalidExpression
from clockwork_core.zones import get_zone

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "vectors.json"
DATA: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
FIRES: int = DATA["options"]["fires"]
SEED = "golden-schedule-id"  # the schedule id that seeds H forms in our implementation

Vector = dict[str, Any]
UTC_VECTORS: list[Vector] = DATA["utc"]
ZONED_VECTORS: list[Vector] = DATA["zoned"]
HASHED_VECTORS: list[Vector] = DATA["hashed"]
GROUP: dict[str, str] = {e["text"]: e["group"] for e in DATA["expressions"]}

# cron-parser's macros (its PredefinedExpressions), plus our @midnight.
MACROS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
    "@minutely": "0 * * * * *",
    "@secondly": "* * * * * *",
    "@weekdays": "0 0 0 * * 1-5",
    "@weekends": "0 0 0 * * 0,6",
}


# --------------------------------------------------------------------------------------------
# Small helpers


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def instants(texts: Iterable[str]) -> list[datetime]:
    return [instant(t) for t in texts]


def result(vector: Vector, library: str) -> dict[str, Any]:
    """A library's result for a vector: ``{"fires": [...]}`` or ``{"error": "..."}``."""
    value = vector[library]
    if value == "same":  # croner's result is stored as "same" when it equals cron-parser's
        value = vector["cron_parser"]
    return cast(dict[str, Any], value)


def same_outcome(vector: Vector) -> bool:
    """Both libraries reject, or both accept with the same fires (error texts differ)."""
    cp, cr = result(vector, "cron_parser"), result(vector, "croner")
    return cp.get("fires") == cr.get("fires")


def accepted(vector: Vector, library: str) -> bool:
    return "fires" in result(vector, library)


def fires_of(vector: Vector, library: str) -> list[datetime]:
    return instants(result(vector, library)["fires"])


def ours(text: str, start: datetime, timezone: str = "UTC", seed: str | None = None) -> list[datetime]:
    expression = CronExpression(text, timezone=timezone, seed=seed)
    fires = list(islice(expression.iter_after(start), FIRES))
    for fire in fires:
        assert fire.tzinfo is not None, f"{text!r}: {fire!r} is naive"
        assert fire.utcoffset() == timedelta(0), f"{text!r}: {fire!r} is not in UTC"
    assert fires == sorted(set(fires)), f"{text!r}: fires do not strictly increase"
    first = expression.next_after(start)
    assert first == (fires[0] if fires else None), f"{text!r}: next_after disagrees with iter_after"
    return fires


def fields_of(text: str) -> list[str]:
    """The six fields (seconds first) of a plain or macro expression."""
    atoms = MACROS.get(text.strip(), text).split()
    return ["0", *atoms] if len(atoms) == 5 else atoms


def is_interval(text: str) -> bool:
    """DESIGN: interval if the second, minute or hour field contains ``*``, ``?`` or a ``/``."""
    return any(ch in field for field in fields_of(text)[:3] for ch in "*?/")


def fmt(fires: Sequence[datetime]) -> str:
    return ", ".join(f.strftime("%Y-%m-%dT%H:%M:%S") for f in fires[:FIRES]) or "(none)"


def vector_id(vector: Vector) -> str:
    zone = f" {vector['zone']}" if "zone" in vector else ""
    return f"{vector['text']!r}{zone} from {vector['start']}"


# --------------------------------------------------------------------------------------------
# (e) Where cron-parser and croner disagree (in UTC), which one we follow, and why.
# ``test_library_disagreements_table`` checks that this table lists exactly the disagreements in
# the vectors. Croner has no H forms at all: the "hash" group is left out of the table.


class Follow(enum.Enum):
    CRON_PARSER = "cron-parser"
    CRONER = "croner"


LIBRARY_DISAGREEMENTS: dict[str, tuple[Follow, str]] = {
    # Steps wider than the field: cron-parser keeps just the start value, croner rejects.
    "*/100 * * * *": (Follow.CRON_PARSER, "a step wider than the field leaves its start: minute 0"),
    "30 */25 * * *": (Follow.CRON_PARSER, "a step wider than the field leaves its start: hour 0"),
    # `a/s` is `a-max/s`, and day-of-week runs to 7 (Sunday): cron-parser includes Sunday,
    # croner stops at 6.
    "0 0 * * 1/2": (Follow.CRON_PARSER, "1/2 is 1-7/2 = MON,WED,FRI,SUN (7 is Sunday)"),
    "0 0 * * MON/3": (Follow.CRON_PARSER, "MON/3 is 1-7/3 = MON,THU,SUN (7 is Sunday)"),
    # A value named twice: cron-parser rejects it, croner ignores the repeat. We accept it
    # (see LENIENT), with croner's meaning.
    "0 0 * * 0,7": (Follow.CRONER, "lenient: 0 and 7 are both Sunday; the repeat is harmless"),
    "0 0 * * 7,SUN": (Follow.CRONER, "lenient: 7 and SUN are both Sunday"),
    "1,1,2 * * * *": (Follow.CRONER, "lenient: minute 1 named twice"),
    "1-5,3 * * * *": (Follow.CRONER, "lenient: minute 3 in 1-5 and again alone"),
    # cron-parser's macros that croner lacks.
    "@minutely": (Follow.CRON_PARSER, "cron-parser macro: 0 * * * * *"),
    "@secondly": (Follow.CRON_PARSER, "cron-parser macro: * * * * * *"),
    "@weekdays": (Follow.CRON_PARSER, "cron-parser macro: 0 0 0 * * 1-5"),
    "@weekends": (Follow.CRON_PARSER, "cron-parser macro: 0 0 0 * * 0,6"),
    # Impossible dates: DESIGN rejects them (as cron-parser); croner accepts a schedule that
    # never fires.
    "0 0 30 2 *": (Follow.CRON_PARSER, "February 30 never happens: rejected"),
    "0 0 31 2,4 *": (Follow.CRON_PARSER, "the 31st is in neither February nor April: rejected"),
    "0 0 31 4 *": (Follow.CRON_PARSER, "April 31 never happens: rejected"),
    "0 0 30,31 2 *": (Follow.CRON_PARSER, "February 30 and 31 never happen: rejected"),
    # Forms croner reads and cron-parser rejects, and that are not among our additions.
    "0 0 * * FRI-SUN": (Follow.CRON_PARSER, "a descending range (5-0) is an error; croner wraps"),
    "/10 * * * *": (Follow.CRON_PARSER, "a step needs a start (*/10 or 0/10)"),
    "0 0 * * 5#L": (Follow.CRON_PARSER, "the last Friday is written 5L; 5#L is not our dialect"),
    "0 0 * * 1-5#2": (Follow.CRON_PARSER, "# takes one weekday, not a range"),
    # Macros in any case, as month and day names (see LENIENT).
    "@DAILY": (Follow.CRONER, "lenient: macro names in any case"),
    # Our additions that croner reads with our meaning (see ADDITIONS).
    "@midnight": (Follow.CRONER, "addition: @midnight is @daily"),
    "0 0 LW * *": (Follow.CRONER, "addition: LW is the last weekday (Mon-Fri) of the month"),
    "0 0 15W * *": (Follow.CRONER, "addition: nW is the weekday nearest day n, in the month"),
    "0 0 1W * *": (Follow.CRONER, "addition: 1W never moves into the previous month"),
    "0 0 31W * *": (Follow.CRONER, "addition: 31W only in months with a 31st"),
    "0 0 * * 1#1,5#3": (Follow.CRONER, "addition: # inside a list"),
    "0 0 * * MON#1,FRI#2": (Follow.CRONER, "addition: # inside a list, with names"),
    # Short forms: cron-parser pads them with defaults, croner rejects them; we reject them
    # (deliberately: DESIGN, "fewer than 5 fields").
    "": (Follow.CRONER, "deliberate: the empty string is rejected (cron-parser: 0 * * * * *)"),
    "*": (Follow.CRONER, "deliberate: fewer than 5 fields are rejected (cron-parser pads)"),
    "* *": (Follow.CRONER, "deliberate: fewer than 5 fields are rejected (cron-parser pads)"),
    "* * *": (Follow.CRONER, "deliberate: fewer than 5 fields are rejected (cron-parser pads)"),
    "* * * *": (Follow.CRONER, "deliberate: fewer than 5 fields are rejected (cron-parser pads)"),
}


# --------------------------------------------------------------------------------------------
# (b) Our additions: expressions cron-parser rejects and we accept (DESIGN, "Additions that
# conflict with nothing", and EventBridge's forms). Each names the oracle for its fires.


@dataclass(frozen=True)
class Addition:
    reason: str
    croner: bool = False  # croner reads it with our meaning: our fires are croner's
    same_as: str | None = None  # our fires are cron-parser's for this equivalent expression
    computed: Callable[[datetime], list[datetime]] | None = None  # derived from the calendar
    every: timedelta | None = None  # rate(...): a fixed real-time cadence


def _monthly(day: Callable[[int, int], int], hour: int, years: range) -> list[datetime]:
    return [datetime(y, m, day(y, m), hour, tzinfo=UTC) for y in years for m in range(1, 13)]


def _last_minus(n: int) -> Callable[[datetime], list[datetime]]:
    def fires(start: datetime) -> list[datetime]:
        def day(y: int, m: int) -> int:
            return calendar.monthrange(y, m)[1] - n

        return [f for f in _monthly(day, 0, range(2026, 2031)) if f > start][:FIRES]

    return fires


def _first_of_month_2027_at_8(start: datetime) -> list[datetime]:
    # cron(0 8 1 * ? 2027): the year field ends the schedule after December 2027.
    return [f for f in _monthly(lambda y, m: 1, 8, range(2027, 2028)) if f > start][:FIRES]


def _once_at(when: datetime) -> Callable[[datetime], list[datetime]]:
    return lambda start: [when] if when > start else []


ADDITIONS: dict[str, Addition] = {
    "@midnight": Addition("macro: @daily", croner=True),
    "0 0 LW * *": Addition("LW: last weekday of the month", croner=True),
    "0 0 15W * *": Addition("nW: weekday nearest the 15th", croner=True),
    "0 0 1W * *": Addition("nW: a Saturday 1st moves to Monday the 3rd", croner=True),
    "0 0 31W * *": Addition("nW: months without a 31st are skipped", croner=True),
    "0 0 * * 1#1,5#3": Addition("# inside lists", croner=True),
    "0 0 * * MON#1,FRI#2": Addition("# inside lists, names", croner=True),
    "0 0 L-2 * *": Addition("L-n: n days before the last day", computed=_last_minus(2)),
    "0 0 L-0 * *": Addition("L-0 is L", same_as="0 0 L * *"),
    "cron(0 12 * * ? *)": Addition("EventBridge cron()", same_as="0 12 * * *"),
    "cron(0 12 ? * 2 *)": Addition("EventBridge: day-of-week 2 is MON", same_as="0 12 * * MON"),
    "cron(0/15 * * * ? *)": Addition("EventBridge: minutes 0/15", same_as="0/15 * * * *"),
    "cron(0 8 1 * ? 2027)": Addition("EventBridge: year field", computed=_first_of_month_2027_at_8),
    "rate(5 minutes)": Addition("EventBridge rate()", every=timedelta(minutes=5)),
    "rate(1 hour)": Addition("EventBridge rate(), singular unit", every=timedelta(hours=1)),
    "rate(2 days)": Addition("EventBridge rate(), days", every=timedelta(days=2)),
    "at(2026-12-01T10:00:00)": Addition(
        "EventBridge at(): one fire", computed=_once_at(datetime(2026, 12, 1, 10, tzinfo=UTC))
    ),
}
# Beyond DESIGN's list of additions, forms that cron-parser rejects and we accept because
# accepting them conflicts with nothing; croner reads each with the meaning we give it.
# (DESIGN.md should name these; until it does, they are listed here.)
LENIENT: dict[str, Addition] = {
    # cron-parser 5 rejects a field that names a value twice ("duplicate values found"), but it
    # accepts 0-7, which names Sunday twice as well.
    "0 0 * * 0,7": Addition("a value named twice is harmless", croner=True),
    "0 0 * * 7,SUN": Addition("a value named twice is harmless", croner=True),
    "1,1,2 * * * *": Addition("a value named twice is harmless", croner=True),
    "1-5,3 * * * *": Addition("a value named twice is harmless", croner=True),
    # cron-parser matches macros case-sensitively; names are any case in our dialect.
    "@DAILY": Addition("macro names in any case, like month and day names", croner=True),
}
# H forms are accepted by cron-parser too, but the value picked depends on the hash, and ours
# is not cron-parser's hash: ``test_hashed`` checks that our pick is one of cron-parser's
# possible schedules instead of comparing fires.


def is_short(text: str) -> bool:
    return text.strip() not in MACROS and len(text.split()) < 5


# --------------------------------------------------------------------------------------------
# What we expect in UTC, derived from the tables above and the libraries' results.

_UTC_BY_TEXT: dict[str, list[Vector]] = {}
for _v in UTC_VECTORS:
    _UTC_BY_TEXT.setdefault(_v["text"], []).append(_v)


def cron_parser_accepts(text: str) -> bool:
    verdicts = {accepted(v, "cron_parser") for v in _UTC_BY_TEXT[text]}
    assert len(verdicts) == 1, f"cron-parser's verdict on {text!r} depends on the start"
    return verdicts.pop()


def we_accept(text: str) -> bool:
    if text in ADDITIONS or text in LENIENT:
        return True
    if is_short(text):
        return False  # (c): deliberate, whatever cron-parser does
    return cron_parser_accepts(text)


def follows(text: str) -> Follow:
    return LIBRARY_DISAGREEMENTS.get(text, (Follow.CRON_PARSER, ""))[0]


def expected_utc_fires(vector: Vector) -> list[datetime]:
    text = vector["text"]
    start = instant(vector["start"])
    addition = ADDITIONS.get(text, LENIENT.get(text))
    if addition is None:
        library = "croner" if follows(text) is Follow.CRONER else "cron_parser"
        return fires_of(vector, library)
    if addition.croner:
        return fires_of(vector, "croner")
    if addition.same_as is not None:
        (twin,) = (v for v in _UTC_BY_TEXT[addition.same_as] if v["start"] == vector["start"])
        return fires_of(twin, "cron_parser")
    assert addition.computed is not None
    return addition.computed(start)


# --------------------------------------------------------------------------------------------
# (a), (b), (c): UTC


@pytest.mark.parametrize(
    "vector",
    [v for v in UTC_VECTORS if v["group"] != "hash"],
    ids=vector_id,
)
def test_utc(vector: Vector) -> None:
    text = vector["text"]
    start = instant(vector["start"])
    if not we_accept(text):
        with pytest.raises(InvalidExpression) as raised:
            CronExpression(text, timezone="UTC")
        if GROUP[text] == "short":
            # (c) cron-parser pads most short forms: rejecting them is a deliberate difference,
            # and the message should say what was probably meant.
            assert "5" in str(raised.value), str(raised.value)
        return
    got = ours(text, start)
    addition = ADDITIONS.get(text)
    if addition is not None and addition.every is not None:
        # rate(): the anchor is ours to choose; the cadence is not.
        assert len(got) == FIRES
        assert start < got[0] <= start + addition.every
        assert all(b - a == addition.every for a, b in pairwise(got))
        return
    expected = expected_utc_fires(vector)
    assert got == expected, f"{text!r} from {vector['start']}:\n ours {fmt(got)}\n want {fmt(expected)}"


def test_invalid_expression_is_a_value_error() -> None:
    assert issubclass(InvalidExpression, ValueError)
    with pytest.raises(ValueError, match="60"):
        CronExpression("60 * * * *")


@pytest.mark.parametrize("vector", HASHED_VECTORS, ids=vector_id)
def test_hashed(vector: Vector) -> None:
    """H: our pick is one of the schedules cron-parser's hash could pick, and it is stable."""
    text = vector["text"]
    start = instant(vector["start"])
    candidates = {tuple(instants(fires)) for fires in vector["candidates"].values()}
    got = ours(text, start, seed=SEED)
    assert len(got) == FIRES
    assert tuple(got[: len(next(iter(candidates)))]) in candidates, f"{text!r}: {fmt(got)}"
    assert ours(text, start, seed=SEED) == got  # same id, same schedule


def test_hash_spreads_over_schedule_ids() -> None:
    start = instant("2026-01-01T00:00:00Z")
    minutes = {ours("H * * * *", start, seed=f"schedule-{i}")[0].minute for i in range(60)}
    assert len(minutes) >= 20, f"60 schedule ids share only {len(minutes)} minutes"


def test_library_disagreements_table() -> None:
    """(e): the table lists exactly the expressions on which the two libraries disagree."""
    disagree = {
        text
        for text, vectors in _UTC_BY_TEXT.items()
        if GROUP[text] != "hash" and any(not same_outcome(v) for v in vectors)
    }
    assert set(LIBRARY_DISAGREEMENTS) == disagree
    for text, (follow, _reason) in LIBRARY_DISAGREEMENTS.items():
        library = "croner" if follow is Follow.CRONER else "cron_parser"
        verdicts = {accepted(v, library) for v in _UTC_BY_TEXT[text]}
        assert verdicts == {we_accept(text)}, f"{text!r}: we follow {follow.value} but do not"
    # croner has no H: every hash expression is cron-parser's alone.
    hashed = [v for v in UTC_VECTORS if v["group"] == "hash"]
    assert hashed
    assert all(accepted(v, "cron_parser") and not accepted(v, "croner") for v in hashed)


def test_additions_table() -> None:
    """(b): every addition is one that cron-parser rejects (else it is no addition)."""
    for text, addition in ADDITIONS.items():
        assert not cron_parser_accepts(text), f"cron-parser accepts {text!r}"
        assert GROUP[text] == "addition"
        assert addition.croner == (text in LIBRARY_DISAGREEMENTS)
        if addition.same_as is not None:
            assert cron_parser_accepts(addition.same_as)
    assert {t for t, g in GROUP.items() if g == "addition"} == set(ADDITIONS)
    for text, addition in LENIENT.items():
        assert not cron_parser_accepts(text), f"cron-parser accepts {text!r}"
        assert addition.croner
        assert follows(text) is Follow.CRONER


def test_short_forms_are_padded_by_cron_parser() -> None:
    """(c): the short forms we reject are ones cron-parser really pads and accepts."""
    padded = {t for t in _UTC_BY_TEXT if is_short(t) and cron_parser_accepts(t)}
    assert {"", "* * *", "*", "* *", "* * * *"} <= padded


# --------------------------------------------------------------------------------------------
# (d): time zones and DST.
#
# The generator records, for every zoned vector, the *naive* wall-clock fire sequence (the
# expression evaluated in UTC, which has no DST) around the start. The functions below map it
# to instants under a "profile": how wall times in a spring-forward gap and in a fall-back
# overlap are treated. Our profiles are DESIGN's rules; cron-parser's is what it does.


class Gap(enum.Enum):
    END = "fire once at the first instant after the gap (02:30 -> 03:00)"
    SKIP = "skip"
    SHIFT = "fire shifted by the gap's length (02:30 -> 03:30) if the wall time is after the start's"


class Overlap(enum.Enum):
    FIRST = "fire once, at the first occurrence"
    BOTH = "fire at both occurrences"
    NEXT_BY_WALL = "if the wall time is after the start's, fire at its next occurrence after the start"


@dataclass(frozen=True)
class Profile:
    gap: Gap
    overlap: Overlap


OURS_FIXED = Profile(Gap.END, Overlap.FIRST)  # DESIGN: fixed schedules
OURS_INTERVAL = Profile(Gap.SKIP, Overlap.BOTH)  # DESIGN: interval schedules


def our_profile(text: str) -> Profile:
    return OURS_INTERVAL if is_interval(text) else OURS_FIXED


def cron_parser_profile(text: str) -> Profile:
    """cron-parser 5 walks wall-clock time forward from the start's wall time.

    A gap wall time is read with the offset before the transition (so 02:30 fires at 03:30
    EDT), but only when it lies after the start's wall time. A repeated wall time fires at its
    next occurrence after the start, again only when it lies after the start's wall time; when
    the hour field is ``*`` it fires at both occurrences instead.
    """
    overlap = Overlap.BOTH if fields_of(text)[2] == "*" else Overlap.NEXT_BY_WALL
    return Profile(Gap.SHIFT, overlap)


class DstDifference(enum.Enum):
    """Classes of deliberate difference from cron-parser around DST transitions."""

    GAP_FIXED = "gap-fixed: we fire once at the gap's end; cron-parser shifts by the gap"
    GAP_INTERVAL = "gap-interval: we skip gap times; cron-parser fires them shifted"
    OVERLAP_FIXED = "overlap-fixed: we fire at the first occurrence only, even from inside the second"
    OVERLAP_INTERVAL = "overlap-interval: we fire both occurrences; cron-parser one, unless hour is *"


# Which differences from cron-parser each expression shows in the vectors (all zones, starts
# and transitions together). Expressions not listed agree with cron-parser everywhere.
# ``test_dst_classification`` checks this table against the vectors both ways.
_GF, _GI = DstDifference.GAP_FIXED, DstDifference.GAP_INTERVAL
_OF, _OI = DstDifference.OVERLAP_FIXED, DstDifference.OVERLAP_INTERVAL
DST_CRON_PARSER_DIFFERENCES: dict[str, frozenset[DstDifference]] = {
    # New York skips 02:00-03:00 in March and repeats 01:00-02:00 in November; Berlin skips
    # 02:00-03:00 in March and repeats 02:00-03:00 in October.
    #
    # Fixed times in hour 2: in the gap, 02:30 fires at 03:00 for us, at 03:30 for cron-parser
    # (and not at all when it starts after 02:30 wall time, e.g. at 03:10); in Berlin's repeated
    # hour, started inside the second pass, cron-parser fires 02:30 again, we do not.
    "30 2 * * *": frozenset({_GF, _OF}),
    "59 2 * * *": frozenset({_GF, _OF}),
    "30 2 * * 0": frozenset({_GF, _OF}),
    "0 30 2 * * *": frozenset({_GF, _OF}),
    # 02:15 and 02:45 both fall in the gap and map to 03:00: one fire for us (several wall
    # times, one instant), two (03:15, 03:45) for cron-parser.
    "15,45 2 * * *": frozenset({_GF, _OF}),
    "30 1,2 * * *": frozenset({_GF, _OF}),
    # Fixed times in hour 1 (New York's repeated hour) or lists/ranges over the repeated hour.
    "30 1 * * *": frozenset({_OF}),
    "0,30 1-3 * * *": frozenset({_OF}),
    # Interval schedules (a step or `*` in second/minute/hour) whose hour field is not `*`:
    # cron-parser fires gap times shifted (02:00 -> 03:00) where we skip them, and fires a
    # repeated wall time once where we fire it at both instants.
    "0 */2 * * *": frozenset({_GI, _OI}),
    "0 0-23/2 * * *": frozenset({_GI, _OI}),
    "*/30 1,2 * * *": frozenset({_GI, _OI}),
    "* 2 * * *": frozenset({_GI}),
    "30 1-3/1 * * *": frozenset({_OI}),
    "*/20 1-3 * * *": frozenset({_OI}),
    "*/20 30 1 * * *": frozenset({_OI}),
    # Hour `*` (0 * * * *, */15 * * * *, @hourly, ...): cron-parser agrees with us.
}


def _wall(value: datetime, zone: tzinfo) -> datetime:
    return value.astimezone(zone).replace(tzinfo=None)


def _transition_in(lo: datetime, hi: datetime, zone: tzinfo) -> datetime:
    """The first instant in (lo, hi] whose UTC offset is hi's: the end of a gap."""
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    offset = hi.astimezone(zone).utcoffset()
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(zone).utcoffset() == offset:
            hi_s = mid
        else:
            lo_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


def map_wall_times(naive: Sequence[str], zone: tzinfo, start: datetime, profile: Profile) -> list[datetime]:
    """The first FIRES instants after ``start`` for a naive wall-clock sequence, per profile."""
    start_wall = _wall(start, zone)
    out: set[datetime] = set()
    for text in naive:
        wall = datetime.fromisoformat(text)
        first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
        candidates: list[datetime]
        if _wall(first, zone) != wall:  # in a gap: fold=0 reads it with the earlier offset
            if profile.gap is Gap.END:
                candidates = [_transition_in(second, first, zone)]
            elif profile.gap is Gap.SHIFT:
                candidates = [first] if wall > start_wall else []
            else:
                candidates = []
        elif first != second:  # repeated
            if profile.overlap is Overlap.FIRST:
                candidates = [first]
            elif profile.overlap is Overlap.BOTH:
                candidates = [first, second]
            else:
                after = first if first > start else second
                candidates = [after] if wall > start_wall else []
        else:
            candidates = [first]
        out.update(c for c in candidates if c > start)
    return sorted(out)[:FIRES]


def _transitions(zone_name: str) -> list[datetime]:
    return [instant(t) for _kind, t in DATA["options"]["transitions"][zone_name]]


def expected_zoned_fires(vector: Vector, profile: Profile) -> list[datetime]:
    """Map the vector's naive sequence, after checking that it is long enough to be complete."""
    zone = get_zone(vector["zone"])
    start = instant(vector["start"])
    naive = vector["naive"]
    transitions = _transitions(vector["zone"])
    start_wall = _wall(start, zone)
    if any(abs(t - start) <= timedelta(hours=4) for t in transitions):
        # a wall time up to an hour before the start's can fall after the start
        assert datetime.fromisoformat(vector["naive_from"]) <= start_wall - timedelta(hours=2)
    else:
        assert datetime.fromisoformat(vector["naive_from"]) <= start_wall
    last = datetime.fromisoformat(naive[-1]).replace(tzinfo=zone).astimezone(UTC)
    assert all(abs(t - last) > timedelta(hours=3) for t in transitions)
    fires = map_wall_times(naive, zone, start, profile)
    assert len(fires) == FIRES, "the naive sequence is too short"
    assert fires[-1] <= last, "the naive sequence may miss a fire"
    return fires


def _zoned_ours_expected(vector: Vector) -> bool:
    return we_accept(vector["text"])


@pytest.mark.parametrize("vector", [v for v in ZONED_VECTORS if _zoned_ours_expected(v)], ids=vector_id)
def test_zoned(vector: Vector) -> None:
    """(d): our fires in New York and Berlin are DESIGN's DST rules applied to wall time."""
    text = vector["text"]
    if vector["naive_source"] == "croner":
        assert follows(text) is Follow.CRONER
    else:
        assert follows(text) is Follow.CRON_PARSER
    expected = expected_zoned_fires(vector, our_profile(text))
    got = ours(text, instant(vector["start"]), timezone=vector["zone"])
    rule = "interval" if is_interval(text) else "fixed"
    assert got == expected, (
        f"{text!r} ({rule}) in {vector['zone']} from {vector['start']}:\n"
        f" ours {fmt(got)}\n want {fmt(expected)}"
    )


def _differences(vector: Vector, mine: Profile, theirs: Profile) -> set[DstDifference]:
    """Which rule differences change the fires of this vector."""
    base = expected_zoned_fires(vector, mine)
    kind = "INTERVAL" if is_interval(vector["text"]) else "FIXED"
    found: set[DstDifference] = set()
    if expected_zoned_fires(vector, Profile(theirs.gap, mine.overlap)) != base:
        found.add(DstDifference[f"GAP_{kind}"])
    if expected_zoned_fires(vector, Profile(mine.gap, theirs.overlap)) != base:
        found.add(DstDifference[f"OVERLAP_{kind}"])
    return found


def _near(fire: datetime, transitions: Iterable[datetime]) -> bool:
    return any(abs(fire - t) <= timedelta(hours=1) for t in transitions)


def test_dst_classification() -> None:
    """(d): every difference between cron-parser and our DST rules is a classified one.

    cron-parser's fires are exactly its profile applied to the naive sequence; where they
    differ from ours, the differing fires lie within an hour of a transition, and the kinds of
    difference per expression are exactly those of DST_CRON_PARSER_DIFFERENCES. Croner, with
    fixedTimeRule "no-wildcard", follows our rules exactly.
    """
    observed: dict[str, set[DstDifference]] = {}
    compared = Counter[str]()
    for vector in ZONED_VECTORS:
        text = vector["text"]
        if not _zoned_ours_expected(vector):
            continue
        mine = our_profile(text)
        expected = expected_zoned_fires(vector, mine)
        transitions = _transitions(vector["zone"])
        if follows(text) is Follow.CRON_PARSER:
            theirs = cron_parser_profile(text)
            cp = fires_of(vector, "cron_parser")
            assert cp == expected_zoned_fires(vector, theirs), f"cron-parser: {vector_id(vector)}"
            horizon = min(cp[-1], expected[-1])
            odd = {f for f in set(cp) ^ set(expected) if f <= horizon}
            assert all(_near(f, transitions) for f in odd), f"{vector_id(vector)}: {fmt(sorted(odd))}"
            found = _differences(vector, mine, theirs)
            assert bool(found) == (cp != expected), vector_id(vector)
            observed.setdefault(text, set()).update(found)
            compared["cron-parser"] += 1
            compared["cron-parser differs"] += cp != expected
        # croner: wherever it means what we mean in UTC, it follows our DST rules too.
        if accepted(vector, "croner") and all(
            same_outcome(v) or follows(text) is Follow.CRONER for v in _UTC_BY_TEXT[text]
        ):
            assert fires_of(vector, "croner") == expected, f"croner: {vector_id(vector)}"
            compared["croner"] += 1
    differing = {t: frozenset(s) for t, s in observed.items() if s}
    assert differing == DST_CRON_PARSER_DIFFERENCES
    assert compared["cron-parser"] >= 800
    assert compared["cron-parser differs"] >= 100
    assert compared["croner"] >= 800


def test_transitions_are_real() -> None:
    for zone_name, transitions in DATA["options"]["transitions"].items():
        zone = get_zone(zone_name)
        for kind, when in transitions:
            t = instant(when)
            before = (t - timedelta(seconds=1)).astimezone(zone).utcoffset()
            after = t.astimezone(zone).utcoffset()
            assert before is not None
            assert after is not None
            assert (after - before) == (timedelta(hours=1) if kind == "spring" else -timedelta(hours=1))


# --------------------------------------------------------------------------------------------
# Not vacuous: the vectors are many, and the checks above cover them.


def test_vector_counts() -> None:
    versions = DATA["versions"]
    assert versions["cron-parser"].startswith("5.")
    assert versions["croner"]
    assert DATA["options"]["croner"]["fixedTimeRule"] == "no-wildcard"
    assert len(DATA["expressions"]) >= 150
    utc_compared = [v for v in UTC_VECTORS if v["group"] != "hash" and we_accept(v["text"])]
    utc_rejected = [v for v in UTC_VECTORS if not we_accept(v["text"])]
    both_agree = [v for v in utc_compared if accepted(v, "cron_parser") and same_outcome(v)]
    assert len(utc_compared) >= 500
    assert len(both_agree) >= 450
    assert len(utc_rejected) >= 200
    assert len([v for v in ZONED_VECTORS if _zoned_ours_expected(v)]) >= 900
    assert len([v for v in ZONED_VECTORS if "transition" in v]) >= 500
    assert len(HASHED_VECTORS) >= 10
    groups = Counter(GROUP.values())
    for group in ("basic", "step", "list", "names", "dow7", "last", "nth", "domdow", "seconds"):
        assert groups[group] >= 5, group
    for texts in (ADDITIONS, LIBRARY_DISAGREEMENTS, DST_CRON_PARSER_DIFFERENCES):
        assert set(texts) <= set(GROUP) | {v["text"] for v in ZONED_VECTORS}
