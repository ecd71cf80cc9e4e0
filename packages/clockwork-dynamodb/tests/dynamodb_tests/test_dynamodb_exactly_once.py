"""Exactly once under fire, on DynamoDB: three real `clockwork run` processes on one dynalite table.

The DynamoDB twin of clockwork-worker's SQLite acceptance test, shorter. Five schedules
fire every second and a few fixed ones at wall times inside a 30 s window; every ~7 s a
random worker is SIGKILLed and restarted. The launched commands append their own record
(schedule id and fire time) to a file, and the test checks from those records alone that
every instant in the window was launched exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .emulators import Backend

WORKERS = 3
EVERY_SECOND = 5
KILL_EVERY = 7.0
WINDOW = 30.0
LEASE = 3  # seconds: a killed worker's claims come back this fast
SHARD_LEASE_DRAIN = 15.0  # shard leases (10 s) expire and the backlog drains


def clockwork(args: Sequence[Sequence[str]], env: dict[str, str]) -> None:
    """Run several ``clockwork`` commands at once (each costs a Python start); all must succeed."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "clockwork_worker.cli", *command],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in args
    ]
    for command, proc in zip(args, procs, strict=True):
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"clockwork {' '.join(command)} failed: {err}"


class Workers:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.generation = 0

    def start(self, index: int) -> None:
        self.generation += 1
        with (self.tmp / f"worker-{index}-{self.generation}.log").open("wb") as log:
            self.procs[index] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "clockwork_worker.cli",
                    "run",
                    "--worker-id",
                    f"w{index}-{self.generation}",
                    "--lease",
                    str(LEASE),
                    "--poll-interval",
                    "0.5",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, index: int) -> None:
        proc = self.procs[index]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> list[int]:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        return [proc.wait(timeout=30) for proc in self.procs.values()]


@pytest.fixture
def workers(tmp_path: Path, dynalite_backend: Backend, table_name: str) -> Iterator[Workers]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOCKWORK_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        CLOCKWORK_STORE=dynalite_backend.url(table_name),
        CLOCKWORK_STATE_DIR=str(tmp_path / "state"),
        CLOCKWORK_LOG_FORMAT="json",
        PYTHONPYCACHEPREFIX=str(tmp_path / "pycache"),
    )
    pool = Workers(tmp_path, env)
    yield pool
    for proc in pool.procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.slow
def test_every_instant_launches_exactly_once_while_workers_are_killed(
    tmp_path: Path, workers: Workers
) -> None:
    fires = tmp_path / "fires.log"
    record = f'echo "$CLOCKWORK_SCHEDULE_ID $CLOCKWORK_FIRE_TIME" >> {fires}'
    clockwork([["dynamodb", "create-table"]], workers.env)
    ids = [f"every-second-{i}" for i in range(EVERY_SECOND)]
    clockwork(
        [["schedule", "add", i, "* * * * * *", "--command", record, "--missed-fires", "all"] for i in ids],
        workers.env,
    )
    begin = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
    fixed_times = [begin + timedelta(seconds=s) for s in (5, 13, 21, 27)]
    adds = []
    for n, at in enumerate(fixed_times):
        ids.append(f"fixed-{n}")
        expression = f"{at.second} {at.minute} {at.hour} * * *"
        adds.append(["schedule", "add", ids[-1], expression, "--command", record, "--missed-fires", "all"])
    clockwork(adds, workers.env)
    assert datetime.now(UTC) < begin, "adding the schedules took longer than the head start"

    for index in range(WORKERS):
        workers.start(index)
    rng = random.Random(20261127)
    started = time.monotonic()
    kills = 0
    while time.monotonic() - started < WINDOW:
        time.sleep(KILL_EVERY * rng.uniform(0.7, 1.3))
        victim = rng.randrange(WORKERS)
        workers.kill(victim)
        kills += 1
        workers.start(victim)
    end = datetime.now(UTC).replace(microsecond=0)
    time.sleep(LEASE + SHARD_LEASE_DRAIN)
    assert workers.stop_all() == [0] * WORKERS, "a worker did not stop cleanly on SIGTERM"

    launched = Counter(tuple(line.split()) for line in fires.read_text().splitlines())
    expected: Counter[tuple[str, str]] = Counter()
    window = [begin + timedelta(seconds=s) for s in range(int((end - begin).total_seconds()) + 1)]
    for i in range(EVERY_SECOND):
        for instant in window:
            expected[(f"every-second-{i}", instant.strftime("%Y-%m-%dT%H:%M:%SZ"))] += 1
    for n, at in enumerate(fixed_times):
        if at <= end:
            expected[(f"fixed-{n}", at.strftime("%Y-%m-%dT%H:%M:%SZ"))] += 1

    doubled = {key: count for key, count in launched.items() if count > 1}
    lost = sorted(set(expected) - set(launched))
    assert kills >= 3
    assert len(expected) > EVERY_SECOND * 20
    assert not doubled, f"{len(doubled)} instants launched more than once, e.g. {sorted(doubled)[:5]}"
    assert not lost, f"{len(lost)} of {len(expected)} instants never launched, e.g. {lost[:5]}"
