"""The cron dialect's front end: text in, validated field sets out. No time arithmetic.

Accepts what the npm ``cron-parser`` v5 accepts, with the same meaning, plus the
additions of DESIGN.md ("Cron semantics"): ``@midnight``, ``LW``, ``nW``, ``L-n``,
``#`` inside lists, the macros, ``H`` forms seeded by the schedule id, and EventBridge's
``cron(...)`` (``rate(...)`` and ``at(...)`` are parsed in :mod:`clockwork_core.cron`).
Every error is an :class:`InvalidExpression` naming the cron field and the reason.

Numbers are ASCII digits only: ``str.isdigit()`` and ``int()`` also take the digits of
other scripts (``'٣'``, ``'３'``, and ``'¹'``, which ``int()`` then refuses), so every
number is matched by :data:`NUMBER` before it is converted.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Callable
from typing import Any

import attrs

from clockwork_core.cron_days import DaySpec
from clockwork_core.errors import InvalidExpression

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
MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
WEEKDAYS = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
#: The most days each month can have (February: 29, in leap years).
MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
#: A number in an expression: ASCII digits, nothing else.
NUMBER = re.compile(r"[0-9]+")


@attrs.frozen
class FieldRule:
    name: str
    low: int
    high: int
    names: dict[str, int] = attrs.field(factory=dict)
    #: H picks from this range (day-of-month: 1-28, so it fires every month).
    hash_range: tuple[int, int] | None = None


SECOND = FieldRule("second", 0, 59)
MINUTE = FieldRule("minute", 0, 59)
HOUR = FieldRule("hour", 0, 23)
DAY = FieldRule("day-of-month", 1, 31, hash_range=(1, 28))
MONTH = FieldRule("month", 1, 12, MONTHS)
WEEKDAY = FieldRule("day-of-week", 0, 7, WEEKDAYS, hash_range=(0, 6))
AWS_WEEKDAY = FieldRule("day-of-week", 1, 7, {k: v + 1 for k, v in WEEKDAYS.items()}, hash_range=(1, 7))
YEAR = FieldRule("year", 1970, 2199)


@attrs.frozen
class CronSpec:
    """A parsed expression: the set of values of each field, and how days match."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    days: DaySpec
    years: frozenset[int] | None
    #: Interval schedules keep real-time cadence through DST; fixed ones fire once per wall time.
    is_interval: bool


