"""The memory store: the readable reference implementation of :class:`~clockwork_core.store.Store`.

A dict per kind of thing and one lock around every method, so each method reads as its
contract. It keeps nothing across processes or restarts: ``memory://`` gives a new, empty
store every time it is opened. Use it for tests, demos and a single worker on a laptop.

It keeps exactly what a serialising store keeps: definitions and runs as the JSON text of
:mod:`clockwork_core.codec`, decoded on every read, and every time truncated to the
millisecond. So it shows how a store treats a record it cannot decode: left out of the
answers that list records and reported in ``unreadable``; an error for a call about it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from urllib.parse import SplitResult, parse_qs

import attrs

from clockwork_core.codec import run_from_data, run_to_data, schedule_from_json, schedule_to_data
from clockwork_core.errors import (
    Conflict,
    InvalidValue,
    RunNotFound,
    ScheduleExists,
    ScheduleNotFound,
)
from clockwork_core.model import Pending, Run, RunStatus, Schedule, ScheduleRecord
from clockwork_core.plugins import StoreFactory, hookimpl
from clockwork_core.store import ACTIVE_STATUSES, DEFAULT_SHARDS, shard_of
from clockwork_core.unreadable import Unreadable, readable
from clockwork_core.zones import EPOCH, from_ms, require_aware, to_ms


def truncate(value: datetime | None) -> datetime | None:
    """``value`` as a store keeps it: to the millisecond."""
    return None if value is None else from_ms(to_ms(value))


def definition_json(schedule: Schedule) -> str:
    """The schedule as JSON text; InvalidValue if a value (a param) has no JSON form."""
    try:
        return json.dumps(schedule_to_data(schedule), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidValue("target.params", f"cannot be stored as JSON: {exc}") from None


def _truncate_pending(pending: Pending | None) -> Pending | None:
    return None if pending is None else attrs.evolve(pending, instant=truncate(pending.instant))


def _truncate_all(times: Iterable[datetime]) -> tuple[datetime, ...]:
    return tuple(from_ms(to_ms(instant)) for instant in times)


@attrs.frozen
class _Row:
    """A schedule as the memory store keeps it: the definition as text, the state as values."""

    definition: str
    version: int
    due_at: datetime | None = attrs.field(converter=truncate)
    cursor: datetime | None = attrs.field(converter=truncate)
    lease_owner: str | None = None
    pending: Pending | None = attrs.field(default=None, converter=_truncate_pending)
    manual: tuple[datetime, ...] = attrs.field(default=(), converter=_truncate_all)
    updated_at: datetime | None = attrs.field(default=None, converter=truncate)
    #: The version the current lease's claim wrote. A completion matches its claim by it,
    #: so a replace or a trigger during the lease (which bump ``version``) does not make
    #: the claimer's completion fail, while any new claim does.
    claimed_version: int | None = None

    def record(self) -> ScheduleRecord:
        """The record, its definition decoded (which raises for damaged text)."""
        return ScheduleRecord(
            schedule_from_json(self.definition),
            version=self.version,
            due_at=self.due_at,
            cursor=self.cursor,
            lease_owner=self.lease_owner,
            pending=self.pending,
            manual=self.manual,
            updated_at=self.updated_at,
        )


@attrs.frozen
class _StoredRun:
    """A run as kept: what the store sorts and filters by, and the run as JSON text."""

    instant: datetime
    status: RunStatus
    updated_at: datetime | None
    data: str
    #: The claim the run was written under (``Run.fence``; None counts as 0).
    fence: int = 0

    @classmethod
    def of(cls, run: Run) -> tuple[str, _StoredRun]:
        """The run's id and the run as kept (its times to the millisecond)."""
        kept = run_from_data(run_to_data(run))
        data = json.dumps(run_to_data(kept), sort_keys=True, separators=(",", ":"))
        return kept.run_id, cls(kept.instant, kept.status, kept.updated_at, data, kept.fence or 0)


