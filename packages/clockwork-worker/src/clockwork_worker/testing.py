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

import json
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
    """`clockwork run` processes, each in its own session, restartable by index.

    ``own_state``: each worker keeps the process launcher's state in a folder of its own,
    as workers on separate hosts do, so no launcher remembers another worker's launches.
    """

    def __init__(self, home: Path, env: dict[str, str], *, lease: int, own_state: bool = False) -> None:
        self.home = home
        self.env = env
        self.lease = lease
        self.own_state = own_state
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.generation = 0

    def start(self, index: int) -> None:
        self.generation += 1
        command = ["run", "--worker-id", f"w{index}-{self.generation}", "--lease", str(self.lease)]
        env = dict(self.env)
        if self.own_state:
            env["CLOCKWORK_STATE_DIR"] = str(self.home / f"state-{index}")
        with (self.home / f"worker-{index}-{self.generation}.log").open("wb") as log:
            self.procs[index] = subprocess.Popen(
                [sys.executable, "-m", "clockwork_worker.cli", *command, "--poll-interval", "0.5"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def pause(self, index: int) -> None:
        """SIGSTOP: the worker and its threads freeze where they are, leases and all."""
        os.killpg(self.procs[index].pid, signal.SIGSTOP)

    def resume(self, index: int) -> None:
        os.killpg(self.procs[index].pid, signal.SIGCONT)

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


# --- paused workers ---------------------------------------------------------------------------


@attrs.frozen
class PauseResult:
    #: Every (schedule, instant) of the window.
    expected: frozenset[Key]
    #: (schedule, instant) -> when each launch of it started, by the job's own clock.
    launches: dict[Key, list[float]]
    #: (schedule, instant) -> the run record's status and launched_at (epoch s, or None).
    recorded: dict[Key, tuple[str, float | None]]
    pauses: int
    exit_codes: list[int]

    @property
    def doubled(self) -> dict[Key, int]:
        return {key: len(times) for key, times in self.launches.items() if len(times) > 1}

    @property
    def unrecorded(self) -> list[Key]:
        """Instants of the window with no run on record: lost."""
        return sorted(self.expected - set(self.recorded))

    def late(self, deadline: float) -> dict[Key, float]:
        """Launches that started more than ``deadline`` seconds after their instant."""
        return {
            key: max(times) - _epoch(key[1])
            for key, times in self.launches.items()
            if max(times) - _epoch(key[1]) > deadline
        }

    def problems(self, trial: PauseTrial) -> list[str]:
        """What broke exactly once, on time, on record; empty when nothing did.

        A launch may start up to half a second past the deadline by the job's own clock:
        the launcher's wrapper and the job's shell start after the launch call.
        """
        found = []
        if len(self.expected) < trial.every_second * 30:
            found.append(f"only {len(self.expected)} instants in the window")
        checks = (
            ("instants launched twice", self.doubled),
            ("launched past the deadline", self.late(trial.deadline + 0.5)),
            ("instants with no run on record", self.unrecorded),
            ("run records contradict the jobs", self.contradicted),
        )
        for what, wrong in checks:
            if wrong:
                sample = sorted(wrong.items() if isinstance(wrong, dict) else wrong)[:5]
                found.append(f"{len(wrong)} {what}: {sample}")
        return found

    @property
    def contradicted(self) -> dict[Key, str]:
        """Run records that say something else than what the jobs did.

        A launched instant must be on record as launched, with the launch's time (to a
        second, the jobs' shell start included); one that was not launched must not be.
        """
        wrong: dict[Key, str] = {}
        for key, (status, launched_at) in self.recorded.items():
            times = self.launches.get(key)
            if status in ("MISSED", "SKIPPED", "FAILED_TO_LAUNCH"):
                if times:
                    wrong[key] = f"recorded {status} but launched"
            elif not times:
                wrong[key] = f"recorded {status} but never launched"
            elif launched_at is None or abs(min(times) - launched_at) > 1.0:
                wrong[key] = f"recorded launched at {launched_at}, launched at {min(times)}"
        return wrong


@attrs.define
class PauseTrial:
    """Workers paused with SIGSTOP for longer than their lease, then resumed (SIGCONT).

    Every ~``pause_every`` seconds one worker is frozen for ``pause`` seconds, a tenth of a
    second after the claims of a whole second are taken (so it freezes holding them). The
    schedules fire every second, with a starting deadline and every missed instant decided
    on its own (``--missed-fires all``); their jobs append (schedule, instant, start time).
    Each worker keeps its launcher state apart (``own_state``), as on separate hosts.
    """

    home: Path
    store_url: str
    every_second: int = 6
    window: float = 36.0
    pause: tuple[float, float] = (12.0, 15.0)
    pause_every: float = 4.0
    deadline: int = 1
    workers: int = 3
    lease: int = 3
    seed: int = 20261207
    setup: Sequence[Sequence[str]] = ()

    def run(self) -> PauseResult:
        env = clockwork_env(self.home, self.store_url)
        fires = self.home / "fires.log"
        record = f'echo "$CLOCKWORK_SCHEDULE_ID $CLOCKWORK_FIRE_TIME $(date +%s.%N)" >> {fires}'
        policy = [
            "--missed-fires",
            "all",
            "--max-catch-up",
            "10000",
            "--starting-deadline",
            str(self.deadline),
        ]
        if self.setup:
            run_commands(self.setup, env)
        ids = [f"paused-{i}" for i in range(self.every_second)]
        run_commands([["schedule", "add", i, "* * * * * *", "--command", record, *policy] for i in ids], env)
        pool = WorkerProcesses(self.home, env, lease=self.lease, own_state=True)
        try:
            for index in range(self.workers):
                pool.start(index)
            time.sleep(3)  # the workers start and divide the shards
            begin = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
            pauses = self._pause_at_random(pool)
            end = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
            time.sleep(
                self.lease + 2 * self.deadline + 10
            )  # claims left by the last pause expire and are decided
            exit_codes = pool.stop_all()
        finally:
            pool.kill_all()
        expected: set[Key] = {
            (i, _text(begin + timedelta(seconds=s))) for i in ids for s in range(_span(begin, end))
        }
        launches: dict[Key, list[float]] = {}
        for line in fires.read_text().splitlines() if fires.exists() else ():
            schedule_id, instant, started = line.split()
            launches.setdefault((schedule_id, instant), []).append(float(started))
        recorded = {key: value for i in ids for key, value in _recorded(i, env).items()}
        window: dict[Key, list[float]] = {key: value for key, value in launches.items() if key in expected}
        kept: dict[Key, tuple[str, float | None]] = {k: v for k, v in recorded.items() if k in expected}
        return PauseResult(frozenset(expected), window, kept, pauses, exit_codes)

    def _pause_at_random(self, pool: WorkerProcesses) -> int:
        rng = random.Random(self.seed)
        started, pauses = time.monotonic(), 0
        while time.monotonic() - started < self.window:
            time.sleep(self.pause_every * rng.uniform(0.7, 1.3))
            # 0.1 s after the claims of the coming second (taken 0.2 s ahead of it).
            now = time.time()
            time.sleep((0.9 - now % 1.0) % 1.0)
            victim = rng.randrange(self.workers)
            pool.pause(victim)
            pauses += 1
            time.sleep(rng.uniform(*self.pause))
            pool.resume(victim)
        return pauses


def _recorded(schedule_id: str, env: dict[str, str]) -> dict[Key, tuple[str, float | None]]:
    """The schedule's scheduled runs on record, as ``clockwork history --json`` shows them."""
    done = subprocess.run(
        [sys.executable, "-m", "clockwork_worker.cli", "history", schedule_id, "--json", "--limit", "1000"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: dict[Key, tuple[str, float | None]] = {}
    for run in json.loads(done.stdout):
        if run.get("trigger", "schedule") != "schedule":
            continue
        launched = run.get("launched_at")
        launched_at = None if launched is None else datetime.fromisoformat(launched).timestamp()
        found[(schedule_id, run["instant"].replace(".000Z", "Z"))] = (run["status"], launched_at)
    return found


def _epoch(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
