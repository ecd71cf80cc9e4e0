"""The plugin: the ``ecs`` launcher, registered through the ``clockwork`` entry-point group."""

from __future__ import annotations

from clockwork_core.plugins import LauncherFactory, hookimpl

from clockwork_ecs.launcher import EcsLauncher


@hookimpl
def clockwork_launchers() -> dict[str, LauncherFactory]:
    factory: LauncherFactory = EcsLauncher
    return {"ecs": factory}