class _Parser:
    """Parses one expression; ``fail`` raises with the expression's text."""

    def __init__(self, text: str, seed: str | None) -> None:
        self.text = text
        self.seed = seed or ""

    def fail(self, reason: str, rule: FieldRule | None = None) -> InvalidExpression:
        return InvalidExpression(self.text, reason, cron_field=rule.name if rule else None)

    # --- whole expressions ------------------------------------------------------------

    def parse(self) -> CronSpec:
        text = self.text.strip()
        if not text:
            raise self.fail("the expression is empty; a cron expression has 5 fields, e.g. '*/5 * * * *'")
        if text.startswith("@"):
            expanded = MACROS.get(text.lower())
            if expanded is None:
                raise self.fail(f"unknown macro {text!r} (known: {', '.join(MACROS)})")
            return self.parse_fields(expanded.split())
        match = re.fullmatch(r"cron\((.*)\)", text, flags=re.IGNORECASE | re.DOTALL)
        if match:
            return self.parse_aws(match.group(1).split())
        fields = text.split()
        if len(fields) < 5:
            padded = " ".join(fields + ["*"] * (5 - len(fields)))
            raise self.fail(
                f"has {len(fields)} field{'s' if len(fields) != 1 else ''}; cron needs 5 (minute hour "
                f"day-of-month month day-of-week) or 6 (seconds first): did you mean {padded!r}?"
            )
        if len(fields) > 6:
            raise self.fail(
                f"has {len(fields)} fields; cron takes 5, or 6 with seconds first "
                "(a year field is accepted only in EventBridge's cron(m h dom mon dow year))"
            )
        return self.parse_fields(fields)

    def parse_fields(self, fields: list[str]) -> CronSpec:
        second = fields[0] if len(fields) == 6 else "0"
        minute, hour, dom, month, dow = fields[-5:]
        return CronSpec(
            seconds=self.plain(second, SECOND),
            minutes=self.plain(minute, MINUTE),
            hours=self.plain(hour, HOUR),
            months=self.plain(month, MONTH),
            days=self.days(dom, dow, WEEKDAY, lambda n: n % 7),
            years=None,
            is_interval=any(_is_interval_field(f) for f in (second, minute, hour)),
        )

    def parse_aws(self, fields: list[str]) -> CronSpec:
        if len(fields) != 6:
            raise self.fail(
                f"cron(...) has {len(fields)} fields; EventBridge's form has 6: "
                "cron(minutes hours day-of-month month day-of-week year)"
            )
        minute, hour, dom, month, dow, year = fields
        if "?" not in (dom, dow):
            raise self.fail(
                "in cron(...), one of day-of-month and day-of-week must be '?' (as EventBridge requires)"
            )
        years = self.plain(year, YEAR)
        return CronSpec(
            seconds=frozenset({0}),
            minutes=self.plain(minute, MINUTE),
            hours=self.plain(hour, HOUR),
            months=self.plain(month, MONTH),
            days=self.days(dom, dow, AWS_WEEKDAY, lambda n: n - 1),
            years=None if year in ("*", "?") else years,
            is_interval=any(_is_interval_field(f) for f in (minute, hour)),
        )

    # --- fields -----------------------------------------------------------------------

    def plain(self, field: str, rule: FieldRule) -> frozenset[int]:
        values: set[int] = set()
        for element in self.elements(field, rule):
            values |= self.element(element, rule)
        return frozenset(values)

    def elements(self, field: str, rule: FieldRule) -> list[str]:
        parts = field.split(",")
        if any(not part for part in parts):
            raise self.fail(f"{rule.name} {field!r} has an empty list item", rule)
        return parts

    def element(self, element: str, rule: FieldRule) -> set[int]:
        upper = element.upper()
        if upper.startswith("H"):
            return self.hashed(upper, rule)
        base, slash, step_text = upper.partition("/")
        step = self.step(step_text, element, rule) if slash else 1
        if base in ("*", "?"):
            low, high = rule.low, rule.high
        elif "-" in base:
            first, _, second = base.partition("-")
            low, high = self.value(first, rule), self.value(second, rule)
            if low > high:
                raise self.fail(
                    f"{rule.name} range {element} is reversed ({low} > {high}){_range_hint(rule, low, high)}",
                    rule,
                )
        else:
            low = self.value(base, rule)
            high = rule.high if slash else low
        return set(range(low, high + 1, step))

    def step(self, text: str, element: str, rule: FieldRule) -> int:
        if not NUMBER.fullmatch(text):
            raise self.fail(f"{rule.name} {element!r}: the step {text!r} is not a number", rule)
        step = int(text)
        if step == 0:
            raise self.fail(f"{rule.name} {element!r}: a step must be at least 1, not 0", rule)
        return step

    def value(self, text: str, rule: FieldRule) -> int:
        if text in rule.names:
            return rule.names[text]
        if not NUMBER.fullmatch(text):
            known = f" (names: {'/'.join(rule.names)})" if rule.names else ""
            raise self.fail(f"{rule.name} {text!r} is not a number{known}", rule)
        number = int(text)
        if not rule.low <= number <= rule.high:
            raise self.fail(f"{rule.name} {number} is out of range {rule.low}-{rule.high}", rule)
        return number

    def single(self, text: str, rule: FieldRule) -> int:
        """One value, or ``H`` for the seeded one (``H#3``: the third of a hashed weekday)."""
        if text == "H":
            (value,) = self.hashed(text, rule)
            return value
        return self.value(text, rule)

    def hashed(self, element: str, rule: FieldRule) -> set[int]:
        match = re.fullmatch(r"H(?:\((\w+)-(\w+)\))?(?:/(\w+))?", element, flags=re.ASCII)
        if not match:
            raise self.fail(f"{rule.name} {element!r} is not an H form (H, H(a-b), H/s, H(a-b)/s)", rule)
        low, high = rule.hash_range or (rule.low, rule.high)
        if match.group(1):
            low, high = self.value(match.group(1), rule), self.value(match.group(2), rule)
            if low > high:
                raise self.fail(f"{rule.name} range in {element} is reversed ({low} > {high})", rule)
        digest = hashlib.sha256(f"{self.seed}\x00{rule.name}".encode()).digest()
        pick = int.from_bytes(digest[:8], "big")
        if match.group(3):
            step = self.step(match.group(3), element, rule)
            return set(range(low + pick % min(step, high - low + 1), high + 1, step))
        return {low + pick % (high - low + 1)}

    def days(self, dom: str, dow: str, dow_rule: FieldRule, to_weekday: Callable[[int], int]) -> DaySpec:
        dom_restricted = dom not in ("*", "?")
        dow_restricted = dow not in ("*", "?")
        dom_parts = self.dom_parts(dom) if dom_restricted else {}
        dow_parts = self.dow_parts(dow, dow_rule, to_weekday) if dow_restricted else {}
        return DaySpec(dom_restricted=dom_restricted, dow_restricted=dow_restricted, **dom_parts, **dow_parts)

    def dom_parts(self, dom: str) -> dict[str, Any]:
        values: set[int] = set()
        nearest: set[int] = set()
        minus: set[int] = set()
        last = last_weekday = False
        for element in self.elements(dom, DAY):
            upper = element.upper()
            if upper == "L":
                last = True
            elif upper == "LW":
                last_weekday = True
            elif upper.startswith("L-"):
                minus.add(self.bounded(upper[2:], DAY, 0, 30, element))
            elif re.fullmatch(r"[0-9]+W", upper):
                nearest.add(self.value(upper[:-1], DAY))
            else:
                values |= self.element(element, DAY)
        return {
            "dom_values": frozenset(values),
            "dom_last": last,
            "dom_last_weekday": last_weekday,
            "dom_nearest_weekday": frozenset(nearest),
            "dom_last_minus": frozenset(minus),
        }

    def dow_parts(self, dow: str, rule: FieldRule, to_weekday: Callable[[int], int]) -> dict[str, Any]:
        values: set[int] = set()
        last: set[int] = set()
        nth: set[tuple[int, int]] = set()
        for element in self.elements(dow, rule):
            upper = element.upper()
            if upper == "L" and rule is AWS_WEEKDAY:
                values.add(6)  # EventBridge: L alone is the last day of the week, Saturday
            elif upper == "L":
                raise self.fail("day-of-week 'L' needs a weekday: '5L' is the last Friday", rule)
            elif upper.endswith("L") and "/" not in upper and "-" not in upper:
                last.add(to_weekday(self.single(upper[:-1], rule)))
            elif "#" in upper:
                day_text, _, k_text = upper.partition("#")
                k = self.bounded(k_text, rule, 1, 5, element)
                nth.add((to_weekday(self.single(day_text, rule)), k))
            else:
                values |= {to_weekday(v) for v in self.element(element, rule)}
        return {"dow_values": frozenset(values), "dow_last": frozenset(last), "dow_nth": frozenset(nth)}

    def bounded(self, text: str, rule: FieldRule, low: int, high: int, element: str) -> int:
        if not NUMBER.fullmatch(text) or not low <= int(text) <= high:
            raise self.fail(f"{rule.name} {element!r}: {text!r} must be a number from {low} to {high}", rule)
        return int(text)


