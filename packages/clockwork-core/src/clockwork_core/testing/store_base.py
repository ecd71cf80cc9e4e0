"""The base of every store clause: the fixtures a plugin overrides, settings, and helpers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

import pytest

from clockwork_core.model import Pending, ScheduleRecord
from clockwork_core.plugins import open_store
from clockwork_core.store import Store
from clockwork_core.testing.support import T0, at, sample_schedule


class StoreKit:
    """Fixtures and settings shared by the store clauses (see :class:`StoreConformance`)."""

    #: How many schedules the paging test lists: more than one page of the store's.
    list_size: ClassVar[int] = 2500
    #: Thread races: rounds, and threads racing in each.
    race_rounds: ClassVar[int] = 40
    race_threads: ClassVar[int] = 8
    #: Process races: processes, and records (and leases) they all race for.
    race_processes: ClassVar[int] = 4
    race_records: ClassVar[int] = 40
    #: Seconds a process race may take before it is declared hung.
    race_timeout: ClassVar[float] = 120.0

    @pytest.fixture
    def store_url(self) -> str | None:
        """A URL for :func:`~clockwork_core.plugins.open_store` that opens the same store.

        The process races open it in child processes. None (the default) skips them.
        """
        return None

    @pytest.fixture
    def store(self, store_url: str | None) -> Iterator[Store]:
        """A new, empty store for one test, closed afterwards. Default: ``open_store(store_url)``."""
        if store_url is None:
            raise NotImplementedError(
                f"{type(self).__name__} must override the `store` fixture or the `store_url` fixture"
            )
        store = open_store(store_url)
        try:
            yield store
        finally:
            store.close()

    # --- damage underneath the store (a plugin implements these) ------------------------

    def spoil_schedule(self, store: Store, schedule_id: str, definition: str) -> None:
        """Overwrite the stored definition of ``schedule_id`` with the text ``definition``.

        Write underneath the store (SQL, the database's own API), as a damaged disk or a
        hand edit would; leave the version and the firing state as they are.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement spoil_schedule (write a definition underneath the store)"
        )

    def spoil_run(self, store: Store, schedule_id: str, run_id: str, data: str) -> None:
        """Overwrite the stored data of the run ``run_id`` with the text ``data``, underneath the
        store; leave what the store indexes it by (its status, its times) as it is."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement spoil_run (write a run underneath the store)"
        )

    # --- helpers ----------------------------------------------------------------------

    @staticmethod
    def create(
        store: Store,
        schedule_id: str = "nightly",
        *,
        due_at: datetime | None = T0,
        cursor: datetime | None = None,
        **changes: Any,
    ) -> ScheduleRecord:
        """Create a sample schedule at ``T0``.

        Its expression is a ``rate()``, quick to parse: some clauses create thousands, and
        a store reads each definition back.
        """
        changes.setdefault("expression", "rate(5 minutes)")
        schedule = sample_schedule(schedule_id, **changes)
        return store.create(schedule, due_at=due_at, cursor=cursor, now=T0)

    @staticmethod
    def claim(
        store: Store,
        record: ScheduleRecord,
        *,
        owner: str = "worker-a",
        lease_until: datetime | None = None,
        pending: Pending | None = None,
        now: datetime = T0,
    ) -> ScheduleRecord:
        """Claim ``record`` for a fire at its ``due_at``, with a 30 s lease from ``now``."""
        instant = record.due_at or T0
        return store.claim(
            record,
            owner=owner,
            lease_until=lease_until or now + (at(30) - T0),
            pending=pending or Pending(instant),
            now=now,
        )
