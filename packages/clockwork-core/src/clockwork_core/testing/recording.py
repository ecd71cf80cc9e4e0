"""The recording launcher: an in-memory launcher that records what it is asked and obeys a script.

It starts nothing. ``launch`` records the request and returns at once, with handles
derived from the fire's key (``recording:<key>/0``); a key launched again returns the
same handles. What each "task" then does is scripted by the target's params:

==========================  ==========================================================
``exit_code`` (0-255, 0)     the task ends with this exit code (0: SUCCEEDED)
``running_polls`` (0)        ``describe`` reports RUNNING this many times first
``runs_until_stopped``       the task runs until :meth:`RecordingLauncher.stop` (or
(false)                      :meth:`RecordingLauncher.finish`)
``fail_first`` (0)           the first k launches of a key raise, without starting
``failure`` ("transient")    what they raise: TransientLaunchError or PermanentLaunchError
``count`` (1-10, 1)          how many tasks (handles) a launch starts
==========================  ==========================================================

It is not registered by entry point: tests call :func:`register_recording_launcher`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pluggy

from clockwork_core.errors import InvalidValue, PermanentLaunchError, TransientLaunchError
from clockwork_core.launcher import Launched, Launcher, LaunchRequest, Observation, Phase
from clockwork_core.plugins import LauncherFactory, hookimpl, plugin_manager

NAME = "recording"
PLUGIN_NAME = "clockwork-testing-recording-launcher"
CONTAINER = "main"


def _integer(params: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"target.params.{name}", f"expected a whole number, got {value!r}")
    if not low <= value <= high:
        raise InvalidValue(f"target.params.{name}", f"{value} is out of range {low}-{high}")
    return value


@attrs.frozen
class Script:
    """What a recorded task does, read from a target's params."""

    exit_code: int = 0
    running_polls: int = 0
    runs_until_stopped: bool = False
    fail_first: int = 0
    failure: str = "transient"
    count: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Script:
        """Raises InvalidValue naming ``target.params.<name>`` for a bad or unknown param."""
        known = {field.name for field in attrs.fields(cls)}
        for name in params:
            if name not in known:
                raise InvalidValue(
                    f"target.params.{name}", f"unknown parameter (known: {', '.join(sorted(known))})"
                )
        runs_until_stopped = params.get("runs_until_stopped", False)
        if not isinstance(runs_until_stopped, bool):
            raise InvalidValue(
                "target.params.runs_until_stopped", f"expected true or false, got {runs_until_stopped!r}"
            )
        failure = params.get("failure", "transient")
        if failure not in ("transient", "permanent"):
            raise InvalidValue("target.params.failure", f"{failure!r} is not 'transient' or 'permanent'")
        return cls(
            exit_code=_integer(params, "exit_code", 0, 0, 255),
            running_polls=_integer(params, "running_polls", 0, 0, 1_000_000),
            runs_until_stopped=runs_until_stopped,
            fail_first=_integer(params, "fail_first", 0, 0, 1_000_000),
            failure=failure,
            count=_integer(params, "count", 1, 1, 10),
        )


@attrs.define
class RecordedTask:
    """One task a launch "started", and what has become of it."""

    handle: str
    request: LaunchRequest
    script: Script
    polls: int = 0
    exit_code: int | None = None
    stop_reason: str | None = None
    finished: bool = False


