"""What ``/healthz`` says of the store: every store call the worker makes, watched.

A worker is only as healthy as its store calls. The worker's store is wrapped in a
:class:`WatchedStore`, which times each call and remembers how the last read and the
last write ended. The store is unhealthy, within ``slow_after`` of the trouble starting:

- while any call has been waiting longer than ``slow_after`` (an unreachable endpoint
  whose calls hang in connection or read time-outs and retries);
- once a read failed, until a later read succeeds;
- once a write failed, until a later write succeeds: a worker that still reads but
  cannot write (a full disk, a refused permission) cannot fire, whatever its polls say.

A call that answers with a refusal that is normal operation (a lost compare-and-set, a
schedule not found) counts as an answer: the store is there.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, cast

from clockwork_core.errors import ClockworkError, StoreUnavailable
from clockwork_core.store import Store

#: Store methods that only read; every other method named here writes.
READS = frozenset({"get", "due", "get_run", "runs", "active_runs", "lease_holders"})
WRITES = frozenset(
    {
        "create",
        "replace",
        "delete",
        "claim",
        "complete",
        "trigger",
        "put_run",
        "acquire_lease",
        "release_lease",
    }
)


class StoreWatch:
    """The state of the store calls in flight and of the last read and write."""

    def __init__(self, now: Callable[[], datetime], *, slow_after: timedelta = timedelta(seconds=4)) -> None:
        self.slow_after = slow_after
        self._now = now
        self._lock = threading.Lock()
        self._tokens = itertools.count()
        self._in_flight: dict[int, tuple[str, datetime]] = {}
        #: "read" / "write" -> the error of the last call of that kind, while it is the last.
        self._failing: dict[str, str] = {}

    @contextlib.contextmanager
    def call(self, operation: str, kind: str) -> Iterator[None]:
        token = next(self._tokens)
        with self._lock:
            self._in_flight[token] = (operation, self._now())
        try:
            yield
        except BaseException as exc:
            answered = isinstance(exc, ClockworkError) and not isinstance(exc, StoreUnavailable)
            self._ended(token, kind, None if answered else f"{operation}: {exc or type(exc).__name__}")
            raise
        self._ended(token, kind, None)

    def _ended(self, token: int, kind: str, error: str | None) -> None:
        with self._lock:
            del self._in_flight[token]
            if error is None:
                self._failing.pop(kind, None)
            else:
                self._failing[kind] = error

    def problem(self) -> str | None:
        """Why the store is unhealthy now, or None."""
        now = self._now()
        with self._lock:
            waiting = [(now - started, operation) for operation, started in self._in_flight.values()]
            failing = dict(self._failing)
        slowest = max(waiting, default=None)
        if slowest is not None and slowest[0] > self.slow_after:
            return f"store call {slowest[1]} has not answered for {slowest[0].total_seconds():.1f} s"
        if "write" in failing:
            return f"store writes fail: {failing['write']}"
        if "read" in failing:
            return f"store reads fail: {failing['read']}"
        return None


class WatchedStore:
    """``store``, with every read and write call timed by ``watch``; everything else as is."""

    def __init__(self, store: Store, watch: StoreWatch) -> None:
        self._store = store
        self._watch = watch

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        kind = "read" if name in READS else "write" if name in WRITES else None
        if kind is None:
            return attribute

        def watched(*args: Any, **kwargs: Any) -> Any:
            with self._watch.call(name, kind):
                return attribute(*args, **kwargs)

        return watched

    @staticmethod
    def wrap(store: Store, watch: StoreWatch) -> Store:
        return cast(Store, WatchedStore(store, watch))
