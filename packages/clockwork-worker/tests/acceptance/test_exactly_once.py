"""Exactly once under fire: three real `clockwork run` processes on one SQLite file.

Twenty schedules fire every second and a handful of fixed ones at wall times inside the
window; every ~10 s a random worker is SIGKILLed and restarted. The launched commands
append their own record (schedule id and fire time) to a file, and the test checks from
those records alone that every instant in the window was launched exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

WORKERS = 3
EVERY_SECOND = 20
KILL_EVERY = 10.0
WINDOW = 60.0
LEASE = 3  # seconds: a killed worker's claims come back this fast
SHARD_LEASE_DRAIN = 15.0  # shard leases (10 s) expire and the backlog drains


def clockwork(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clockwork_worker.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class Workers:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.generation = 0

    def start(self, index: int) -> None:
        self.generation += 1
        log = (self.tmp / f"worker-{index}-{self.generation}.log").open("wb")
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
        log.close()

    def kill(self, index: int) -> None:
        proc = self.procs[index]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> list[int]:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        return [proc.wait(timeout=30) for proc in self.procs.values()]


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOCKWORK_")}
    env.update(
        CLOCKWORK_STORE=f"sqlite:///{tmp_path / 'clockwork.db'}",
        CLOCKWORK_STATE_DIR=str(tmp_path / "state"),
        CLOCKWORK_LOG_FORMAT="json",
    )
    pool = Workers(tmp_path, env)
    yield pool
    for proc in pool.procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _launched(fires: Path) -> Counter[tuple[str, ...]]:
    return (
        Counter(tuple(line.split()) for line in fires.read_text().splitlines())
        if fires.exists()
        else Counter()
    )


@pytest.mark.slow
def test_every_instant_launches_exactly_once_while_workers_are_killed(
    tmp_path: Path, workers: Workers
) -> None:
    fires = tmp_path / "fires.log"
    record = f'echo "$CLOCKWORK_SCHEDULE_ID $CLOCKWORK_FIRE_TIME" >> {fires}'
    ids = []
    for i in range(EVERY_SECOND):
        ids.append(f"every-second-{i}")
        add = clockwork(
            "schedule",
            "add",
            ids[-1],
            "* * * * * *",
            "--command",
            record,
            "--missed-fires",
            "all",
            env=workers.env,
        )
        assert add.returncode == 0, add.stderr
    begin = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    fixed_times = [begin + timedelta(seconds=s) for s in (7, 19, 31, 44, 52)]
    for n, at in enumerate(fixed_times):
        ids.append(f"fixed-{n}")
        expr = f"{at.second} {at.minute} {at.hour} * * *"
        add = clockwork(
            "schedule",
            "add",
            ids[-1],
            expr,
            "--command",
            record,
            "--missed-fires",
            "all",
            "--max-catch-up",
            "10000",
            env=workers.env,
        )
        assert add.returncode == 0, add.stderr

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
    expected: Counter[tuple[str, str]] = Counter()
    window = [begin + timedelta(seconds=s) for s in range(int((end - begin).total_seconds()) + 1)]
    for i in range(EVERY_SECOND):
        for instant in window:
            expected[(f"every-second-{i}", instant.strftime("%Y-%m-%dT%H:%M:%SZ"))] += 1
    for n, at in enumerate(fixed_times):
        if at <= end:
            expected[(f"fixed-{n}", at.strftime("%Y-%m-%dT%H:%M:%SZ"))] += 1

    # On a loaded machine the workers may run behind: give them time to catch up (every
    # schedule catches up on all its missed instants), then stop them.
    deadline = time.monotonic() + LEASE + SHARD_LEASE_DRAIN + 60
    while time.monotonic() < deadline and not set(expected) <= set(_launched(fires)):
        time.sleep(1)
    time.sleep(LEASE)  # anything still in flight that could double-launch does so now
    assert workers.stop_all() == [0] * WORKERS, "a worker did not stop cleanly on SIGTERM"
    launched = _launched(fires)

    in_window = Counter({key: count for key, count in launched.items() if key in expected})
    doubled = {key: count for key, count in launched.items() if count > 1}
    lost = sorted(set(expected) - set(in_window))
    assert kills >= 4
    assert len(expected) > EVERY_SECOND * 50
    assert not doubled, f"{len(doubled)} instants launched more than once, e.g. {sorted(doubled)[:5]}"
    assert not lost, f"{len(lost)} of {len(expected)} instants never launched, e.g. {lost[:5]}"
