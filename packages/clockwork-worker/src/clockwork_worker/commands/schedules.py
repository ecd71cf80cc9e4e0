"""``clockwork schedule add|list|show|pause|resume|delete|trigger`` and ``clockwork history``.

Every write goes through :mod:`clockwork_core.schedules`, as every other writer's does: a
paused schedule keeps its cursor and needs no attention; a resumed one counts from its
old cursor, so its missed-fire policy decides what happens to the instants that passed
while it was paused.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import Any

from clockwork_core.codec import record_to_data, run_to_data
from clockwork_core.errors import RecordUnreadable
from clockwork_core.model import Run, ScheduleRecord
from clockwork_core.schedules import Change, pause_schedule, resume_schedule
from clockwork_core.store import Store
from clockwork_core.zones import get_zone, isoformat_z

from clockwork_worker import config
from clockwork_worker.commands import common, schedule_add
from clockwork_worker.commands.common import argument, emit_json, open_store_of, seconds_text, table, utc_text


def add_commands(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    schedule = subparsers.add_parser(
        "schedule", parents=parents, help="add, list, show, pause, resume, delete or trigger schedules"
    )
    commands = schedule.add_subparsers(title="commands", metavar="COMMAND", required=True)
    schedule_add.add_parser(commands, parents)
    listing = commands.add_parser("list", parents=parents, help="list every schedule")
    listing.add_argument("--json", action="store_true", help="print JSON (the stored records)")
    listing.set_defaults(handler=run_list)
    for name, handler, text in (
        ("show", run_show, "show one schedule, its state and its next fires"),
        ("pause", run_pause, "stop firing a schedule (it keeps its place: see resume)"),
        ("resume", run_resume, "fire a paused schedule again; its missed-fire policy covers the pause"),
        ("delete", run_delete, "delete a schedule and its history"),
        ("trigger", run_trigger, "fire a schedule now, once, without moving its next fire"),
    ):
        command = commands.add_parser(
            name, parents=parents, help=text, description=text[0].upper() + text[1:]
        )
        command.add_argument("schedule_id", metavar="ID")
        command.add_argument("--json", action="store_true", help="print the stored record as JSON")
        command.set_defaults(handler=handler)

    history = subparsers.add_parser(
        "history",
        parents=parents,
        help="a schedule's runs, newest first",
        description="A schedule's runs, newest first.",
    )
    history.add_argument("schedule_id", metavar="SCHEDULE")
    history.add_argument(
        "--limit",
        type=argument(config.integer(low=1, high=10_000)),
        default=20,
        metavar="N",
        help="default 20",
    )
    history.add_argument("--json", action="store_true", help="print JSON (one object per run)")
    history.set_defaults(handler=run_history)


# --- list, show ------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    store = open_store_of(args)
    try:
        records = list(store.list())
        if args.json:
            emit_json([record_to_data(record) for record in records])
            _warn_unreadable(store)
            return 0
        rows = [
            [
                r.id,
                r.schedule.expression,
                r.schedule.timezone,
                r.schedule.target.launcher,
                "enabled" if r.schedule.enabled else "paused",
                utc_text(r.due_at),
                _last_run(store, r.id),
            ]
            for r in records
        ]
        print(table(["ID", "EXPRESSION", "ZONE", "LAUNCHER", "STATE", "DUE", "LAST RUN"], rows))
        _warn_unreadable(store)
    finally:
        store.close()
    return 0


def _warn_unreadable(store: Store) -> None:
    """One warning line for each record the store left out because it cannot decode it."""
    for found in store.unreadable:
        common.warn(f"{found} (left out; `clockwork schedule delete {found.schedule_id}` removes it)")


def _last_run(store: Store, schedule_id: str) -> str:
    runs = store.runs(schedule_id, limit=1)
    return f"{runs[0].status.value} {isoformat_z(runs[0].instant)}" if runs else "-"


def run_show(args: argparse.Namespace) -> int:
    store = open_store_of(args)
    try:
        record = store.get(args.schedule_id)
        last_run = _last_run(store, record.id)
    finally:
        store.close()
    fires = common.next_fires(record)
    if args.json:
        emit_json({**record_to_data(record), "next_fires": fires})
        return 0
    print(table(["", ""], [[f"{key}:", value] for key, value in _details(record, last_run)]).lstrip("\n"))
    print("next fires:" if fires else "next fires: none")
    zone = get_zone(record.schedule.timezone)
    for fire in fires:
        print(f"  {fire}  {common.local_text(common.instant(fire), zone)}")
    return 0


def _details(record: ScheduleRecord, last_run: str) -> list[tuple[str, str]]:
    s = record.schedule
    policies = s.policies
    kind = "interval" if s.cron.is_interval else "fixed"
    return [
        ("id", s.id),
        ("name", s.name or "-"),
        ("expression", f"{s.expression} ({kind}, {s.timezone})"),
        ("state", "enabled" if s.enabled else "paused"),
        ("target", f"{s.target.launcher} {json.dumps(dict(s.target.params), ensure_ascii=False)}"),
        ("start / end", f"{utc_text(s.start)} / {utc_text(s.end)}"),
        ("concurrency", policies.concurrency.value),
        ("missed fires", policies.missed_fires.value),
        ("starting deadline", seconds_text(policies.starting_deadline)),
        ("jitter", seconds_text(policies.jitter)),
        ("retries", f"{policies.retry.attempts - 1} (backoff {seconds_text(policies.retry.backoff)})"),
        ("timeout", seconds_text(policies.timeout)),
        ("tags", ", ".join(f"{k}={v}" for k, v in s.tags.items()) or "-"),
        ("origin", ", ".join(f"{k}={v}" for k, v in s.origin.items()) or "-"),
        ("due at", utc_text(record.due_at)),
        ("cursor", utc_text(record.cursor)),
        ("last run", last_run),
    ]


# --- pause, resume, delete, trigger -----------------------------------------------------------


def run_pause(args: argparse.Namespace) -> int:
    store = open_store_of(args)
    try:
        written = pause_schedule(store, args.schedule_id, now=common.now())
        common.report(
            args, written.record, "paused" if written.change is Change.UPDATED else "already paused"
        )
    finally:
        store.close()
    return 0


def run_resume(args: argparse.Namespace) -> int:
    store = open_store_of(args)
    try:
        written = resume_schedule(store, args.schedule_id, now=common.now())
        common.report(
            args, written.record, "resumed" if written.change is Change.UPDATED else "already enabled"
        )
    finally:
        store.close()
    return 0


def run_delete(args: argparse.Namespace) -> int:
    store = open_store_of(args)
    try:
        try:
            record = store.get(args.schedule_id)
        except RecordUnreadable as exc:  # deleting is the way out for a damaged record
            common.warn(str(exc))
            store.delete(args.schedule_id)
            if args.json:
                emit_json({"id": args.schedule_id, "unreadable": exc.reason})
            else:
                print(f"deleted {args.schedule_id}")
            return 0
        store.delete(args.schedule_id)
    finally:
        store.close()
    if args.json:
        emit_json(record_to_data(record))
    else:
        common.say(f"deleted {args.schedule_id}")
        if record.schedule.origin.get("kind") == "crontab":
            common.warn(
                f"it comes from {record.schedule.origin.get('file')}: the next `clockwork run --crontab` "
                "adds it again unless the line is removed"
            )
    return 0


def run_trigger(args: argparse.Namespace) -> int:
    store = open_store_of(args)
    try:
        moment = common.now()
        record = store.trigger(args.schedule_id, instant=moment, now=moment)
        if args.json:
            emit_json(record_to_data(record))
        else:
            common.say(
                f"queued a manual fire of {args.schedule_id} at {isoformat_z(moment)}; a running worker launches it"
            )
    finally:
        store.close()
    return 0


# --- history ---------------------------------------------------------------------------------


def run_history(args: argparse.Namespace) -> int:
    store = open_store_of(args)
    try:
        with contextlib.suppress(RecordUnreadable):  # its runs are still worth showing; warned below
            store.get(args.schedule_id)
        runs = store.runs(args.schedule_id, limit=args.limit)
        unreadable = list(store.unreadable)
    finally:
        store.close()
    for found in unreadable:
        common.warn(f"{found} (left out)" if found.run_id else str(found))
    if args.json:
        emit_json([run_to_data(run) for run in runs])
        return 0
    print(
        table(
            ["INSTANT", "TRIGGER", "STATUS", "ATTEMPTS", "LATENESS", "EXIT", "DETAIL"],
            [_row(r) for r in runs],
        )
    )
    return 0


def _row(run: Run) -> list[str]:
    codes = ",".join("?" if code is None else str(code) for code in run.exit_codes.values()) or "-"
    detail = "; ".join(part for part in (run.error, run.stop_reason) if part) or ""
    return [
        isoformat_z(run.instant),
        run.trigger.value,
        run.status.value,
        str(run.attempts),
        seconds_text(run.lateness),
        codes,
        detail,
    ]
