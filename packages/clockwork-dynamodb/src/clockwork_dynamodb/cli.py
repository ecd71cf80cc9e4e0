"""``clockwork dynamodb create-table|describe|migrate``: the table, from the command line.

The table is the one the store URL names (``--store`` or ``CLOCKWORK_STORE``)::

    clockwork --store 'dynamodb://clockwork?region=eu-west-1' dynamodb create-table
    clockwork dynamodb describe --store 'dynamodb://clockwork?region=eu-west-1'
    clockwork dynamodb migrate --from SchedulerTable --store 'dynamodb://clockwork?region=eu-west-1'

Exit status: 0 done; 1 the table has problems (``describe``), or legacy items need a
decision or could not be adopted (``migrate``: see :mod:`clockwork_dynamodb.migrate_command`);
2 bad input (a store URL that is not ``dynamodb://``, a flag).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from clockwork_core.errors import InvalidValue

from clockwork_dynamodb import location, migrate_command, schema, tables

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

    adopt = migrate_command.add_command(commands)
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
    return migrate_command.run(args, _location(args))
