"""Run history and shard leases: the items that are not schedules.

Runs live under their schedule's partition (``S#<id>`` / ``R#<run id>``) and expire
through the ``expires_at`` TTL attribute; an active run is also in the ``active`` index.
Leases live in one small partition, ``LEASE``, one item per lease name.
"""

from __future__ import annotations

import contextlib
import heapq
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from clockwork_core.errors import Conflict, RunNotFound
from clockwork_core.model import Run
from clockwork_core.unreadable import Unreadable
from clockwork_core.zones import to_ms

from clockwork_dynamodb import items, schema
from clockwork_dynamodb.calls import Calls, ConditionFailed
from clockwork_dynamodb.expressions import Expression
from clockwork_dynamodb.items import ms, n, s


class RunItems:
    def __init__(self, calls: Calls, shards: int, retention: timedelta, unreadable: Unreadable) -> None:
        self._calls = calls
        self._shards = shards
        self._retention = retention
        self._unreadable = unreadable

    def put(self, run: Run) -> None:
        item = items.run_item(run, shards=self._shards, retention=self._retention)
        expression = Expression()
        # Fenced: new, or stored under a claim no newer than this write's. Equal fences:
        # last write wins (trackers racing on one run write the same thing), so a retried
        # write whose first try landed passes its own condition.
        condition = (
            f"attribute_not_exists({expression.name('fence')}) "
            f"OR {expression.name('fence')} <= {expression.value(n(run.fence or 0))}"
        )
        try:
            self._calls("PutItem", Item=item, **expression.params(condition))
        except ConditionFailed as failed:
            raise Conflict(run.schedule_id, f"run {run.run_id} was written under a newer claim") from failed
        self._unreadable.readable(run.schedule_id, run.run_id)

    def get(self, schedule_id: str, run_id: str) -> Run:
        response = self._calls("GetItem", Key=schema.run_key(schedule_id, run_id), ConsistentRead=True)
        if "Item" not in response:
            raise RunNotFound(schedule_id, run_id)
        return items.run_of(self._unreadable, response["Item"])

    def _in_partition(self, schedule_id: str) -> tuple[str, Expression]:
        expression = Expression()
        condition = (
            f"{expression.name(schema.PK)} = {expression.value(s(schema.schedule_pk(schedule_id)))} "
            f"AND begins_with({expression.name(schema.SK)}, {expression.value(s(schema.RUN_PREFIX))})"
        )
        return condition, expression

    def newest(self, schedule_id: str, limit: int) -> list[Run]:
        """The runs of a schedule, newest instant first (run ids sort as their instants)."""
        condition, expression = self._in_partition(schedule_id)
        found = self._calls.query(
            limit=max(limit, 0),
            KeyConditionExpression=condition,
            ScanIndexForward=False,
            ConsistentRead=True,
            **expression.params(),
        )
        return items.readable_runs(self._unreadable, found)

    def active(self, shards: Iterable[int], limit: int) -> list[Run]:
        """Active runs of ``shards``, oldest update first: one Query per shard, merged."""
        per_shard = []
        for shard in shards:
            expression = Expression()
            condition = f"{expression.name('active_shard')} = {expression.value(n(shard))}"
            per_shard.append(
                list(
                    self._calls.query(
                        limit=max(limit, 0),
                        IndexName=schema.ACTIVE.name,
                        KeyConditionExpression=condition,
                        **expression.params(),
                    )
                )
            )
        merged = heapq.merge(
            *(sorted(found, key=items.run_order) for found in per_shard), key=items.run_order
        )
        return items.readable_runs(
            self._unreadable, (item for _, item in zip(range(max(limit, 0)), merged, strict=False))
        )

    def delete_all(self, schedule_id: str) -> None:
        """Delete every run of a schedule (the schedule item itself is not touched)."""
        condition, expression = self._in_partition(schedule_id)
        projection = f"{expression.name(schema.PK)}, {expression.name(schema.SK)}"
        keys = [
            {schema.PK: item[schema.PK], schema.SK: item[schema.SK]}
            for item in self._calls.query(
                KeyConditionExpression=condition,
                ProjectionExpression=projection,
                ConsistentRead=True,
                **expression.params(),
            )
        ]
        self._calls.batch_delete(keys)


class LeaseItems:
    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    def acquire(self, name: str, *, owner: str, until: datetime, now: datetime) -> bool:
        token = secrets.token_urlsafe(12)
        expression = Expression()
        expression.set("owner", s(owner)).set("until", ms(until)).set("write_token", s(token))
        # Free, ours already, or its holder's lease ended at or before now.
        condition = (
            f"attribute_not_exists({expression.name(schema.PK)}) "
            f"OR {expression.name('owner')} = {expression.value(s(owner))} "
            f"OR {expression.name('until')} <= {expression.value(ms(now))}"
        )
        try:
            self._calls("UpdateItem", Key=schema.lease_key(name), **expression.update_params(condition))
        except ConditionFailed as failed:
            if not failed.ambiguous:
                return False
            response = self._calls("GetItem", Key=schema.lease_key(name), ConsistentRead=True)
            return items.text(response.get("Item", {}), "write_token") == token
        return True

    def release(self, name: str, *, owner: str) -> None:
        expression = Expression()
        with contextlib.suppress(ConditionFailed):  # somebody else's lease, or none: nothing to do
            # Only the holder gives a lease up.
            self._calls(
                "DeleteItem",
                Key=schema.lease_key(name),
                **expression.params(f"{expression.name('owner')} = {expression.value(s(owner))}"),
            )

    def holders(self, now: datetime) -> dict[str, str]:
        expression = Expression()
        condition = f"{expression.name(schema.PK)} = {expression.value(s(schema.LEASE_PK))}"
        found = self._calls.query(
            KeyConditionExpression=condition, ConsistentRead=True, **expression.params()
        )
        now_ms = to_ms(now)
        held = {
            item[schema.SK]["S"]: item["owner"]["S"]
            for item in found
            if (items.number(item, "until") or 0) > now_ms
        }
        return dict(sorted(held.items()))
