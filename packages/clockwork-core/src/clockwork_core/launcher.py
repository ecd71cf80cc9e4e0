"""The Launcher protocol: how a fire becomes a running task.

A launcher is named (``process``, ``ecs``) and registered through the ``clockwork``
entry-point group. Every launcher plugin runs the launcher conformance kit in
:mod:`clockwork_core.testing`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from clockwork_core.model import Trigger
from clockwork_core.zones import isoformat_z


@attrs.frozen
class LaunchRequest:
    """One fire to launch.

    ``key`` is the fire's idempotency key (:func:`~clockwork_core.model.fire_key`): the
    same for every worker and every retry of this fire, so a launcher can recognise a task
    it already started.
    """

    schedule_id: str
    instant: datetime
    run_id: str
    key: str
    attempt: int
    params: Mapping[str, Any]
    trigger: Trigger = Trigger.SCHEDULE
    #: Whether an earlier attempt of this fire may already have started a task (a retry,
    #: or a worker recovering a dead worker's claim). When False, this is the fire's first
    #: launch and a launcher may skip looking for a task it already started.
    may_have_started: bool = True

    @property
    def environment(self) -> dict[str, str]:
        """What the task receives so that the job itself can be idempotent."""
        return {
            "CLOCKWORK_SCHEDULE_ID": self.schedule_id,
            "CLOCKWORK_FIRE_TIME": isoformat_z(self.instant),
            "CLOCKWORK_RUN_ID": self.run_id,
        }


def _texts(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen
class Launched:
    """What a launch started: the handles to find it again (task ARNs, a pid)."""

    handles: tuple[str, ...] = attrs.field(converter=_texts)


class Phase(enum.Enum):
    RUNNING = "RUNNING"  # started (or starting) and not stopped
    SUCCEEDED = "SUCCEEDED"  # stopped, every exit code 0
    FAILED = "FAILED"  # stopped otherwise
    UNKNOWN = "UNKNOWN"  # the launcher no longer knows the handle


@attrs.frozen
class Observation:
    """What a launcher sees of one handle.

    ``exit_codes`` maps a container (or ``process``) to its exit code; a task killed by
    signal n reports 128 + n, as shells and ECS do, and None where no code is known.
    ``stop_reason`` says why the task stopped when something other than the task itself
    decided it (a :meth:`Launcher.stop` reason, ECS's stoppedReason), or why it failed.
    A task that exits 0 is SUCCEEDED, also after a stop that it handled gracefully.
    """

    handle: str
    phase: Phase
    exit_codes: Mapping[str, int | None] = attrs.field(factory=dict)
    stop_reason: str | None = None
    output: str | None = None


@runtime_checkable
class Launcher(Protocol):
    name: str

    def validate(self, params: Mapping[str, Any]) -> None:
        """Check a target's parameters before a schedule is stored.

        Raises :class:`~clockwork_core.errors.InvalidValue` whose ``field`` is
        ``target.params.<name>`` and whose reason says what is wrong. Touches nothing remote.
        """
        ...

    def launch(self, request: LaunchRequest) -> Launched:
        """Start the fire's task(s) and return their handles.

        Idempotent per ``request.key``: launching a key again (a retry, or another
        worker recovering an expired lease) must not start a second task when the first
        one started; it returns the handles of the one already started (the first
        launch's parameters win).
        Raises :class:`~clockwork_core.errors.TransientLaunchError` for failures worth a
        retry and :class:`~clockwork_core.errors.PermanentLaunchError` for the others, with
        the launcher's own reason.
        """
        ...

    def describe(self, handles: Sequence[str]) -> Sequence[Observation]:
        """Observe handles, in batches where the backend allows; one observation per handle.

        A handle the launcher cannot find any more is reported with phase UNKNOWN.
        Raises :class:`~clockwork_core.errors.LaunchError` when the backend cannot be asked
        (the tracker logs it and tries again on its next pass).
        """
        ...

    def stop(self, handle: str, *, reason: str) -> None:
        """Ask the run behind ``handle`` to stop. Stopping a stopped run is not an error."""
        ...

    def close(self) -> None:
        """Release resources. Tasks already launched keep running. The launcher is not used afterwards."""
        ...
