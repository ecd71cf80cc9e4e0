"""Properties of CronExpression over random expressions, zones and start instants (1990-2100).

The oracle is a brute-force reference model of DESIGN.md's "Cron semantics", written
here from the rules and nothing else: it enumerates the matching wall-clock times
field by field (`Reference`) and maps each one to real instants with zoneinfo
(`reference_fires`):

* interval schedules: every real instant whose local wall time matches (none in a
  gap, two in an overlap);
* fixed schedules: a wall time's first instant, or the first instant after the gap
  when it does not exist;
* several wall times on one instant fire once.

Examples are derandomized and no example database is kept, so CI runs the same
cases every time. Set CLOCKWORK_CRON_EXPLORE=1 to search with fresh random examples
(and more of them) while working on the cron layer.
"""

from __future__ import annotations

import calendar
import functools
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from clockwork_core import CronExpression
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

EXPLORE = bool(os.environ.get("CLOCKWORK_CRON_EXPLORE"))
PROPERTY = settings(
    max_examples=1000 if EXPLORE else 150,
    deadline=None,
    database=None,
    derandomize=not EXPLORE,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Zones with odd offsets, 30-minute and 2-hour shifts, midnight transitions, whole
#: skipped days (Apia 2011, Kiritimati 1994), Ramadan DST (Casablanca), and none.
ZONES = [
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/St_Johns",
    "America/Halifax",
    "America/Havana",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/Asuncion",
    "America/Mexico_City",
    "America/Caracas",
    "America/Nuuk",
    "America/Scoresbysund",
    "Atlantic/Azores",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Europe/Moscow",
    "Africa/Casablanca",
    "Africa/Cairo",
    "Asia/Tehran",
    "Asia/Jerusalem",
    "Asia/Beirut",
    "Asia/Gaza",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Pyongyang",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Australia/Eucla",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Norfolk",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Pacific/Marquesas",
    "Antarctica/Troll",
]

#: Zones that still change their clocks in 2100 (by the pinned tzdata's rules).
ZONES_WITH_DST = [
    "America/New_York",
    "America/St_Johns",
    "America/Santiago",
    "America/Nuuk",
    "Atlantic/Azores",
    "Europe/Berlin",
    "Asia/Beirut",
    "Asia/Gaza",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "Pacific/Norfolk",
    "Antarctica/Troll",
]

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
#: How far the reference model is compared with the implementation, and on how many fires.
WINDOW = timedelta(days=2)
LIMIT = 200


# --- the reference model ---------------------------------------------------------------

MONTH_NAMES = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
DAY_NAMES = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
    "@minutely": "* * * * *",
    "@secondly": "* * * * * *",
    "@weekdays": "0 0 * * 1-5",
    "@weekends": "0 0 * * 0,6",
}


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The zone as the pinned tzdata package defines it (the host's zoneinfo may differ)."""
    with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as fh:
        return ZoneInfo.from_file(fh, key=name)


def wall_of(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def offset_of(instant: datetime, tz: ZoneInfo) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def _number(text: str, names: dict[str, int]) -> int:
    upper = text.upper()
    return names[upper] if upper in names else int(text)


def values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """Numbers, ranges, steps and lists; '*' and '?' are the whole range; 'a/s' is 'a-high/s'."""
    names = names or {}
    found: set[int] = set()
    for item in field.split(","):
        base, slash, step_text = item.partition("/")
        step = int(step_text) if slash else 1
        if base in ("*", "?"):
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-")
            first, last = _number(a, names), _number(b, names)
        else:
            first = _number(base, names)
            last = high if slash else first
        found.update(range(first, last + 1, step))
    return frozenset(found)


def _nearest_weekday(year: int, month: int, day: int) -> int:
    last = calendar.monthrange(year, month)[1]
    weekday = calendar.weekday(year, month, day)  # Monday = 0
    if weekday == 5:  # Saturday: the Friday before, unless that leaves the month
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: the Monday after, unless that leaves the month
        return day + 1 if day < last else day - 2
    return day


def _dom_matches(field: str, d: date) -> bool:
    last = calendar.monthrange(d.year, d.month)[1]
    for item in field.split(","):
        upper = item.upper()
        if upper == "L":
            hit = d.day == last
        elif upper == "LW":
            hit = d.day == last - max(0, calendar.weekday(d.year, d.month, last) - 4)
        elif upper.startswith("L-"):
            hit = d.day == last - int(upper[2:])
        elif upper.endswith("W"):
            hit = d.day == _nearest_weekday(d.year, d.month, int(upper[:-1]))
        else:
            hit = d.day in values(item, 1, 31)
        if hit:
            return True
    return False


def _dow_matches(field: str, d: date, aws: bool) -> bool:
    weekday = (d.weekday() + 1) % 7  # Sunday = 0
    last = calendar.monthrange(d.year, d.month)[1]
    names = {k: v + 1 for k, v in DAY_NAMES.items()} if aws else DAY_NAMES

    def as_weekday(n: int) -> int:
        return n - 1 if aws else n % 7

    for item in field.split(","):
        upper = item.upper()
        if "#" in upper:
            day_text, k_text = upper.split("#")
            nth = (d.day - 1) // 7 + 1
            hit = weekday == as_weekday(_number(day_text, names)) and nth == int(k_text)
        elif upper.endswith("L"):
            hit = weekday == as_weekday(_number(upper[:-1], names)) and d.day + 7 > last
        else:
            low, high = (1, 7) if aws else (0, 7)
            hit = weekday in {as_weekday(n) for n in values(item, low, high, names)}
        if hit:
            return True
    return False


@dataclass(frozen=True)
class Reference:
    """One expression of the dialect (no H forms), matched field by field."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    dom: str
    dow: str
    years: frozenset[int] | None
    aws: bool
    is_interval: bool

    @classmethod
    def parse(cls, text: str) -> Reference:
        text = MACROS.get(text.strip().lower(), text.strip())
        aws = text.lower().startswith("cron(")
        years: frozenset[int] | None = None
        if aws:
            minute, hour, dom, month, dow, year = text[5:-1].split()
            second = "0"
            if year not in ("*", "?"):
                years = values(year, 1970, 2199)
        else:
            fields = text.split()
            second = fields[0] if len(fields) == 6 else "0"
            minute, hour, dom, month, dow = fields[-5:]
        return cls(
            seconds=values(second, 0, 59),
            minutes=values(minute, 0, 59),
            hours=values(hour, 0, 23),
            months=values(month, 1, 12, MONTH_NAMES),
            dom=dom,
            dow=dow,
            years=years,
            aws=aws,
            is_interval=any(mark in f for f in (second, minute, hour) for mark in "*?/"),
        )

    def day_matches(self, d: date) -> bool:
        if d.month not in self.months or (self.years is not None and d.year not in self.years):
            return False
        dom_restricted = self.dom not in ("*", "?")
        dow_restricted = self.dow not in ("*", "?")
        if dom_restricted and dow_restricted:
            return _dom_matches(self.dom, d) or _dow_matches(self.dow, d, self.aws)
        if dom_restricted:
            return _dom_matches(self.dom, d)
        if dow_restricted:
            return _dow_matches(self.dow, d, self.aws)
        return True

    def matches(self, wall: datetime) -> bool:
        return (
            wall.second in self.seconds
            and wall.minute in self.minutes
            and wall.hour in self.hours
            and self.day_matches(wall.date())
        )

    def wall_times(self, lo: datetime, hi: datetime) -> Iterator[datetime]:
        """The matching wall-clock times in [lo, hi], in order."""
        d = lo.date()
        while d <= hi.date():
            if self.day_matches(d):
                for h in sorted(self.hours):
                    hour = datetime(d.year, d.month, d.day, h)
                    if hour + timedelta(hours=1) <= lo or hour > hi:
                        continue
                    for m in sorted(self.minutes):
                        minute = hour.replace(minute=m)
                        if minute + MINUTE <= lo or minute > hi:
                            continue
                        for s in sorted(self.seconds):
                            wall = minute.replace(second=s)
                            if lo <= wall <= hi:
                                yield wall
            d += timedelta(days=1)


def instants_of(wall: datetime, tz: ZoneInfo) -> list[datetime]:
    """Every real instant whose local wall time is ``wall``: none, one, or two."""
    found = set()
    for fold in (0, 1):
        instant = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if wall_of(instant, tz) == wall:
            found.add(instant)
    return sorted(found)


def end_of_gap(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant after the spring-forward gap that swallows ``wall``."""
    before = wall.replace(tzinfo=tz, fold=0).utcoffset()  # PEP 495: fold=0 is the old offset
    after = wall.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None
    assert after is not None
    assert after > before
    lo = int((wall - after).replace(tzinfo=UTC).timestamp())  # before the transition
    hi = int((wall - before).replace(tzinfo=UTC).timestamp())  # at or after it
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset_of(datetime.fromtimestamp(mid, UTC), tz) == before:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _offsets_near(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[timedelta, timedelta]:
    offsets = set()
    t = start - timedelta(days=1)
    while t <= end + timedelta(days=1):
        offsets.add(offset_of(t, tz))
        t += timedelta(hours=1)
    return min(offsets), max(offsets)


def reference_fires(
    ref: Reference, zone_name: str, start: datetime, end: datetime, limit: int
) -> list[datetime]:
    """The first ``limit`` fires in (start, end] under DESIGN.md's rules."""
    tz = zone(zone_name)
    low, high = _offsets_near(tz, start, end)
    # A wall time w lands on an instant in [w - high, w - low].
    first_wall = start.astimezone(UTC).replace(tzinfo=None) + low
    last_wall = end.astimezone(UTC).replace(tzinfo=None) + high
    fires: set[datetime] = set()
    for count, wall in enumerate(ref.wall_times(first_wall, last_wall)):
        instants = instants_of(wall, tz)
        if ref.is_interval:
            chosen = instants
        elif instants:
            chosen = instants[:1]
        else:
            chosen = [end_of_gap(wall, tz)]
        fires.update(i for i in chosen if start < i <= end)
        # No later wall time can land before wall - high: stop once `limit` are certain.
        certain = count % 64 == 0 and len(fires) >= limit
        if certain and (wall - high).replace(tzinfo=UTC) > sorted(fires)[limit - 1]:
            break
    return sorted(fires)[:limit]


def transitions_in(zone_name: str, year: int) -> list[datetime]:
    """The instants in UTC year ``year`` at which the zone's offset changes."""
    return list(_transitions_in(zone_name, year))


@functools.cache
def _transitions_in(zone_name: str, year: int) -> tuple[datetime, ...]:
    # Probing once a day is enough: no zone here changes its offset twice within a day.
    tz = zone(zone_name)
    found = []
    t = datetime(year, 1, 1, tzinfo=UTC)
    offset = offset_of(t, tz)
    while t.year == year:
        following = offset_of(t + timedelta(days=1), tz)
        if following != offset:
            lo, hi = int(t.timestamp()), int(t.timestamp()) + 86_400
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_of(datetime.fromtimestamp(mid, UTC), tz) == offset:
                    lo = mid
                else:
                    hi = mid
            found.append(datetime.fromtimestamp(hi, UTC))
        t, offset = t + timedelta(days=1), following
    return tuple(found)


# --- strategies ------------------------------------------------------------------------


def _mixed_case(draw: st.DrawFn, name: str) -> str:
    return "".join(c.lower() if draw(st.booleans()) else c for c in name)


@st.composite
def _item(
    draw: st.DrawFn, low: int, high: int, names: dict[str, int] | None = None, *, steps: bool = True
) -> str:
    """One list item: a number (or a name), a range, or (unless ``steps`` is off) a step."""
    kinds = ["number", "number", "range"] + (["step", "start-step", "range-step"] if steps else [])
    kind = draw(st.sampled_from(kinds))
    a = draw(st.integers(low, high))
    b = draw(st.integers(a, high))
    step = draw(st.integers(1, high - low + 12))  # a step past the range means just the start
    by_name = {v: k for k, v in (names or {}).items()}
    named = a in by_name and b in by_name and draw(st.booleans())

    def show(n: int) -> str:
        return _mixed_case(draw, by_name[n]) if named else str(n)

    if kind == "number":
        return show(a)
    if kind == "range":
        return f"{show(a)}-{show(b)}"
    if kind == "step":
        return f"*/{step}"
    if kind == "start-step":
        return f"{a}/{step}"
    return f"{a}-{b}/{step}"


@st.composite
def _time_field(draw: st.DrawFn, low: int, high: int, *, fixed: bool = False) -> str:
    """A second, minute or hour field: '*', '?' or a list; only numbers and ranges if ``fixed``."""
    if not fixed:
        choice = draw(st.integers(0, 9))
        if choice < 2:
            return "*"
        if choice == 2:
            return "?"
    items = st.lists(_item(low, high, steps=not fixed), min_size=1, max_size=3)
    return ",".join(draw(items))


@st.composite
def _dom_field(draw: st.DrawFn, every_month: bool, *, aws: bool = False, restricted: int = 4) -> str:
    """Day of month, restricted ``restricted`` times in 10. Days past the 28th only when
    every month is allowed (else the expression may be impossible, and rejected)."""
    if draw(st.integers(0, 9)) >= restricted:
        return draw(st.sampled_from(["*", "*", "?"]))
    high = 31 if every_month else 28
    # nW near the ends of the month, where it must not leave the month, comes up often.
    nearest = st.sampled_from([1, 2, 27, 28]) | st.integers(1, 28)
    special = st.sampled_from(["L", "LW"]) | st.builds("{}W".format, nearest)
    if not aws:
        special |= st.builds("L-{}".format, st.integers(0, 27))
    return ",".join(draw(st.lists(_item(1, high) | special, min_size=1, max_size=3)))


@st.composite
def _dow_field(draw: st.DrawFn, every_month: bool, *, aws: bool = False) -> str:
    """Day of week: 0-7 (both 0 and 7 Sunday), or 1-7 = SUN-SAT inside cron(...)."""
    if draw(st.integers(0, 9)) < 6:
        return draw(st.sampled_from(["*", "*", "?"]))
    low, high = (1, 7) if aws else (0, 7)
    names = {k: v + 1 for k, v in DAY_NAMES.items()} if aws else DAY_NAMES
    # A fifth weekday n in a few given months may be decades away: only with every month.
    last_k = 5 if every_month else 4
    special = st.builds("{}L".format, st.integers(low, high)) | st.builds(
        "{}#{}".format, st.integers(low, high), st.integers(1, last_k)
    )
    return ",".join(draw(st.lists(_item(low, high, names) | special, min_size=1, max_size=3)))


@st.composite
def expressions(
    draw: st.DrawFn, *, fixed: bool = False, hours: str | None = None, every_day: bool = False
) -> str:
    """Valid expressions of the dialect (no H forms): 5 or 6 fields, macros, cron(...).

    ``fixed``: only fixed schedules (no '*', '?' or '/' in the second, minute and hour).
    ``hours``: the hour field to use (to aim at the wall times of a transition).
    ``every_day``: no restriction on days, months or years.
    """
    forms = ["five"] * 6 + ["six"] * 2 + ["aws"] + ([] if fixed or hours else ["macro"])
    form = draw(st.sampled_from(forms))
    if form == "macro":
        return draw(st.sampled_from(sorted(MACROS)))
    if every_day:
        days = "* * ?" if form == "aws" else "* * *"
        minute = draw(_time_field(0, 59, fixed=fixed))
        hour = hours or draw(_time_field(0, 23, fixed=fixed))
        if form == "aws":
            return f"cron({minute} {hour} {days} *)"
        second = draw(_time_field(0, 59, fixed=fixed)) + " " if form == "six" else ""
        return f"{second}{minute} {hour} {days}"
    month = "*"
    if draw(st.booleans()):
        month = ",".join(draw(st.lists(_item(1, 12, MONTH_NAMES), min_size=1, max_size=3)))
    every_month = month == "*"
    minute = draw(_time_field(0, 59, fixed=fixed))
    hour = hours or draw(_time_field(0, 23, fixed=fixed))
    if form == "aws":
        # Exactly one of the day fields is '?', as EventBridge requires.
        if draw(st.booleans()):
            dom = draw(_dom_field(every_month, aws=True)).replace("?", "*")
            dow = "?"
        else:
            dom = "?"
            dow = draw(_dow_field(every_month, aws=True)).replace("?", "*")
        first = draw(st.integers(1990, 2100))
        year = draw(st.sampled_from(["*", f"{first}-{first + 20}", f"{first}/2"]))
        return f"cron({minute} {hour} {dom} {month} {dow} {year})"
    dom = draw(_dom_field(every_month))
    dow = draw(_dow_field(every_month))
    fields = [minute, hour, dom, month, dow]
    if form == "six":
        fields.insert(0, draw(_time_field(0, 59, fixed=fixed)))
    return " ".join(fields)


@st.composite
def starts(draw: st.DrawFn, zone_name: str) -> datetime:
    """An instant in 1990-2100, usually within a day and a half before a transition."""
    year = draw(st.integers(1990, 2100))
    transitions = transitions_in(zone_name, year)
    if transitions and draw(st.integers(0, 4)) > 0:
        transition = draw(st.sampled_from(transitions))
        before = draw(st.sampled_from([0, 1, 60, 3600]) | st.integers(0, 36 * 3600))
        return transition - timedelta(seconds=before)
    moment = draw(st.datetimes(datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59)))
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    expression: str
    zone_name: str
    start: datetime


def _hours_around(transition: datetime, tz: ZoneInfo) -> str:
    """The local hours whose wall times ``transition`` skips or repeats, as an hour field."""
    before, after = offset_of(transition - SECOND, tz), offset_of(transition, tz)
    wall = transition.replace(tzinfo=None)
    first, last = wall + min(before, after), wall + max(before, after) - SECOND
    hours = set()
    hour = first.replace(minute=0, second=0)
    while hour <= last:
        hours.add(hour.hour)
        hour += timedelta(hours=1)
    return ",".join(str(h) for h in sorted(hours))


@st.composite
def cases(draw: st.DrawFn, *, fixed: bool = False) -> Case:
    """An expression, a zone, and a start: mostly shortly before a transition, with the
    expression's hours often aimed at the wall times that the transition skips or repeats."""
    zone_name = draw(st.sampled_from(ZONES))
    year = draw(st.integers(1990, 2100))
    transitions = transitions_in(zone_name, year)
    if not transitions and draw(st.integers(0, 4)) > 0:
        # This zone kept one offset that year: mostly take one that did not.
        zone_name = draw(st.sampled_from(ZONES_WITH_DST))
        transitions = transitions_in(zone_name, year)
    if not transitions or draw(st.integers(0, 4)) == 0:
        moment = draw(st.datetimes(datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59)))
        return Case(draw(expressions(fixed=fixed)), zone_name, moment.replace(tzinfo=UTC))
    transition = draw(st.sampled_from(transitions))
    aimed = draw(st.integers(0, 2)) > 0
    hours = _hours_around(transition, zone(zone_name)) if aimed else None
    expression = draw(expressions(fixed=fixed, hours=hours))
    # Often within the last two hours: frequent schedules reach the transition in few fires.
    before = draw(st.sampled_from([0, 1, 60, 900, 3600]) | st.integers(0, 7200) | st.integers(0, 36 * 3600))
    return Case(expression, zone_name, transition - timedelta(seconds=before))


#: Rarer events: whole skipped days, 30-minute and 2-hour shifts, Ramadan, abolished DST.
EVENTS = [
    ("Pacific/Apia", 2011),
    ("Pacific/Kiritimati", 1994),
    ("Africa/Casablanca", 2026),
    ("Asia/Tehran", 2010),
    ("Europe/Moscow", 2011),
    ("Europe/Moscow", 2014),
    ("America/Sao_Paulo", 2018),
    ("Pacific/Norfolk", 2015),
    ("America/Caracas", 2007),
    ("America/Caracas", 2016),
    ("Asia/Pyongyang", 2015),
    ("Asia/Pyongyang", 2018),
    ("Australia/Eucla", 2008),
    ("America/Havana", 2026),
    ("America/Asuncion", 2024),
    ("Antarctica/Troll", 2026),
]


@st.composite
def transition_cases(draw: st.DrawFn, *, fixed: bool = False) -> Case:
    """A start at most two hours before a transition, or inside the wall times it repeats,
    and an expression whose hours are those the transition skips or repeats."""
    zone_name, year = draw(
        st.tuples(st.sampled_from(ZONES_WITH_DST), st.integers(1990, 2100)) | st.sampled_from(EVENTS)
    )
    transitions = transitions_in(zone_name, year)
    assume(transitions)
    transition = draw(st.sampled_from(transitions))
    tz = zone(zone_name)
    shift = int(abs(offset_of(transition, tz) - offset_of(transition - SECOND, tz)).total_seconds())
    hours = _hours_around(transition, tz)
    expression = draw(expressions(fixed=fixed, hours=hours, every_day=draw(st.integers(0, 3)) > 0))
    offset = draw(
        st.sampled_from([0, -1, 1, -shift, -shift - 1, shift - 1]) | st.integers(-shift - 7200, shift)
    )
    return Case(expression, zone_name, transition + timedelta(seconds=offset))


def take(schedule: CronExpression, start: datetime, count: int) -> list[datetime]:
    return list(itertools.islice(schedule.iter_after(start), count))


def take_within(schedule: CronExpression, start: datetime) -> list[datetime]:
    """The fires in (start, start + WINDOW], at most LIMIT of them."""
    end = start + WINDOW
    return list(itertools.islice(itertools.takewhile(lambda f: f <= end, schedule.iter_after(start)), LIMIT))


# --- properties ------------------------------------------------------------------------


class TestOrder:
    @PROPERTY
    @given(case=cases())
    def test_fires_are_utc_strictly_after_the_start_and_strictly_increasing(self, case: Case) -> None:
        start = case.start
        found = take(CronExpression(case.expression, timezone=case.zone_name), start, 20)
        assert all(f.utcoffset() == timedelta(0) for f in found)
        assert all(f > start for f in found)
        assert all(a < b for a, b in itertools.pairwise(found)), found
        assert len(set(found)) == len(found)

    @PROPERTY
    @given(case=cases(), data=st.data())
    def test_from_anywhere_between_two_fires_the_next_is_the_later_one(
        self, case: Case, data: st.DataObject
    ) -> None:
        schedule = CronExpression(case.expression, timezone=case.zone_name)
        found = take(schedule, case.start, 12)
        assume(len(found) >= 2)
        k = data.draw(st.integers(0, len(found) - 2))
        earlier, later = found[k], found[k + 1]
        gap = int((later - earlier).total_seconds() * 1_000_000)
        between = earlier + timedelta(microseconds=data.draw(st.integers(0, gap - 1)))
        assert schedule.next_after(between) == later
        assert schedule.next_after(later - timedelta(microseconds=1)) == later

    @PROPERTY
    @given(case=cases(), data=st.data())
    def test_the_zone_of_the_start_does_not_matter(self, case: Case, data: st.DataObject) -> None:
        schedule = CronExpression(case.expression, timezone=case.zone_name)
        start = case.start
        elsewhere = start.astimezone(zone(data.draw(st.sampled_from(ZONES))))
        assert schedule.next_after(elsewhere) == schedule.next_after(start)


class TestAgainstTheReferenceModel:
    @PROPERTY
    @given(case=cases())
    def test_fires_are_exactly_those_of_the_reference_model(self, case: Case) -> None:
        expression, zone_name, start = case.expression, case.zone_name, case.start
        end = start + WINDOW
        schedule = CronExpression(expression, timezone=zone_name)
        found = take_within(schedule, start)
        expected = reference_fires(Reference.parse(expression), zone_name, start, end, LIMIT)
        assert found == expected

    @PROPERTY
    @given(case=transition_cases())
    def test_fires_around_transitions_are_exactly_those_of_the_reference_model(self, case: Case) -> None:
        expression, zone_name, start = case.expression, case.zone_name, case.start
        schedule = CronExpression(expression, timezone=zone_name)
        expected = reference_fires(Reference.parse(expression), zone_name, start, start + WINDOW, LIMIT)
        assert take_within(schedule, start) == expected

    @PROPERTY
    @given(case=transition_cases())
    def test_each_fire_matches_or_ends_a_gap_that_swallowed_a_match(self, case: Case) -> None:
        expression, zone_name = case.expression, case.zone_name
        tz = zone(zone_name)
        ref = Reference.parse(expression)
        schedule = CronExpression(expression, timezone=zone_name)
        for fire in take_within(schedule, case.start):
            wall = wall_of(fire, tz)
            if ref.matches(wall):
                if not ref.is_interval:
                    assert instants_of(wall, tz)[0] == fire, f"{wall} fired at its second occurrence"
                continue
            assert not ref.is_interval, f"{fire} ({wall} local) does not match {expression!r}"
            before, after = offset_of(fire - SECOND, tz), offset_of(fire, tz)
            assert after > before, f"{fire} ({wall} local) is no match and ends no gap"
            skipped = ref.wall_times(wall - (after - before), wall - SECOND)
            assert next(skipped, None) is not None, f"{fire}: nothing in the gap before it matches"

    @PROPERTY
    @given(case=transition_cases(fixed=True))
    def test_a_fixed_schedule_fires_each_local_wall_time_at_most_once(self, case: Case) -> None:
        schedule = CronExpression(case.expression, timezone=case.zone_name)
        assert not schedule.is_interval
        tz = zone(case.zone_name)
        walls = [wall_of(f, tz) for f in take_within(schedule, case.start)]
        assert len(set(walls)) == len(walls), walls

    @PROPERTY
    @given(expression=expressions())
    def test_is_interval_follows_the_second_minute_and_hour_fields(self, expression: str) -> None:
        assert CronExpression(expression).is_interval is Reference.parse(expression).is_interval


@st.composite
def _day_expressions(draw: st.DrawFn) -> str:
    """Noon on the days given by random day-of-month, month and day-of-week fields."""
    month = "*"
    if draw(st.integers(0, 3)) == 0:
        month = ",".join(draw(st.lists(_item(1, 12, MONTH_NAMES), min_size=1, max_size=3)))
    every_month = month == "*"
    if draw(st.integers(0, 4)) == 0:
        if draw(st.booleans()):
            dom = draw(_dom_field(every_month, aws=True, restricted=9)).replace("?", "*")
            return f"cron(0 12 {dom} {month} ? *)"
        dow = draw(_dow_field(every_month, aws=True)).replace("?", "*")
        return f"cron(0 12 ? {month} {dow} *)"
    dom = draw(_dom_field(every_month, restricted=8))
    return f"0 12 {dom} {month} {draw(_dow_field(every_month))}"


class TestDays:
    @PROPERTY
    @given(
        expression=_day_expressions(),
        zone_name=st.sampled_from(ZONES),
        start=st.datetimes(datetime(1990, 1, 1), datetime(2099, 12, 31), timezones=st.just(UTC)),
    )
    def test_the_days_are_exactly_those_of_the_reference_model(
        self, expression: str, zone_name: str, start: datetime
    ) -> None:
        """L, LW, nW, L-n, nL, n#k, names, steps, and the OR of both day fields, over a year."""
        end = start + timedelta(days=366)
        schedule = CronExpression(expression, timezone=zone_name)
        found = list(
            itertools.islice(itertools.takewhile(lambda f: f <= end, schedule.iter_after(start)), 40)
        )
        assert found == reference_fires(Reference.parse(expression), zone_name, start, end, 40)


@st.composite
def _plain_fields(draw: st.DrawFn) -> str:
    """Plain numeric five-field expressions: numbers, ranges, steps and lists only."""
    minute = draw(_time_field(0, 59))
    hour = draw(_time_field(0, 23))
    dom = draw(st.sampled_from(["*", "*", "*"]) | _item(1, 28))
    month = draw(st.sampled_from(["*", "*"]) | _item(1, 12))
    dow = draw(st.sampled_from(["*", "*", "*"]) | _item(0, 7))
    return f"{minute} {hour} {dom} {month} {dow}"


class TestInUtc:
    @PROPERTY
    @given(
        expression=_plain_fields(),
        start=st.datetimes(datetime(1990, 1, 1), datetime(2100, 12, 28), timezones=st.just(UTC)),
    )
    def test_nothing_matching_is_skipped_between_fires(self, expression: str, start: datetime) -> None:
        """Brute force: every minute of a bounded window, checked field by field."""
        schedule = CronExpression(expression)
        end = start + timedelta(days=2)
        found = list(
            itertools.takewhile(lambda f: f <= end, itertools.islice(schedule.iter_after(start), 300))
        )
        ref = Reference.parse(expression)
        minute = start.replace(second=0, microsecond=0) + MINUTE
        expected: list[datetime] = []
        while minute <= end and len(expected) < len(found) + 1:
            if ref.matches(minute.replace(tzinfo=None)):
                expected.append(minute)
            minute += MINUTE
        if len(found) == 300:
            expected = expected[:300]
        assert found == expected


class TestRealTimeCadence:
    """Interval schedules keep elapsed time through transitions (the shifts here are 30,
    60, 120 and 1440 minutes, all multiples of the steps)."""

    @PROPERTY
    @given(zone_name=st.sampled_from(ZONES), step=st.sampled_from([10, 15, 30]), data=st.data())
    def test_every_n_minutes_is_n_minutes_apart(self, zone_name: str, step: int, data: st.DataObject) -> None:
        start = data.draw(starts(zone_name))
        self.assume_shifts_are_multiples(zone_name, start, step)
        found = take(CronExpression(f"*/{step} * * * *", timezone=zone_name), start, 16)
        assert [b - a for a, b in itertools.pairwise(found)] == [timedelta(minutes=step)] * 15

    @PROPERTY
    @given(
        zone_name=st.sampled_from(ZONES),
        step=st.sampled_from([10, 15, 20, 30]),
        seed=st.text(min_size=1, max_size=20),
        data=st.data(),
    )
    def test_h_with_a_step_is_step_minutes_apart(
        self, zone_name: str, step: int, seed: str, data: st.DataObject
    ) -> None:
        start = data.draw(starts(zone_name))
        self.assume_shifts_are_multiples(zone_name, start, step)
        schedule = CronExpression(f"H/{step} * * * *", timezone=zone_name, seed=seed)
        found = take(schedule, start, 16)
        assert [b - a for a, b in itertools.pairwise(found)] == [timedelta(minutes=step)] * 15
        assert found == take(CronExpression(f"H/{step} * * * *", timezone=zone_name, seed=seed), start, 16)

    @PROPERTY
    @given(zone_name=st.sampled_from(ZONES), data=st.data())
    def test_every_second_is_one_second_apart(self, zone_name: str, data: st.DataObject) -> None:
        start = data.draw(starts(zone_name)) - timedelta(seconds=3)
        found = take(CronExpression("* * * * * *", timezone=zone_name), start, 8)
        assert [b - a for a, b in itertools.pairwise(found)] == [SECOND] * 7

    @PROPERTY
    @given(zone_name=st.sampled_from(ZONES_WITH_DST), data=st.data())
    def test_every_15_minutes_repeats_the_overlap_of_every_fall_back(
        self, zone_name: str, data: st.DataObject
    ) -> None:
        year = data.draw(st.integers(1990, 2100))
        tz = zone(zone_name)
        fall_backs = [
            t for t in transitions_in(zone_name, year) if offset_of(t, tz) < offset_of(t - SECOND, tz)
        ]
        assume(fall_backs)
        transition = data.draw(st.sampled_from(fall_backs))
        shift = offset_of(transition - SECOND, tz) - offset_of(transition, tz)
        # From just before the first pass of the repeated wall times, through the second.
        start = transition - shift - SECOND
        found = take(CronExpression("*/15 * * * *", timezone=zone_name), start, 16)
        assert [b - a for a, b in itertools.pairwise(found)] == [timedelta(minutes=15)] * 15
        walls = [wall_of(f, tz) for f in found]
        repeated = {w for w in walls if walls.count(w) == 2}
        assert len(repeated) == shift // timedelta(minutes=15), walls

    @staticmethod
    def assume_shifts_are_multiples(zone_name: str, start: datetime, step: int) -> None:
        tz = zone(zone_name)
        for year in (start.year, start.year + 1):
            for t in transitions_in(zone_name, year):
                shift = abs(offset_of(t, tz) - offset_of(t - SECOND, tz))
                assume(shift % timedelta(minutes=step) == timedelta(0))


class TestHashForms:
    @PROPERTY
    @given(
        seed=st.text(min_size=0, max_size=30),
        low=st.integers(0, 59),
        width=st.integers(0, 59),
        zone_name=st.sampled_from(ZONES),
    )
    def test_h_with_a_range_picks_one_stable_minute_in_the_range(
        self, seed: str, low: int, width: int, zone_name: str
    ) -> None:
        high = min(59, low + width)
        text = f"H({low}-{high}) * * * *"
        start = datetime(2026, 6, 1, tzinfo=UTC)
        found = take(CronExpression(text, timezone=zone_name, seed=seed), start, 4)
        minutes = {wall_of(f, zone(zone_name)).minute for f in found}
        assert len(minutes) == 1
        assert low <= minutes.pop() <= high
        assert take(CronExpression(text, timezone=zone_name, seed=seed), start, 4) == found
