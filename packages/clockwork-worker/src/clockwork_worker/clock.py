"""The worker's only source of time, injected so that tests control it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Protocol

from clockwork_core.clock_offset import ClockOffset


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...

    def wait_until(self, instant: datetime, stop: threading.Event) -> bool:
        """Block until ``instant`` or until ``stop`` is set; True if ``stop`` was set."""
        ...


class SystemClock:
    """Wall-clock time; waits finish within a millisecond or two of their instant."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait_until(self, instant: datetime, stop: threading.Event) -> bool:
        while True:
            remaining = (instant - self.now()).total_seconds()
            if remaining <= 0:
                return stop.is_set()
            if stop.wait(remaining):
                return True


class StoreClock(SystemClock):
    """This host's clock, corrected by what the store's answers prove about it.

    The correction is the smallest offset the answers prove
    (:meth:`~clockwork_core.clock_offset.ClockOffset.proven`): nothing for a host whose
    clock the store cannot tell from its own, so a well-kept clock is used as it is.
    """

    def __init__(self, offset: ClockOffset) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) - self.offset.proven()
