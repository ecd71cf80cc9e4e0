"""The Store protocol: everything workers share.

Workers share nothing but a store. Every method's docstring is its contract; the
conformance kit in :mod:`clockwork_core.testing` checks each clause, and every store
plugin runs that kit. :mod:`clockwork_core.stores.memory` is the readable reference.

One unreadable record (damaged underneath the store, or written by a clockwork whose parser
accepts what this one rejects) is skipped and reported, never a reason to fail a call about
the others: see :attr:`Store.unreadable`.

Times are aware UTC datetimes. A store keeps them to the millisecond (the DynamoDB layout
stores epoch milliseconds), so callers pass millisecond-aligned values or accept that
they come back truncated to the millisecond.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from clockwork_core.clock_offset import ClockOffset
from clockwork_core.model import Pending, Run, RunStatus, Schedule, ScheduleRecord
from clockwork_core.unreadable import Unreadable

#: How many shards the due index is divided into, by default. Workers divide shards
#: between them with shard leases; claims stay compare-and-set either way.
DEFAULT_SHARDS = 16


def shard_of(schedule_id: str, shards: int) -> int:
    """The shard a schedule belongs to: a stable hash of its id, in ``range(shards)``."""
    digest = hashlib.blake2b(schedule_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


@runtime_checkable
class Store(Protocol):
    """Where schedules, their firing state and their runs live.

    Every ``now`` a method takes is the caller's clock, and leases are judged by it, so
    workers must agree on the time. A store whose clock is another host's (a remote
    service) also has a ``clock_offset`` attribute, a
    :class:`~clockwork_core.clock_offset.ClockOffset` fed from its answers, by which a
    worker corrects its clock and refuses to claim when it is far off
    (:func:`clock_offset_of`). A store on this host's clock (memory, SQLite) has none.
    """

    #: The number of shards of the due index (``shard_of(id, shards)``).
    shards: int

    #: The stored records this store object could not decode, with the reason. ``due``,
    #: ``list``, ``runs`` and ``active_runs`` leave such a record out and put it here; a
    #: record leaves when it is read whole again, rewritten (``replace``, ``put_run``) or
    #: deleted. ``get``, ``get_run`` and the writes that return a record raise
    #: :class:`~clockwork_core.errors.RecordUnreadable` for it instead.
    unreadable: Unreadable

    # --- schedules --------------------------------------------------------------------

    def create(
        self,
        schedule: Schedule,
        *,
        due_at: datetime | None,
        cursor: datetime | None = None,
        now: datetime,
    ) -> ScheduleRecord:
        """Add a new schedule with version 1, no lease, no pending fire, no manual triggers.

        ``due_at`` is when it first needs attention and ``cursor`` the instant after which
        its fires count (both from the planner's :func:`~clockwork_core.planner.first_due`).
        ``now`` becomes ``updated_at``.
        Raises :class:`~clockwork_core.errors.ScheduleExists` if the id is taken; nothing
        is written then.
        """
        ...

    def replace(
        self,
        schedule: Schedule,
        *,
        due_at: datetime | None,
        now: datetime,
        expected_version: int | None = None,
        cursor: datetime | None = None,
    ) -> ScheduleRecord:
        """Replace the definition of an existing schedule; its version grows by one.

        ``due_at`` replaces the stored one, except while a lease is held (``lease_owner`` is
        set, expired or not): then the lease
        (owner, ``due_at``, pending) is kept so the claiming worker can complete, and the
        new definition takes effect from that completion. ``cursor``, when given, moves
        the cursor (a resumed schedule's policy starts from it); otherwise it is kept.
        Runs are kept. The stored definition is not read, so an unreadable one can be
        replaced (which makes it readable again). With ``expected_version``, raises
        :class:`~clockwork_core.errors.Conflict` unless the stored version matches.
        Raises :class:`~clockwork_core.errors.ScheduleNotFound` if there is no such schedule.
        """
        ...

    def delete(self, schedule_id: str) -> bool:
        """Remove the schedule and all its runs. Returns False if there was nothing to delete.

        Deleting is idempotent and works on an unreadable schedule too. A worker holding a
        lease on a deleted schedule finds its completion fails with
        :class:`~clockwork_core.errors.Conflict`.
        """
        ...

    def get(self, schedule_id: str) -> ScheduleRecord:
        """The schedule as stored now (strongly consistent).

        Raises :class:`~clockwork_core.errors.ScheduleNotFound`, or
        :class:`~clockwork_core.errors.RecordUnreadable` (naming the id and the problem) if
        it cannot be decoded.
        """
        ...

    def list(self) -> Iterator[ScheduleRecord]:
        """Every schedule, ordered by id. Pages through the whole store: none is dropped.

        An unreadable schedule is left out and reported in :attr:`unreadable`.
        """
        ...

    # --- firing -----------------------------------------------------------------------

    def due(
        self, until: datetime, *, shards: Collection[int] | None = None, limit: int = 1000
    ) -> Sequence[ScheduleRecord]:
        """Schedules whose ``due_at`` is at or before ``until``, earliest first.

        Only schedules in the given shards (all shards when None; none for an empty
        collection), at most ``limit``.
        Records with ``due_at`` None never appear. The answer may be stale (an
        eventually-consistent index): a stale record only makes its claim fail.
        An unreadable schedule is left out and reported in :attr:`unreadable`: it never
        makes the call fail, so the other schedules keep firing.
        """
        ...

    def claim(
        self,
        record: ScheduleRecord,
        *,
        owner: str,
        lease_until: datetime,
        pending: Pending | None,
        now: datetime,
    ) -> ScheduleRecord:
        """Take the schedule for one fire: one atomic compare-and-set.

        Succeeds only if the stored ``version`` and ``due_at`` still equal ``record``'s
        (a deleted schedule raises :class:`~clockwork_core.errors.Conflict` too).
        Then sets ``lease_owner = owner``, ``due_at = lease_until``, ``pending``, and
        version + 1, and returns the new record. Otherwise raises
        :class:`~clockwork_core.errors.Conflict` and writes nothing. Of any number of
        concurrent claims on one record, exactly one succeeds.

        A record whose lease has expired (its ``due_at`` has passed) is claimed the same
        way: the new owner replaces the old one.
        """
        ...

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
        """Finish a claim: clear the lease and set the next ``due_at``, ``cursor`` and ``pending``.

        ``claimed`` is the record :meth:`claim` returned. Succeeds only if the lease is still
        the one that claim took: ``lease_owner`` is ``claimed``'s and nobody has claimed the
        schedule since (stores keep the claimed version as a claim token). A :meth:`replace`
        or :meth:`trigger` during the lease does not count as a claim: completion keeps the
        replaced definition and the triggers queued meanwhile (``due_at`` is then no later
        than the earliest of them). Otherwise raises
        :class:`~clockwork_core.errors.Conflict` (the lease was lost and re-claimed, or the
        schedule was deleted) and writes nothing. The version grows by one, as on every write.
        ``pending`` is normally None; a fire waiting for a retry keeps it set. ``manual``,
        when given, replaces the queue of manual triggers as of the claim. The worker's
        ``cursor`` wins over a cursor passed to :meth:`replace` during the lease.
        """
        ...

    def trigger(self, schedule_id: str, *, instant: datetime, now: datetime) -> ScheduleRecord:
        """Queue a manual fire at ``instant``: append to ``manual`` and make the schedule due.

        ``due_at`` becomes ``min(due_at, instant)`` (or ``instant`` when None), unless a lease is
        held, in which case the lease stands and the fire happens after it. The cursor does not
        move: a manual fire does not move the schedule. Raises ScheduleNotFound.
        """
        ...

    # --- runs -------------------------------------------------------------------------

    def put_run(self, run: Run) -> None:
        """Insert or overwrite the run with the same (schedule id, run id), fenced by its claim.

        ``run.fence`` (None counts as 0) is the claim the writer works under. The write
        happens only if the stored run has no fence or a fence no higher than ``run``'s;
        otherwise raises :class:`~clockwork_core.errors.Conflict` and writes nothing: a
        worker that lost its claim cannot overwrite what the new holder recorded. Among
        writes with equal fences the last one wins (trackers racing on one run write the
        same thing). Atomic: the comparison and the write are one step. An unreadable run
        overwritten is readable again.
        """
        ...

    def get_run(self, schedule_id: str, run_id: str) -> Run:
        """The run as stored now.

        Raises :class:`~clockwork_core.errors.RunNotFound`, or
        :class:`~clockwork_core.errors.RecordUnreadable` if it cannot be decoded.
        """
        ...

    def runs(self, schedule_id: str, *, limit: int = 100) -> Sequence[Run]:
        """The schedule's runs, newest instant first, at most ``limit``.

        Returns an empty sequence for a schedule without runs (or that does not exist).
        An unreadable run is left out (the limit counts it) and reported in :attr:`unreadable`.
        """
        ...

    def active_runs(self, *, shards: Collection[int] | None = None, limit: int = 1000) -> Sequence[Run]:
        """Runs whose status is LAUNCHED or RUNNING (across schedules), oldest update first.

        Only runs of schedules in the given shards (all when None), at most ``limit``.
        A tracker polls the launcher for these until they stop. An unreadable run is left
        out (the limit counts it) and reported in :attr:`unreadable`.
        """
        ...

    # --- leases (shard ownership) -----------------------------------------------------

    def acquire_lease(self, name: str, *, owner: str, until: datetime, now: datetime) -> bool:
        """Take or renew the named lease (``shard-3``) until ``until``.

        Succeeds (True) if nobody holds it, ``owner`` already holds it, or its holder's
        lease ended at or before ``now``. Atomic: of concurrent acquirers at most one holds
        the lease at any time.
        """
        ...

    def release_lease(self, name: str, *, owner: str) -> None:
        """Give the lease up if ``owner`` holds it; otherwise do nothing."""
        ...

    def lease_holders(self, *, now: datetime) -> dict[str, str]:
        """Every lease still held at ``now``: name -> owner."""
        ...

    def close(self) -> None:
        """Release connections. The store is not used afterwards."""
        ...


def clock_offset_of(store: Store) -> ClockOffset | None:
    """The store's measure of this host's clock against its own, if its clock is another host's."""
    offset = getattr(store, "clock_offset", None)
    return offset if isinstance(offset, ClockOffset) else None


ACTIVE_STATUSES = frozenset(status for status in RunStatus if status.is_active)
