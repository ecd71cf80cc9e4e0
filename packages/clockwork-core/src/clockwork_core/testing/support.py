"""What the conformance kits share: fixed instants, sample values, and a polling helper."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from clockwork_core.model import Run, RunStatus, Schedule, Target

T = TypeVar("T")

#: The kits' "now": a millisecond-aligned instant, far from any DST transition.
T0 = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds`` (keep them to the millisecond: stores keep no finer)."""
    return T0 + timedelta(seconds=seconds)


def sample_schedule(schedule_id: str = "nightly", **changes: Any) -> Schedule:
    """A valid schedule; keyword arguments replace its fields."""
    fields: dict[str, Any] = {
        "id": schedule_id,
        "expression": "* * * * *",
        "target": Target(launcher="recording", params={"exit_code": 0}),
    }
    fields.update(changes)
    return Schedule(**fields)


def sample_run(
    schedule_id: str = "nightly",
    instant: datetime = T0,
    status: RunStatus = RunStatus.SUCCEEDED,
    **changes: Any,
) -> Run:
    """A run of ``schedule_id`` at ``instant``; keyword arguments replace its fields."""
    fields: dict[str, Any] = {
        "schedule_id": schedule_id,
        "instant": instant,
        "status": status,
        "launcher": "recording",
        "updated_at": instant,
    }
    fields.update(changes)
    return Run(**fields)


def eventually(
    observe: Callable[[], T],
    until: Callable[[T], bool],
    *,
    what: str,
    deadline: float = 30.0,
    interval: float = 0.05,
) -> T:
    """Call ``observe`` until ``until`` holds for what it returns, and return that.

    Fails the test after ``deadline`` seconds, naming ``what`` and the last observation.
    The interval grows (up to a second) so that slow backends are not hammered.
    """
    give_up = time.monotonic() + deadline
    while True:
        value = observe()
        if until(value):
            return value
        if time.monotonic() >= give_up:
            raise AssertionError(f"{what} did not happen within {deadline:g} s; last seen: {value!r}")
        time.sleep(interval)
        interval = min(interval * 1.5, 1.0)
