"""CronExpression: parse, validate, and compute fire instants under exact DST rules.

The only module that touches croniter. croniter iterates *naive wall-clock* times for
the time-of-day and month fields (and the day fields where its meaning is ours); our
own predicate decides days (DaySpec) and years; our own layer maps wall-clock times to
UTC instants, segment by segment of constant UTC offset:

* interval schedules (a ``*``, ``?`` or ``/`` in the second, minute or hour field) fire
  at every real instant whose local wall time matches: times in a spring-forward gap
  are skipped, times repeated by a fall-back fire twice;
* fixed schedules fire once per matching wall time: a time in a gap fires at the
  first instant after the gap, a repeated time at its first occurrence;
* several wall times that map to one instant fire once; results are strictly after
  the start and strictly increasing.

>>> from datetime import datetime, UTC
>>> e = CronExpression("30 2 * * *", timezone="America/New_York")
>>> e.next_after(datetime(2026, 3, 8, 6, 0, tzinfo=UTC)).isoformat()
'2026-03-08T07:00:00+00:00'
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

from croniter import CroniterBadDateError, croniter

from clockwork_core.cron_syntax import NUMBER, YEAR, CronSpec, parse_spec
from clockwork_core.errors import InvalidExpression, InvalidValue
from clockwork_core.timeline import Timeline, Transition, timeline_of
from clockwork_core.zones import get_zone

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
#: The longest rate: ten years, in any unit (longer ones would soon pass datetime's last year).
_LONGEST_RATE = timedelta(days=3650)
#: Transitions closer than this before a start can still shape its first fire (overlaps).
_LOOKBEHIND = timedelta(days=1)
#: How many recent next_after answers each expression remembers.
_RECENT = 32


def _join(values: frozenset[int]) -> str:
    return ",".join(str(v) for v in sorted(values))


class _WallClock:
    """Matching naive wall-clock times of a CronSpec: croniter plus our day and year rules."""

    def __init__(self, spec: CronSpec) -> None:
        days = spec.days
        dom, dow = "*", "*"
        # croniter gets day fields only where its meaning is exactly ours (one restricted
        # field of plain values); otherwise a superset, and DaySpec.matches filters.
        if days.dom_restricted and not days.dow_restricted and days.dom_plain:
            dom = _join(days.dom_values)
        elif days.dow_restricted and not days.dom_restricted:
            dow = _join(days.dow_values | days.dow_last | {n for n, _ in days.dow_nth})
        only_dom = days.dom_restricted and not days.dow_restricted
        only_dow = days.dow_restricted and not days.dom_restricted
        self.exact_days = (
            not (days.dom_restricted or days.dow_restricted)
            or (only_dom and days.dom_plain)
            or (only_dow and days.dow_plain)
        )
        self.spec = spec
        fields = [
            _join(spec.minutes),
            _join(spec.hours),
            dom,
            _join(spec.months),
            dow,
            _join(spec.seconds),
        ]
        self._iter = croniter(" ".join(fields), datetime(2000, 1, 1), max_years_between_matches=30)
        self._lock = threading.Lock()

    def next_at_or_after(self, wall: datetime) -> datetime | None:
        """The first matching wall time >= ``wall`` (a naive, whole-second time)."""
        cursor = wall - _SECOND
        years = self.spec.years
        while True:
            try:
                with self._lock:
                    found: datetime = self._iter.get_next(datetime, start_time=cursor)
            except CroniterBadDateError:
                return None
            if years is not None and found.year not in years:
                later = [y for y in years if y > found.year]
                if not later:
                    return None
                cursor = datetime(min(later), 1, 1) - _SECOND
                continue
            if self.exact_days or self.spec.days.matches(found.year, found.month, found.day):
                return found
            cursor = datetime(found.year, found.month, found.day, 23, 59, 59)


class CronExpression:
    """A schedule expression evaluated in an IANA time zone.

    ``text`` is a 5-field cron expression, 6 fields with seconds first, a macro
    (``@daily``), or one of EventBridge's forms: ``cron(m h dom mon dow year)``,
    ``rate(5 minutes)``, ``at(2026-12-01T10:00:00)``. ``seed`` (the schedule id) seeds the
    ``H`` forms. Raises :class:`InvalidExpression` or :class:`UnknownTimeZone`.
    """

    def __init__(self, text: str, timezone: str = "UTC", seed: str | None = None) -> None:
        self.text = text
        self.timezone = timezone
        self.seed = seed
        self.zone: tzinfo = get_zone(timezone)
        self._timeline: Timeline | None = None if self.zone is UTC else timeline_of(self.zone)
        self._rate: timedelta | None = None
        self._at: datetime | None = None
        self._wall: _WallClock | None = None
        self._recent: dict[datetime, datetime | None] = {}
        self._recent_lock = threading.Lock()
        stripped = text.strip() if isinstance(text, str) else text
        if isinstance(stripped, str) and re.match(r"(?i)rate\(", stripped):
            self._rate = _parse_rate(text)
            self.is_interval = True
        elif isinstance(stripped, str) and re.match(r"(?i)at\(", stripped):
            self._at = _parse_at(text)
            self.is_interval = False
        else:
            spec = _spec(text, seed if uses_hash(text) else None)
            self.is_interval = spec.is_interval
            self._wall = _wall_clock(spec)

    def __repr__(self) -> str:
        return f"CronExpression({self.text!r}, timezone={self.timezone!r}, seed={self.seed!r})"

    # --- the public API ---------------------------------------------------------------

    def next_after(self, instant: datetime) -> datetime | None:
        """The first fire strictly after ``instant`` (aware), in UTC; None if there is none."""
        if not isinstance(instant, datetime) or instant.tzinfo is None or instant.utcoffset() is None:
            raise InvalidValue("instant", f"{instant!r} is not an aware datetime")
        t = instant.astimezone(UTC)
        # A worker asks for the same few instants over and over (deciding, then completing,
        # a fire): remember the latest answers.
        try:
            return self._recent[t]
        except KeyError:
            pass
        found = self._compute_next(t)
        with self._recent_lock:
            if len(self._recent) >= _RECENT:
                self._recent.pop(next(iter(self._recent)))
            self._recent[t] = found
        return found

    def _compute_next(self, t: datetime) -> datetime | None:
        if self._rate is not None:
            periods = (t - _EPOCH) // self._rate
            return _EPOCH + (periods + 1) * self._rate
        if self._at is not None:
            fire = self._resolve_fixed(self._at)
            return fire if fire > t else None
        assert self._wall is not None
        if self._timeline is None:
            found = self._wall.next_at_or_after(_naive(t).replace(microsecond=0) + _SECOND)
            return None if found is None else found.replace(tzinfo=UTC)
        return self._next_zoned(t, self._wall, self._timeline)

    def iter_after(self, instant: datetime) -> Iterator[datetime]:
        """Successive fires strictly after ``instant``."""
        current = self.next_after(instant)
        while current is not None:
            yield current
            current = self.next_after(current)

    # --- the DST layer ----------------------------------------------------------------

    def _next_zoned(self, t: datetime, wall: _WallClock, timeline: Timeline) -> datetime | None:
        offset = timeline.offset_at(t)
        start = timeline.last_transition(t, within=_LOOKBEHIND)
        previous = start.before if start is not None else offset
        segment_start = start.instant if start is not None else None
        # The first segment: from just after t, in t's own offset.
        lower = _naive(t + offset).replace(microsecond=0) + _SECOND
        while True:
            end = timeline.next_transition(segment_start or t) or _quiet_until(segment_start or t, offset)
            if not self.is_interval and segment_start is not None and previous > offset:
                # Fall-back overlap: wall times before ``segment_start + previous`` fired
                # in the previous segment (their first occurrence); do not repeat them.
                lower = max(lower, _naive(segment_start + previous))
            found = wall.next_at_or_after(lower)
            if found is None:
                return None
            fire = (found - offset).replace(tzinfo=UTC)
            if fire < end.instant:
                return fire
            # Move to the next segment.
            segment_start, previous, offset = end.instant, end.before, end.after
            if not self.is_interval and offset > previous:
                # Spring-forward gap: a wall time in it fires once, at the first instant after it.
                gap_time = wall.next_at_or_after(_naive(segment_start + previous))
                if gap_time is not None and gap_time < _naive(segment_start + offset):
                    return segment_start
            lower = _naive(segment_start + offset)

    def _resolve_fixed(self, wall_time: datetime) -> datetime:
        """The instant of one wall time under the fixed rules (gap: after it; overlap: first)."""
        if self._timeline is None:
            return wall_time.replace(tzinfo=UTC)
        first = wall_time.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if _naive(first.astimezone(self.zone)) == wall_time:
            return first
        transition = self._timeline.next_transition(first - timedelta(days=2))
        assert transition is not None, "a nonexistent wall time lies in a transition's gap"
        return transition.instant


def _quiet_until(after: datetime, offset: timedelta) -> Transition:
    """A stand-in segment end for zones with no transition within the probe horizon."""
    return Transition(datetime(after.year + 4, 1, 1, tzinfo=UTC), offset, offset)


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def _parse_rate(text: str) -> timedelta:
    match = re.fullmatch(r"(?i)\s*rate\(\s*(\S+)\s+(\w+?)s?\s*\)\s*", text)
    if not match:
        raise InvalidExpression(text, "rate(...) takes a number and a unit: rate(5 minutes)")
    value, unit = match.group(1), match.group(2).lower()
    if unit not in _RATE_UNITS:
        raise InvalidExpression(text, f"rate unit {match.group(2)!r} is not one of minutes, hours, days")
    digits = value.lstrip("0")
    if not NUMBER.fullmatch(value) or not digits:
        raise InvalidExpression(text, f"rate value {value!r} must be a whole number of at least 1")
    longest = _LONGEST_RATE // timedelta(seconds=_RATE_UNITS[unit])
    # Compare lengths first: int() refuses texts of more than 4,300 digits.
    if len(digits) > len(str(longest)) or int(digits) > longest:
        shown = value if len(value) <= 20 else f"{value[:12]}... ({len(value)} digits)"
        raise InvalidExpression(
            text, f"rate value {shown} is too large: a rate is at most {longest} {unit}s (10 years)"
        )
    return timedelta(seconds=int(digits) * _RATE_UNITS[unit])


def _parse_at(text: str) -> datetime:
    match = re.fullmatch(r"(?ai)\s*at\(\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\s*\)\s*", text)
    if not match:
        raise InvalidExpression(text, "at(...) takes a local date and time: at(2026-12-01T10:00:00)")
    try:
        wall = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError as exc:
        raise InvalidExpression(
            text, f"at(...): {match.group(1)} is not a valid date and time ({exc})"
        ) from None
    if not YEAR.low <= wall.year <= YEAR.high:
        # As in cron(...)'s year field; and every such wall time is an instant in every zone.
        raise InvalidExpression(text, f"at(...): year {wall.year} is out of range {YEAR.low}-{YEAR.high}")
    return wall


def uses_hash(text: str) -> bool:
    """Whether ``text`` has an ``H`` form, so that its instants depend on the seed."""
    return _HASH.search(text) is not None


_HASH = re.compile(r"(?i)(?<![a-z])h(?![a-z])")


@functools.lru_cache(maxsize=16384)
def _spec(text: str, seed: str | None) -> CronSpec:
    return parse_spec(text, seed)


@functools.lru_cache(maxsize=16384)
def _wall_clock(spec: CronSpec) -> _WallClock:
    # Schedules with the same fields share one croniter: building one costs about a millisecond.
    return _WallClock(spec)


def parse_cron(text: str, timezone: str = "UTC", seed: str | None = None) -> CronExpression:
    """A cached :class:`CronExpression` (immutable in use and safe to share between threads).

    The seed only matters to expressions with ``H`` forms, so thousands of schedules
    sharing ``*/5 * * * *`` share one parsed expression.
    """
    return _parse_cron(text, timezone, seed if uses_hash(text) else None)


@functools.lru_cache(maxsize=16384)
def _parse_cron(text: str, timezone: str, seed: str | None) -> CronExpression:
    return CronExpression(text, timezone, seed)
