"""The ``clockwork`` command line.

::

    clockwork run [--crontab FILE] [--once] [--http HOST:PORT] ...   the worker
    clockwork schedule add|list|show|pause|resume|delete|trigger ...  schedules in the store
    clockwork history SCHEDULE [--json]                               a schedule's runs
    clockwork validate EXPR / clockwork next EXPR                     what an expression means

Settings that configure clockwork itself (the store, logging, the worker) are read from
the flag, else from its ``CLOCKWORK_*`` variable, else from the default; each flag's help
names its variable. Flags that describe a schedule or a query have no variable.
Global flags go before or after the command: ``clockwork --store URL schedule list`` and
``clockwork schedule list --store URL`` mean the same.

Exit status: 0 on success; 2 for bad input (a usage error, an invalid expression, zone,
URL, launcher name, a crontab that cannot be read or parsed), with ``clockwork: <reason>``
on one line on stderr; 1 for failures at run time (no such schedule, the store failing).
Plugins add commands through the ``clockwork_add_commands`` hook; a command sets
``handler=callable(args) -> int``, and finds the resolved store URL in ``args.store``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from clockwork_core.display import printable
from clockwork_core.errors import ClockworkError, InvalidExpression, InvalidValue, UnknownPlugin

from clockwork_worker import config, legacy_env, logs

STORE = config.Setting(
    "--store",
    config.text,
    "the store's URL: sqlite:///path.db, sqlite:////abs/path.db, memory://, dynamodb://TABLE?region=...",
    default="sqlite:///./clockwork.db",
    metavar="URL",
)
LOG_LEVEL = config.Setting(
    "--log-level",
    config.choice(logs.LEVELS),
    "debug, info, warning or error",
    default="info",
    metavar="LEVEL",
)
LOG_FORMAT = config.Setting(
    "--log-format",
    config.choice(logs.FORMATS),
    "json (one object a line), text (for people), or auto: text on a terminal, else json",
    default="auto",
    metavar="FORMAT",
)
GLOBAL = (STORE, LOG_LEVEL, LOG_FORMAT)

#: Exit statuses.
OK, FAILURE, BAD_INPUT = 0, 1, 2


class PluginError(ClockworkError):
    """An installed plugin that cannot be loaded."""


class UsageError(Exception):
    """A command line argparse rejects; reported on one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``clockwork run: argument --lease: ...``)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _global_options(*, suppress: bool) -> argparse.ArgumentParser:
    """The global flags; with ``suppress``, absent flags leave the namespace alone."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("global options")
    for setting in GLOBAL:
        group.add_argument(
            setting.flag,
            dest=setting.dest,
            metavar=setting.metavar or setting.dest.upper(),
            default=argparse.SUPPRESS if suppress else None,
            help=setting.help_text(),
        )
    return parent


def build_parser() -> argparse.ArgumentParser:
    from clockwork_core.plugins import plugin_manager

    from clockwork_worker.commands import run, schedules, timing

    parser = Parser(
        prog="clockwork",
        description="Cron for container tasks: exactly once, on time, on record.",
        epilog=(
            "Flags that configure clockwork read a CLOCKWORK_* variable when absent (named in "
            "each --help). Exit status: 0 ok, 1 failure, 2 bad input."
        ),
        parents=[_global_options(suppress=False)],
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)
    parents = [_global_options(suppress=True)]
    run.add_commands(subparsers, parents)
    schedules.add_commands(subparsers, parents)
    timing.add_commands(subparsers, parents)
    try:
        manager = plugin_manager()
    except Exception as exc:  # an entry point that does not import: say so in one line
        raise PluginError(f"a clockwork plugin failed to load: {type(exc).__name__}: {exc}") from exc
    manager.hook.clockwork_add_commands(subparsers=subparsers)
    return parser


def _resolve_globals(args: argparse.Namespace) -> None:
    """Replace the global flags' raw text in ``args`` with their resolved values."""
    args.environ = legacy_env.resolved(os.environ)
    for setting in GLOBAL:
        setattr(args, setting.dest, config.resolve(setting, getattr(args, setting.dest, None), args.environ))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        return _run(argv)
    except SystemExit as exc:  # --help, or a plugin's handler exiting
        return exc.code if isinstance(exc.code, int) else (OK if exc.code is None else BAD_INPUT)
    except KeyboardInterrupt:
        return _fail("clockwork: interrupted", 130)
    except (UsageError, ClockworkError, OSError) as exc:
        message, status = _explained(exc)
        return _fail(message, status)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        raise UsageError(
            "clockwork: give a command: run, schedule, history, validate, next (see clockwork --help)"
        )
    _resolve_globals(args)
    logs.configure(args.log_level, args.log_format)
    return int(handler(args))


def _explained(exc: Exception) -> tuple[str, int]:
    """The one-line message and the exit status for an error that ends the command."""
    if isinstance(exc, UsageError):
        return str(exc), BAD_INPUT
    if isinstance(exc, InvalidExpression):
        return f"clockwork: invalid expression {exc}", getattr(exc, "exit_status", BAD_INPUT)
    if isinstance(exc, InvalidValue | UnknownPlugin):
        return f"clockwork: {exc}", BAD_INPUT
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"clockwork: {where}{exc.strerror or exc}", FAILURE
    return f"clockwork: {exc}", FAILURE


def _fail(message: str, status: int) -> int:
    print(printable(" ".join(message.split("\n"))), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
