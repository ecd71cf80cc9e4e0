"""The memory store: the readable reference implementation of :class:`~clockwork_core.store.Store`.

A dict per kind of thing and one lock around every method, so each method reads as its
contract. It keeps nothing across processes or restarts: ``memory://`` gives a new, empty
store every time it is opened. Use it for tests, demos and a single worker on a laptop.

It keeps exactly what a serialising store keeps: schedules and runs pass through
:mod:`clockwork_core.codec`, and every time is truncated to the millisecond.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from urllib.parse import SplitResult, parse_qs

import attrs

from clockwork_core.codec import run_from_data, run_to_data, schedule_from_data, schedule_to_data
from clockwork_core.errors import (
    Conflict,
    InvalidValue,
    RunNotFound,
    ScheduleExists,
    ScheduleNotFound,
)
from clockwork_core.model import Pending, Run, Schedule, ScheduleRecord
from clockwork_core.plugins import StoreFactory, hookimpl
from clockwork_core.store import ACTIVE_STATUSES, DEFAULT_SHARDS, shard_of
from clockwork_core.zones import EPOCH, from_ms, require_aware, to_ms


def truncate(value: datetime | None) -> datetime | None:
    """``value`` as a store keeps it: to the millisecond."""
    return None if value is None else from_ms(to_ms(value))


def _kept(record: ScheduleRecord) -> ScheduleRecord:
    """The record with every firing time truncated to the millisecond."""
    pending = record.pending
    if pending is not None:
        pending = attrs.evolve(pending, instant=truncate(pending.instant))
    return attrs.evolve(
        record,
        due_at=truncate(record.due_at),
        cursor=truncate(record.cursor),
        pending=pending,
        manual=tuple(from_ms(to_ms(instant)) for instant in record.manual),
        updated_at=truncate(record.updated_at),
    )


def definition_json(schedule: Schedule) -> str:
    """The schedule as JSON text; InvalidValue if a value (a param) has no JSON form."""
    try:
        return json.dumps(schedule_to_data(schedule), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidValue("target.params", f"cannot be stored as JSON: {exc}") from None


def _kept_schedule(schedule: Schedule) -> Schedule:
    return schedule_from_data(json.loads(definition_json(schedule)))


def _kept_run(run: Run) -> Run:
    return run_from_data(run_to_data(run))


class MemoryStore:
    """Schedules, runs and leases in dicts, guarded by one lock."""

    def __init__(self, *, shards: int = DEFAULT_SHARDS) -> None:
        if shards < 1:
            raise InvalidValue("store.shards", f"{shards} must be at least 1")
        self.shards = shards
        self._lock = threading.Lock()
        self._schedules: dict[str, ScheduleRecord] = {}
        # The version the current lease's claim wrote. A completion matches its claim by
        # it, so a replace or a trigger during the lease (which bump ``version``) does not
        # make the claimer's completion fail, while any new claim does.
        self._claimed_versions: dict[str, int] = {}
        self._runs: dict[str, dict[str, Run]] = {}
        self._leases: dict[str, tuple[str, datetime]] = {}

    def __repr__(self) -> str:
        return f"MemoryStore(shards={self.shards})"

    # --- schedules --------------------------------------------------------------------

    def create(
        self,
        schedule: Schedule,
        *,
        due_at: datetime | None,
        cursor: datetime | None = None,
        now: datetime,
    ) -> ScheduleRecord:
        kept = _kept_schedule(schedule)
        with self._lock:
            if schedule.id in self._schedules:
                raise ScheduleExists(schedule.id)
            record = _kept(ScheduleRecord(kept, version=1, due_at=due_at, cursor=cursor, updated_at=now))
            self._schedules[schedule.id] = record
            return record

    def replace(
        self,
        schedule: Schedule,
        *,
        due_at: datetime | None,
        now: datetime,
        expected_version: int | None = None,
        cursor: datetime | None = None,
    ) -> ScheduleRecord:
        kept = _kept_schedule(schedule)
        with self._lock:
            stored = self._get(schedule.id)
            if expected_version is not None and stored.version != expected_version:
                raise Conflict(schedule.id, f"version {stored.version}, expected {expected_version}")
            record = attrs.evolve(
                stored,
                schedule=kept,
                version=stored.version + 1,
                # While leased, due_at is the lease's end: the claimer completes first.
                due_at=stored.due_at if stored.lease_owner is not None else due_at,
                cursor=stored.cursor if cursor is None else cursor,
                updated_at=now,
            )
            self._schedules[schedule.id] = record = _kept(record)
            return record

    def delete(self, schedule_id: str) -> bool:
        with self._lock:
            self._runs.pop(schedule_id, None)
            self._claimed_versions.pop(schedule_id, None)
            return self._schedules.pop(schedule_id, None) is not None

    def get(self, schedule_id: str) -> ScheduleRecord:
        with self._lock:
            return self._get(schedule_id)

    def list(self) -> Iterator[ScheduleRecord]:
        with self._lock:
            records = [self._schedules[key] for key in sorted(self._schedules)]
        return iter(records)

    # --- firing -----------------------------------------------------------------------

    def due(
        self, until: datetime, *, shards: Collection[int] | None = None, limit: int = 1000
    ) -> Sequence[ScheduleRecord]:
        wanted = None if shards is None else set(shards)
        with self._lock:
            found = [
                record
                for record in self._schedules.values()
                if record.due_at is not None
                and record.due_at <= until
                and (wanted is None or shard_of(record.id, self.shards) in wanted)
            ]
        found.sort(key=lambda record: (record.due_at or EPOCH, record.id))
        return found[: max(limit, 0)]

    def claim(
        self,
        record: ScheduleRecord,
        *,
        owner: str,
        lease_until: datetime,
        pending: Pending | None,
        now: datetime,
    ) -> ScheduleRecord:
        with self._lock:
            stored = self._schedules.get(record.id)
            # The compare-and-set: the version and due_at the claimer read are still current.
            if stored is None:
                raise Conflict(record.id, "deleted")
            if stored.version != record.version or stored.due_at != truncate(record.due_at):
                raise Conflict(record.id, f"version {stored.version}, claimed {record.version}")
            claimed = attrs.evolve(
                stored,
                version=stored.version + 1,
                lease_owner=owner,
                due_at=lease_until,
                pending=pending,
                updated_at=now,
            )
            self._schedules[record.id] = claimed = _kept(claimed)
            self._claimed_versions[record.id] = claimed.version
            return claimed

    def complete(
        self,
        claimed: ScheduleRecord,
        *,
        due_at: datetime | None,
        cursor: datetime | None,
        pending: Pending | None = None,
        manual: Sequence[datetime] | None = None,
        now: datetime,
    ) -> ScheduleRecord:
        with self._lock:
            stored = self._schedules.get(claimed.id)
            # The compare-and-set: the lease is still the one this claim took.
            if stored is None:
                raise Conflict(claimed.id, "deleted during the lease")
            if (
                claimed.lease_owner is None
                or stored.lease_owner != claimed.lease_owner
                or self._claimed_versions.get(claimed.id) != claimed.version
            ):
                raise Conflict(claimed.id, f"lease lost by {claimed.lease_owner!r}")
            # Manual triggers queued during the lease were not seen by the claimer: keep
            # them, and keep them due.
            queued = stored.manual[len(claimed.manual) :]
            if queued:
                earliest = min(queued)
                due_at = earliest if due_at is None else min(due_at, earliest)
            completed = attrs.evolve(
                stored,
                version=stored.version + 1,
                due_at=due_at,
                cursor=cursor,
                lease_owner=None,
                pending=pending,
                manual=stored.manual if manual is None else (*manual, *queued),
                updated_at=now,
            )
            self._schedules[claimed.id] = completed = _kept(completed)
            del self._claimed_versions[claimed.id]
            return completed

    def trigger(self, schedule_id: str, *, instant: datetime, now: datetime) -> ScheduleRecord:
        instant = require_aware(instant, "instant")
        with self._lock:
            stored = self._get(schedule_id)
            due_at = stored.due_at
            if stored.lease_owner is None:
                due_at = instant if due_at is None else min(due_at, instant)
            record = attrs.evolve(
                stored,
                version=stored.version + 1,
                due_at=due_at,
                manual=(*stored.manual, instant),
                updated_at=now,
            )
            self._schedules[schedule_id] = record = _kept(record)
            return record

    # --- runs -------------------------------------------------------------------------

    def put_run(self, run: Run) -> None:
        kept = _kept_run(run)
        with self._lock:
            runs = self._runs.setdefault(run.schedule_id, {})
            stored = runs.get(kept.run_id)
            # Fenced: a write under an older claim than the stored run's is refused.
            if stored is not None and (stored.fence or 0) > (kept.fence or 0):
                raise Conflict(run.schedule_id, f"run {kept.run_id} was written under a newer claim")
            runs[kept.run_id] = kept

    def get_run(self, schedule_id: str, run_id: str) -> Run:
        with self._lock:
            try:
                return self._runs[schedule_id][run_id]
            except KeyError:
                raise RunNotFound(schedule_id, run_id) from None

    def runs(self, schedule_id: str, *, limit: int = 100) -> Sequence[Run]:
        with self._lock:
            found = list(self._runs.get(schedule_id, {}).values())
        found.sort(key=lambda run: (run.instant, run.run_id), reverse=True)
        return found[: max(limit, 0)]

    def active_runs(self, *, shards: Collection[int] | None = None, limit: int = 1000) -> Sequence[Run]:
        wanted = None if shards is None else set(shards)
        with self._lock:
            found = [
                run
                for schedule_id, runs in self._runs.items()
                if wanted is None or shard_of(schedule_id, self.shards) in wanted
                for run in runs.values()
                if run.status in ACTIVE_STATUSES
            ]
        # Oldest update first; a run never updated counts as the oldest.
        found.sort(key=lambda run: (run.updated_at or EPOCH, run.schedule_id, run.run_id))
        return found[: max(limit, 0)]

    # --- leases -----------------------------------------------------------------------

    def acquire_lease(self, name: str, *, owner: str, until: datetime, now: datetime) -> bool:
        until = require_aware(until, "until")
        with self._lock:
            held = self._leases.get(name)
            if held is not None and held[0] != owner and held[1] > now:
                return False
            self._leases[name] = (owner, from_ms(to_ms(until)))
            return True

    def release_lease(self, name: str, *, owner: str) -> None:
        with self._lock:
            held = self._leases.get(name)
            if held is not None and held[0] == owner:
                del self._leases[name]

    def lease_holders(self, *, now: datetime) -> dict[str, str]:
        with self._lock:
            return {name: owner for name, (owner, until) in sorted(self._leases.items()) if until > now}

    def close(self) -> None:
        """Nothing to release: the data goes with the object."""

    # --- helpers ----------------------------------------------------------------------

    def _get(self, schedule_id: str) -> ScheduleRecord:
        try:
            return self._schedules[schedule_id]
        except KeyError:
            raise ScheduleNotFound(schedule_id) from None


def shown(url: SplitResult) -> str:
    """The URL as it was written (``geturl`` drops an empty ``//``)."""
    return f"{url.scheme}://{url.netloc}{url.path}" + (f"?{url.query}" if url.query else "")


def shards_option(url: SplitResult) -> int | None:
    """The ``shards`` query parameter of a store URL, None when absent; any other is refused."""
    options = parse_qs(url.query, keep_blank_values=True)
    unknown = sorted(set(options) - {"shards"})
    if unknown:
        raise InvalidValue("store", f"unknown option {unknown[0]!r} in {shown(url)!r} (known: shards)")
    values = options.get("shards")
    if not values:
        return None
    text = values[-1]
    if not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
        raise InvalidValue("store", f"shards={text!r} in {shown(url)!r} must be a whole number of at least 1")
    return int(text)


def open_memory_store(url: SplitResult) -> MemoryStore:
    """``memory://`` (optionally ``memory://?shards=4``): a new, empty store each time."""
    if url.netloc or url.path not in ("", "/"):
        raise InvalidValue("store", f"{shown(url)!r}: a memory store takes no name or path (use 'memory://')")
    return MemoryStore(shards=shards_option(url) or DEFAULT_SHARDS)


@hookimpl
def clockwork_stores() -> dict[str, StoreFactory]:
    factory: StoreFactory = open_memory_store
    return {"memory": factory}
