"""Plugins: pluggy hook specifications and the plugin manager.

Plugins are modules (or objects) with ``@hookimpl`` functions, found through the
``clockwork`` entry-point group. The built-in stores and launcher register exactly the
same way (see clockwork-core's ``pyproject.toml``): nothing is special-cased by name.

A third-party launcher plugin::

    # my_launcher/plugin.py
    from clockwork_core.plugins import hookimpl

    @hookimpl
    def clockwork_launchers():
        return {"nomad": NomadLauncher}

    # pyproject.toml
    [project.entry-points.clockwork]
    nomad = "my_launcher.plugin"
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint
from typing import Any
from urllib.parse import SplitResult, urlsplit

import pluggy

from clockwork_core.errors import InvalidValue, UnknownPlugin
from clockwork_core.launcher import Launcher
from clockwork_core.store import Store

log = logging.getLogger(__name__)
PROJECT = "clockwork"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: Builds a store from its URL (already split); raises InvalidValue for a bad URL.
StoreFactory = Callable[[SplitResult], Store]
#: Builds a launcher from keyword options (each launcher documents its own).
LauncherFactory = Callable[..., Launcher]


class Hooks:
    """The hooks a clockwork plugin may implement."""

    @hookspec
    def clockwork_stores(self) -> Mapping[str, StoreFactory]:  # type: ignore[empty-body]
        """Return store factories by URL scheme: ``{"sqlite": open_sqlite_store}``."""

    @hookspec
    def clockwork_launchers(self) -> Mapping[str, LauncherFactory]:  # type: ignore[empty-body]
        """Return launcher factories by name: ``{"process": ProcessLauncher}``."""

    @hookspec
    def clockwork_add_commands(self, subparsers: Any) -> None:
        """Add subcommands to the ``clockwork`` command line (an argparse subparsers object).

        A command sets ``handler=callable(args) -> int`` with ``set_defaults``.
        """

    @hookspec
    def clockwork_metrics(self, registry: Any) -> None:
        """Register extra metrics (a prometheus_client registry) for the worker's /metrics."""


#: Plugins whose entry point failed to import: name -> the error, in words.
BROKEN: dict[str, str] = {}


def new_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(Hooks)
    if load_entry_points:
        register_entry_points(manager, importlib.metadata.entry_points(group=PROJECT))
    return manager


def register_entry_points(manager: pluggy.PluginManager, entry_points: Iterable[EntryPoint]) -> None:
    """Register each plugin; one that fails to import is logged and left out, not fatal.

    A broken third-party plugin must not stop the schedules that do not use it. Asking
    for a store or launcher it would have provided names it and its error.
    """
    for entry_point in entry_points:
        if manager.get_plugin(entry_point.name) is not None or manager.is_blocked(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # any import-time failure of somebody else's code
            BROKEN[entry_point.name] = f"{type(exc).__name__}: {exc}"
            log.warning(
                "the clockwork plugin %r failed to load and is left out: %s",
                entry_point.name,
                BROKEN[entry_point.name],
                extra={"action": "plugin_broken", "plugin": entry_point.name},
            )
            continue
        manager.register(plugin, name=entry_point.name)


@functools.lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with every installed plugin loaded."""
    return new_plugin_manager()


def _merged(results: list[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    # pluggy calls the last registered first; let earlier registrations win ties.
    for result in reversed(results):
        merged.update(result)
    return merged


def store_factories(manager: pluggy.PluginManager | None = None) -> dict[str, StoreFactory]:
    manager = manager or plugin_manager()
    return _merged(manager.hook.clockwork_stores())


def launcher_factories(manager: pluggy.PluginManager | None = None) -> dict[str, LauncherFactory]:
    manager = manager or plugin_manager()
    return _merged(manager.hook.clockwork_launchers())


def open_store(url: str, *, manager: pluggy.PluginManager | None = None) -> Store:
    """Open the store named by ``url`` (``memory://``, ``sqlite:///path/clockwork.db``, ...)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed [ (IPv6 literal)
        raise InvalidValue("store", f"{url!r} is not a store URL ({exc})") from None
    if not parts.scheme:
        raise InvalidValue("store", f"{url!r} is not a store URL (such as 'sqlite:///./clockwork.db')")
    factories = store_factories(manager)
    try:
        factory = factories[parts.scheme]
    except KeyError:
        raise UnknownPlugin("store", parts.scheme, factories, broken=BROKEN) from None
    return factory(parts)


def open_launcher(name: str, *, manager: pluggy.PluginManager | None = None, **options: Any) -> Launcher:
    """Build the launcher registered under ``name`` (``process``, ``ecs``, ...)."""
    factories = launcher_factories(manager)
    try:
        factory = factories[name]
    except KeyError:
        raise UnknownPlugin("launcher", name, factories, broken=BROKEN) from None
    return factory(**options)
