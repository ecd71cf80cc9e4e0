"""Files clockwork creates are its user's alone (0600, directories 0700), whatever the umask.

The SQLite store holds every schedule's parameters (an ``env`` may hold secrets) and every
run's output; the process launcher's run directories hold the command line and the output.
Each test sets the umask itself (and puts it back): the permissive 022 that most systems
use, and 0, which asks for no restriction at all.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clockwork_core.errors import LaunchError
from clockwork_core.launcher import LaunchRequest, Observation, Phase
from clockwork_core.launchers.process import ProcessLauncher
from clockwork_core.model import run_id_for
from clockwork_core.stores.sqlite import SQLiteStore
from clockwork_core.testing import at, sample_run, sample_schedule
from clockwork_core.testing.support import T0

DEADLINE = 10.0


def request(key: str, **params: Any) -> LaunchRequest:
    return LaunchRequest(
        schedule_id="nightly", instant=T0, run_id=run_id_for(T0), key=key, attempt=1, params=params
    )


def until_ended(launcher: ProcessLauncher, handle: str) -> Observation:
    deadline = time.monotonic() + DEADLINE
    while (seen := launcher.describe([handle])[0]).phase is Phase.RUNNING:
        assert time.monotonic() < deadline, f"{handle} still running after {DEADLINE} s"
        time.sleep(0.02)
    return seen


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield int(request.param)
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(root: Path) -> dict[str, int]:
    """Every directory and file under ``root``, root included, with its permission bits."""
    found = {".": mode(root)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = mode(path)
    return found


def owner_only(found: dict[str, int], root: Path) -> dict[str, str]:
    """The entries of ``found`` that someone other than the owner may use, shown in octal."""
    return {
        name: oct(bits)
        for name, bits in found.items()
        if bits != (0o700 if (root / name).is_dir() else 0o600)
    }


class TestSQLiteStore:
    def test_the_database_and_its_wal_and_shm_files_are_owner_only(self, tmp_path: Path, umask: int) -> None:
        path = tmp_path / "clockwork.db"
        store = SQLiteStore(path)
        try:
            schedule = sample_schedule("nightly")
            store.create(schedule, due_at=at(0), cursor=None, now=T0)
            store.put_run(sample_run(schedule.id, T0))
            files = sorted(p.name for p in tmp_path.iterdir())
            assert files == ["clockwork.db", "clockwork.db-shm", "clockwork.db-wal"]
            assert {name: oct(mode(tmp_path / name)) for name in files} == dict.fromkeys(files, "0o600")
        finally:
            store.close()

    def test_an_existing_database_keeps_its_mode(self, tmp_path: Path, umask: int) -> None:
        """Its owner chose it; the side files follow the database's mode, as SQLite makes them."""
        path = tmp_path / "clockwork.db"
        SQLiteStore(path).close()
        path.chmod(0o640)
        store = SQLiteStore(path)
        try:
            assert oct(mode(path)) == "0o640"
        finally:
            store.close()


class TestProcessLauncher:
    def test_the_state_directory_and_every_run_file_are_owner_only(self, tmp_path: Path, umask: int) -> None:
        state_dir = tmp_path / "runs"
        launcher = ProcessLauncher(state_dir=state_dir, stop_grace=0.2)
        try:
            (ended,) = [
                until_ended(launcher, h) for h in launcher.launch(request("ends", command="echo hi")).handles
            ]
            assert ended.phase is Phase.SUCCEEDED
            (running,) = launcher.launch(request("stopped", command=["sleep", "60"])).handles
            launcher.stop(running, reason="a test")
            assert until_ended(launcher, running).phase is Phase.FAILED
            assert {p.name for p in (state_dir / "ends").iterdir()} >= {"started.json", "exit.json", "output"}
            assert (state_dir / "stopped" / "stop.json").exists()
            assert owner_only(modes(state_dir), state_dir) == {}
        finally:
            launcher.close()

    def test_a_failed_launch_leaves_owner_only_files(self, tmp_path: Path, umask: int) -> None:
        state_dir = tmp_path / "runs"
        launcher = ProcessLauncher(state_dir=state_dir)
        try:
            with pytest.raises(LaunchError, match="cannot run"):
                launcher.launch(request("fails", command=["/nonexistent/program"]))
            assert owner_only(modes(state_dir), state_dir) == {}
        finally:
            launcher.close()
