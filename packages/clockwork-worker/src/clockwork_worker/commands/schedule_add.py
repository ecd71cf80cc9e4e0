"""``clockwork schedule add``: a schedule from flags, checked by the model and its launcher.

A model error names the flag, not the model's field (``--jitter: 7200 s is more than the
maximum of 3600 s``). The launcher's own ``validate`` checks the target where that
launcher is installed; elsewhere (adding ECS schedules from a laptop without the ECS
plugin) a warning says the parameters were not checked.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from clockwork_core import nesting
from clockwork_core.errors import InvalidExpression, InvalidValue
from clockwork_core.model import Concurrency, MissedFires, Policies, RetryPolicy, Schedule, Target
from clockwork_core.plugins import launcher_factories
from clockwork_core.schedules import Change, put_schedule

from clockwork_worker import config
from clockwork_worker.commands import common
from clockwork_worker.commands.common import argument, open_store_of
from clockwork_worker.commands.launchers import LAUNCHER, build_launcher

#: Model fields as the flags of ``schedule add`` call them, for error messages.
FLAGS = {
    "id": "ID",
    "expression": "EXPR",
    "timezone": "--tz",
    "name": "--name",
    "description": "--description",
    "start": "--start",
    "end": "--end",
    "tags": "--tag",
    "policies.starting_deadline": "--starting-deadline",
    "policies.jitter": "--jitter",
    "policies.retry.attempts": "--retries",
    "policies.retry.backoff": "--retry-backoff",
    "policies.timeout": "--timeout",
    "policies.max_catch_up": "--max-catch-up",
    "target.launcher": "--launcher",
}


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    add = commands.add_parser(
        "add",
        parents=parents,
        help="add a schedule",
        description=(
            "Add a schedule. The target is --command CMD (the process launcher's shell command), "
            "or --param KEY=VALUE and --params-json JSON for any launcher; they combine, the "
            "later ones winning. Times without an offset are read in --tz."
        ),
    )
    add.add_argument("schedule_id", metavar="ID")
    add.add_argument("expression", metavar="EXPR", help="5 or 6 fields, a macro, cron(), rate() or at()")
    target = add.add_argument_group("target")
    target.add_argument("--command", metavar="CMD", help="the shell command to run (process launcher)")
    target.add_argument(
        LAUNCHER.flag, metavar=LAUNCHER.metavar, dest="launcher", default=None, help=LAUNCHER.help_text()
    )
    target.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a launcher parameter (text); repeatable",
    )
    target.add_argument("--params-json", metavar="JSON", help="launcher parameters as a JSON object")
    when = add.add_argument_group("when")
    when.add_argument(
        "--tz", type=argument(common.zone_name), default="UTC", metavar="ZONE", help="default UTC"
    )
    when.add_argument("--start", metavar="ISO-8601", help="no fires before this time")
    when.add_argument("--end", metavar="ISO-8601", help="no fires after this time")
    when.add_argument("--disabled", action="store_true", help="add it paused")
    policies = add.add_argument_group("policies")
    policies.add_argument("--concurrency", choices=[c.value for c in Concurrency], help="default allow")
    policies.add_argument("--missed-fires", choices=[m.value for m in MissedFires], help="default latest")
    policies.add_argument(
        "--max-catch-up",
        type=argument(config.integer(low=1, high=10_000)),
        metavar="N",
        help="with --missed-fires all: launch at most N missed instants (default 100)",
    )
    policies.add_argument(
        "--starting-deadline", type=_seconds, metavar="S", help="a fire later than this is recorded MISSED"
    )
    policies.add_argument("--jitter", type=_seconds, metavar="S", help="delay each fire by up to S seconds")
    policies.add_argument(
        "--retries",
        type=argument(config.integer(low=0, high=19)),
        metavar="N",
        help="retry a transient launch failure N times (default 2)",
    )
    policies.add_argument(
        "--retry-backoff", type=_seconds, metavar="S", help="the first retry's wait (default 2)"
    )
    policies.add_argument(
        "--timeout", type=_seconds, metavar="S", help="stop a run still going after S seconds"
    )
    about = add.add_argument_group("description")
    about.add_argument("--name", default="", help="a short name")
    about.add_argument("--description", default="", help="what it is for")
    about.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="repeatable")
    add.add_argument("--replace", action="store_true", help="replace the schedule if the id exists")
    add.add_argument("--json", action="store_true", help="print the stored record as JSON")
    add.set_defaults(handler=run_add)


_seconds = argument(config.seconds(high=366 * 86_400, allow_zero=True))


# --- add -------------------------------------------------------------------------------------


def run_add(args: argparse.Namespace) -> int:
    launcher = config.required(LAUNCHER, args.launcher, args.environ)
    schedule = _translated(lambda: _schedule(args, launcher))
    _check_target(schedule)
    store = open_store_of(args)
    try:
        written = put_schedule(store, schedule, now=common.now(), replace=args.replace)
        common.report(args, written.record, _DONE[written.change])
    finally:
        store.close()
    return 0


_DONE = {Change.CREATED: "added", Change.UPDATED: "replaced", Change.UNCHANGED: "unchanged"}


def _schedule(args: argparse.Namespace, launcher: str) -> Schedule:
    retries = RetryPolicy()
    backoff = args.retry_backoff if args.retry_backoff is not None else retries.backoff
    policies = Policies(
        concurrency=args.concurrency or Concurrency.ALLOW,
        missed_fires=args.missed_fires or MissedFires.LATEST,
        starting_deadline=args.starting_deadline,
        max_catch_up=args.max_catch_up if args.max_catch_up is not None else 100,
        jitter=args.jitter if args.jitter is not None else timedelta(0),
        retry=RetryPolicy(
            attempts=retries.attempts if args.retries is None else args.retries + 1,
            backoff=backoff,
            max_backoff=max(retries.max_backoff, backoff),
        ),
        timeout=args.timeout,
    )
    return Schedule(
        id=args.schedule_id,
        expression=args.expression,
        timezone=args.tz,
        name=args.name,
        description=args.description,
        enabled=not args.disabled,
        start=None if args.start is None else common.instant(args.start, args.tz, "--start"),
        end=None if args.end is None else common.instant(args.end, args.tz, "--end"),
        target=Target(launcher, _params(args)),
        policies=policies,
        tags=_pairs(args.tag, "--tag"),
        origin={"kind": "cli"},
    )


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if args.params_json is not None:
        if nesting.text_deeper_than(args.params_json):
            raise InvalidValue("--params-json", nesting.TOO_DEEP)
        try:
            loaded = json.loads(args.params_json)
        except json.JSONDecodeError as exc:
            raise InvalidValue("--params-json", f"is not JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(loaded, dict):
            raise InvalidValue("--params-json", f"expected a JSON object, got {type(loaded).__name__}")
        params.update(loaded)
    params.update(_pairs(args.param, "--param"))
    if args.command is not None:
        params["command"] = args.command
    if not params:
        raise InvalidValue(
            "target", "give what to run: --command CMD, --param KEY=VALUE or --params-json JSON"
        )
    return params


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidValue(flag, f"{item!r} is not KEY=VALUE")
        pairs[key] = value
    return pairs


def _translated(build: Callable[[], Schedule]) -> Schedule:
    """Build a schedule; a model error names the flag instead of the field."""
    try:
        return build()
    except InvalidExpression:
        raise
    except InvalidValue as exc:
        flag = FLAGS.get(exc.field)
        if flag is None and exc.field.startswith("target.params."):
            flag = f"--param {exc.field.removeprefix('target.params.')}"
        if flag is None:
            raise
        raise InvalidValue(flag, exc.reason) from None


def _check_target(schedule: Schedule) -> None:
    """The launcher's own check of the params, where the launcher is installed here."""
    name = schedule.target.launcher
    if name not in launcher_factories():
        common.warn(f"launcher {name!r} is not installed here; its parameters were not checked")
        return
    launcher = build_launcher(name, state_dir=None)

    def validated() -> Schedule:
        launcher.validate(schedule.target.params)
        return schedule

    try:
        _translated(validated)
    finally:
        launcher.close()
