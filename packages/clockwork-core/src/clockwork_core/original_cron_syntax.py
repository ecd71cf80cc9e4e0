"""What the original aws-ecs-clockwork's cron libraries made of a CronTime: a faithful model.

The original validated a CronTime in its Lambda with npm ``cron-parser`` 0.7.1
(``parseExpression`` only) and fired it in its worker with ``node-schedule`` 0.2.9, which
iterates with ``cron-parser`` 0.6.2 in the container's time zone (UTC). This module
reproduces both parsers rule for rule, with their messages, and 0.6.2's search for the next
fire (``_findSchedule``); :mod:`clockwork_core.original_cron` builds the public answers on it.
``tests/golden/original/vectors.json`` holds the real libraries' verdicts and fires.

The parse, in order:

* A text that is exactly ``@yearly``, ``@monthly``, ``@weekly``, ``@daily`` or ``@hourly``
  becomes its 5 fields (any other ``@`` text goes on as fields; a name of a JavaScript object
  property such as ``constructor`` makes the parser fail on a non-text).
* The text is split on each single space: a leading, trailing or doubled space makes an empty
  atom, and a tab is no separator. Six atoms are seconds first; of more, the first six count;
  fewer are aligned to the right of ``0 * * * * *`` (so 5 atoms lack the seconds, ``*/2 * * *``
  puts ``*/2`` in the hour). An empty atom takes its field's default.
* In month and day-of-week, each run of up to three letters is replaced by its name's number;
  0.6.2 cannot resolve ``sun`` (its number, 0, is false to its test), and 0.7.1 turns an
  unknown name into the text ``undefined``, refused as a character.
* A field may hold only digits and ``| / * - ,``; ``*`` becomes ``min-max``.
* List items are kept only when larger than every item before (``30,5`` is ``{30}``).
* ``a/s`` is ``a`` alone unless ``a`` is a range; ``a-b`` needs ``a < b``; a range takes the
  step of the last ``/`` part; a step that is not a positive number leaves the range empty.
* A number is JavaScript's reading of the text: an empty item is 0, a text with ``|`` is NaN
  and is silently dropped (so a field can end up empty and never match).
* Day-of-week 7 becomes 0 only as a single value (``7``), not in a range (``5-7`` is Fri-Sat).

The search (0.6.2): the first whole second at or after the start whose fields match, where a
full day-of-month (31 values) or day-of-week (8 values, 0-7) field is a wildcard, and two
non-wildcard day fields match if either does. At every step it also applies its "explicit day
of month" check, which throws ``Invalid explicit day of month definition`` in any month that
follows the month field's first value when the previous month has fewer days than the
day-of-month field's largest value, reading January's previous month as November and, in leap
years, every previous month as 29 days long. So ``* * * * *`` throws in February of leap years.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

import attrs

from clockwork_core.errors import ClockworkError

Version = Literal["0.6.2", "0.7.1"]

FIELDS = ("second", "minute", "hour", "day-of-month", "month", "day-of-week")
BOUNDS = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
DEFAULTS = ("0", "*", "*", "*", "*", "*")
PREDEFINED = {
    "@yearly": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@hourly": "0 * * * *",
}
#: The names a plain JavaScript object has, which the predefined-macro lookup finds.
OBJECT_NAMES = frozenset(
    {
        "constructor",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toString",
        "toLocaleString",
        "valueOf",
        "__proto__",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
    }
)
ALIASES = {
    "month": {
        "jan": 1,
        "feb": 2,
        "mar": 3,
        "apr": 4,
        "may": 5,
        "jun": 6,
        "jul": 7,
        "aug": 8,
        "sep": 9,
        "oct": 10,
        "nov": 11,
        "dec": 12,
    },
    "day-of-week": {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6},
}
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_VALID = re.compile(r"[0-9|/*\-,]+")
_INTEGER = re.compile(r"-?[0-9]+")
_LETTERS = re.compile(r"[a-z]{1,3}", re.IGNORECASE | re.ASCII)
_SECOND = timedelta(seconds=1)
#: More steps than any search that finds a fire takes (a fire is at most 8 years away).
_MAX_STEPS = 200_000


class OriginalRefused(ClockworkError):
    """The original could not use a CronTime; ``reason`` says why, in one line."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r}: {reason}")
        self.text = text
        self.reason = reason


