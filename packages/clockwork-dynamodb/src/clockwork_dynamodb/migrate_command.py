"""``clockwork dynamodb migrate``: adopt the original aws-ecs-clockwork's table, with a report.

::

    clockwork dynamodb migrate --from SchedulerDynamoDBTable --dry-run --store 'dynamodb://clockwork?region=eu-west-1'
    clockwork dynamodb migrate --from SchedulerDynamoDBTable --meaning original --store ...

The report has one line per legacy item (its action, its id, what was written), notes on
indented lines under it (the original never fired it; its expression means something
else in clockwork, with the first fires under each meaning), and a summary line last;
``--json`` prints the same in fields.

While any schedule's meaning differs and no ``--meaning`` decides it (nor an earlier
migration of the same text), nothing at all is written: those are reported ``undecided``
and the line before the summary names the flag that decides.

Exit status: 0 done; 1 something needs a decision (``undecided``) or could not be
adopted (``invalid``), also on a dry run (it says what the real run would do); 2 bad
input (a flag, a store URL, a source table that is not there), with nothing written.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from clockwork_core.display import printable, terminal_json
from clockwork_core.errors import InvalidValue
from clockwork_core.model import MissedFires
from clockwork_core.original_cron import Meaning
from clockwork_core.zones import isoformat_z

from clockwork_dynamodb import location, migrate, original_table
from clockwork_dynamodb.calls import Calls, TableMissing
from clockwork_dynamodb.migrated import ORIGINAL_STARTED_BY, Keep, Options, StartedBy
from clockwork_dynamodb.store import DynamoDBStore

OK, FAILURE = 0, 1
_DURATION = re.compile(r"(\d{1,6})([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INDENT = " " * 10
_DECIDE = "--meaning original or --meaning clockwork (every schedule), --meaning ID=original|clockwork (one)"


def add_command(commands: Any) -> Any:
    """The ``migrate`` parser, among ``commands`` (the caller sets its handler)."""
    adopt = commands.add_parser(
        "migrate",
        help="adopt the schedules of an original aws-ecs-clockwork table (idempotent)",
        description="Adopt each schedule of the original aws-ecs-clockwork's table (--from) into the "
        "store's table, keeping its id, name and expression, with an ecs target; the report says "
        "which schedules the original never fired and which expressions mean something else in "
        "clockwork. Safe to run again: unchanged schedules are left alone, changed ones updated, "
        "and schedules clockwork now manages are kept. The original's table is only read. "
        "Exit status: 0 done, 1 a schedule needs a decision or could not be adopted, 2 bad input.",
    )
    adopt.add_argument("--from", dest="source", required=True, metavar="TABLE", help="the original's table")
    adopt.add_argument("--from-region", metavar="REGION", help="its region (default: the store's)")
    adopt.add_argument("--dry-run", action="store_true", help="say what would happen; write nothing")
    adopt.add_argument("--json", action="store_true", help="print JSON (one object per legacy item)")
    adopt.add_argument(
        "--meaning",
        action="append",
        default=[],
        metavar="[ID=]original|clockwork",
        help="which meaning to keep where an expression means something else in clockwork than in "
        "the original (5/15 * * * *, a trailing space, doubled spaces, fewer or more fields): "
        "original writes the original's meaning in clockwork's syntax (the text is kept in the "
        "schedule's origin), clockwork keeps the text with clockwork's meaning. Without one, such "
        "a schedule is undecided and nothing is written. ID=... decides for one schedule and wins "
        "over the plain form; repeatable. A decision is remembered for the same text",
    )
    adopt.add_argument(
        "--missed-fires",
        choices=[policy.value for policy in MissedFires],
        default=MissedFires.SKIP.value,
        help="what a migrated schedule does with instants missed while no worker ran: skip (the "
        "default: the original never caught up), latest (clockwork's default: one fire for the "
        "most recent) or all (each, oldest first)",
    )
    adopt.add_argument(
        "--started-by",
        choices=[whose.value for whose in StartedBy],
        default=StartedBy.ORIGINAL.value,
        help=f"the startedBy of the ECS tasks: original (the default: {ORIGINAL_STARTED_BY!r} on "
        "every task, as the original's, so ListTasks filters and EventBridge rules keep matching) "
        "or clockwork (clockwork-<fire key>). The fire's key is in the task's tags and clientToken "
        "either way",
    )
    adopt.add_argument(
        "--handover-until",
        metavar="INSTANT",
        help="for a switch without downtime: until this instant (ISO 8601 in UTC, "
        "2026-12-01T10:00:00Z, or a duration from now: 90s, 30m, 2h, 1d) a fire first adopts the "
        "task the original's still running worker started for the same instant instead of "
        "launching a second. A later run without this flag keeps the handover written",
    )
    adopt.add_argument(
        "--handover-grace",
        metavar="SECONDS",
        type=int,
        help="with --handover-until: how long after its instant a fire looks for the original's "
        "task (1-10; default 5). Keep it below the shortest interval between two instants of a "
        "schedule, and the worker's --lease at least 1.5 x (grace + 5) s",
    )
    return adopt


#: The ECS launcher's longest handover grace (clockwork_ecs.handover.MAX_GRACE).
MAX_GRACE = 10


def handover_until(text: str, *, now: datetime) -> datetime:
    """``--handover-until``: an ISO 8601 instant in UTC, or a duration from ``now``; in the future."""
    found = _DURATION.fullmatch(text.strip())
    if found:
        until = now + timedelta(seconds=int(found[1]) * _UNITS[found[2]])
    else:
        try:
            until = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InvalidValue(
                "--handover-until",
                f"{text!r} is neither an ISO 8601 instant (2026-12-01T10:00:00Z) nor a duration (30m)",
            ) from None
        if until.tzinfo is None:
            raise InvalidValue("--handover-until", f"{text!r} has no zone: give it in UTC (…Z)")
        until = until.astimezone(UTC)
    if until <= now:
        raise InvalidValue("--handover-until", f"{text!r} is not in the future")
    return until


def meanings(values: Sequence[str]) -> tuple[Keep | None, dict[str, Keep]]:
    """``--meaning``: the plain decision (None: absent) and the per-id ones."""
    plain: Keep | None = None
    each: dict[str, Keep] = {}
    for value in values:
        schedule_id, _, word = value.rpartition("=")
        try:
            keep = Keep(word)
        except ValueError:
            raise InvalidValue(
                "--meaning", f"{value!r} is not original, clockwork, ID=original or ID=clockwork"
            ) from None
        before = each.get(schedule_id) if schedule_id else plain
        if before not in (None, keep):
            what = f"{schedule_id!r}" if schedule_id else "every schedule"
            raise InvalidValue("--meaning", f"gives both original and clockwork for {what}")
        if schedule_id:
            each[schedule_id] = keep
        else:
            plain = keep
    return plain, each


def options(args: argparse.Namespace, *, now: datetime) -> Options:
    """The migration's options from the command's flags; InvalidValue naming the flag."""
    keep, keep_each = meanings(args.meaning)
    return Options(
        keep=keep,
        keep_each=keep_each,
        missed_fires=MissedFires(args.missed_fires),
        started_by=StartedBy(args.started_by),
        handover_until=None if args.handover_until is None else handover_until(args.handover_until, now=now),
        handover_grace=handover_grace(args),
    )


def handover_grace(args: argparse.Namespace) -> int | None:
    """``--handover-grace``: 1-10 seconds, and only beside ``--handover-until``."""
    grace: int | None = args.handover_grace
    if grace is None:
        return None
    if args.handover_until is None:
        raise InvalidValue("--handover-grace", "needs --handover-until (the window it applies in)")
    if not 1 <= grace <= MAX_GRACE:
        raise InvalidValue(
            "--handover-grace", f"{grace} is not a whole number of seconds from 1 to {MAX_GRACE}"
        )
    return grace


def run(args: argparse.Namespace, where: location.Location) -> int:
    """Run ``clockwork dynamodb migrate`` into the store at ``where``; returns the exit status."""
    if not location.TABLE_NAME.fullmatch(args.source):
        raise InvalidValue("--from", f"{args.source!r} is not a DynamoDB table name")
    now = datetime.now(UTC).replace(microsecond=0)
    chosen = options(args, now=now)
    source = location.Location(
        table=args.source, region=args.from_region or where.region, endpoint_url=where.endpoint_url
    )
    legacy_client = source.client()
    client = where.client()
    try:
        try:
            table = original_table.read(Calls(legacy_client, args.source))
        except TableMissing:
            raise InvalidValue("--from", f"DynamoDB table {args.source!r} does not exist") from None
        store = DynamoDBStore(client, where.table, shards=where.shards, retention=where.retention)
        try:
            adoption = migrate.adopt(store, table, now=now, options=chosen, dry_run=args.dry_run)
        except InvalidValue as exc:
            raise InvalidValue(f"--{exc.field}", exc.reason) from None
        outcomes = []
        for outcome in adoption.outcomes():
            outcomes.append(outcome)
            if not args.json:
                # A legacy id is anyone's text: its control characters are shown, not obeyed.
                for line in lines(outcome):
                    print(printable(line))
    finally:
        client.close()
        legacy_client.close()
    if args.json:
        print(terminal_json(report(outcomes, adoption), indent=2))
    else:
        if adoption.undecided:
            count = len(adoption.undecided)
            print(f"{count} {'schedule needs' if count == 1 else 'schedules need'} a decision: {_DECIDE}")
        print(f"{_written(adoption)}{summary(outcomes)} (from {args.source} into {where.table})")
    failed = (migrate.Action.INVALID, migrate.Action.UNDECIDED)
    return FAILURE if any(o.action in failed for o in outcomes) else OK


def _written(adoption: migrate.Adoption) -> str:
    if adoption.dry_run:
        return "dry run, nothing written: "
    return "" if adoption.writes else "nothing written: "


def lines(outcome: migrate.Outcome) -> list[str]:
    """``created   ID: ...`` and the notes under it, indented."""
    detail = f": {outcome.detail}" if outcome.detail else ""
    first = f"{outcome.action.value:<9} {outcome.schedule_id}{detail}"
    notes = [f"never fired by the original: {why}" for why in outcome.never_fired]
    if outcome.meaning is not None:
        notes.extend(_meaning_lines(outcome.meaning, outcome))
    notes.extend(outcome.notes)
    return [first, *(_INDENT + note for note in notes)]


def _meaning_lines(meaning: Meaning, outcome: migrate.Outcome) -> list[str]:
    found = [
        f"means something else in clockwork: {meaning.why}",
        f"  the original fires:  {_fires(meaning.original)}",
        f"  clockwork fires:     {_fires(meaning.clockwork)}"
        if meaning.clockwork_error is None
        else f"  clockwork refuses it: {meaning.clockwork_error}",
    ]
    if outcome.kept is Keep.ORIGINAL:
        found.append(
            f"kept the original's meaning, written {meaning.translation!r} (the origin keeps the text)"
        )
    elif outcome.kept is Keep.CLOCKWORK:
        found.append(f"kept clockwork's meaning of {meaning.text!r}")
    else:
        found.append(
            f"--meaning original writes {meaning.translation!r}; --meaning clockwork keeps {meaning.text!r}"
        )
    return found


def _fires(instants: Sequence[datetime]) -> str:
    return ", ".join(isoformat_z(instant) for instant in instants) or "none"


def summary(outcomes: Sequence[migrate.Outcome]) -> str:
    """``1 created, 1 undecided; 1 never fired by the original; 1 means something else in clockwork``."""
    text = migrate.summary(outcomes)
    never = sum(1 for outcome in outcomes if outcome.never_fired)
    if never:
        text += f"; {never} never fired by the original"
    differ = sum(1 for outcome in outcomes if outcome.meaning is not None)
    if differ:
        text += f"; {differ} {'means' if differ == 1 else 'mean'} something else in clockwork"
    return text


def report(outcomes: Sequence[migrate.Outcome], adoption: migrate.Adoption) -> dict[str, Any]:
    """The ``--json`` report: one object per legacy item, and the counts."""
    rows = [
        {
            "id": outcome.schedule_id,
            "action": outcome.action.value,
            "detail": outcome.detail,
            "never_fired": list(outcome.never_fired),
            "meaning": None if outcome.meaning is None else _meaning_data(outcome.meaning, outcome.kept),
            "notes": list(outcome.notes),
        }
        for outcome in outcomes
    ]
    counts = {action.value: sum(1 for o in outcomes if o.action is action) for action in migrate.Action}
    counts["never_fired"] = sum(1 for outcome in outcomes if outcome.never_fired)
    counts["meaning_differs"] = sum(1 for outcome in outcomes if outcome.meaning is not None)
    return {
        "dry_run": adoption.dry_run,
        "written": adoption.writes,
        "undecided": list(adoption.undecided),
        "items": rows,
        "counts": counts,
    }


def _meaning_data(meaning: Meaning, kept: Keep | None) -> dict[str, Any]:
    return {
        "text": meaning.text,
        "why": meaning.why,
        "original": [isoformat_z(instant) for instant in meaning.original],
        "clockwork": [isoformat_z(instant) for instant in meaning.clockwork],
        "clockwork_error": meaning.clockwork_error,
        "translation": meaning.translation,
        "kept": None if kept is None else kept.value,
    }
