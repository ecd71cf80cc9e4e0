"""Which days of a month an expression's day-of-month and day-of-week fields match.

The day fields' own forms (``L``, ``LW``, ``nW``, ``L-n``, ``nL``, ``n#k``) need the
calendar of the month at hand, so they are a predicate over (year, month, day) rather than
a set of values; :mod:`clockwork_core.cron_syntax` parses them into a :class:`DaySpec`.
"""

from __future__ import annotations

import calendar

import attrs


@attrs.frozen
class DaySpec:
    """Which days of a month match, as parsed from day-of-month and day-of-week."""

    dom_restricted: bool
    dow_restricted: bool
    dom_values: frozenset[int] = frozenset()
    dom_last: bool = False  # L
    dom_last_weekday: bool = False  # LW
    dom_nearest_weekday: frozenset[int] = frozenset()  # nW
    dom_last_minus: frozenset[int] = frozenset()  # L-n
    dow_values: frozenset[int] = frozenset()  # 0 = Sunday
    dow_last: frozenset[int] = frozenset()  # nL: the last weekday n of the month
    dow_nth: frozenset[tuple[int, int]] = frozenset()  # n#k: the k-th weekday n

    @property
    def dom_plain(self) -> bool:
        return not (self.dom_last or self.dom_last_weekday or self.dom_nearest_weekday or self.dom_last_minus)

    @property
    def dow_plain(self) -> bool:
        return not (self.dow_last or self.dow_nth)

    def matches(self, year: int, month: int, day: int) -> bool:
        if self.dom_restricted and self.dow_restricted:
            return self._dom(year, month, day) or self._dow(year, month, day)
        if self.dom_restricted:
            return self._dom(year, month, day)
        if self.dow_restricted:
            return self._dow(year, month, day)
        return True

    def _dom(self, year: int, month: int, day: int) -> bool:
        if day in self.dom_values:
            return True
        last = calendar.monthrange(year, month)[1]
        if self.dom_last and day == last:
            return True
        if any(day == last - n for n in self.dom_last_minus):
            return True
        if self.dom_last_weekday and day == _weekday_on_or_before(year, month, last):
            return True
        return any(day == _nearest_weekday(year, month, n, last) for n in self.dom_nearest_weekday)

    def _dow(self, year: int, month: int, day: int) -> bool:
        weekday = (calendar.weekday(year, month, day) + 1) % 7
        if weekday in self.dow_values:
            return True
        last = calendar.monthrange(year, month)[1]
        if weekday in self.dow_last and day + 7 > last:
            return True
        return (weekday, (day - 1) // 7 + 1) in self.dow_nth


def _weekday_on_or_before(year: int, month: int, day: int) -> int:
    weekday = calendar.weekday(year, month, day)  # Monday = 0
    return day - max(0, weekday - 4)


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int | None:
    """The weekday (Mon-Fri) nearest to ``day``, without leaving the month (Quartz's ``nW``)."""
    if day > last:
        return None
    weekday = calendar.weekday(year, month, day)
    if weekday == 5:  # Saturday: the Friday before, or Monday the 3rd when the 1st is a Saturday
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: the Monday after, or the Friday before at the month's end
        return day + 1 if day < last else day - 2
    return day
