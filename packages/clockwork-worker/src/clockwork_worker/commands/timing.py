"""``clockwork validate`` and ``clockwork next``: what an expression means, before it is stored.

``next`` shows each fire in the schedule's zone and in UTC, and notes the fires a DST
change shaped: a wall time that does not exist that day, fired at the first instant after
the gap (``30 2 * * *`` in New York on 2026-03-08 fires at 03:00), and wall times that
occur twice (fall back), saying which occurrence fires.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from clockwork_core.cron import CronExpression, parse_cron
from clockwork_core.errors import InvalidExpression
from clockwork_core.zones import get_zone, isoformat_z

from clockwork_worker import config
from clockwork_worker.commands.common import argument, emit_json, instant, local_text, now, table, zone_name

_SECOND = timedelta(seconds=1)
_MS = timedelta(milliseconds=1)


def add_commands(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    validate = subparsers.add_parser(
        "validate",
        parents=parents,
        help="check a cron expression",
        description="Check a cron expression; print its kind and next fire, or the error (exit status 1).",
    )
    _expression_arguments(validate)
    validate.set_defaults(handler=run_validate)

    nxt = subparsers.add_parser(
        "next",
        parents=parents,
        help="list an expression's next fires",
        description=(
            "List the next fires of a cron expression, in its zone and in UTC; a note marks "
            "fires moved by a DST change and fires in a repeated hour. --json prints a JSON "
            'list of UTC instants ("2026-03-08T07:00:00Z").'
        ),
    )
    _expression_arguments(nxt)
    nxt.add_argument(
        "--after",
        metavar="ISO-8601",
        help="list fires strictly after this time (default: now); without an offset it is read in --tz",
    )
    nxt.add_argument(
        "--count",
        type=argument(config.integer(low=1, high=1000)),
        default=5,
        metavar="N",
        help="how many fires (default 5)",
    )
    nxt.add_argument("--json", action="store_true", help="print a JSON list of UTC instants")
    nxt.set_defaults(handler=run_next)


def _expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", help="5 or 6 fields, a macro, cron(), rate() or at()")
    parser.add_argument(
        "--tz", type=argument(zone_name), default="UTC", metavar="ZONE", help="IANA time zone (default UTC)"
    )
    parser.add_argument("--seed", metavar="ID", help="the schedule id that seeds H forms")


def run_validate(args: argparse.Namespace) -> int:
    try:
        expression = parse_cron(args.expression, args.tz, args.seed)
    except InvalidExpression as exc:
        raise Invalid(exc.expression, exc.reason) from None
    kind = "interval" if expression.is_interval else "fixed"
    upcoming = expression.next_after(now())
    if upcoming is None:
        print(f"ok: {kind} schedule; it never fires again")
    else:
        zone = get_zone(args.tz)
        local = "" if zone is UTC else f" ({local_text(upcoming, zone)})"
        print(f"ok: {kind} schedule; next: {isoformat_z(upcoming)}{local}")
    return 0


class Invalid(InvalidExpression):
    """``validate``'s negative answer: reported like any invalid expression, with exit status 1."""

    exit_status = 1


def run_next(args: argparse.Namespace) -> int:
    expression = parse_cron(args.expression, args.tz, args.seed)
    after = now() if args.after is None else instant(args.after, args.tz, "--after")
    fires: list[datetime] = []
    current = expression.next_after(after)
    while current is not None and len(fires) < args.count:
        fires.append(current)
        current = expression.next_after(current)
    if args.json:
        emit_json([isoformat_z(fire) for fire in fires])
        return 0
    zone = get_zone(args.tz)
    rows = [
        [str(n), local_text(fire, zone), isoformat_z(fire), dst_note(expression, fire) or ""]
        for n, fire in enumerate(fires, start=1)
    ]
    print(table(["#", f"LOCAL ({args.tz})", "UTC", "NOTE"], rows))
    if len(fires) < args.count:
        print(f"(no more fires after {isoformat_z(fires[-1]) if fires else isoformat_z(after)})")
    return 0


def dst_note(expression: CronExpression, fire: datetime) -> str | None:
    """Why a DST change shaped this fire, or None.

    A fire is *moved* when its local wall time is not one the expression asks for: the
    asked time did not exist (spring forward). It is *repeated* when its wall time occurs
    twice that day (fall back).
    """
    zone = expression.zone
    if zone is UTC:
        return None
    wall = fire.astimezone(zone).replace(tzinfo=None)
    before = (fire - _MS).astimezone(zone).utcoffset()
    after = fire.astimezone(zone).utcoffset()
    is_rate = expression.text.strip().lower().startswith("rate(")
    sprang = before is not None and after is not None and after > before
    if sprang and not is_rate and not _asks_for(expression, wall):
        assert before is not None
        gap_start = (fire + before).replace(tzinfo=None)
        asked = _first_asked(expression, gap_start)
        what = f"{asked:%H:%M:%S}" if asked is not None and asked < wall else "the time asked"
        return (
            f"moved by DST: {what} does not exist on {wall:%Y-%m-%d} (clocks went forward from "
            f"{gap_start:%H:%M} to {wall:%H:%M}); fires at {wall:%H:%M:%S}"
        )
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        which = "first" if fire == first.astimezone(UTC) else "second"
        return f"repeated hour: {wall:%H:%M:%S} occurs twice on {wall:%Y-%m-%d} (clocks go back); the {which}"
    return None


def _wall_clock(expression: CronExpression) -> CronExpression:
    """The same expression in UTC: it fires exactly at the wall times the expression asks for."""
    return parse_cron(expression.text, "UTC", expression.seed)


def _asks_for(expression: CronExpression, wall: datetime) -> bool:
    as_utc = wall.replace(tzinfo=UTC)
    return _wall_clock(expression).next_after(as_utc - _SECOND) == as_utc


def _first_asked(expression: CronExpression, wall: datetime) -> datetime | None:
    found = _wall_clock(expression).next_after(wall.replace(tzinfo=UTC) - _SECOND)
    return None if found is None else found.replace(tzinfo=None)