class JsError(Exception):
    """An error the original's cron-parser threw, with its own message."""

    def __init__(self, message: str, *, at: datetime | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: For a failed search: the step at which the check threw.
        self.at = at


@attrs.frozen
class OriginalFields:
    """The six value lists cron-parser built, each strictly increasing (possibly empty)."""

    second: tuple[int, ...]
    minute: tuple[int, ...]
    hour: tuple[int, ...]
    day_of_month: tuple[int, ...]
    month: tuple[int, ...]
    day_of_week: tuple[int, ...]
    #: The text each field was parsed from (its default where the atom was missing or empty).
    sources: tuple[str, ...]

    @property
    def values(self) -> tuple[tuple[int, ...], ...]:
        """The six lists, seconds first."""
        return (self.second, self.minute, self.hour, self.day_of_month, self.month, self.day_of_week)

    @property
    def dom_wildcard(self) -> bool:
        return len(self.day_of_month) == 31

    @property
    def dow_wildcard(self) -> bool:
        return len(self.day_of_week) == 8

    def day_matches(self, day: int, weekday: int) -> bool:
        """Whether a date matches the day fields (``weekday``: 0 is Sunday)."""
        dom, dow = day in self.day_of_month, weekday in self.day_of_week
        if self.dom_wildcard and self.dow_wildcard:
            return True
        if self.dow_wildcard:
            return dom
        if self.dom_wildcard:
            return dow
        return dom or dow

    def check_fails(self, year: int, month: int) -> bool:
        """Whether 0.6.2's "explicit day of month" check throws at a step in this month."""
        if not self.month or not self.day_of_month:
            return False  # comparisons with undefined are false
        previous = 11 if month == 1 else month - 1
        days = 29 if _js_leap(year - 1900) else DAYS_IN_MONTH[previous - 1]
        return self.month[0] == previous and days < self.day_of_month[-1]


def _js_leap(y: int) -> bool:
    # cron-parser tests Date.getYear() (years since 1900) as if it were the year.
    return not (y % 4 or (not y % 100 and y % 400))


def js_number_text(x: float) -> str:
    """JavaScript's ``String(x)`` for the numbers these parsers print."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    return repr(x)


def _to_number(text: str) -> float:
    """JavaScript's ``+text`` for the texts that reach it (digits, ``-`` and ``|`` only)."""
    if text == "":
        return 0.0
    return float(text) if _INTEGER.fullmatch(text) else math.nan


def _js_mod(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or b == 0:
        return math.nan
    return a if math.isinf(b) else math.fmod(a, b)


class _Field:
    """Parses one field's text as cron-parser's ``_parseField`` does."""

    def __init__(self, name: str, version: Version) -> None:
        self.name = name
        self.version = version
        self.low, self.high = BOUNDS[FIELDS.index(name)]

    def parse(self, value: str) -> tuple[int, ...]:
        if self.name in ALIASES:
            value = _LETTERS.sub(self._alias, value)
        if not _VALID.fullmatch(value):
            raise JsError(f"Invalid characters, got value: {value}")
        value = value.replace("*", f"{self.low}-{self.high}")
        stack: list[int] = []
        for atom in value.split(","):
            self._keep(stack, self._repeat(atom))
        return tuple(stack)

    def _alias(self, match: re.Match[str]) -> str:
        name = match.group(0).lower()
        number = ALIASES[self.name].get(name)
        if self.version == "0.7.1":
            return "undefined" if number is None else str(number)
        if not number:  # 0.6.2 tests the number's truth: Sunday's 0 is false
            raise JsError(f'Cannot resolve alias "{name}"')
        return str(number)

    def _keep(self, stack: list[int], result: list[int] | float) -> None:
        highest = max(stack) if stack else -1
        if isinstance(result, list):
            for value in result:
                if value > highest:
                    stack.append(value)
                    highest = value
            return
        if result < self.low or result > self.high:
            raise JsError(
                f"Constraint error, got value {js_number_text(result)} expected range {self.low}-{self.high}"
            )
        if self.name == "day-of-week":
            result = _js_mod(result, 7)
        if result > highest:  # NaN never is: it is dropped
            stack.append(int(result))

    def _repeat(self, value: str) -> list[int] | float:
        parts = value.split("/")
        if len(parts) > 1:
            return self._range(parts[0], _to_number(parts[-1]))
        return self._range(value, 1.0)

    def _range(self, value: str, step: float) -> list[int] | float:
        parts = value.split("-")
        if len(parts) == 1 or not parts[0]:
            return _to_number(value)
        low, high = _to_number(parts[0]), _to_number(parts[1])
        if math.isnan(low) or math.isnan(high) or low < self.low or high > self.high:
            raise JsError(
                f"Constraint error, got range {js_number_text(low)}-{js_number_text(high)} "
                f"expected range {self.low}-{self.high}"
            )
        if low >= high:
            raise JsError(f"Invalid range: {value}")
        values: list[int] = []
        index = step
        for number in range(int(low), int(high) + 1):
            if index > 0 and _js_mod(index, step) == 0:
                index = 1.0
                values.append(number)
            else:
                index += 1
        return values


def parse_field(name: str, value: str, version: Version) -> tuple[int, ...]:
    """One field's values (``name`` is one of :data:`FIELDS`); raises :class:`JsError`."""
    return _Field(name, version).parse(value)


def parse_original(text: str, version: Version) -> OriginalFields:
    """The fields cron-parser ``version`` made of ``text``; raises :class:`JsError`."""
    if text in OBJECT_NAMES:
        raise JsError("expression.split is not a function")
    atoms = PREDEFINED.get(text, text).split(" ")
    start = len(FIELDS) - len(atoms)
    sources: list[str] = []
    values: list[tuple[int, ...]] = []
    for i, name in enumerate(FIELDS):
        atom = atoms[i] if len(atoms) > len(FIELDS) else (atoms[i - start] if i >= start else "")
        source = atom or DEFAULTS[i]
        sources.append(source)
        values.append(_Field(name, version).parse(source))
    second, minute, hour, dom, month, dow = values
    return OriginalFields(second, minute, hour, dom, month, dow, tuple(sources))


def is_empty(fields: OriginalFields) -> bool:
    """Whether no instant ever matches (a field matches nothing, or no day of a listed month)."""
    if not (fields.second and fields.minute and fields.hour and fields.month):
        return True
    return not any(
        fields.day_matches(day, weekday)
        for month in fields.month
        for day in range(1, (29 if month == 2 else DAYS_IN_MONTH[month - 1]) + 1)
        for weekday in range(7)
    )


def first_failing_month(fields: OriginalFields, start: datetime, years: int = 400) -> datetime | None:
    """The first month from ``start``'s on (its 1st, or ``start``) in which 0.6.2's check throws."""
    year, month = start.year, start.month
    for _ in range(12 * years):
        if fields.check_fails(year, month):
            return max(start, datetime(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _next_day(t: datetime) -> datetime:
    return datetime(t.year, t.month, t.day) + timedelta(days=1)


def _next_month(t: datetime) -> datetime:
    return datetime(t.year + 1, 1, 1) if t.month == 12 else datetime(t.year, t.month + 1, 1)


def _next_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0) + timedelta(hours=1)


def _next_minute(t: datetime) -> datetime:
    return t.replace(second=0) + timedelta(minutes=1)


def _next_second(t: datetime) -> datetime:
    return t + _SECOND


def find_schedule(fields: OriginalFields, start: datetime) -> datetime:
    """0.6.2's ``_findSchedule`` in UTC: the first fire at or after ``start`` (naive, whole second).

    Raises :class:`JsError` where 0.6.2 throws, with ``at`` the step it threw at; a search
    that 0.6.2 would run forever raises ``JsError("never ends")`` instead.
    """
    if is_empty(fields):
        failing = first_failing_month(fields, start)
        if failing is None:
            raise JsError("never ends")
        raise JsError("Invalid explicit day of month definition", at=failing)
    t = start
    for _ in range(_MAX_STEPS):
        if fields.check_fails(t.year, t.month):
            raise JsError("Invalid explicit day of month definition", at=t)
        step: Callable[[datetime], datetime] | None = None
        if not fields.day_matches(t.day, (t.weekday() + 1) % 7):
            step = _next_day
        elif t.month not in fields.month:
            step = _next_month
        elif t.hour not in fields.hour:
            step = _next_hour
        elif t.minute not in fields.minute:
            step = _next_minute
        elif t.second not in fields.second:
            step = _next_second
        if step is None:
            return t
        t = step(t)
    raise AssertionError(f"the search from {start} took more than {_MAX_STEPS} steps")