class RecordingLauncher:
    """A :class:`~clockwork_core.launcher.Launcher` that records every call and starts nothing.

    ``requests`` holds every LaunchRequest received, in order (failed and repeated ones
    included); ``stops`` every ``(handle, reason)``. Thread-safe.
    """

    name = NAME

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[LaunchRequest] = []
        self.stops: list[tuple[str, str]] = []
        self.closed = False
        self._attempts: dict[str, int] = {}
        self._launched: dict[str, Launched] = {}
        self._tasks: dict[str, RecordedTask] = {}

    def validate(self, params: Mapping[str, Any]) -> None:
        Script.from_params(params)

    def launch(self, request: LaunchRequest) -> Launched:
        with self._lock:
            self.requests.append(request)
            try:
                script = Script.from_params(request.params)
            except InvalidValue as exc:
                raise PermanentLaunchError(str(exc), code="invalid_params") from exc
            attempt = self._attempts[request.key] = self._attempts.get(request.key, 0) + 1
            if request.key in self._launched:
                return self._launched[request.key]
            if attempt <= script.fail_first:
                error = TransientLaunchError if script.failure == "transient" else PermanentLaunchError
                raise error(
                    f"scripted {script.failure} failure {attempt} of {script.fail_first}", code="scripted"
                )
            handles = tuple(f"recording:{request.key}/{n}" for n in range(script.count))
            for handle in handles:
                self._tasks[handle] = RecordedTask(handle, request, script)
            launched = self._launched[request.key] = Launched(handles)
            return launched

    def describe(self, handles: Sequence[str]) -> Sequence[Observation]:
        with self._lock:
            return [self._observe(handle) for handle in handles]

    def _observe(self, handle: str) -> Observation:
        task = self._tasks.get(handle)
        if task is None:
            return Observation(handle, Phase.UNKNOWN)
        if not task.finished:
            if task.script.runs_until_stopped or task.polls < task.script.running_polls:
                task.polls += 1
                return Observation(handle, Phase.RUNNING)
            task.finished, task.exit_code = True, task.script.exit_code
        phase = Phase.SUCCEEDED if task.exit_code == 0 and task.stop_reason is None else Phase.FAILED
        return Observation(handle, phase, {CONTAINER: task.exit_code}, task.stop_reason)

    def stop(self, handle: str, *, reason: str) -> None:
        with self._lock:
            self.stops.append((handle, reason))
            task = self._tasks.get(handle)
            if task is not None and not task.finished:
                task.finished, task.stop_reason = True, reason

    def finish(self, handle: str, exit_code: int = 0) -> None:
        """End a running task (one that ``runs_until_stopped``) with ``exit_code``."""
        with self._lock:
            task = self._tasks[handle]
            if not task.finished:
                task.finished, task.exit_code = True, exit_code

    def close(self) -> None:
        self.closed = True

    # --- what the tests read back -----------------------------------------------------

    def launched(self, key: str) -> Launched | None:
        """The handles a key's launch started, or None if nothing was started for it."""
        with self._lock:
            return self._launched.get(key)

    def started(self) -> list[LaunchRequest]:
        """The requests that started tasks, one per key, in the order they started."""
        with self._lock:
            return [self._tasks[launched.handles[0]].request for launched in self._launched.values()]

    def environment_of(self, handle: str) -> dict[str, str] | None:
        """The environment the task behind ``handle`` was given, or None for an unknown handle."""
        with self._lock:
            task = self._tasks.get(handle)
            return None if task is None else task.request.environment


class _RecordingPlugin:
    def __init__(self, launcher: RecordingLauncher) -> None:
        self.launcher = launcher

    @hookimpl
    def clockwork_launchers(self) -> dict[str, LauncherFactory]:
        def factory() -> Launcher:
            return self.launcher

        return {NAME: factory}


def register_recording_launcher(
    manager: pluggy.PluginManager | None = None, launcher: RecordingLauncher | None = None
) -> RecordingLauncher:
    """Make ``open_launcher("recording")`` return ``launcher`` (a new one when None).

    Registers with ``manager`` (default: the process-wide one), replacing an earlier
    registration; returns the launcher so the test can read what it recorded. Undo with
    :func:`unregister_recording_launcher`.
    """
    manager = plugin_manager() if manager is None else manager
    launcher = RecordingLauncher() if launcher is None else launcher
    unregister_recording_launcher(manager)
    manager.register(_RecordingPlugin(launcher), name=PLUGIN_NAME)
    return launcher


def unregister_recording_launcher(manager: pluggy.PluginManager | None = None) -> None:
    """Remove the registration made by :func:`register_recording_launcher`, if any."""
    manager = plugin_manager() if manager is None else manager
    plugin = manager.get_plugin(PLUGIN_NAME)
    if plugin is not None:
        manager.unregister(plugin, name=PLUGIN_NAME)
