"""The SQLite store: the store kit (process races included), and what is particular to a file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from clockwork_core.errors import ClockworkError, InvalidValue
from clockwork_core.model import RunStatus, Target
from clockwork_core.store import Store
from clockwork_core.stores.sqlite import PAGE_SIZE, SCHEMA_VERSION, SQLiteStore, open_sqlite_store
from clockwork_core.testing import StoreConformance, at, sample_run, sample_schedule
from clockwork_core.testing.support import T0


def _underneath(store: Store, sql: str, *params: str) -> None:
    """Run ``sql`` on the store's database through a connection of its own."""
    assert isinstance(store, SQLiteStore)
    if store.path == ":memory:":  # a private database: its one connection is the only way in
        store._db.execute(sql, params)
        return
    with closing(sqlite3.connect(store.path)) as db, db:
        db.execute(sql, params)


class SQLiteSpoiling:
    def spoil_schedule(self, store: Store, schedule_id: str, definition: str) -> None:
        _underneath(store, "UPDATE schedules SET definition = ? WHERE id = ?", definition, schedule_id)

    def spoil_run(self, store: Store, schedule_id: str, run_id: str, data: str) -> None:
        _underneath(
            store, "UPDATE runs SET data = ? WHERE schedule_id = ? AND run_id = ?", data, schedule_id, run_id
        )


class TestSQLiteStore(SQLiteSpoiling, StoreConformance):
    list_size = 2 * PAGE_SIZE + 7  # three pages

    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'clockwork.db'}"


class TestSQLiteStoreInMemory(SQLiteSpoiling, StoreConformance):
    list_size = PAGE_SIZE + 1

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = open_sqlite_store(urlsplit("sqlite:///:memory:"))
        yield store
        store.close()


def _open(url: str) -> SQLiteStore:
    return open_sqlite_store(urlsplit(url))


class TestSQLiteURLs:
    def test_it_opens_an_absolute_path_after_four_slashes(self, tmp_path: Path) -> None:
        with closing(_open(f"sqlite:///{tmp_path}/a.db")) as store:
            assert store.path == f"{tmp_path}/a.db"
        assert (tmp_path / "a.db").is_file()

    def test_it_opens_a_path_relative_to_the_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        for url in ("sqlite:///./dot.db", "sqlite:///plain.db", "sqlite:///sub%20dir.db"):
            with closing(_open(url)):
                pass
        assert sorted(p.name for p in tmp_path.glob("*.db")) == ["dot.db", "plain.db", "sub dir.db"]

    def test_it_opens_a_private_database_for_each_memory_url(self) -> None:
        with closing(_open("sqlite:///:memory:")) as first, closing(_open("sqlite:///:memory:")) as second:
            first.create(sample_schedule(), due_at=T0, now=T0)
            assert list(second.list()) == []

    @pytest.mark.parametrize("url", ["sqlite://host/x.db", "sqlite://", "sqlite:///x.db?colour=blue"])
    def test_it_rejects_a_url_it_cannot_honour(self, url: str) -> None:
        with pytest.raises(InvalidValue) as caught:
            _open(url)
        assert caught.value.field == "store"
        assert url in str(caught.value)


class TestDefinitions:
    def test_it_refuses_params_that_have_no_json_form(self) -> None:
        with closing(SQLiteStore(":memory:")) as store:
            schedule = sample_schedule(target=Target("recording", {"when": T0}))
            with pytest.raises(InvalidValue) as caught:
                store.create(schedule, due_at=T0, now=T0)
            assert caught.value.field == "target.params"
            assert list(store.list()) == []

    def test_it_keeps_params_in_their_json_form(self) -> None:
        with closing(SQLiteStore(":memory:")) as store:
            schedule = sample_schedule(target=Target("recording", {"argv": ("a", "b")}))
            record = store.create(schedule, due_at=T0, now=T0)
            assert record.schedule.target.params == {"argv": ["a", "b"]}


class TestSQLiteFiles:
    def test_it_keeps_everything_across_a_reopen(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        with closing(SQLiteStore(path)) as store:
            record = store.create(sample_schedule(), due_at=at(60), cursor=T0, now=T0)
            run = sample_run(status=RunStatus.RUNNING, handles=("pid:1",))
            store.put_run(run)
            store.acquire_lease("shard-1", owner="worker-a", until=at(30), now=T0)
        with closing(SQLiteStore(path)) as store:
            assert store.get("nightly") == record
            assert store.runs("nightly") == [run]
            assert store.active_runs() == [run]
            assert store.lease_holders(now=T0) == {"shard-1": "worker-a"}

    def test_it_runs_in_wal_mode_with_a_schema_version(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        SQLiteStore(path).close()
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)

    def test_it_keeps_the_shard_count_it_was_created_with(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        SQLiteStore(path, shards=4).close()
        with closing(SQLiteStore(path)) as store:
            assert store.shards == 4
        with pytest.raises(InvalidValue, match="differs from the 4 shards"):
            SQLiteStore(path, shards=8)

    def test_it_names_a_missing_directory(self, tmp_path: Path) -> None:
        path = tmp_path / "missing" / "clockwork.db"
        with pytest.raises(InvalidValue) as caught:
            SQLiteStore(path)
        assert caught.value.field == "store"
        assert str(caught.value) == (
            f"store: cannot open {path}: the directory {tmp_path / 'missing'} does not exist"
        )
        assert not path.parent.exists()

    def test_it_names_a_parent_that_is_a_file(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_text("x")
        with pytest.raises(InvalidValue, match=r"cannot open .*: .*file is not a directory"):
            _open(f"sqlite:///{tmp_path}/file/clockwork.db")

    def test_it_names_a_path_that_is_a_directory(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidValue, match=r"cannot open .*: it is a directory"):
            SQLiteStore(tmp_path)

    def test_it_refuses_a_file_that_is_not_a_database(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.txt"
        path.write_text("these are not the tables you are looking for\n" * 100)
        with pytest.raises(ClockworkError, match=r"notes.txt is not a clockwork database \(file is not"):
            SQLiteStore(path)
        assert path.read_text().startswith("these are not")

    def test_it_refuses_a_database_of_another_application(self, tmp_path: Path) -> None:
        path = tmp_path / "other.db"
        with closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
            db.commit()
        with pytest.raises(InvalidValue, match=r"other\.db is not a clockwork database"):
            SQLiteStore(path)

    def test_it_refuses_a_schema_it_does_not_know(self, tmp_path: Path) -> None:
        path = tmp_path / "future.db"
        SQLiteStore(path).close()
        with closing(sqlite3.connect(path)) as db:
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        with pytest.raises(InvalidValue, match=f"schema version {SCHEMA_VERSION + 1}"):
            SQLiteStore(path)

    def test_it_creates_its_schema_in_an_empty_file(self, tmp_path: Path) -> None:
        path = tmp_path / "empty.db"
        path.touch()
        with closing(SQLiteStore(path)) as store:
            store.create(sample_schedule(), due_at=T0, now=T0)
            assert [record.id for record in store.list()] == ["nightly"]

    def test_it_is_shared_by_two_stores_on_one_file(self, tmp_path: Path) -> None:
        path = tmp_path / "clockwork.db"
        with closing(SQLiteStore(path)) as one, closing(SQLiteStore(path)) as two:
            created = one.create(sample_schedule(), due_at=T0, now=T0)
            claimed = two.claim(created, owner="two", lease_until=at(30), pending=None, now=T0)
            assert one.get("nightly") == claimed