def _is_interval_field(field: str) -> bool:
    return any(mark in field for mark in ("*", "?", "/"))


def _range_hint(rule: FieldRule, low: int, high: int) -> str:
    if rule is WEEKDAY and high == 0:
        return f"; Sunday is also 7: did you mean {low}-7?"
    return f"; did you mean {high}-{low}?"


def check_possible(text: str, spec: CronSpec) -> None:
    """Reject a day-of-month that no allowed month has (``0 0 30 2 *``, ``0 0 31 2,4 *``)."""
    days = spec.days
    if not days.dom_restricted or days.dow_restricted:
        return
    longest = max(MONTH_DAYS[m] for m in spec.months)
    candidates = set(days.dom_values) | set(days.dom_nearest_weekday)
    if days.dom_last or days.dom_last_weekday or days.dom_last_minus:
        if days.dom_last_minus and min(days.dom_last_minus) >= longest:
            raise InvalidExpression(
                text,
                f"day-of-month L-{min(days.dom_last_minus)} is before the 1st of every month",
                cron_field="day-of-month",
            )
        return
    if min(candidates) > longest:
        months = ", ".join(calendar.month_abbr[m] for m in sorted(spec.months))
        raise InvalidExpression(
            text,
            f"day-of-month {min(candidates)} never occurs in {months} (at most {longest} days)",
            cron_field="day-of-month",
        )


def check_years(text: str, spec: CronSpec) -> None:
    """Reject a year field in which no allowed day ever falls (``cron(0 0 29 2 ? 2023)``).

    Which days of a year match depends only on whether it is a leap year and on the
    weekday of its 1 January, so one year of each of those (at most 14) kinds is enough.
    Years that are over are not rejected: parsing knows no clock.
    """
    if spec.years is None:
        return
    kinds: dict[tuple[bool, int], int] = {}
    for year in sorted(spec.years):
        kinds.setdefault((calendar.isleap(year), calendar.weekday(year, 1, 1)), year)
    for year in kinds.values():
        for month in spec.months:
            last = calendar.monthrange(year, month)[1]
            if any(spec.days.matches(year, month, day) for day in range(1, last + 1)):
                return
    months = (
        "any month"
        if len(spec.months) == 12
        else ", ".join(calendar.month_abbr[m] for m in sorted(spec.months))
    )
    hint = ""
    if 2 in spec.months and not any(calendar.isleap(year) for year in spec.years):
        hint = " (it is not a leap year)" if len(spec.years) == 1 else " (none is a leap year)"
    raise InvalidExpression(
        text,
        f"never fires: no day of {months} in {_years_text(spec.years)} matches the day fields{hint}",
        cron_field="year",
    )


def _years_text(years: frozenset[int]) -> str:
    ordered = sorted(years)
    if len(ordered) == 1:
        return str(ordered[0])
    if ordered[-1] - ordered[0] + 1 == len(ordered):
        return f"{ordered[0]}-{ordered[-1]}"
    if len(ordered) > 6:
        return f"{', '.join(map(str, ordered[:5]))}, ... ({len(ordered)} years)"
    return ", ".join(map(str, ordered))


def parse_spec(text: str, seed: str | None = None) -> CronSpec:
    """Parse and validate ``text`` (anything but ``rate(...)`` and ``at(...)``)."""
    if not isinstance(text, str):
        raise InvalidExpression(str(text), f"expected text, got {type(text).__name__}")
    spec = _Parser(text, seed).parse()
    check_possible(text, spec)
    check_years(text, spec)
    return spec
