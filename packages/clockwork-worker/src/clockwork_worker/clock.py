"""The worker's only source of time, injected so that tests control it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Protocol


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
