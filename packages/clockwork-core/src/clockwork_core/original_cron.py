"""Where a CronTime means something else to the original aws-ecs-clockwork than to clockwork.

The original accepted a CronTime in its Lambda with cron-parser 0.7.1 and fired it in its
worker with node-schedule 0.2.9 on cron-parser 0.6.2, in UTC; their dialect is modelled in
:mod:`clockwork_core.original_cron_syntax`. This module answers, purely (no clock, no I/O):

* :func:`lambda_refusal`: did the original's Lambda accept the text (did the stack succeed)?
* :func:`worker_fires`: the instants the original's worker fired it at;
* :func:`in_clockwork_syntax`: the original's meaning written as a clockwork expression;
* :func:`compare`: the text's meaning under each, when they differ, with the cause.

>>> in_clockwork_syntax("5/15 * * * *")
'5 * * * *'
>>> in_clockwork_syntax("0,30 * * * * ")
'0,30 * * * * *'

What the worker did with a text it could not use (verified against the real libraries on
node): when cron-parser throws while node-schedule schedules the job, node-schedule falls back
to ``new Date(text)``. Nearly every such text is an invalid date: its invocation never fires,
and, its time being NaN, it sorts to the head of node-schedule's single queue of invocations
and stays there, so once it is scheduled the worker's *other* schedules stop firing too. A
text that is a readable date (``2016-05-01 10:00``) fires once, at once if it is past. When
0.6.2 throws later, in the search that follows a fire, the error is uncaught in
node-schedule's timer and ends the worker process. A search that never ends (a field left
empty, ``1|2 * * * *``) hangs it. :func:`worker_fires` and friends raise
:class:`OriginalRefused` for all of these.

0.6.2's "explicit day of month" check throws in February of every leap year for nearly every
expression (those with a day-of-month up to 30 or 31 and a month field starting in January):
:func:`worker_fires` reproduces that, but :func:`compare` does not count it as a difference of
meaning, since the original's worker simply failed there. A check that throws every year
(``0 0 1,31 2-12 *`` throws on entering March) is counted.
"""

from __future__ import annotations

import calendar
import itertools
from datetime import UTC, datetime, timedelta

import attrs

from clockwork_core.cron import parse_cron
from clockwork_core.cron_syntax import CronSpec, parse_spec
from clockwork_core.errors import ClockworkError
from clockwork_core.original_cron_explain import explain, format_values
from clockwork_core.original_cron_syntax import (
    FIELDS,
    JsError,
    OriginalFields,
    OriginalRefused,
    find_schedule,
    first_failing_month,
    is_empty,
    parse_original,
)

__all__ = [
    "Meaning",
    "OriginalRefused",
    "compare",
    "in_clockwork_syntax",
    "lambda_refusal",
    "worker_fires",
]

_SECOND = timedelta(seconds=1)
_FALLBACK = (
    "; node-schedule then schedules new Date(text) instead, an invalid date that never fires "
    "and stops the worker's other schedules"
)
#: A year of each kind, to tell 0.6.2's yearly check failures from the leap-year ones.
_PLAIN_YEAR, _LEAP_YEAR = 2027, 2028
#: 28 years: every month, day and weekday combination, Feb 29 included, occurs in them.
_CYCLE = (datetime(2024, 1, 1), datetime(2052, 1, 1))


def lambda_refusal(text: str) -> str | None:
    """None if the original's Lambda (cron-parser 0.7.1 ``parseExpression``) accepted ``text``.

    Otherwise cron-parser's own message (the Lambda then answered FAILED). The Lambda only
    parsed: a text its worker could not use (``0 0 * * sun``) still made the stack succeed.
    """
    try:
        parse_original(text, "0.7.1")
    except JsError as exc:
        return exc.message
    return None


def worker_fires(text: str, after: datetime, count: int) -> list[datetime]:
    """The first ``count`` instants (aware UTC) the original's worker fires ``text`` at after ``after``.

    The worker is taken to have scheduled the job at ``after``, in whole seconds (the real
    one fired at the milliseconds of the moment it scheduled the job). Raises
    :class:`OriginalRefused` when the worker could not parse the text, or its search for one
    of these fires failed (see the module's docstring for what the worker did then).
    """
    fields = _worker_fields(text)
    fires, failure = _run(fields, _start(after), count)
    if failure is not None:
        raise OriginalRefused(text, failure)
    return fires


