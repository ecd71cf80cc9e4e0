"""The real worker, SIGKILLed mid-launch, then another worker recovering the fire: one task.

Two `clockwork run` processes on one SQLite store and moto's ECS. The first is killed
(SIGKILL, from a botocore hook in that process) right before or right after its RunTask;
the second takes the fire over when the first one's lease expires. moto ignores
clientToken, so only the launcher's startedBy/tag lookup keeps the second from starting
another task.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clockwork_core.errors import RunNotFound
from clockwork_core.model import fire_key, run_id_for
from clockwork_core.plugins import open_store
from clockwork_core.store import Store
from clockwork_ecs.fire import started_by
from clockwork_ecs.launcher import Handle
from clockwork_ecs.testing import World

HERE = Path(__file__).parent
LEASE = "2"


def clockwork(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "clockwork_worker.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def started(world: World, key: str) -> list[str]:
    ecs = world.ecs()
    return sorted(
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in ecs.list_tasks(cluster=world.cluster, startedBy=started_by(key), desiredStatus=status)[
            "taskArns"
        ]
    )


def handles_of(store: Store, instant: datetime) -> tuple[str, ...]:
    try:
        return store.get_run("once", run_id_for(instant)).handles
    except RunNotFound:
        return ()


def wait_for(what: str, condition: object, timeout: float = 30.0) -> None:
    assert callable(condition)
    give_up = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-run-task", "after-run-task"])
def test_a_worker_killed_between_claim_and_record_leaves_one_task_after_recovery(
    world: World, tmp_path: Path, point: str
) -> None:
    url = f"sqlite:///{tmp_path / 'clockwork.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOCKWORK_")}
    env.update(CLOCKWORK_STORE=url, CLOCKWORK_LOG_FORMAT="json")
    instant = (datetime.now(UTC) + timedelta(seconds=4)).replace(microsecond=0)
    clockwork(
        "schedule", "add", "once", f"at({instant.strftime('%Y-%m-%dT%H:%M:%S')})",
        "--launcher", "ecs", "--params-json", json.dumps(world.params()), env=env,
    )  # fmt: skip
    run = ["run", "--lease", LEASE, "--poll-interval", "0.5"]
    with (tmp_path / "first.log").open("wb") as log:
        first = subprocess.run(
            [sys.executable, str(HERE / "crash_worker.py"), point, "--", *run, "--worker-id", "first"],
            env=env, stdout=log, stderr=subprocess.STDOUT, timeout=60, check=False,
        )  # fmt: skip
    assert first.returncode == -signal.SIGKILL, (tmp_path / "first.log").read_text()[-2000:]
    key = fire_key("once", instant)
    assert len(started(world, key)) == (1 if point == "after-run-task" else 0)

    with (tmp_path / "second.log").open("wb") as log:
        second = subprocess.Popen(
            [sys.executable, "-m", "clockwork_worker.cli", *run, "--worker-id", "second"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    store = open_store(url)
    try:
        wait_for("the recovered run's handles", lambda: handles_of(store, instant))
        handles = handles_of(store, instant)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        store.close()
    tasks = started(world, key)
    assert len(tasks) == 1
    assert [h.arn for h in map(Handle.parse, handles) if h] == tasks
