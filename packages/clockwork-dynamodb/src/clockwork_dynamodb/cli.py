"""``clockwork dynamodb create-table|describe|migrate``: the table, from the command line.

The table is the one the store URL names (``--store`` or ``CLOCKWORK_STORE``)::

    clockwork --store 'dynamodb://clockwork?region=eu-west-1' dynamodb create-table
    clockwork dynamodb describe --store 'dynamodb://clockwork?region=eu-west-1'
    clockwork dynamodb migrate --from SchedulerTable --store 'dynamodb://clockwork?region=eu-west-1'

Exit status: 0 done; 1 the table has problems (``describe``) or legacy items could not
be adopted (``migrate``); 2 bad input (a store URL that is not ``dynamodb://``).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from clockwork_core.display import printable
from clockwork_core.errors import InvalidValue

from clockwork_dynamodb import location, migrate, schema, tables
from clockwork_dynamodb.calls import Calls, TableMissing
from clockwork_dynamodb.store import DynamoDBStore

OK, FAILURE = 0, 1


def add_commands(subparsers: Any) -> None:
    dynamodb = subparsers.add_parser(
        "dynamodb",
        help="create, describe or migrate the DynamoDB table of a dynamodb:// store",
        description="The DynamoDB table that the store URL (--store or CLOCKWORK_STORE) names.",
    )
    commands = dynamodb.add_subparsers(title="commands", metavar="COMMAND", required=True)

    create = commands.add_parser(
        "create-table",
        help="create the table (on-demand, with its indexes and TTL), or check the one there",
        description="Create the table if it is absent, turn TTL on, and record its shard count. "
        "Safe to run again: an existing clockwork table is checked and kept.",
    )
    create.add_argument(
        "--shards",
        type=int,
        metavar="N",
        help=f"shards of the due index, fixed for the table's life (default {schema.DEFAULT_SHARDS})",
    )
    create.add_argument(
        "--cloudformation",
        action="store_true",
        help="print the table as an AWS::DynamoDB::Table resource (JSON) instead of creating it",
    )
    create.set_defaults(handler=run_create_table)

    describe = commands.add_parser(
        "describe",
        help="show the table's state, shards, indexes and TTL, and any problem with its schema",
    )
    describe.add_argument("--json", action="store_true", help="print JSON")
    describe.set_defaults(handler=run_describe)

    adopt = commands.add_parser(
        "migrate",
        help="adopt the schedules of an original aws-ecs-clockwork table (idempotent)",
        description="Adopt each schedule of the original aws-ecs-clockwork's table (--from) into the "
        "store's table, keeping its id, name and expression, with an ecs target. Safe to run again: "
        "unchanged schedules are left alone, changed ones updated, and schedules clockwork now "
        "manages are kept. The original's table is only read.",
    )
    adopt.add_argument("--from", dest="source", required=True, metavar="TABLE", help="the original's table")
    adopt.add_argument("--from-region", metavar="REGION", help="its region (default: the store's)")
    adopt.add_argument("--dry-run", action="store_true", help="say what would happen; write nothing")
    adopt.add_argument("--json", action="store_true", help="print JSON (one object per legacy item)")
    adopt.set_defaults(handler=run_migrate)

    for command in (create, describe, adopt):
        command.add_argument(
            "--store",
            dest="store",
            default=argparse.SUPPRESS,
            metavar="URL",
            help="the store's URL: dynamodb://TABLE?region=...&endpoint_url=... (or CLOCKWORK_STORE)",
        )


def _location(args: argparse.Namespace) -> location.Location:
    url = str(getattr(args, "store", "") or "")
    if not url.startswith("dynamodb://"):
        raise InvalidValue(
            "--store", f"{url!r} is not a dynamodb:// store URL (clockwork dynamodb needs one)"
        )
    try:
        return location.parse(url)
    except InvalidValue as exc:
        raise InvalidValue("--store", exc.reason) from None


def run_create_table(args: argparse.Namespace) -> int:
    if args.cloudformation:
        print(json.dumps({"ClockworkTable": schema.cloudformation_resource()}, indent=2))
        return OK
    where = _location(args)
    if args.shards is not None and args.shards < 1:
        raise InvalidValue("--shards", f"{args.shards} must be at least 1")
    client = where.client()
    try:
        tables.create_table(client, where.table, shards=args.shards or where.shards).close()
    finally:
        client.close()
    return OK


def run_describe(args: argparse.Namespace) -> int:
    where = _location(args)
    client = where.client()
    try:
        report = tables.describe(client, where.table)
    finally:
        client.close()
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print(_described(report))
    return FAILURE if report["problems"] else OK


def _described(report: dict[str, Any]) -> str:
    if not report["exists"]:
        return f"{report['table']}: does not exist (create it with `clockwork dynamodb create-table`)"
    lines = [
        f"table         {report['table']} ({report['status']}, {report['billing_mode']})",
        f"items         {report['items']} ({report['bytes']} bytes; DynamoDB updates these every few hours)",
    ]
    if "shards" in report:
        lines.append(f"shards        {report['shards']} (schema version {report['schema_version']})")
    for name, index in report["indexes"].items():
        lines.append(f"index         {name}: {index['status']}, {index['items']} items")
    ttl = report["ttl"]
    lines.append(
        f"ttl           {ttl['status']}" + (f" on {ttl['attribute']!r}" if ttl.get("attribute") else "")
    )
    lines.extend(f"problem       {problem}" for problem in report["problems"])
    return "\n".join(lines)


def run_migrate(args: argparse.Namespace) -> int:
    where = _location(args)
    source = location.Location(
        table=args.source, region=args.from_region or where.region, endpoint_url=where.endpoint_url
    )
    if not location.TABLE_NAME.fullmatch(args.source):
        raise InvalidValue("--from", f"{args.source!r} is not a DynamoDB table name")
    legacy_client = source.client()
    client = where.client()
    try:
        store = DynamoDBStore(client, where.table, shards=where.shards, retention=where.retention)
        try:
            legacy = list(Calls(legacy_client, args.source).scan(ConsistentRead=True))
        except TableMissing:
            raise InvalidValue("--from", f"DynamoDB table {args.source!r} does not exist") from None
        now = datetime.now(UTC).replace(microsecond=0)
        outcomes = []
        for outcome in migrate.adopt(store, legacy, source=args.source, now=now, dry_run=args.dry_run):
            outcomes.append(outcome)
            if not args.json:
                detail = f": {outcome.detail}" if outcome.detail else ""
                # A legacy id is anyone's text: its control characters are shown, not obeyed.
                print(printable(f"{outcome.action.value:<9} {outcome.schedule_id}{detail}"))
    finally:
        client.close()
        legacy_client.close()
    if args.json:
        rows = [{"id": o.schedule_id, "action": o.action.value, "detail": o.detail} for o in outcomes]
        print(json.dumps({"dry_run": args.dry_run, "items": rows}, indent=2))
    else:
        prefix = "dry run, nothing written: " if args.dry_run else ""
        print(f"{prefix}{migrate.summary(outcomes)} (from {args.source} into {where.table})")
    return FAILURE if any(o.action is migrate.Action.INVALID for o in outcomes) else OK
