"""The SQLite database file under a running store: still the file it opened, and its errors in words.

SQLite reports nothing when the file is deleted or replaced under a process that has it
open: the process goes on using the file it opened. Deleted, it writes into an unlinked
file that is gone at the last close (and the next start makes an empty database);
replaced, it keeps the old file, and the old write-ahead log beside the new file damages
the new one for the next process that opens it. :class:`FileWatch` notices: it keeps the
(device, inode) of the file opened, and of its ``-wal`` and ``-shm``, and compares the
path's at most once an interval. The store then fails every call, loudly, and closes its
connection (SQLite leaves the log of an unlinked file where it is). Deleted: the log stays,
and a new store refuses to make an empty database beside it (:func:`orphaned_log`).
Replaced: the store removes the old log and shared-memory file, if they are still the very
files it opened, so that the file now at the path opens cleanly at the next start. It does
not follow the path to the new file itself: its leases, claims and cursors belong to the
old one, and a silent switch would fire from another history.

Settings for a small disk: SQLite's default write-ahead log grows to 1000 pages (4 MB)
before it is copied into the database, and the log file never shrinks; on a disk with
less free space than that, the log fills the disk, and refills whatever is freed, before
a checkpoint ever runs. The store checkpoints after 256 pages (1 MiB) and truncates the
log back to 1 MiB after a checkpoint, so the log grows only up to the point where it is
copied and starts over in its own space.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

import attrs

#: Seconds between two checks that the path still names the file the store opened.
FILE_CHECK_INTERVAL = 1.0
#: Pages of write-ahead log after which a commit copies the log into the database.
WAL_AUTOCHECKPOINT = 256
#: Bytes the write-ahead log file is truncated back to after a checkpoint.
JOURNAL_SIZE_LIMIT = 1024 * 1024

#: Per-connection settings, after ``journal_mode = WAL``. ``mmap_size = 0`` keeps the
#: database file out of memory mappings (the build's default, stated here because a build
#: may turn it on): a mapped file that is truncated or replaced in place kills the
#: process with SIGBUS instead of returning an error.
PRAGMAS = (
    "PRAGMA synchronous = NORMAL",
    "PRAGMA mmap_size = 0",
    f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}",
    f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}",
)


def identity(path: str) -> tuple[int, int]:
    """The (device, inode) of the file at ``path``; OSError if there is none."""
    found = os.stat(path)
    return found.st_dev, found.st_ino


def orphaned_log(path: str) -> str | None:
    """Why ``path`` must not be created afresh: its write-ahead log is there without it."""
    file = Path(path).absolute()
    log = file.with_name(f"{file.name}-wal")
    if file.exists() or not log.exists():
        return None
    return (
        f"it does not exist, but {log.name} does: the database was deleted while in use "
        f"(restore it, or remove {log.name} and {file.name}-shm to start an empty one)"
    )


@attrs.define
class FileWatch:
    """Whether ``path`` still names the file that was opened; once it does not, never again."""

    path: str
    opened: tuple[int, int]
    #: The ``-wal`` and ``-shm`` files as opened: name -> (device, inode).
    companions: dict[str, tuple[int, int]]
    interval: float = FILE_CHECK_INTERVAL
    lost: str | None = None
    replaced: bool = False
    _next_check: float = 0.0

    @classmethod
    def of(cls, path: str, interval: float = FILE_CHECK_INTERVAL) -> FileWatch | None:
        """A watch on the file now at ``path``; None for a private in-memory database."""
        if path == ":memory:":
            return None
        path = os.path.abspath(path)  # as SQLite opened it, whatever the working directory becomes
        companions = {}
        for name in (f"{path}-wal", f"{path}-shm"):
            with contextlib.suppress(OSError):
                companions[name] = identity(name)
        return cls(path, identity(path), companions, interval, next_check=time.monotonic() + interval)

    def problem(self) -> str | None:
        """What happened to the file, if it was deleted or replaced; OSError if the path
        cannot be examined (which may pass). Looks at the path at most once an interval."""
        if self.lost is not None or time.monotonic() < self._next_check:
            return self.lost
        self._next_check = time.monotonic() + self.interval
        try:
            now = identity(self.path)
        except FileNotFoundError:
            what = "deleted"
        else:
            if now == self.opened:
                return None
            what = "replaced"
        self.replaced = what == "replaced"
        self.lost = f"the database file {self.path} was {what} while open; this store stopped using it " + (
            "(restart to open the new file)" if self.replaced else "(restore the file and restart)"
        )
        return self.lost

    def remove_old_companions(self) -> None:
        """Remove the old ``-wal`` and ``-shm`` beside a replaced file, if still the ones opened."""
        for name, opened in self.companions.items():
            with contextlib.suppress(OSError):
                if identity(name) == opened:
                    os.unlink(name)


#: What SQLite says when the operating system refuses to write or grow a file (EFBIG past a
#: file-size limit, EIO); ENOSPC is SQLITE_FULL.
_WRITE_ERRORS = frozenset(
    {"SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_TRUNCATE", "SQLITE_IOERR_SHMSIZE"}
)


def is_full(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL"


def explain(path: str, exc: sqlite3.Error) -> str:
    """The one-line message of a StoreUnavailable for an SQLite error."""
    name = getattr(exc, "sqlite_errorname", "")
    if is_full(exc):
        where = Path(path).absolute().parent
        return (
            f"sqlite store {path}: the disk is full (SQLITE_FULL); writes resume when {where} has free space"
        )
    if name in _WRITE_ERRORS:
        return (
            f"sqlite store {path}: cannot write the file ({name}): a full disk, a file-size limit "
            "or a failing device; writes resume when that passes"
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return f"sqlite store {path}: the database file is damaged ({exc}); restore it from a backup"
    return f"sqlite store {path}: {exc}"
