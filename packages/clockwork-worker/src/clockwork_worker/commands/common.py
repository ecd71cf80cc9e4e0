"""What the commands share: the store, the clock, argument types, tables and JSON output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from clockwork_core.codec import record_to_data
from clockwork_core.display import printable, terminal_json
from clockwork_core.errors import InvalidValue
from clockwork_core.model import ScheduleRecord
from clockwork_core.planner import next_instant
from clockwork_core.plugins import open_store
from clockwork_core.store import Store
from clockwork_core.zones import get_zone, isoformat_z

T = TypeVar("T")


def open_store_of(args: argparse.Namespace) -> Store:
    """The store named by the resolved ``--store`` (``args.store``); errors name the flag."""
    try:
        return open_store(args.store)
    except InvalidValue as exc:
        if exc.field.startswith("store"):
            raise InvalidValue("--store", exc.reason) from None
        raise


def now() -> datetime:
    """The current instant, to the millisecond (what stores keep)."""
    current = datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def argument(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse ``type=`` from a parser that raises ValueError with a reason."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            reason = exc.reason if isinstance(exc, InvalidValue) else str(exc)
            raise argparse.ArgumentTypeError(reason) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def zone_name(text: str) -> str:
    """An IANA zone name that the pinned tzdata knows."""
    get_zone(text)
    return text


def instant(text: str, zone: str = "UTC", field: str = "time") -> datetime:
    """An ISO-8601 time; one without an offset is read in ``zone``. Returns UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidValue(
            field, f"{text!r} is not an ISO-8601 time (such as 2026-03-08T07:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=get_zone(zone))
    return parsed.astimezone(UTC)


# --- output ----------------------------------------------------------------------------------


def emit_json(value: Any) -> None:
    """JSON, exact (control characters in strings are escapes: a terminal shows them)."""
    print(terminal_json(value, indent=2))


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is not padded.

    Control characters in a cell are written as escapes (:func:`printable`).
    """
    lines = [[printable(cell) for cell in line] for line in [headers, *rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    rendered = []
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=False)]
        rendered.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(rendered)


def utc_text(value: datetime | None) -> str:
    return "-" if value is None else isoformat_z(value)


def local_text(value: datetime, zone: tzinfo) -> str:
    """``Sun 2026-03-08 03:00:00 EDT`` (``UTC`` for UTC)."""
    local = value.astimezone(zone)
    text = local.strftime("%a %Y-%m-%d %H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond // 1000:03d}"
    return f"{text} {local.tzname() or ''}".rstrip()


def seconds_text(value: timedelta | None) -> str:
    if value is None:
        return "-"
    return f"{value.total_seconds():.3f} s"


def say(line: str) -> None:
    """One line of human output; control characters in it are written as escapes."""
    print(printable(line))


def warn(message: str) -> None:
    print(printable(f"clockwork: warning: {message}"), file=sys.stderr)


# --- schedules -------------------------------------------------------------------------------


def next_fires(record: ScheduleRecord, count: int = 5) -> list[str]:
    """The schedule's coming cron instants (none while it is paused)."""
    schedule = record.schedule
    if not schedule.enabled:
        return []
    moment = now()
    after = max(record.cursor or moment, moment)
    fires: list[str] = []
    current = next_instant(schedule, after)
    while current is not None and len(fires) < count:
        fires.append(isoformat_z(current))
        current = next_instant(schedule, current)
    return fires


def report(args: argparse.Namespace, record: ScheduleRecord, what: str) -> None:
    """What a command did to a schedule: a line (``paused nightly``), or the record with ``--json``."""
    if args.json:
        emit_json({**record_to_data(record), "next_fires": next_fires(record)})
        return
    fires = next_fires(record, 1)
    upcoming = f"; next fire {fires[0]}" if fires else ""
    say(f"{what} {record.id}{upcoming}")