def in_clockwork_syntax(text: str) -> str:
    """A clockwork expression (UTC) with the fires the original's worker gave ``text``.

    Raises :class:`OriginalRefused` when the worker could not use the text: it could not parse
    it, or it never fired it (no instant matches, or every one lies in a month whose search
    throws).
    """
    return _translate(text, _usable_fields(text))


@attrs.frozen
class Meaning:
    """One text's meaning under the original's worker and under clockwork."""

    text: str
    #: The first fires under the original's worker (fewer if its search failed first).
    original: tuple[datetime, ...]
    #: The first fires under clockwork for the same text (empty if clockwork refuses it).
    clockwork: tuple[datetime, ...]
    #: Clockwork's one-line refusal of the text, if it refuses it.
    clockwork_error: str | None
    #: The original's meaning in clockwork's syntax (:func:`in_clockwork_syntax`).
    translation: str
    #: One line naming the cause of the difference.
    why: str


def compare(text: str, *, now: datetime, schedule_id: str, fires: int = 5) -> Meaning | None:
    """None when clockwork gives ``text`` exactly the original's meaning; else both meanings.

    The meanings are compared exactly, field set by field set and over every kind of day
    (not by sampling fires). Raises :class:`OriginalRefused` when the original's worker
    could not use the text. ``original`` and ``clockwork`` hold the first ``fires`` fires after
    ``now``, for display.
    """
    fields = _usable_fields(text)
    translation = _translate(text, fields)
    clockwork_error: str | None = None
    spec: CronSpec | None = None
    try:
        expression = parse_cron(text, "UTC", schedule_id)
        spec = parse_spec(text, schedule_id)
    except ClockworkError as exc:
        clockwork_error = str(exc)
    yearly = _yearly_failures(fields)
    if spec is not None and not yearly and _same_fires(fields, spec):
        return None
    original, failure = _run(fields, _start(now), fires)
    ours: tuple[datetime, ...] = ()
    if clockwork_error is None:
        ours = tuple(itertools.islice(expression.iter_after(now), fires))
    why = explain(text, fields, spec, clockwork_error)
    if yearly:
        months = " and ".join(calendar.month_name[m] for m in yearly)
        stop = f"the original's worker stops on reaching {months} each year (its day-of-month check throws)"
        why = stop if spec is not None and _same_fires(fields, spec) else f"{why}; {stop}"
    elif failure is not None and len(original) < fires:
        why = f"{why}; {failure}"
    return Meaning(
        text=text,
        original=tuple(original),
        clockwork=ours,
        clockwork_error=clockwork_error,
        translation=translation,
        why=why,
    )


# --- the worker -------------------------------------------------------------------------


def _worker_fields(text: str) -> OriginalFields:
    try:
        return parse_original(text, "0.6.2")
    except JsError as exc:
        raise OriginalRefused(
            text, f"the worker's cron-parser 0.6.2 refuses it: {exc.message}{_FALLBACK}"
        ) from None


def _start(after: datetime) -> datetime:
    """The first whole UTC second strictly after ``after``, naive."""
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError(f"{after!r} is not an aware datetime")
    return after.astimezone(UTC).replace(tzinfo=None, microsecond=0) + _SECOND


def _run(fields: OriginalFields, start: datetime, count: int) -> tuple[list[datetime], str | None]:
    """Up to ``count`` fires from ``start``, and why the worker stopped short, if it did."""
    fires: list[datetime] = []
    t = start
    while len(fires) < count:
        try:
            found = find_schedule(fields, t)
        except JsError as exc:
            return fires, _search_failure(exc, first=not fires)
        fires.append(found.replace(tzinfo=UTC))
        t = found + _SECOND
    return fires, None


