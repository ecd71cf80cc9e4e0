"""The memory store: the store kit, and what is particular to ``memory://``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from urllib.parse import urlsplit

import attrs
import pytest
from clockwork_core.errors import InvalidValue
from clockwork_core.model import Target
from clockwork_core.store import DEFAULT_SHARDS, Store
from clockwork_core.stores.memory import MemoryStore, open_memory_store
from clockwork_core.testing import StoreConformance, sample_schedule
from clockwork_core.testing.support import T0


class MemorySpoiling:
    """Damage a record in the memory store's own dicts: a memory store has no "underneath"."""

    def spoil_schedule(self, store: Store, schedule_id: str, definition: str) -> None:
        assert isinstance(store, MemoryStore)
        row = store._schedules[schedule_id]
        store._schedules[schedule_id] = attrs.evolve(row, definition=definition)

    def spoil_run(self, store: Store, schedule_id: str, run_id: str, data: str) -> None:
        assert isinstance(store, MemoryStore)
        runs = store._runs[schedule_id]
        runs[run_id] = attrs.evolve(runs[run_id], data=data)


class TestMemoryStore(MemorySpoiling, StoreConformance):
    list_size = 500  # the memory store does not page

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = MemoryStore()
        yield store
        store.close()


class TestMemoryStoreWithOneShard(MemorySpoiling, StoreConformance):
    list_size = 100

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = MemoryStore(shards=1)
        yield store
        store.close()


class TestDefinitions:
    def test_it_refuses_params_that_have_no_json_form(self) -> None:
        with closing(MemoryStore()) as store:
            schedule = sample_schedule(target=Target("recording", {"when": T0}))
            with pytest.raises(InvalidValue) as caught:
                store.create(schedule, due_at=T0, now=T0)
            assert caught.value.field == "target.params"
            assert list(store.list()) == []

    def test_it_keeps_params_in_their_json_form(self) -> None:
        with closing(MemoryStore()) as store:
            schedule = sample_schedule(target=Target("recording", {"argv": ("a", "b")}))
            record = store.create(schedule, due_at=T0, now=T0)
            assert record.schedule.target.params == {"argv": ["a", "b"]}


class TestMemoryURLs:
    def test_it_opens_a_new_empty_store_for_each_url(self) -> None:
        first = open_memory_store(urlsplit("memory://"))
        first.create(sample_schedule(), due_at=T0, now=T0)
        second = open_memory_store(urlsplit("memory://"))
        assert list(second.list()) == []
        assert [record.id for record in first.list()] == ["nightly"]

    def test_it_has_sixteen_shards_by_default(self) -> None:
        assert open_memory_store(urlsplit("memory://")).shards == DEFAULT_SHARDS == 16

    def test_it_takes_the_shard_count_from_the_url(self) -> None:
        assert open_memory_store(urlsplit("memory://?shards=4")).shards == 4

    @pytest.mark.parametrize(
        "url",
        [
            "memory://?shards=0",
            "memory://?shards=many",
            "memory://?shards=\u00b9",  # isdigit() says yes, int() says no
            "memory://?shards=\u0663",  # isdigit() and int() say 3
            "memory://?colour=blue",
            "memory://name",
            "memory:///x",
        ],
    )
    def test_it_rejects_a_url_it_cannot_honour(self, url: str) -> None:
        with pytest.raises(InvalidValue) as caught:
            open_memory_store(urlsplit(url))
        assert caught.value.field == "store"
        assert url in str(caught.value)

    def test_it_rejects_a_shard_count_below_one(self) -> None:
        with pytest.raises(InvalidValue, match="at least 1"):
            MemoryStore(shards=0)
