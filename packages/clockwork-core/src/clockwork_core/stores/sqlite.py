"""The SQLite store: the embedded :class:`~clockwork_core.store.Store`, for one machine.

``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or ``sqlite:///:memory:``.
Several worker processes (and threads) may share one database file: it runs in WAL mode,
and every read-modify-write is a ``BEGIN IMMEDIATE`` transaction, which takes the write
lock before its first read, so each compare-and-set is atomic across processes. A store
object holds one connection, which its threads take turns at under a lock.

Times are epoch milliseconds; definitions, pending fires and runs are JSON in the forms of
:mod:`clockwork_core.codec`. ``PRAGMA application_id`` marks the file as clockwork's and
``PRAGMA user_version`` records the schema version.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote

from clockwork_core import codec
from clockwork_core.errors import (
    Conflict,
    InvalidValue,
    RunNotFound,
    ScheduleExists,
    ScheduleNotFound,
    StoreUnavailable,
)
from clockwork_core.model import Pending, Run, Schedule, ScheduleRecord
from clockwork_core.plugins import StoreFactory, hookimpl
from clockwork_core.store import ACTIVE_STATUSES, DEFAULT_SHARDS, shard_of
from clockwork_core.stores import sqlite_file
from clockwork_core.stores.memory import definition_json, shards_option, shown
from clockwork_core.unreadable import Unreadable, readable
from clockwork_core.zones import from_ms, require_aware, to_ms

SCHEMA_VERSION = 1
APPLICATION_ID = 0x436C6B77  # "Clkw"
PAGE_SIZE = 500

_ACTIVE = ", ".join(sorted(f"'{status.value}'" for status in ACTIVE_STATUSES))
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE schedules (
        id TEXT PRIMARY KEY,
        shard INTEGER NOT NULL,
        version INTEGER NOT NULL,
        due_at_ms INTEGER,             -- NULL: needs no attention
        cursor_ms INTEGER,
        lease_owner TEXT,
        claimed_version INTEGER,       -- the version the current lease's claim wrote
        pending TEXT,                  -- JSON (codec.pending_to_data)
        manual TEXT NOT NULL,          -- JSON list of epoch ms
        definition TEXT NOT NULL,      -- JSON (codec.schedule_to_data)
        updated_at_ms INTEGER)""",
    "CREATE INDEX schedules_due ON schedules (shard, due_at_ms) WHERE due_at_ms IS NOT NULL",
    """CREATE TABLE runs (
        schedule_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        shard INTEGER NOT NULL,
        instant_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        updated_at_ms INTEGER,
        data TEXT NOT NULL,            -- JSON (codec.run_to_data)
        PRIMARY KEY (schedule_id, run_id))""",
    "CREATE INDEX runs_newest ON runs (schedule_id, instant_ms)",
    f"CREATE INDEX runs_active ON runs (updated_at_ms) WHERE status IN ({_ACTIVE})",
    "CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until_ms INTEGER NOT NULL)",
)
_RECORD = "id, version, due_at_ms, cursor_ms, lease_owner, pending, manual, definition, updated_at_ms"
_RUN = "schedule_id, run_id, data"


def _ms(value: datetime | None) -> int | None:
    return None if value is None else to_ms(value)


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _pending(pending: Pending | None) -> str | None:
    return None if pending is None else _json(codec.pending_to_data(pending))


def _record(row: tuple[Any, ...]) -> ScheduleRecord:
    _id, version, due_at_ms, cursor_ms, owner, pending, manual, definition, updated_at_ms = row
    return ScheduleRecord(
        schedule=codec.schedule_from_json(definition),
        version=version,
        due_at=_time(due_at_ms),
        cursor=_time(cursor_ms),
        lease_owner=owner,
        pending=codec.pending_from_data(None if pending is None else json.loads(pending)),
        manual=tuple(from_ms(ms) for ms in json.loads(manual)),
        updated_at=_time(updated_at_ms),
    )


def _in_shards(column_filter: str, shards: Collection[int] | None) -> tuple[str, tuple[int, ...]]:
    """``column_filter`` narrowed to ``shards`` (all when None), and the shard arguments."""
    if shards is None:
        return column_filter, ()
    wanted = tuple(sorted(set(shards)))
    return f"{column_filter} AND shard IN ({', '.join('?' * len(wanted))})", wanted


