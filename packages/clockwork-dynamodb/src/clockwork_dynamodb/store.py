"""The DynamoDB store: :class:`~clockwork_core.store.Store` on one table (see :mod:`.schema`).

Claims and completions are single-item conditional ``UpdateItem`` calls (no transactions,
so the same code runs on DynamoDB, moto and dynalite); the base table is the truth, and
the ``due`` index may be stale, which only makes a claim fail. ``replace`` and
``trigger`` read the item and write it back on the condition that its version has not
moved (optimistic, repeated a few times under contention).

Every write sets a fresh ``write_token``. When a conditional write fails after an
ambiguous attempt (a 5xx or a dropped connection: the first try may have been applied),
the store reads the item back: if it carries the token, the write did land and the call
succeeds instead of reporting a conflict it caused itself.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from clockwork_core.errors import Conflict, InvalidValue, ScheduleExists, ScheduleNotFound
from clockwork_core.model import Pending, Run, Schedule, ScheduleRecord
from clockwork_core.store import shard_of
from clockwork_core.stores.memory import definition_json
from clockwork_core.unreadable import Unreadable
from clockwork_core.zones import EPOCH, require_aware, to_ms

from clockwork_dynamodb import items, schema
from clockwork_dynamodb.calls import Backoff, Calls, ConditionFailed, Item
from clockwork_dynamodb.capacity import METER, CapacityMeter
from clockwork_dynamodb.expressions import Expression
from clockwork_dynamodb.items import ms, n, s
from clockwork_dynamodb.records import LeaseItems, RunItems
from clockwork_dynamodb.tables import check_client, open_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

log = logging.getLogger(__name__)

#: Default retention of run history (the ``expires_at`` TTL attribute).
DEFAULT_RETENTION = timedelta(days=30)
#: How often replace, trigger and complete re-read and retry when the item moved under them.
CAS_ROUNDS = 16


def _token() -> str:
    return secrets.token_urlsafe(12)


class DynamoDBStore:
    """Schedules, runs and shard leases in one DynamoDB table."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        shards: int | None = None,
        retention: timedelta = DEFAULT_RETENTION,
        meter: CapacityMeter = METER,
        backoff: Backoff | None = None,
        close_client: bool = False,
    ) -> None:
        """Use ``table`` through ``client``; check the table and read its shard count.

        ``shards`` is fixed when the table is first used (default
        :data:`~clockwork_dynamodb.schema.DEFAULT_SHARDS`); a different value for a table
        already in use is an error. Raises InvalidValue for a missing table or one without
        clockwork's schema, naming the table and what is wrong.
        """
        if shards is not None and shards < 1:
            raise InvalidValue("store.shards", f"{shards} must be at least 1")
        self.table = table
        self.retention = retention
        self._close_client = close_client
        self._calls = Calls(client, table, meter=meter, backoff=backoff)
        #: DynamoDB's clock as its answers show it (see :mod:`clockwork_core.clock_offset`).
        self.clock_offset = self._calls.clock_offset
        check_client(client)
        self.shards = open_table(self._calls, shards)
        self.unreadable = Unreadable()
        self._runs = RunItems(self._calls, self.shards, retention, self.unreadable)
        self._leases = LeaseItems(self._calls)

    def __repr__(self) -> str:
        return f"DynamoDBStore({self.table!r}, shards={self.shards})"

    @property
    def calls(self) -> Calls:
        return self._calls

    # --- helpers ----------------------------------------------------------------------

    def _item(self, schedule_id: str) -> Item | None:
        response = self._calls("GetItem", Key=schema.schedule_key(schedule_id), ConsistentRead=True)
        item: Item | None = response.get("Item")
        return item

    def _landed(self, failed: ConditionFailed, schedule_id: str, token: str) -> Item | None:
        """After a failed condition: the item, if it is our own ambiguous write that landed."""
        if not failed.ambiguous:
            return None
        item = self._item(schedule_id)
        if item is not None and items.text(item, "write_token") == token:
            log.info(
                "a retried write to %s had landed",
                schedule_id,
                extra={"action": "dynamodb_write_landed", "schedule": schedule_id},
            )
            return item
        return None

    def _due(self, expression: Expression, schedule_id: str, due_at: datetime | None) -> None:
        """Set ``due_at`` and its shard (into the ``due`` index), or remove both (out of it)."""
        if due_at is None:
            expression.remove("due_at", "due_shard")
        else:
            expression.set("due_at", ms(due_at)).set("due_shard", n(shard_of(schedule_id, self.shards)))

    def _update(self, schedule_id: str, expression: Expression, condition: str) -> Item:
        response = self._calls(
            "UpdateItem",
            Key=schema.schedule_key(schedule_id),
            ReturnValues="ALL_NEW",
            **expression.update_params(condition),
        )
        item: Item = response["Attributes"]
        return item

    # --- schedules --------------------------------------------------------------------

    def create(
        self,
        schedule: Schedule,
        *,
        due_at: datetime | None,
        cursor: datetime | None = None,
        now: datetime,
    ) -> ScheduleRecord:
        token = _token()
        item = items.new_schedule_item(
            schedule, shards=self.shards, due_at=due_at, cursor=cursor, now=now, token=token
        )
        expression = Expression()
        try:
            # Only if no item has this key: an id is taken until its schedule is deleted.
            self._calls(
                "PutItem", Item=item, **expression.params(f"attribute_not_exists({expression.name('pk')})")
            )
        except ConditionFailed as failed:
            if self._landed(failed, schedule.id, token) is None:
                raise ScheduleExists(schedule.id) from failed.error
        return items.record_from_item(item)

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

        def change(item: Item, expression: Expression) -> None:
            version = items.number(item, "version")
            if expected_version is not None and version != expected_version:
                raise Conflict(schedule.id, f"version {version}, expected {expected_version}")
            expression.set("definition", s(definition))
            if "lease_owner" not in item:  # while leased, due_at is the lease's end
                self._due(expression, schedule.id, due_at)
            if cursor is not None:
                expression.set("cursor", ms(cursor))

        return items.record_of(self.unreadable, self._rewrite(schedule.id, change, now))

    def trigger(self, schedule_id: str, *, instant: datetime, now: datetime) -> ScheduleRecord:
        instant = require_aware(instant, "instant")

        def change(item: Item, expression: Expression) -> None:
            if "lease_owner" not in item:  # while leased, the lease stands; the fire comes after it
                due_at = items.time(item, "due_at")
                self._due(expression, schedule_id, instant if due_at is None else min(due_at, instant))
            manual = expression.name("manual")
            expression.set_raw("manual", f"list_append({manual}, {expression.value({'L': [ms(instant)]})})")

        return items.record_of(self.unreadable, self._rewrite(schedule_id, change, now))

    def _rewrite(self, schedule_id: str, change: Callable[[Item, Expression], None], now: datetime) -> Item:
        """Read the item, apply ``change``, and write it back unless its version moved meanwhile."""
        for _ in range(CAS_ROUNDS):
            item = self._item(schedule_id)
            if item is None:
                raise ScheduleNotFound(schedule_id)
            token = _token()
            version = items.number(item, "version") or 0
            expression = Expression()
            change(item, expression)
            expression.set("version", n(version + 1)).set("updated_at", ms(now)).set("write_token", s(token))
            try:
                # Only if nobody wrote the item since we read it (a claim, a completion, ...).
                return self._update(
                    schedule_id, expression, f"{expression.name('version')} = {expression.value(n(version))}"
                )
            except ConditionFailed as failed:
                landed = self._landed(failed, schedule_id, token)
                if landed is not None:
                    return landed
        raise Conflict(schedule_id, f"it changed under {CAS_ROUNDS} attempts in a row")

    def delete(self, schedule_id: str) -> bool:
        response = self._calls("DeleteItem", Key=schema.schedule_key(schedule_id), ReturnValues="ALL_OLD")
        self._runs.delete_all(schedule_id)
        self.unreadable.forget(schedule_id)
        return "Attributes" in response

    def get(self, schedule_id: str) -> ScheduleRecord:
        item = self._item(schedule_id)
        if item is None:
            raise ScheduleNotFound(schedule_id)
        return items.record_of(self.unreadable, item)

    def list(self) -> Iterator[ScheduleRecord]:
        expression = Expression()
        condition = f"{expression.name(schema.ENTITY)} = {expression.value(s(schema.SCHEDULE_ENTITY))}"
        keys: list[Item] = []
        for key in self._calls.query(
            IndexName=schema.SCHEDULES.name, KeyConditionExpression=condition, **expression.params()
        ):
            keys.append({schema.PK: key[schema.PK], schema.SK: key[schema.SK]})
            if len(keys) == 100:  # the index is in id order; each batch is read as it comes
                yield from self._records(keys)
                keys = []
        yield from self._records(keys)

    def _records(self, keys: Sequence[Item]) -> Iterator[ScheduleRecord]:
        found = self._calls.batch_get(keys)  # a schedule deleted since the index read is gone
        found.sort(key=lambda item: item[schema.PK]["S"])
        return iter(items.readable_records(self.unreadable, found))

    # --- firing -----------------------------------------------------------------------

    def due(
        self, until: datetime, *, shards: Collection[int] | None = None, limit: int = 1000
    ) -> Sequence[ScheduleRecord]:
        wanted = range(self.shards) if shards is None else sorted(set(shards))
        found: list[Item] = []
        for shard in wanted:
            expression = Expression()
            condition = (
                f"{expression.name('due_shard')} = {expression.value(n(shard))} "
                f"AND {expression.name('due_at')} <= {expression.value(ms(until))}"
            )
            found.extend(
                self._calls.query(
                    limit=limit,
                    IndexName=schema.DUE.name,
                    KeyConditionExpression=condition,
                    **expression.params(),
                )
            )
        records = items.readable_records(self.unreadable, found)
        records.sort(key=lambda record: (record.due_at or EPOCH, record.id))
        return records[: max(limit, 0)]

    def claim(
        self,
        record: ScheduleRecord,
        *,
        owner: str,
        lease_until: datetime,
        pending: Pending | None,
        now: datetime,
    ) -> ScheduleRecord:
        token = _token()
        claimed = record.version + 1
        expression = Expression()
        expression.set("version", n(claimed)).set("claimed_version", n(claimed))
        expression.set("lease_owner", s(owner)).set("updated_at", ms(now)).set("write_token", s(token))
        self._due(expression, record.id, lease_until)
        expression.set_or_remove("pending", None if pending is None else s(items.pending_text(pending) or ""))
        # The compare-and-set: the version and due_at the claimer read are still current
        # (a deleted schedule has no version, so its claim fails too).
        condition = f"{expression.name('version')} = {expression.value(n(record.version))} AND " + (
            f"attribute_not_exists({expression.name('due_at')})"
            if record.due_at is None
            else f"{expression.name('due_at')} = {expression.value(ms(record.due_at))}"
        )
        try:
            item = self._update(record.id, expression, condition)
        except ConditionFailed as failed:
            landed = self._landed(failed, record.id, token)
            if landed is None:
                raise Conflict(record.id, f"the claim of version {record.version} lost") from failed.error
            item = landed
        return items.record_of(self.unreadable, item)

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
        if claimed.lease_owner is None:
            raise Conflict(claimed.id, "not claimed")
        seen = len(claimed.manual)
        queued: list[int] = []
        for _ in range(CAS_ROUNDS):
            token = _token()
            expression = self._completion(
                claimed,
                due_at=due_at,
                cursor=cursor,
                pending=pending,
                manual=manual,
                queued=queued,
                now=now,
                token=token,
            )
            # The compare-and-set: the lease is still the one this claim took (a replace or
            # a trigger bumps version, not claimed_version), and the manual queue is as long
            # as we know it to be (a trigger during the lease lengthens it).
            condition = (
                f"{expression.name('lease_owner')} = {expression.value(s(claimed.lease_owner))} "
                f"AND {expression.name('claimed_version')} = {expression.value(n(claimed.version))} "
                f"AND size({expression.name('manual')}) = {expression.value(n(seen + len(queued)))}"
            )
            try:
                return items.record_of(self.unreadable, self._update(claimed.id, expression, condition))
            except ConditionFailed as failed:
                landed = self._landed(failed, claimed.id, token)
                if landed is not None:
                    return items.record_of(self.unreadable, landed)
                item = self._item(claimed.id)
                if item is None:
                    raise Conflict(claimed.id, "deleted during the lease") from failed.error
                if items.text(item, "lease_owner") != claimed.lease_owner or (
                    items.number(item, "claimed_version") != claimed.version
                ):
                    raise Conflict(
                        claimed.id, f"the lease of {claimed.lease_owner!r} was lost"
                    ) from failed.error
                # Manual triggers queued during the lease were not seen by the claimer:
                # keep them, and keep them due.
                queued = items.manual_list(item)[seen:]
        raise Conflict(claimed.id, f"triggered during {CAS_ROUNDS} completions in a row")

    def _completion(
        self,
        claimed: ScheduleRecord,
        *,
        due_at: datetime | None,
        cursor: datetime | None,
        pending: Pending | None,
        manual: Sequence[datetime] | None,
        queued: Sequence[int],
        now: datetime,
        token: str,
    ) -> Expression:
        due_ms = None if due_at is None else to_ms(due_at)
        if queued:
            due_ms = min(queued) if due_ms is None else min(due_ms, *queued)
        expression = Expression()
        version = expression.name("version")
        expression.set_raw("version", f"{version} + {expression.value(n(1))}")
        expression.set("updated_at", ms(now)).set("write_token", s(token))
        expression.remove("lease_owner", "claimed_version")
        if due_ms is None:
            expression.remove("due_at", "due_shard")
        else:
            expression.set("due_at", n(due_ms)).set("due_shard", n(shard_of(claimed.id, self.shards)))
        expression.set_or_remove("cursor", None if cursor is None else ms(cursor))
        expression.set_or_remove("pending", None if pending is None else s(items.pending_text(pending) or ""))
        if manual is not None:
            kept = [to_ms(instant) for instant in manual] + list(queued)
            expression.set("manual", {"L": [n(value) for value in kept]})
        return expression

    # --- runs -------------------------------------------------------------------------

    def put_run(self, run: Run) -> None:
        self._runs.put(run)

    def get_run(self, schedule_id: str, run_id: str) -> Run:
        return self._runs.get(schedule_id, run_id)

    def runs(self, schedule_id: str, *, limit: int = 100) -> Sequence[Run]:
        return self._runs.newest(schedule_id, limit)

    def active_runs(self, *, shards: Collection[int] | None = None, limit: int = 1000) -> Sequence[Run]:
        return self._runs.active(range(self.shards) if shards is None else sorted(set(shards)), limit)

    # --- leases -----------------------------------------------------------------------

    def acquire_lease(self, name: str, *, owner: str, until: datetime, now: datetime) -> bool:
        return self._leases.acquire(name, owner=owner, until=require_aware(until, "until"), now=now)

    def release_lease(self, name: str, *, owner: str) -> None:
        self._leases.release(name, owner=owner)

    def lease_holders(self, *, now: datetime) -> dict[str, str]:
        return self._leases.holders(now)

    def close(self) -> None:
        if self._close_client:
            self._calls.client.close()
