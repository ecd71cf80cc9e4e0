"""How far this host's clock is from a store's, proven from the store's own answers.

Leases are compare-and-set on instants, so every worker must agree on what time it is.
A store served by another host (DynamoDB) stamps each answer with its clock (the HTTP
``Date`` header, to the second). One answer proves little: the store read its clock
somewhere between the request leaving and the answer arriving, and the header drops
the fraction of the second. So each answer gives an interval that must contain this
host's offset (local minus store):

    sent - (stamp + resolution)  <=  offset  <=  received - stamp

Intersecting the intervals of the answers of the last minute narrows it, to within tens
of milliseconds after a few dozen answers, since the answers fall at every fraction of a
second. What is *proven* is the offset nearest zero inside that intersection: a host whose
interval contains zero is taken to be right. An empty intersection means a clock was
stepped; the estimate starts again from the newest answer.

Pure: callers pass the instants; nothing here reads a clock.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

ZERO = timedelta(0)


class ClockOffset:
    """The offset of this host's clock against a store's, from the store's answers.

    Thread-safe: many store calls observe at once while the worker reads :meth:`proven`.
    """

    def __init__(self, *, window: timedelta = timedelta(seconds=60)) -> None:
        self.window = window
        self._lock = threading.Lock()
        #: (received, low, high) per answer, oldest first.
        self._samples: deque[tuple[datetime, timedelta, timedelta]] = deque()
        self._bounds: tuple[timedelta, timedelta] | None = None

    def observe(
        self,
        *,
        sent: datetime,
        received: datetime,
        stamp: datetime,
        resolution: timedelta = timedelta(seconds=1),
    ) -> None:
        """One answer: sent and received by this host's clock, stamped ``stamp`` by the store's."""
        low, high = sent - (stamp + resolution), received - stamp
        with self._lock:
            self._samples.append((received, low, high))
            while self._samples and self._samples[0][0] < received - self.window:
                self._samples.popleft()
            self._bounds = self._intersection()

    def _intersection(self) -> tuple[timedelta, timedelta]:
        low = max(sample[1] for sample in self._samples)
        high = min(sample[2] for sample in self._samples)
        if low > high:  # a clock was stepped: what came before no longer holds
            newest = self._samples[-1]
            self._samples.clear()
            self._samples.append(newest)
            return newest[1], newest[2]
        return low, high

    @property
    def bounds(self) -> tuple[timedelta, timedelta] | None:
        """The interval the offset is known to lie in, or None before any answer."""
        with self._lock:
            return self._bounds

    def proven(self) -> timedelta:
        """The smallest offset the answers prove (positive: this host is ahead); zero if none."""
        bounds = self.bounds
        if bounds is None:
            return ZERO
        low, high = bounds
        if low > ZERO:
            return low
        if high < ZERO:
            return high
        return ZERO
