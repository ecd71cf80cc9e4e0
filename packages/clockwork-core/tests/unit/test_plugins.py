"""Finding plugins: stores by URL scheme and launchers by name, through the real entry points."""

from __future__ import annotations

from pathlib import Path

import pytest
from clockwork_core.errors import InvalidValue, UnknownPlugin
from clockwork_core.plugins import (
    launcher_factories,
    new_plugin_manager,
    open_launcher,
    open_store,
    store_factories,
)
from clockwork_core.stores.memory import MemoryStore
from clockwork_core.stores.sqlite import SQLiteStore
from clockwork_core.testing import sample_schedule
from clockwork_core.testing.support import T0


class TestStores:
    def test_it_installs_the_embedded_stores_by_entry_point(self) -> None:
        assert {"memory", "sqlite"} <= set(store_factories(new_plugin_manager()))

    def test_it_opens_a_memory_store(self) -> None:
        store = open_store("memory://")
        try:
            assert isinstance(store, MemoryStore)
        finally:
            store.close()

    def test_it_opens_a_new_memory_store_for_each_url(self) -> None:
        first, second = open_store("memory://"), open_store("memory://")
        try:
            first.create(sample_schedule(), due_at=T0, now=T0)
            assert list(second.list()) == []
        finally:
            first.close()
            second.close()

    def test_it_opens_a_sqlite_store_at_an_absolute_path(self, tmp_path: Path) -> None:
        store = open_store(f"sqlite:///{tmp_path / 'clockwork.db'}")
        try:
            assert isinstance(store, SQLiteStore)
            assert store.path == str(tmp_path / "clockwork.db")
        finally:
            store.close()
        assert (tmp_path / "clockwork.db").exists()

    def test_it_names_the_installed_stores_for_an_unknown_scheme(self) -> None:
        with pytest.raises(UnknownPlugin) as caught:
            open_store("postgres://db/clockwork")
        message = str(caught.value)
        assert message.startswith("no store named 'postgres' is installed (installed: ")
        assert "memory" in message
        assert "sqlite" in message
        assert (caught.value.kind, caught.value.name) == ("store", "postgres")

    def test_it_rejects_text_that_is_not_a_url(self) -> None:
        with pytest.raises(InvalidValue, match="is not a store URL"):
            open_store("clockwork.db")

    @pytest.mark.parametrize("url", ["sqlite://[x/clockwork.db", "memory://[::1", "dynamodb://[table"])
    def test_it_rejects_a_url_that_urllib_cannot_split(self, url: str) -> None:
        with pytest.raises(InvalidValue) as caught:
            open_store(url)
        assert caught.value.field == "store"
        assert str(caught.value) == f"store: {url!r} is not a store URL (Invalid IPv6 URL)"


class TestLaunchers:
    def test_it_names_the_installed_launchers_for_an_unknown_name(self) -> None:
        with pytest.raises(UnknownPlugin) as caught:
            open_launcher("nomad")
        message = str(caught.value)
        assert message.startswith("no launcher named 'nomad' is installed (installed: ")
        assert "process" in message  # the embedded launcher, by entry point
        for name in launcher_factories():
            assert name in message
        assert (caught.value.kind, caught.value.name) == ("launcher", "nomad")

    def test_it_names_none_when_no_launcher_is_installed(self) -> None:
        manager = new_plugin_manager(load_entry_points=False)
        with pytest.raises(UnknownPlugin, match=r"\(installed: none\)"):
            open_launcher("process", manager=manager)


class TestBrokenPlugins:
    def test_a_plugin_that_fails_to_import_is_left_out_and_named_when_asked_for(self) -> None:
        from importlib.metadata import EntryPoint

        from clockwork_core.errors import UnknownPlugin
        from clockwork_core.plugins import BROKEN, new_plugin_manager, open_launcher, register_entry_points

        manager = new_plugin_manager(load_entry_points=False)
        broken = EntryPoint(name="nomad", value="clockwork_no_such_module.plugin", group="clockwork")
        working = EntryPoint(name="process", value="clockwork_core.launchers.process", group="clockwork")
        try:
            register_entry_points(manager, [broken, working])
            assert manager.get_plugin("process") is not None
            assert manager.get_plugin("nomad") is None
            with pytest.raises(UnknownPlugin) as caught:
                open_launcher("nomad", manager=manager)
            assert str(caught.value) == (
                "no launcher named 'nomad' is installed (installed: process); plugins that failed to load: "
                "nomad: ModuleNotFoundError: No module named 'clockwork_no_such_module'"
            )
        finally:
            BROKEN.pop("nomad", None)
