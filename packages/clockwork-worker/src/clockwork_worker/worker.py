"""The worker loop: poll into a timer heap, fire on time, track runs, shut down cleanly.

Step 1 of the firing protocol lives here: every ``poll_interval`` a feeder thread asks the
store for schedules due within ``lookahead`` (in the shards it holds) and keeps them in
a timer heap, so that the worker fires on time rather than on the next poll; the same
thread tracks runs. The dispatching thread only watches the heap: ``claim_ahead`` before
a schedule's ``due_at`` it hands the schedule to a pool thread, which claims and fires
it (:mod:`firing`). A slow poll or tracking pass never holds a fire back.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

import attrs
from clockwork_core.errors import ClockworkError, StoreUnavailable
from clockwork_core.launcher import Launcher
from clockwork_core.model import ScheduleRecord
from clockwork_core.store import Store, clock_offset_of

from clockwork_worker.clock import Clock, StoreClock, SystemClock
from clockwork_worker.firing import FireContext, fire
from clockwork_worker.health import StoreWatch, WatchedStore
from clockwork_worker.metrics import Metrics
from clockwork_worker.shards import ShardKeeper
from clockwork_worker.tracker import Tracker

log = logging.getLogger(__name__)


@attrs.frozen
class WorkerSettings:
    worker_id: str
    #: Poll for schedules due this far ahead, so they sit in the timer heap in time.
    lookahead: timedelta = timedelta(seconds=5)
    poll_interval: timedelta = timedelta(seconds=1)
    #: How long a claim holds a schedule; a worker dying mid-fire delays it this much.
    lease: timedelta = timedelta(seconds=30)
    #: Claim this long before the launch time, so the launch call starts on time.
    claim_ahead: timedelta = timedelta(milliseconds=200)
    #: At the launch call a claim must still hold this long, or the fire is given up to
    #: the claim's next holder (a third of the lease by default).
    launch_margin: timedelta = attrs.field(
        default=attrs.Factory(lambda self: self.lease / 3, takes_self=True)
    )
    track_interval: timedelta = timedelta(seconds=2)
    shard_lease: timedelta = timedelta(seconds=10)
    max_parallel_fires: int = 256
    #: /healthz fails when the loop has not gone round for this long.
    stall_after: timedelta = timedelta(seconds=8)
    #: /healthz fails while a store call has waited this long for its answer.
    slow_store_after: timedelta = timedelta(seconds=4)
    #: Refuse to claim while this host's clock is proven further than this from the store's.
    max_clock_offset: timedelta = timedelta(seconds=1)


class Worker:
    def __init__(
        self,
        store: Store,
        launchers: Mapping[str, Launcher],
        settings: WorkerSettings,
        *,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.launchers = dict(launchers)
        self.settings = settings
        self.clock_offset = clock_offset_of(store)
        self.clock = clock or (StoreClock(self.clock_offset) if self.clock_offset else SystemClock())
        self.metrics = metrics or Metrics()
        self.store_watch = StoreWatch(self.clock.now, slow_after=settings.slow_store_after)
        store = self.store = WatchedStore.wrap(store, self.store_watch)
        self.shards = ShardKeeper(store, settings.worker_id, settings.shard_lease)
        self.tracker = Tracker(store, self.launchers, self.metrics)
        self._context = FireContext(
            store=store,
            launchers=self.launchers,
            clock=self.clock,
            metrics=self.metrics,
            owner=settings.worker_id,
            lease=settings.lease,
            launch_margin=settings.launch_margin,
            refresh=lambda runs: self.tracker.refresh(runs, self.clock.now()),
        )
        self._stop = threading.Event()
        #: Wakes the dispatching thread (a new timer, a finished fire, stop).
        self._wake = threading.Event()
        #: Wakes the feeding thread (stop).
        self._feed_wake = threading.Event()
        self._heap: list[tuple[datetime, int, str]] = []
        self._records: dict[str, ScheduleRecord] = {}
        self._in_flight: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self._sequence = itertools.count()
        self._pool = ThreadPoolExecutor(settings.max_parallel_fires, thread_name_prefix="fire")
        self.last_loop: datetime | None = None
        self.last_dispatch: datetime | None = None
        self.store_error: str | None = None
        #: Why this worker does not claim now (its clock is off), or None.
        self.clock_error: str | None = None

    # --- control ----------------------------------------------------------------------

    def stop(self) -> None:
        """Stop claiming; :meth:`run` finishes the fires in flight, releases shards and returns."""
        self._stop.set()
        self._wake.set()
        self._feed_wake.set()

    def health(self) -> tuple[bool, str]:
        now = self.clock.now()
        if self.last_loop is None:
            return False, "starting"
        problem = self.store_watch.problem()  # first: a hanging store call stalls the poll loop too
        if problem:
            return False, problem
        for loop, last in (("poll", self.last_loop), ("dispatch", self.last_dispatch or self.last_loop)):
            if now - last > self.settings.stall_after:
                return False, f"the {loop} loop has stalled for {(now - last).total_seconds():.1f} s"
        if self.clock_error:
            return False, self.clock_error
        return (
            True,
            f"ok: {len(self.shards.held)} shards, {len(self._heap)} timers, {len(self._in_flight)} fires",
        )

    # --- the loop ---------------------------------------------------------------------

    def run(self) -> None:
        """Run until :meth:`stop`; then finish fires in flight and release shard leases.

        Two threads: this one hands each timer to a fire thread ``claim_ahead`` before its
        time, and does nothing else, so that a slow store call never holds a fire back;
        the feeder (:meth:`_feed`) polls the store into the heap and tracks runs.
        """
        log.info("worker %s started", self.settings.worker_id, extra={"action": "worker_started"})
        feeder = threading.Thread(target=self._feed, name="poll", daemon=True)
        feeder.start()
        try:
            while not self._stop.is_set():
                # Cleared first: a record remembered from now on wakes the wait below.
                self._wake.clear()
                now = self.last_dispatch = self.clock.now()
                self._dispatch(now)
                self.clock.wait_until(self._next_timer() or now + self.settings.poll_interval, self._wake)
        finally:
            self._stop.set()
            self._feed_wake.set()
            feeder.join()
            self._shutdown()

    def _feed(self) -> None:
        """Poll the store into the timer heap and track runs, each on its own interval."""
        next_poll = next_track = self.clock.now()
        while not self._stop.is_set():
            now = self.clock.now()
            self._heartbeat(now)
            if now >= next_poll:
                self._poll(now)
                next_poll = now + self.settings.poll_interval
                self._wake.set()
            if now >= next_track:
                self._track(now)
                next_track = now + self.settings.track_interval
            self._feed_wake.clear()
            self.clock.wait_until(min(next_poll, next_track), self._feed_wake)

    def run_once(self) -> int:
        """One pass: fire everything due now, track runs once, and return the number of fires."""
        now = self.clock.now()
        self._heartbeat(now)
        self._poll(now, until=now)
        self._dispatch(now, until=now)
        fired = len(self._in_flight)
        for future in list(self._in_flight.values()):
            future.result()
        self._track(self.clock.now())
        self._shutdown()
        return fired

    def _heartbeat(self, now: datetime) -> None:
        self.last_loop = now
        self.metrics.loop_heartbeat.set(now.timestamp())

    def _poll(self, now: datetime, *, until: datetime | None = None) -> None:
        if not self._clock_trusted():
            try:  # a read keeps the store's measure of the clock going while claiming waits
                self.store.lease_holders(now=now)
            except (ClockworkError, OSError) as exc:
                self._store_failed("poll", exc)
            return
        try:
            shards = self.shards.refresh(now)
            self.metrics.shards_held.set(len(shards))
            if not shards:
                return
            records = self.store.due(until or now + self.settings.lookahead, shards=shards)
        except (StoreUnavailable, ClockworkError, OSError) as exc:
            self._store_failed("poll", exc)
            return
        if self.store_error:
            log.info("store reachable again", extra={"action": "store_recovered"})
        self.store_error = None
        for record in records:
            self._remember(record)
        self._report_unreadable()

    def _report_unreadable(self) -> None:
        """Log each record the store skipped as unreadable once, and count them.

        An unreadable record is the record's problem, not the worker's: the others fire.
        """
        for found in self.store.unreadable.unreported():
            log.warning(
                "skipping %s; it stays skipped until it is written again or deleted",
                found,
                extra={
                    "action": "record_unreadable",
                    "schedule": found.schedule_id,
                    "run": found.run_id,
                    "version": found.version,
                    "reason": found.reason,
                },
            )
        self.metrics.unreadable_records.set(len(self.store.unreadable))

    def _clock_trusted(self) -> bool:
        """False (and the shards given up, loudly) while this host's clock is proven off.

        Leases are judged by the caller's clock: a worker ahead would take every lease and
        fire early; one behind would hold leases past their end. Its clock is corrected by
        what the store proves (:class:`~clockwork_worker.clock.StoreClock`), but beyond
        ``max_clock_offset`` the host's clock is not to be trusted at all.
        """
        if self.clock_offset is None:
            return True
        offset = self.clock_offset.proven()
        self.metrics.clock_offset.set(offset.total_seconds())
        if abs(offset) <= self.settings.max_clock_offset:
            if self.clock_error is not None:
                log.warning("clock back within tolerance; claiming again", extra={"action": "clock_ok"})
                self.clock_error = None
            return True
        error = (
            f"this host's clock is {abs(offset.total_seconds()):.1f} s "
            f"{'ahead of' if offset > timedelta(0) else 'behind'} the store's "
            f"(tolerance {self.settings.max_clock_offset.total_seconds():g} s): not claiming"
        )
        if self.clock_error is None:
            log.error(
                "%s; fix the host's time synchronisation (NTP)",
                error,
                extra={"action": "clock_skew", "offset_seconds": offset.total_seconds()},
            )
            self._release_shards()
        self.clock_error = error
        return False

    def _remember(self, record: ScheduleRecord) -> None:
        """Keep ``record`` in the timer heap if it is due within the lookahead window."""
        horizon = self.clock.now() + self.settings.lookahead
        if record.due_at is None or record.due_at > horizon:
            return
        with self._lock:
            if record.id in self._in_flight:
                return  # firing now: its completion brings the fresh record
            known = self._records.get(record.id)
            if known is not None and known.version >= record.version:
                return
            self._records[record.id] = record
            heapq.heappush(self._heap, (record.due_at, next(self._sequence), record.id))
            self.metrics.timer_heap.set(len(self._heap))

    def _store_failed(self, operation: str, exc: BaseException) -> None:
        self.metrics.store_errors.labels(operation).inc()
        if self.store_error is None:
            log.error("store %s failed: %s", operation, exc, extra={"action": "store_unavailable"})
        self.store_error = str(exc) or type(exc).__name__

    def _next_timer(self) -> datetime | None:
        with self._lock:
            if not self._heap:
                return None
            return self._heap[0][0] - self.settings.claim_ahead

    def _dispatch(self, now: datetime, *, until: datetime | None = None) -> None:
        """Hand every timer that is due (``claim_ahead`` early) to a pool thread."""
        horizon = until if until is not None else now + self.settings.claim_ahead
        with self._lock:
            while self._heap and self._heap[0][0] <= horizon:
                due_at, _, schedule_id = heapq.heappop(self._heap)
                record = self._records.get(schedule_id)
                if record is None or record.due_at != due_at or schedule_id in self._in_flight:
                    continue  # superseded by a newer poll, or already firing
                del self._records[schedule_id]
                future = self._pool.submit(self._fire, record)
                self._in_flight[schedule_id] = future
            self.metrics.timer_heap.set(len(self._heap))

    def _fire(self, record: ScheduleRecord) -> None:
        completed = None
        try:
            if self.clock_error is None:
                completed = fire(self._context, record)
        except (StoreUnavailable, OSError) as exc:
            self._store_failed("fire", exc)
        except Exception:
            log.exception(
                "fire of %s failed", record.id, extra={"action": "fire_crashed", "schedule": record.id}
            )
        finally:
            with self._lock:
                self._in_flight.pop(record.id, None)
            if completed is not None:
                self._remember(completed)
            self._wake.set()

    def _track(self, now: datetime) -> None:
        try:
            if self.shards.held:
                self.tracker.track(now, self.shards.held)
        except (StoreUnavailable, ClockworkError, OSError) as exc:
            self._store_failed("track", exc)

    def _release_shards(self) -> None:
        try:
            self.shards.release_all()
        except (ClockworkError, OSError) as exc:
            log.warning("could not release shard leases: %s", exc, extra={"action": "release_failed"})

    def _shutdown(self) -> None:
        self._pool.shutdown(wait=True)
        self._release_shards()
        log.info("worker %s stopped", self.settings.worker_id, extra={"action": "worker_stopped"})