def _path_problem(path: str) -> str | None:
    """Why SQLite could not use ``path``, in words, before it says "unable to open"."""
    file = Path(path).absolute()
    parent = file.parent
    if file.is_dir():
        return "it is a directory"
    if not parent.exists():
        return f"the directory {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"the directory {parent} is not writable (SQLite keeps -wal and -shm files there)"
    if file.exists() and not os.access(file, os.R_OK | os.W_OK):
        return "the file is not readable and writable"
    return sqlite_file.orphaned_log(path)


def _create_owner_only(path: str) -> None:
    """Create a missing database file 0600, whatever the umask, before SQLite opens it.

    SQLite would create it 0644; it gives the -wal, -shm and journal files the database
    file's mode. An existing file keeps the mode its owner gave it.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError:
        return  # it exists, or cannot be made: opening it says why
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class SQLiteStore:
    """A store in one SQLite file, shared by the processes of one machine."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        shards: int | None = None,
        busy_timeout: float = 30.0,
        file_check_interval: float = sqlite_file.FILE_CHECK_INTERVAL,
    ) -> None:
        """Open the database at ``path`` (or ``":memory:"``), creating it when absent.

        ``shards`` is fixed when the database is created (default 16); a different value
        for an existing database is an error. Raises InvalidValue for a path that cannot be
        opened, a file that is not a clockwork database, or a missing file whose
        write-ahead log is still there (it was deleted while in use: it is not made anew).
        Every ``file_check_interval`` seconds at most, a call checks that the path still
        names the file opened (see :mod:`~clockwork_core.stores.sqlite_file`).
        """
        self.path = os.fspath(path)
        if shards is not None and shards < 1:
            raise InvalidValue("store.shards", f"{shards} must be at least 1")
        problem = None if self.path == ":memory:" else _path_problem(self.path)
        if problem is not None:
            raise InvalidValue("store", f"cannot open {self.path}: {problem}")
        if self.path != ":memory:":
            _create_owner_only(self.path)
        self.unreadable = Unreadable()
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise InvalidValue("store", f"cannot open {self.path}: {exc}") from exc
        try:
            self.shards = self._prepare(shards, busy_timeout)
            self._watch = sqlite_file.FileWatch.of(self.path, file_check_interval)
        except BaseException:
            self._db.close()
            raise

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r}, shards={self.shards})"

    def _prepare(self, shards: int | None, busy_timeout: float) -> int:
        """Set the connection up; create the schema in an empty file, or check the one there."""
        db = self._db
        try:
            db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")  # the first read: fails for a non-database
            for pragma in sqlite_file.PRAGMAS:
                db.execute(pragma)
            db.execute("BEGIN IMMEDIATE")  # two processes creating one file: one creates
            try:
                stored = self._schema(db, shards)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            name = getattr(exc, "sqlite_errorname", "")
            if name in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise StoreUnavailable(f"sqlite store {self.path}: {exc}") from exc
            if isinstance(exc, sqlite3.OperationalError) and name != "SQLITE_NOTADB":
                raise InvalidValue("store", f"cannot open {self.path}: {exc}") from exc
            raise InvalidValue("store", f"{self.path} is not a clockwork database ({exc})") from exc
        if shards is not None and shards != stored:
            raise InvalidValue("store.shards", f"{shards} differs from the {stored} shards of {self.path}")
        return stored

    def _schema(self, db: sqlite3.Connection, shards: int | None) -> int:
        """Inside the opening transaction: the database's shard count, after any creation."""
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if application_id == 0 and version == 0:
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise InvalidValue("store", f"{self.path} is not a clockwork database (other tables)")
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('shards', ?)", (str(shards or DEFAULT_SHARDS),))
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif application_id != APPLICATION_ID:
            raise InvalidValue(
                "store", f"{self.path} is not a clockwork database (application id {application_id:#x})"
            )
        elif version != SCHEMA_VERSION:
            raise InvalidValue(
                "store",
                f"{self.path} has clockwork schema version {version}; this clockwork reads {SCHEMA_VERSION}",
            )
        return int(db.execute("SELECT value FROM meta WHERE key = 'shards'").fetchone()[0])

    # --- transactions -----------------------------------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._unavailable():
            self._check_file()
            yield self._db

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One read-modify-write: IMMEDIATE takes the write lock before the first read."""
        with self._lock, self._unavailable():
            self._check_file()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # A failed statement or COMMIT (a full disk, I/O) may leave the transaction
                # open, holding the write lock for every process: end it, or know it ended.
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _unavailable(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # a taken key (callers translate it), or a mistake of ours
        except sqlite3.Error as exc:  # locked past busy_timeout, disk full, I/O, a damaged file
            raise StoreUnavailable(sqlite_file.explain(self.path, exc)) from exc
        except OSError as exc:  # the path could not be examined
            raise StoreUnavailable(f"sqlite store {self.path}: {exc.strerror or exc}") from exc

    def _check_file(self) -> None:
        """StoreUnavailable, for good, once the path no longer names the file opened."""
        watch = self._watch
        if watch is None:
            return
        if watch.lost is not None:
            raise StoreUnavailable(watch.lost)
        lost = watch.problem()
        if lost is None:
            return
        self._db.close()
        if watch.replaced:  # the old log would be read with the new file, and damage it
            watch.remove_old_companions()
        raise StoreUnavailable(lost)

    def _fetch(self, db: sqlite3.Connection, schedule_id: str) -> ScheduleRecord:
        row = db.execute(f"SELECT {_RECORD} FROM schedules WHERE id = ?", (schedule_id,)).fetchone()
        if row is None:
            raise ScheduleNotFound(schedule_id)
        return self._decoded(row)

    def _decoded(self, row: tuple[Any, ...]) -> ScheduleRecord:
        return self.unreadable.decoded(lambda: _record(row), row[0], version=row[1])

    def _readable(self, rows: Iterable[tuple[Any, ...]]) -> list[ScheduleRecord]:
        """The records of ``rows`` that decode; the others are reported in ``unreadable``."""
        return readable(self._decoded, rows)

    def _run(self, row: tuple[str, str, str]) -> Run:
        schedule_id, run_id, data = row
        return self.unreadable.decoded(
            lambda: codec.run_from_data(json.loads(data)), schedule_id, run_id=run_id
        )

    def _readable_runs(self, rows: Iterable[tuple[str, str, str]]) -> list[Run]:
        return readable(self._run, rows)

    # --- schedules --------------------------------------------------------------------

    def create(
        self,
        schedule: Schedule,
        *,
        due_at: datetime | None,
        cursor: datetime | None = None,
        now: datetime,
    ) -> ScheduleRecord:
        row = (schedule.id, shard_of(schedule.id, self.shards), _ms(due_at), _ms(cursor))
        definition = definition_json(schedule)
        with self._write() as db:
            try:
                db.execute(
                    "INSERT INTO schedules (id, shard, version, due_at_ms, cursor_ms, manual,"
                    " definition, updated_at_ms) VALUES (?, ?, 1, ?, ?, '[]', ?, ?)",
                    (*row, definition, to_ms(now)),
                )
            except sqlite3.IntegrityError:
                raise ScheduleExists(schedule.id) from None
            return self._fetch(db, schedule.id)

    def replace(
        self,
        schedule: Schedule,
        *,
        due_at: datetime | None,
        now: datetime,
        expected_version: int | None = None,
        cursor: datetime | None = None,
    ) -> ScheduleRecord:
        definition = definition_json(schedule)
        with self._write() as db:
            # The stored definition is not read: it may be damaged, and this replaces it.
            found = db.execute("SELECT version FROM schedules WHERE id = ?", (schedule.id,)).fetchone()
            if found is None:
                raise ScheduleNotFound(schedule.id)
            if expected_version is not None and found[0] != expected_version:
                raise Conflict(schedule.id, f"version {found[0]}, expected {expected_version}")
            # While leased, due_at is the lease's end: the claimer completes first.
            db.execute(
                "UPDATE schedules SET version = version + 1, definition = ?, updated_at_ms = ?,"
                " due_at_ms = CASE WHEN lease_owner IS NULL THEN ? ELSE due_at_ms END,"
                " cursor_ms = coalesce(?, cursor_ms) WHERE id = ?",
                (definition, to_ms(now), _ms(due_at), _ms(cursor), schedule.id),
            )
            return self._fetch(db, schedule.id)

    def delete(self, schedule_id: str) -> bool:
        with self._write() as db:
            db.execute("DELETE FROM runs WHERE schedule_id = ?", (schedule_id,))
            deleted = db.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,)).rowcount > 0
        self.unreadable.forget(schedule_id)
        return deleted

    def get(self, schedule_id: str) -> ScheduleRecord:
        with self._read() as db:
            return self._fetch(db, schedule_id)

    def list(self) -> Iterator[ScheduleRecord]:
        after = ""
        while True:  # by pages, so that no lock is held while the caller iterates
            with self._read() as db:
                rows = db.execute(
                    f"SELECT {_RECORD} FROM schedules WHERE id > ? ORDER BY id LIMIT ?",
                    (after, PAGE_SIZE),
                ).fetchall()
            yield from self._readable(rows)
            if len(rows) < PAGE_SIZE:
                return
            after = rows[-1][0]

    # --- firing -----------------------------------------------------------------------

    def due(
        self, until: datetime, *, shards: Collection[int] | None = None, limit: int = 1000
    ) -> Sequence[ScheduleRecord]:
        where, wanted = _in_shards("due_at_ms IS NOT NULL AND due_at_ms <= ?", shards)
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_RECORD} FROM schedules WHERE {where} ORDER BY due_at_ms, id LIMIT ?",
                (to_ms(until), *wanted, max(limit, 0)),
            ).fetchall()
        return self._readable(rows)

    def claim(
        self,
        record: ScheduleRecord,
        *,
        owner: str,
        lease_until: datetime,
        pending: Pending | None,
        now: datetime,
    ) -> ScheduleRecord:
        cas = (record.id, record.version, _ms(record.due_at))
        with self._write() as db:
            # The compare-and-set: the version and due_at the claimer read are still current.
            # (SET expressions all see the old row, so claimed_version is the new version.)
            changed = db.execute(
                "UPDATE schedules SET version = version + 1, claimed_version = version + 1,"
                " lease_owner = ?, due_at_ms = ?, pending = ?, updated_at_ms = ?"
                " WHERE id = ? AND version = ? AND due_at_ms IS ?",
                (owner, to_ms(lease_until), _pending(pending), to_ms(now), *cas),
            ).rowcount
            if not changed:
                raise Conflict(record.id, f"the claim of version {record.version} lost")
            return self._fetch(db, record.id)

    def complete(
        self,
        claimed: ScheduleRecord,
        *,
        due_at: datetime | None,
        cursor: datetime | None,
        pending: Pending | None = None,
        manual: Sequence[datetime] | None = None,
        now: datetime,
    ) -> ScheduleRecord:
        with self._write() as db:
            # The compare-and-set: the lease is still the one this claim took. A replace or
            # a trigger during the lease bumps version but not claimed_version.
            row = db.execute(
                "SELECT manual FROM schedules WHERE id = ? AND lease_owner = ? AND claimed_version = ?",
                (claimed.id, claimed.lease_owner, claimed.version),
            ).fetchone()
            if row is None:
                raise Conflict(claimed.id, f"the lease of {claimed.lease_owner!r} was lost")
            stored_manual = [int(ms) for ms in json.loads(row[0])]
            # Manual triggers queued during the lease were not seen by the claimer: keep
            # them, and keep them due.
            queued = stored_manual[len(claimed.manual) :]
            due_at_ms = _ms(due_at)
            if queued:
                due_at_ms = min(queued) if due_at_ms is None else min(due_at_ms, *queued)
            kept = stored_manual if manual is None else [to_ms(t) for t in manual] + queued
            db.execute(
                "UPDATE schedules SET version = version + 1, claimed_version = NULL,"
                " lease_owner = NULL, due_at_ms = ?, cursor_ms = ?, pending = ?, manual = ?,"
                " updated_at_ms = ? WHERE id = ?",
                (due_at_ms, _ms(cursor), _pending(pending), _json(kept), to_ms(now), claimed.id),
            )
            return self._fetch(db, claimed.id)

    def trigger(self, schedule_id: str, *, instant: datetime, now: datetime) -> ScheduleRecord:
        instant_ms = to_ms(require_aware(instant, "instant"))
        with self._write() as db:
            row = db.execute(
                "SELECT due_at_ms, lease_owner, manual FROM schedules WHERE id = ?", (schedule_id,)
            ).fetchone()
            if row is None:
                raise ScheduleNotFound(schedule_id)
            due_at_ms, owner, manual = row
            if owner is None:  # while leased, the lease stands; the fire comes after it
                due_at_ms = instant_ms if due_at_ms is None else min(due_at_ms, instant_ms)
            db.execute(
                "UPDATE schedules SET version = version + 1, due_at_ms = ?, manual = ?,"
                " updated_at_ms = ? WHERE id = ?",
                (due_at_ms, _json([*json.loads(manual), instant_ms]), to_ms(now), schedule_id),
            )
            return self._fetch(db, schedule_id)

    # --- runs -------------------------------------------------------------------------

    def put_run(self, run: Run) -> None:
        row = (run.schedule_id, run.run_id, shard_of(run.schedule_id, self.shards), to_ms(run.instant))
        with self._write() as db:
            # Fenced: a write under an older claim than the stored run's is refused.
            stored = db.execute(
                "SELECT CASE WHEN json_valid(data) THEN json_extract(data, '$.fence') END"
                " FROM runs WHERE schedule_id = ? AND run_id = ?",
                row[:2],
            ).fetchone()
            if stored is not None and (stored[0] or 0) > (run.fence or 0):
                raise Conflict(run.schedule_id, f"run {run.run_id} was written under a newer claim")
            db.execute(
                "INSERT OR REPLACE INTO runs (schedule_id, run_id, shard, instant_ms, status,"
                " updated_at_ms, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*row, run.status.value, _ms(run.updated_at), _json(codec.run_to_data(run))),
            )
        self.unreadable.readable(run.schedule_id, run.run_id)

    def get_run(self, schedule_id: str, run_id: str) -> Run:
        with self._read() as db:
            row = db.execute(
                f"SELECT {_RUN} FROM runs WHERE schedule_id = ? AND run_id = ?", (schedule_id, run_id)
            ).fetchone()
        if row is None:
            raise RunNotFound(schedule_id, run_id)
        return self._run(row)

    def runs(self, schedule_id: str, *, limit: int = 100) -> Sequence[Run]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_RUN} FROM runs WHERE schedule_id = ? ORDER BY instant_ms DESC, run_id DESC LIMIT ?",
                (schedule_id, max(limit, 0)),
            ).fetchall()
        return self._readable_runs(rows)

    def active_runs(self, *, shards: Collection[int] | None = None, limit: int = 1000) -> Sequence[Run]:
        where, wanted = _in_shards(f"status IN ({_ACTIVE})", shards)
        with self._read() as db:
            rows = db.execute(  # NULL updated_at_ms (never updated) sorts first: the oldest
                f"SELECT {_RUN} FROM runs WHERE {where} ORDER BY updated_at_ms, schedule_id, run_id LIMIT ?",
                (*wanted, max(limit, 0)),
            ).fetchall()
        return self._readable_runs(rows)

    # --- leases -----------------------------------------------------------------------

    def acquire_lease(self, name: str, *, owner: str, until: datetime, now: datetime) -> bool:
        until_ms = to_ms(require_aware(until, "until"))
        with self._write() as db:
            # Insert, or take over when the holder is us or its lease ended at or before now.
            cursor = db.execute(
                "INSERT INTO leases (name, owner, until_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,"
                " until_ms = excluded.until_ms"
                " WHERE leases.owner = excluded.owner OR leases.until_ms <= ?",
                (name, owner, until_ms, to_ms(now)),
            )
            return cursor.rowcount > 0

    def release_lease(self, name: str, *, owner: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    def lease_holders(self, *, now: datetime) -> dict[str, str]:
        with self._read() as db:
            rows = db.execute(
                "SELECT name, owner FROM leases WHERE until_ms > ? ORDER BY name", (to_ms(now),)
            ).fetchall()
        return dict(rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_sqlite_store(url: SplitResult) -> SQLiteStore:
    """``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``sqlite:///:memory:``; ``?shards=N``."""
    if url.netloc:
        raise InvalidValue(
            "store",
            f"{shown(url)!r} names a host; use 'sqlite:///relative/path.db' or 'sqlite:////absolute/path.db'",
        )
    path = unquote(url.path[1:] if url.path.startswith("/") else url.path)
    if not path:
        raise InvalidValue("store", f"{shown(url)!r} names no file (such as 'sqlite:///./clockwork.db')")
    return SQLiteStore(path, shards=shards_option(url))


@hookimpl
def clockwork_stores() -> dict[str, StoreFactory]:
    factory: StoreFactory = open_sqlite_store
    return {"sqlite": factory}
