"""``clockwork run``: the worker, with its crontab, launchers, HTTP endpoint and signals.

Start-up, in order: open the store; read the crontab (if any) and check its lines with
their launcher; build every launcher the store's schedules and the crontab name (an
unknown one stops the start with the list of installed ones); bring the store in step
with the crontab; serve ``--http``; run. SIGTERM or SIGINT stops claiming, lets the
fires in flight finish, releases the shard leases, and exits 0; a second signal exits
at once.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import socket
import threading
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from clockwork_core.launcher import Launcher
from clockwork_core.plugins import plugin_manager
from clockwork_core.store import Store
from clockwork_core.zones import isoformat_z

from clockwork_worker import config, crontab
from clockwork_worker.commands.common import now, open_store_of
from clockwork_worker.commands.launchers import LAUNCHER, STATE_DIR, build_launchers, default_state_dir
from clockwork_worker.logs import redacted

if TYPE_CHECKING:
    from clockwork_worker.worker import Worker

log = logging.getLogger("clockwork_worker.run")
T = TypeVar("T")

CRONTAB = config.Setting(
    "--crontab",
    config.text,
    "load this crontab file into the store at start, adding, keeping and removing its schedules",
    metavar="FILE",
)
WORKER_ID = config.Setting(
    "--worker-id",
    config.text,
    "this worker's name in leases and logs",
    shown_default="HOSTNAME-PID",
    metavar="ID",
)
ONCE = config.Setting(
    "--once", config.boolean, "fire what is due now, track the runs once, and exit", default=False
)
HTTP = config.Setting(
    "--http",
    config.address,
    "serve /healthz and /metrics on HOST:PORT (:PORT is loopback; port 0: any free port)",
    metavar="HOST:PORT",
)
LOOKAHEAD = config.Setting(
    "--lookahead",
    config.seconds(high=3600),
    "poll for schedules due within this many seconds",
    default=timedelta(seconds=5),
    metavar="S",
)
POLL_INTERVAL = config.Setting(
    "--poll-interval",
    config.seconds(high=3600),
    "seconds between polls of the store",
    default=timedelta(seconds=1),
    metavar="S",
)
LEASE = config.Setting(
    "--lease",
    config.seconds(low=1, high=86_400),
    "seconds a claim holds a schedule; a dead worker's fire is repeated after it",
    default=timedelta(seconds=30),
    metavar="S",
)
MAX_CLOCK_OFFSET = config.Setting(
    "--max-clock-offset",
    config.seconds(low=0.1, high=3600),
    "refuse to claim while this host's clock is proven further than this many seconds from the "
    "store's (stores with a clock of their own: DynamoDB)",
    default=timedelta(seconds=1),
    metavar="S",
)
SETTINGS = (
    CRONTAB,
    LAUNCHER,
    WORKER_ID,
    ONCE,
    HTTP,
    LOOKAHEAD,
    POLL_INTERVAL,
    LEASE,
    MAX_CLOCK_OFFSET,
    STATE_DIR,
)


def add_commands(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    run = subparsers.add_parser(
        "run",
        parents=parents,
        help="run the worker",
        description=(
            "Run the worker: fire the store's schedules on time through their launchers until "
            "SIGTERM or SIGINT (then finish the fires in flight and exit 0)."
        ),
    )
    for setting in SETTINGS:
        if setting is ONCE:
            run.add_argument(
                setting.flag, dest=setting.dest, action="store_const", const="true", help=setting.help_text()
            )
        else:
            run.add_argument(
                setting.flag, dest=setting.dest, metavar=setting.metavar, help=setting.help_text()
            )
    run.set_defaults(handler=run_worker)


@attrs.frozen
class RunOptions:
    """``run``'s settings, resolved (flag > variable > default) and parsed."""

    crontab: str | None
    launcher: str
    worker_id: str
    once: bool
    http: tuple[str, int] | None
    lookahead: timedelta
    poll_interval: timedelta
    lease: timedelta
    max_clock_offset: timedelta
    state_dir: str | None

    @classmethod
    def of(cls, args: argparse.Namespace) -> RunOptions:
        env = args.environ

        def given(setting: config.Setting[T]) -> str | None:
            value: str | None = getattr(args, setting.dest)
            return value

        return cls(
            crontab=config.resolve(CRONTAB, given(CRONTAB), env),
            launcher=config.required(LAUNCHER, given(LAUNCHER), env),
            worker_id=config.resolve(WORKER_ID, given(WORKER_ID), env)
            or f"{socket.gethostname()}-{os.getpid()}",
            once=config.required(ONCE, given(ONCE), env),
            http=config.resolve(HTTP, given(HTTP), env),
            lookahead=config.required(LOOKAHEAD, given(LOOKAHEAD), env),
            poll_interval=config.required(POLL_INTERVAL, given(POLL_INTERVAL), env),
            lease=config.required(LEASE, given(LEASE), env),
            max_clock_offset=config.required(MAX_CLOCK_OFFSET, given(MAX_CLOCK_OFFSET), env),
            state_dir=config.resolve(STATE_DIR, given(STATE_DIR), env),
        )