def _search_failure(exc: JsError, *, first: bool) -> str:
    if exc.at is None:
        return "the worker's search for its next fire never ends (no instant matches): the worker hangs"
    where = f"cron-parser 0.6.2 throws '{exc.message}' at {exc.at.isoformat()}Z"
    if first:
        return f"{where}, when node-schedule schedules it{_FALLBACK}"
    return f"{where}, after a fire: uncaught in node-schedule's timer, it ends the worker process"


def _usable_fields(text: str) -> OriginalFields:
    """The worker's fields of ``text``; raises :class:`OriginalRefused` if it never fired it."""
    fields = _worker_fields(text)
    if is_empty(fields):
        raise OriginalRefused(text, f"the original's worker never fires it: {_empty_cause(fields)}")
    for year in (_PLAIN_YEAR, _LEAP_YEAR):
        for month in fields.month:
            if fields.check_fails(year, month):
                continue
            weekdays = [
                (calendar.weekday(year, month, d) + 1) % 7 for d in range(1, 32) if _exists(year, month, d)
            ]
            if any(fields.day_matches(d, w) for d, w in enumerate(weekdays, start=1)):
                return fields
    raise OriginalRefused(
        text,
        "the original's worker never fires it: its search throws 'Invalid explicit day of month "
        "definition' in every month it could fire in",
    )


def _exists(year: int, month: int, day: int) -> bool:
    return day <= calendar.monthrange(year, month)[1]


def _empty_cause(fields: OriginalFields) -> str:
    values = (fields.second, fields.minute, fields.hour, (), fields.month, ())
    for name, source, value in zip(FIELDS, fields.sources, values, strict=True):
        if name not in ("day-of-month", "day-of-week") and not value:
            cause = f"its {name} {source!r} matches nothing"
            break
    else:
        cause = "no day of its months matches its day fields"
    hangs = first_failing_month(fields, datetime(2026, 1, 1)) is None
    return f"{cause} (its search {'never ends, hanging the worker' if hangs else 'ends in an error'})"


def _yearly_failures(fields: OriginalFields) -> list[int]:
    """The months in which 0.6.2's check throws every year (not only in leap years)."""
    return [m for m in range(1, 13) if fields.check_fails(_PLAIN_YEAR, m)]


# --- clockwork's side -------------------------------------------------------------------


def _translate(text: str, fields: OriginalFields) -> str:
    dom, dow = _day_fields(fields)
    parts = [
        format_values(fields.minute, 0, 59),
        format_values(fields.hour, 0, 23),
        dom,
        format_values(fields.month, 1, 12),
        dow,
    ]
    if fields.second != (0,):
        parts.insert(0, format_values(fields.second, 0, 59))
    return " ".join(parts)


def _day_fields(fields: OriginalFields) -> tuple[str, str]:
    """Clockwork's day-of-month and day-of-week for the worker's day rule."""
    days = fields.day_of_month
    weekdays = tuple(w for w in fields.day_of_week if w < 7)  # a 7 from a range never matches
    if fields.dom_wildcard and fields.dow_wildcard:
        return "*", "*"
    if fields.dow_wildcard:
        return format_values(days, 1, 31), "*"
    if len(weekdays) == 7:
        return "*", "*"
    if fields.dom_wildcard or not days:
        return "*", format_values(weekdays, 0, 6)
    if not weekdays:
        return format_values(days, 1, 31), "*"
    return format_values(days, 1, 31), format_values(weekdays, 0, 6)


def _same_fires(fields: OriginalFields, spec: CronSpec) -> bool:
    """Whether clockwork's spec fires at exactly the worker's instants (both non-empty)."""
    if spec.years is not None:
        return False
    if (
        set(fields.second) != spec.seconds
        or set(fields.minute) != spec.minutes
        or set(fields.hour) != spec.hours
    ):
        return False
    day, end = _CYCLE
    while day < end:
        weekday = (day.weekday() + 1) % 7
        ours = day.month in fields.month and fields.day_matches(day.day, weekday)
        theirs = day.month in spec.months and spec.days.matches(day.year, day.month, day.day)
        if ours != theirs:
            return False
        day += timedelta(days=1)
    return True
