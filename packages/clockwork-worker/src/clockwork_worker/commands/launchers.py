"""Building launchers for the command line: by name, through the plugins, with their options.

Nothing is special-cased by name: a launcher whose factory takes a ``state_dir`` keyword
(the process launcher does) receives ``--state-dir``; others are built without options.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from clockwork_core.errors import UnknownPlugin
from clockwork_core.launcher import Launcher
from clockwork_core.plugins import launcher_factories, open_launcher
from clockwork_core.store import Store

from clockwork_worker import config

LAUNCHER = config.Setting(
    "--launcher",
    config.text,
    "the launcher of new schedules and of crontab lines",
    default="process",
    metavar="NAME",
)
STATE_DIR = config.Setting(
    "--state-dir",
    config.text,
    "where the process launcher keeps one directory per run (shared by the workers of one host)",
    shown_default=".clockwork/runs beside a SQLite store, else in the current directory",
    metavar="DIR",
)


class LauncherNotInstalled(UnknownPlugin):
    """A launcher that something asks for but no installed plugin provides."""

    def __init__(self, name: str, installed: Iterable[str], wanted_by: str) -> None:
        known = sorted(installed)
        super().__init__("launcher", name, known)
        shown = ", ".join(known) or "none"
        self.args = (f"{wanted_by} names the launcher {name!r}, which is not installed (installed: {shown})",)


def default_state_dir(store: Store) -> Path:
    """``.clockwork/runs`` beside the store's file if it has one, else in the current directory."""
    path = getattr(store, "path", None)
    if isinstance(path, str) and path and path != ":memory:":
        return Path(path).absolute().parent / ".clockwork" / "runs"
    return Path(".clockwork", "runs").absolute()


def build_launcher(name: str, *, state_dir: Path | None) -> Launcher:
    factories = launcher_factories()
    if name not in factories:
        raise UnknownPlugin("launcher", name, factories)
    options: dict[str, Any] = {}
    if state_dir is not None and _takes(factories[name], "state_dir"):
        options["state_dir"] = state_dir
    return open_launcher(name, **options)


def build_launchers(wanted: Iterable[tuple[str, str]], *, state_dir: Path | None) -> dict[str, Launcher]:
    """One launcher per name; ``wanted`` pairs each name with who asks for it (for errors)."""
    launchers: dict[str, Launcher] = {}
    installed = launcher_factories()
    try:
        for name, wanted_by in sorted(set(wanted)):
            if name in launchers:
                continue
            if name not in installed:
                raise LauncherNotInstalled(name, installed, wanted_by)
            launchers[name] = build_launcher(name, state_dir=state_dir)
    except BaseException:
        for launcher in launchers.values():
            launcher.close()
        raise
    return launchers


def _takes(factory: Any, keyword: str) -> bool:
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return keyword in parameters