class MemoryStore:
    """Schedules, runs and leases in dicts, guarded by one lock."""

    def __init__(self, *, shards: int = DEFAULT_SHARDS) -> None:
        if shards < 1:
            raise InvalidValue("store.shards", f"{shards} must be at least 1")
        self.shards = shards
        self.unreadable = Unreadable()
        self._lock = threading.Lock()
        self._schedules: dict[str, _Row] = {}
        self._runs: dict[str, dict[str, _StoredRun]] = {}
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
        definition = definition_json(schedule)
        with self._lock:
            if schedule.id in self._schedules:
                raise ScheduleExists(schedule.id)
            row = _Row(definition, version=1, due_at=due_at, cursor=cursor, updated_at=now)
            return self._put(schedule.id, row)

    def replace(
        self,
        schedule: Schedule,
        *,
        due_at: datetime | None,
        now: datetime,
        expected_version: int | None = None,
        cursor: datetime | None = None,
    ) -> ScheduleRecord:
        definition = definition_json(schedule)
        with self._lock:
            stored = self._row(schedule.id)  # the stored definition is not read: it may be damaged
            if expected_version is not None and stored.version != expected_version:
                raise Conflict(schedule.id, f"version {stored.version}, expected {expected_version}")
            row = attrs.evolve(
                stored,
                definition=definition,
                version=stored.version + 1,
                # While leased, due_at is the lease's end: the claimer completes first.
                due_at=stored.due_at if stored.lease_owner is not None else due_at,
                cursor=stored.cursor if cursor is None else cursor,
                updated_at=now,
            )
            return self._put(schedule.id, row)

    def delete(self, schedule_id: str) -> bool:
        with self._lock:
            self._runs.pop(schedule_id, None)
            self.unreadable.forget(schedule_id)
            return self._schedules.pop(schedule_id, None) is not None

    def get(self, schedule_id: str) -> ScheduleRecord:
        with self._lock:
            return self._record(schedule_id, self._row(schedule_id))

    def list(self) -> Iterator[ScheduleRecord]:
        with self._lock:
            rows = [(key, self._schedules[key]) for key in sorted(self._schedules)]
        return iter(self._readable(rows))

    # --- firing -----------------------------------------------------------------------

    def due(
        self, until: datetime, *, shards: Collection[int] | None = None, limit: int = 1000
    ) -> Sequence[ScheduleRecord]:
        wanted = None if shards is None else set(shards)
        with self._lock:
            found = [
                (schedule_id, row)
                for schedule_id, row in self._schedules.items()
                if row.due_at is not None
                and row.due_at <= until
                and (wanted is None or shard_of(schedule_id, self.shards) in wanted)
            ]
        found.sort(key=lambda item: (item[1].due_at or EPOCH, item[0]))
        return self._readable(found[: max(limit, 0)])

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
            row = attrs.evolve(
                stored,
                version=stored.version + 1,
                claimed_version=stored.version + 1,
                lease_owner=owner,
                due_at=lease_until,
                pending=pending,
                updated_at=now,
            )
            return self._put(record.id, row)

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
                or stored.claimed_version != claimed.version
            ):
                raise Conflict(claimed.id, f"lease lost by {claimed.lease_owner!r}")
            # Manual triggers queued during the lease were not seen by the claimer: keep
            # them, and keep them due.
            queued = stored.manual[len(claimed.manual) :]
            if queued:
                earliest = min(queued)
                due_at = earliest if due_at is None else min(due_at, earliest)
            row = attrs.evolve(
                stored,
                version=stored.version + 1,
                claimed_version=None,
                due_at=due_at,
                cursor=cursor,
                lease_owner=None,
                pending=pending,
                manual=stored.manual if manual is None else (*manual, *queued),
                updated_at=now,
            )
            return self._put(claimed.id, row)

    def trigger(self, schedule_id: str, *, instant: datetime, now: datetime) -> ScheduleRecord:
        instant = require_aware(instant, "instant")
        with self._lock:
            stored = self._row(schedule_id)
            due_at = stored.due_at
            if stored.lease_owner is None:
                due_at = instant if due_at is None else min(due_at, instant)
            row = attrs.evolve(
                stored,
                version=stored.version + 1,
                due_at=due_at,
                manual=(*stored.manual, instant),
                updated_at=now,
            )
            return self._put(schedule_id, row)

    # --- runs -------------------------------------------------------------------------

    def put_run(self, run: Run) -> None:
        run_id, stored = _StoredRun.of(run)
        with self._lock:
            runs = self._runs.setdefault(run.schedule_id, {})
            known = runs.get(run_id)
            # Fenced: a write under an older claim than the stored run's is refused.
            if known is not None and known.fence > stored.fence:
                raise Conflict(run.schedule_id, f"run {run_id} was written under a newer claim")
            runs[run_id] = stored
            self.unreadable.readable(run.schedule_id, run_id)

    def get_run(self, schedule_id: str, run_id: str) -> Run:
        with self._lock:
            stored = self._runs.get(schedule_id, {}).get(run_id)
        if stored is None:
            raise RunNotFound(schedule_id, run_id)
        return self._run(schedule_id, run_id, stored)

    def runs(self, schedule_id: str, *, limit: int = 100) -> Sequence[Run]:
        with self._lock:
            found = [(schedule_id, *item) for item in self._runs.get(schedule_id, {}).items()]
        found.sort(key=lambda item: (item[2].instant, item[1]), reverse=True)
        return self._readable_runs(found[: max(limit, 0)])

    def active_runs(self, *, shards: Collection[int] | None = None, limit: int = 1000) -> Sequence[Run]:
        wanted = None if shards is None else set(shards)
        with self._lock:
            found = [
                (schedule_id, run_id, stored)
                for schedule_id, runs in self._runs.items()
                if wanted is None or shard_of(schedule_id, self.shards) in wanted
                for run_id, stored in runs.items()
                if stored.status in ACTIVE_STATUSES
            ]
        # Oldest update first; a run never updated counts as the oldest.
        found.sort(key=lambda item: (item[2].updated_at or EPOCH, item[0], item[1]))
        return self._readable_runs(found[: max(limit, 0)])

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

    def _row(self, schedule_id: str) -> _Row:
        try:
            return self._schedules[schedule_id]
        except KeyError:
            raise ScheduleNotFound(schedule_id) from None

    def _put(self, schedule_id: str, row: _Row) -> ScheduleRecord:
        """Keep ``row`` and return it as a record (a new definition is readable by now)."""
        self._schedules[schedule_id] = row
        return self._record(schedule_id, row)

    def _record(self, schedule_id: str, row: _Row) -> ScheduleRecord:
        return self.unreadable.decoded(row.record, schedule_id, version=row.version)

    def _readable(self, rows: Iterable[tuple[str, _Row]]) -> Sequence[ScheduleRecord]:
        """The records of ``rows`` that decode; the others are reported in ``unreadable``."""
        return readable(lambda item: self._record(*item), rows)

    def _run(self, schedule_id: str, run_id: str, stored: _StoredRun) -> Run:
        return self.unreadable.decoded(
            lambda: run_from_data(json.loads(stored.data)), schedule_id, run_id=run_id
        )

    def _readable_runs(self, found: Iterable[tuple[str, str, _StoredRun]]) -> Sequence[Run]:
        return readable(lambda item: self._run(*item), found)


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
