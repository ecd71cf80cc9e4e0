"""The SQLite file under a running store: deleted, replaced, or beside a write-ahead log of another.

A process that has a database open goes on using the file it opened, whatever happens to
the path: deleted, it writes into an unlinked file that is gone at the last close; replaced,
it keeps the old file, and the old write-ahead log next to the new file damages it for the
next process. The store must notice within a second, fail every call after, and never make
a new, empty database in its place.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from clockwork_core.errors import InvalidValue, StoreUnavailable
from clockwork_core.stores.sqlite import SQLiteStore
from clockwork_core.testing import T0, at, sample_run, sample_schedule


def _filled(path: Path, names: list[str], runs: int = 0) -> SQLiteStore:
    store = SQLiteStore(path, file_check_interval=0)
    for name in names:
        store.create(sample_schedule(name, expression="rate(5 minutes)"), due_at=T0, now=T0)
    for seconds in range(runs):
        store.put_run(sample_run(names[0], at(seconds), output="x" * 500))
    return store


def _integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


class TestADeletedFile:
    def test_every_call_fails_naming_the_deleted_file(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        store = _filled(path, ["nightly"])
        path.unlink()
        for call in (
            lambda: store.due(at(60)),
            lambda: store.get("nightly"),
            lambda: store.put_run(sample_run()),
        ):
            with pytest.raises(StoreUnavailable) as caught:
                call()
            assert str(caught.value).startswith(f"the database file {path} was deleted while open")
        store.close()

    def test_it_does_not_make_a_new_database_in_its_place(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        store = _filled(path, ["nightly"])
        path.unlink()
        with pytest.raises(StoreUnavailable):
            store.trigger("nightly", instant=T0, now=T0)
        store.close()
        assert not path.exists()
        with pytest.raises(InvalidValue, match="deleted while in use"):
            SQLiteStore(path)
        assert not path.exists()

    def test_it_checks_the_path_at_most_once_an_interval(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        _filled(path, ["nightly"]).close()
        store = SQLiteStore(path, file_check_interval=3600)
        store.due(at(60))
        os.rename(path, tmp_path / "moved.db")  # the same file under another name: still readable
        assert [record.id for record in store.due(at(60))] == ["nightly"]
        store.close()

    def test_a_new_store_refuses_a_missing_file_beside_its_write_ahead_log(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        store = _filled(path, ["nightly"])  # open: its -wal and -shm are there
        path.unlink()
        with pytest.raises(InvalidValue) as caught:
            SQLiteStore(path)
        assert str(caught.value) == (
            f"store: cannot open {path}: it does not exist, but clockwork.db-wal does: the database was "
            "deleted while in use (restore it, or remove clockwork.db-wal and clockwork.db-shm to start "
            "an empty one)"
        )
        assert not path.exists()
        store.close()


class TestAReplacedFile:
    def test_every_call_fails_naming_the_replaced_file(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        store = _filled(path, ["nightly"])
        _filled(tmp_path / "backup.db", ["restored"]).close()
        os.replace(tmp_path / "backup.db", path)
        with pytest.raises(StoreUnavailable) as caught:
            store.claim(store.get("nightly"), owner="w", lease_until=at(30), pending=None, now=T0)
        assert str(caught.value).startswith(f"the database file {path} was replaced while open")
        store.close()

    def test_the_new_file_is_not_read_with_the_old_write_ahead_log(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        store = _filled(path, [f"old-{n}" for n in range(50)], runs=200)
        _filled(tmp_path / "backup.db", ["restored"]).close()
        shutil.move(tmp_path / "backup.db", path)
        with pytest.raises(StoreUnavailable):
            store.put_run(sample_run("old-1", at(9999)))
        with closing(SQLiteStore(path)) as fresh:
            assert [record.id for record in fresh.list()] == ["restored"]
        assert _integrity(path) == "ok"
        store.close()


class TestMemoryMapping:
    def test_the_database_file_is_not_memory_mapped(self, tmp_path: Path) -> None:
        with closing(SQLiteStore(tmp_path / "clockwork.db")) as store:
            assert store._db.execute("PRAGMA mmap_size").fetchone() == (0,)
