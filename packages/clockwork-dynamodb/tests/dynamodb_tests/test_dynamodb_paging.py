"""Pagination: more due schedules than fit in one 1 MB page, all due at the same instant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from clockwork_core.testing import sample_schedule
from clockwork_core.testing.support import T0
from clockwork_dynamodb.capacity import CapacityMeter
from clockwork_dynamodb.items import new_schedule_item
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend, create_table, delete_table

#: About 1.6 KB per schedule (a long name and description): 800 of them are 1.3 MB.
SCHEDULES = 800


def queries(meter: CapacityMeter) -> int:
    return sum(count for _, operation, _, count in meter.requests() if operation == "Query")


@pytest.fixture(scope="module", params=["moto", "dynalite"])
def crowded(request: pytest.FixtureRequest) -> Iterator[tuple[DynamoDBStore, CapacityMeter]]:
    """One shard, so that every schedule is in one index partition, all due at T0.

    The items are the store's own (``new_schedule_item``), written 25 at a time to keep
    the setup short.
    """
    backend: Backend = request.getfixturevalue("dynalite_backend" if request.param == "dynalite" else "moto")
    client, table = backend.client(), f"clockwork-paging-{uuid.uuid4().hex[:8]}"
    create_table(client, table)
    meter = CapacityMeter()
    try:
        with closing(DynamoDBStore(client, table, shards=1, meter=meter)) as store:
            puts: list[Any] = [
                {
                    "PutRequest": {
                        "Item": new_schedule_item(
                            schedule, shards=1, due_at=T0, cursor=None, now=T0, token="t"
                        )
                    }
                }
                for schedule in (
                    sample_schedule(f"crowd-{n:04d}", name="n" * 255, description="d" * 1024)
                    for n in range(SCHEDULES)
                )
            ]
            for start in range(0, len(puts), 25):
                client.batch_write_item(RequestItems={table: puts[start : start + 25]})
            yield store, meter
    finally:
        delete_table(client, table)


def test_due_pages_through_more_than_a_megabyte_of_schedules_due_at_one_instant(
    crowded: tuple[DynamoDBStore, CapacityMeter],
) -> None:
    store, meter = crowded
    before = queries(meter)
    found = store.due(T0, limit=10_000)
    assert sorted(record.id for record in found) == [f"crowd-{n:04d}" for n in range(SCHEDULES)]
    assert queries(meter) - before >= 2, "the answer should have needed more than one page"


def test_due_reads_no_more_pages_than_its_limit_needs(crowded: tuple[DynamoDBStore, CapacityMeter]) -> None:
    store, meter = crowded
    before = queries(meter)
    assert len(store.due(T0, limit=10)) == 10
    assert queries(meter) - before == 1


def test_list_returns_every_schedule_in_id_order(crowded: tuple[DynamoDBStore, CapacityMeter]) -> None:
    store, _ = crowded
    assert [record.id for record in store.list()] == [f"crowd-{n:04d}" for n in range(SCHEDULES)]