def run_worker(args: argparse.Namespace) -> int:
    # A fatal signal (SIGBUS from a memory-mapped file truncated under SQLite, SIGSEGV)
    # ends the process past any handler: at least write every thread's stack to the log.
    faulthandler.enable(all_threads=True)
    options = RunOptions.of(args)
    store = open_store_of(args)
    launchers: dict[str, Launcher] = {}
    server = None
    try:
        table = crontab.load(options.crontab, launcher=options.launcher) if options.crontab else None
        state_dir = Path(options.state_dir) if options.state_dir else default_state_dir(store)
        launchers = build_launchers(_wanted(store, table, options.launcher), state_dir=state_dir)
        if table is not None:
            table.check_targets(launchers[table.launcher].validate)
            _sync(store, table)
        worker = _worker(store, launchers, options)
        if options.http is not None:
            from clockwork_worker.http import HealthServer

            server = HealthServer(options.http, worker.health, worker.metrics.registry).start()
        if options.once:
            fired = worker.run_once()
            log.info("one pass: %d fires", fired, extra={"action": "run_once", "fires": fired})
            return 0
        return _until_signalled(worker)
    finally:
        if server is not None:
            server.close()
        for launcher in launchers.values():
            launcher.close()
        store.close()


def _wanted(store: Store, table: crontab.Crontab | None, default: str) -> list[tuple[str, str]]:
    """Each launcher name in use, with the first who asks for it (one per name: the stored
    schedules are read page by page and not kept, so memory does not grow with the table)."""
    wanted = {default: f"{LAUNCHER.flag} (or {LAUNCHER.env})"}
    if table is not None:
        wanted.setdefault(table.launcher, f"the crontab {table.shown}")
    for record in store.list():
        wanted.setdefault(record.schedule.target.launcher, f"schedule {record.id!r}")
    return list(wanted.items())


def _sync(store: Store, table: crontab.Crontab) -> None:
    report = crontab.sync(store, table, now=now())
    log.info(
        "crontab %s: %s",
        table.shown,
        report.summary(),
        extra={
            "action": "crontab_synced",
            "added": list(report.created),
            "removed": list(report.deleted),
        },
    )
    for schedule in table.schedules:
        if schedule.id in report.created:
            fire = schedule.cron.next_after(now())
            log.info(
                "added %s (line %s): %s, next %s",
                schedule.id,
                schedule.origin["line"],
                schedule.expression,
                "never" if fire is None else isoformat_z(fire),
                extra={"action": "crontab_added", "schedule": schedule.id},
            )
            log.debug(
                "%s runs %s",
                schedule.id,
                redacted(str(schedule.target.params.get("command", ""))),
                extra={"action": "crontab_command", "schedule": schedule.id},
            )


def _worker(store: Store, launchers: dict[str, Launcher], options: RunOptions) -> Worker:
    from clockwork_worker.worker import Worker, WorkerSettings

    settings = WorkerSettings(
        worker_id=options.worker_id,
        lookahead=options.lookahead,
        poll_interval=options.poll_interval,
        lease=options.lease,
        max_clock_offset=options.max_clock_offset,
    )
    worker = Worker(store, launchers, settings)
    # Plugins add their own metrics (a store's consumed capacity, say) to the worker's registry.
    plugin_manager().hook.clockwork_metrics(registry=worker.metrics.registry)
    return worker


def _until_signalled(worker: Worker) -> int:
    """Run the worker in a thread; this (main) thread only waits for it and for signals.

    The signal handler runs in the main thread, which holds none of the worker's locks,
    so ``worker.stop()`` is safe there.
    """
    failure: list[BaseException] = []

    def target() -> None:
        try:
            worker.run()
        except BaseException as exc:
            failure.append(exc)
            log.exception("the worker stopped on an error", extra={"action": "worker_crashed"})

    signals = {"count": 0}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        signals["count"] += 1
        name = signal.Signals(signum).name
        if signals["count"] > 1:
            log.warning("%s again: exiting now", name, extra={"action": "worker_killed"})
            os._exit(128 + signum)
        log.info("%s: stopping after the fires in flight", name, extra={"action": "worker_stopping"})
        worker.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(target=target, name="worker")
    try:
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 1 if failure else 0
