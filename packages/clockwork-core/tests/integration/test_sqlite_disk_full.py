"""The SQLite store on a small, then full disk: it keeps working in little space, says "disk full"
while there is none, and recovers when some returns, even less than its write-ahead log held.

The disk is real: a 4 MB tmpfs (mounting needs root or CAP_SYS_ADMIN) with a filler file
that sets the free space. Where mounting is not allowed, a file-size limit (RLIMIT_FSIZE,
with SIGXFSZ ignored) plays the disk in a child process: a file may not grow past the
limit. Each scenario runs in a forked child either way, so that the limit and the store's
connections stay out of the test process.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, Protocol

import pytest
from clockwork_core.errors import StoreUnavailable
from clockwork_core.stores.sqlite import SQLiteStore
from clockwork_core.testing import T0, at, sample_run, sample_schedule

KIB = 1024


class Disk(Protocol):
    """How much room files have: the free space of a small disk, or a file-size limit."""

    #: What the store's error says when there is no room.
    says: str

    def leave(self, room: int) -> None:
        """Leave ``room`` bytes for growth from now."""

    def fill(self) -> None:
        """Leave none."""


class Tmpfs:
    says = "the disk is full (SQLITE_FULL); writes resume when"

    def __init__(self, directory: Path) -> None:
        self.filler = directory / "filler"

    def leave(self, room: int) -> None:
        self.fill()
        with open(self.filler, "r+b") as out:
            out.truncate(max(0, self.filler.stat().st_size - room))

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            while True:
                os.write(fd, b"\0" * 64 * KIB)
        except OSError:
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * 512)
        finally:
            os.close(fd)


class FileSizeLimit:
    says = "cannot write the file (SQLITE_IOERR_WRITE): a full disk, a file-size limit"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _largest(self) -> int:
        return max(path.stat().st_size for path in self.directory.iterdir())

    def leave(self, room: int) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (self._largest() + room, resource.RLIM_INFINITY))

    def fill(self) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (self._largest(), resource.RLIM_INFINITY))


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], Disk]]]:
    """A directory on a 4 MB disk, and how to make its Disk (in the child)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode == 0:
        try:
            yield mount, lambda: Tmpfs(mount)
        finally:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        return
    if not hasattr(resource, "RLIMIT_FSIZE"):
        pytest.skip(f"needs a tmpfs mount (refused: {mounted.stderr.decode().strip()}) or RLIMIT_FSIZE")
    yield mount, lambda: FileSizeLimit(mount)


def _in_child(scenario: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``scenario`` in a forked child and return what it returned."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        try:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            outcome = scenario()
        except BaseException as exc:
            outcome = {"crashed": repr(exc)}
        with os.fdopen(write, "w") as out:
            json.dump(outcome, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as source:
        text = source.read()
    os.waitpid(pid, 0)
    result: dict[str, Any] = json.loads(text)
    assert "crashed" not in result, result["crashed"]
    return result


def _cycles(store: SQLiteStore, first: int, count: int) -> tuple[int, str | None]:
    """``count`` fires as a worker writes them (claim, run, complete); failures and the first error."""
    failures, error = 0, None
    for n in range(first, first + count):
        try:
            record = store.get("nightly")
            claimed = store.claim(record, owner="w", lease_until=at(n + 30), pending=None, now=at(n))
            store.put_run(sample_run("nightly", at(n), output="x" * 200))
            store.complete(claimed, due_at=at(n + 1), cursor=at(n), now=at(n))
        except StoreUnavailable as exc:
            failures += 1
            error = error or str(exc)
    return failures, error


def _until_full(store: SQLiteStore) -> str | None:
    for n in range(10_000, 12_000):
        try:
            store.put_run(sample_run("nightly", at(n), output="y" * 2000))
        except StoreUnavailable as exc:
            return str(exc)
    return None


def test_it_works_in_little_space_reports_a_full_disk_and_recovers(
    disk: tuple[Path, Callable[[], Disk]],
) -> None:
    directory, make_disk = disk
    path = directory / f"{uuid.uuid4().hex}.db"

    def scenario() -> dict[str, Any]:
        room = make_disk()
        store = SQLiteStore(path)
        store.create(sample_schedule(expression="rate(1 minute)"), due_at=T0, now=T0)
        room.leave(1536 * KIB)  # far less than SQLite's default 4 MB write-ahead log
        tight = _cycles(store, 0, 500)
        room.fill()
        full = _until_full(store)
        readable = store.get("nightly").id
        in_transaction = store._db.in_transaction
        room.leave(256 * KIB)  # less than the log held: a log that only grows refills it
        recovered = _cycles(store, 500, 200)
        store.close()
        with closing(SQLiteStore(path)) as again:
            fires = sum(run.instant < at(10_000) for run in again.runs("nightly", limit=5000))
        with closing(sqlite3.connect(path)) as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        return {"says": room.says, "tight": tight, "full": full, "readable": readable, "in_transaction": in_transaction,
                "recovered": recovered, "fires": fires, "integrity": integrity}  # fmt: skip

    result = _in_child(scenario)
    assert result["tight"] == [0, None], "a few hundred fires fit in 1.5 MB"
    assert result["full"] is not None, "the disk never filled"
    assert result["full"].startswith(f"sqlite store {path}: {result['says']}")
    assert result["readable"] == "nightly"
    assert result["in_transaction"] is False
    assert result["recovered"] == [0, None]
    assert (result["fires"], result["integrity"]) == (700, "ok")
