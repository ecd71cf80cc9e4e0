"""A harness for store plugins: real `clockwork run` processes killed at random.

:class:`ExactlyOnceTrial` adds schedules that fire every second (and a few at fixed wall
times) with the process launcher, whose commands append their own record (schedule id
and fire time) to a file; starts worker processes on the store; SIGKILLs and restarts a
random one every few seconds; lets them catch up; stops them with SIGTERM; and reports
which instants of the window launched how often, from the commands' records alone.
Every store plugin runs it against its own backend (clockwork-worker on SQLite,
clockwork-dynamodb on dynalite).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

Key = tuple[str, ...]


def clockwork_env(home: Path, store_url: str) -> dict[str, str]:
    """The environment for `clockwork` subprocesses: no CLOCKWORK_* leaks in from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOCKWORK_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # each start would recompile everything
    env.update(
        CLOCKWORK_STORE=store_url,
        CLOCKWORK_STATE_DIR=str(home / "state"),
        CLOCKWORK_LOG_FORMAT="json",
        PYTHONPYCACHEPREFIX=str(home / "pycache"),
    )
    return env


def run_commands(commands: Sequence[Sequence[str]], env: dict[str, str]) -> None:
    """Run several `clockwork` commands at once (each costs a Python start); all must succeed."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "clockwork_worker.cli", *command],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    for command, proc in zip(commands, procs, strict=True):
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise AssertionError(f"clockwork {' '.join(command)} failed: {err}")


class WorkerProcesses:
    """`clockwork run` processes, each in its own session, restartable by index."""

    def __init__(self, home: Path, env: dict[str, str], *, lease: int) -> None:
        self.home = home
        self.env = env
        self.lease = lease
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.generation = 0

    def start(self, index: int) -> None:
        self.generation += 1
        command = ["run", "--worker-id", f"w{index}-{self.generation}", "--lease", str(self.lease)]
        with (self.home / f"worker-{index}-{self.generation}.log").open("wb") as log:
            self.procs[index] = subprocess.Popen(
                [sys.executable, "-m", "clockwork_worker.cli", *command, "--poll-interval", "0.5"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, index: int) -> None:
        """SIGKILL, as a crash: no shutdown, leases left to expire. Launched jobs live on."""
        proc = self.procs[index]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> list[int]:
        """SIGTERM every live worker; their exit codes."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        return [proc.wait(timeout=30) for proc in self.procs.values()]

    def kill_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@attrs.frozen
class TrialResult:
    expected: frozenset[Key]
    launched: Counter[Key]
    kills: int
    exit_codes: list[int]

    @property
    def doubled(self) -> dict[Key, int]:
        return {key: count for key, count in self.launched.items() if count > 1}

    @property
    def lost(self) -> list[Key]:
        return sorted(self.expected - set(self.launched))


@attrs.define
class ExactlyOnceTrial:
    home: Path
    store_url: str
    every_second: int
    fixed_offsets: Sequence[int]
    window: float
    kill_every: float
    workers: int = 3
    lease: int = 3
    seed: int = 20261127
    #: Extra `clockwork` commands to run before anything else (e.g. creating a table).
    setup: Sequence[Sequence[str]] = ()

    def run(self) -> TrialResult:
        env = clockwork_env(self.home, self.store_url)
        fires = self.home / "fires.log"
        record = f'echo "$CLOCKWORK_SCHEDULE_ID $CLOCKWORK_FIRE_TIME" >> {fires}'
        add = ["--command", record, "--missed-fires", "all", "--max-catch-up", "10000"]
        if self.setup:
            run_commands(self.setup, env)
        every = [f"every-second-{i}" for i in range(self.every_second)]
        run_commands([["schedule", "add", i, "* * * * * *", *add] for i in every], env)
        begin = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
        fixed = {f"fixed-{n}": begin + timedelta(seconds=s) for n, s in enumerate(self.fixed_offsets)}
        run_commands(
            [
                ["schedule", "add", i, f"{at.second} {at.minute} {at.hour} * * *", *add]
                for i, at in fixed.items()
            ],
            env,
        )
        pool = WorkerProcesses(self.home, env, lease=self.lease)
        try:
            kills = self._kill_at_random(pool)
            end = datetime.now(UTC).replace(microsecond=0)
            expected = {
                (i, _text(begin + timedelta(seconds=s))) for i in every for s in range(_span(begin, end))
            }
            expected |= {(i, _text(at)) for i, at in fixed.items() if at <= end}
            # On a loaded machine the workers may run behind: every schedule catches up on
            # all its missed instants, so wait for them, then stop the workers.
            deadline = time.monotonic() + self.lease + 75
            while time.monotonic() < deadline and not expected <= set(_launched(fires)):
                time.sleep(1)
            time.sleep(self.lease)  # anything in flight that could launch twice does so now
            exit_codes = pool.stop_all()
        finally:
            pool.kill_all()
        return TrialResult(frozenset(expected), _launched(fires), kills, exit_codes)

    def _kill_at_random(self, pool: WorkerProcesses) -> int:
        for index in range(self.workers):
            pool.start(index)
        rng = random.Random(self.seed)
        started, kills = time.monotonic(), 0
        while time.monotonic() - started < self.window:
            time.sleep(self.kill_every * rng.uniform(0.7, 1.3))
            victim = rng.randrange(self.workers)
            pool.kill(victim)
            kills += 1
            pool.start(victim)
        return kills


def _text(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(begin: datetime, end: datetime) -> int:
    return max(0, int((end - begin).total_seconds()) + 1)


def _launched(fires: Path) -> Counter[Key]:
    if not fires.exists():
        return Counter()
    return Counter(tuple(line.split()) for line in fires.read_text().splitlines())
