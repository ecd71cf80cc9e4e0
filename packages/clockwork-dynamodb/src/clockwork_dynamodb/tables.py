"""Table administration: create a clockwork table, and describe one.

Both take the boto3 client and the table name; the CLI (:mod:`.cli`) builds them from
the store URL. Every step says what it did, so that ``create-table`` can be run again
and again (it creates what is missing and checks what is there).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clockwork_core.errors import InvalidValue, StoreUnavailable

from clockwork_dynamodb import items, schema
from clockwork_dynamodb.calls import Calls, ConditionFailed, TableMissing, Unsupported
from clockwork_dynamodb.expressions import Expression

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from clockwork_dynamodb.store import DynamoDBStore

ACTIVE_TIMEOUT = 300.0
log = logging.getLogger(__name__)


def check_client(client: DynamoDBClient) -> None:
    """Warn when botocore retries on its own: the store's retries could not tell an ambiguous
    write (one whose answer was lost) from a conflict. :func:`~.location.client_config` is right."""
    retries: dict[str, Any] = getattr(client.meta.config, "retries", None) or {}
    if retries.get("total_max_attempts") != 1 and retries.get("max_attempts") != 0:
        log.warning(
            "the DynamoDB client retries on its own (botocore retries: %s); build it with "
            "clockwork_dynamodb.location.client_config()",
            retries or "default",
            extra={"action": "dynamodb_client_retries"},
        )


def open_table(calls: Calls, shards: int | None) -> int:
    """Check that the table is a clockwork table; return its shard count (recorded on first use).

    Raises InvalidValue naming the table and what is wrong with it.
    """
    table = calls.table
    try:
        description = calls("DescribeTable")["Table"]
    except TableMissing:
        raise InvalidValue(
            "store",
            f"DynamoDB table {table!r} does not exist (create it with `clockwork dynamodb create-table`)",
        ) from None
    found = schema.problems(description)
    if found:
        raise InvalidValue("store", f"DynamoDB table {table!r} is not a clockwork table: {'; '.join(found)}")
    meta = _settings(calls, shards)
    version = items.number(meta, "schema_version") or 0
    if version != schema.SCHEMA_VERSION:
        raise InvalidValue(
            "store",
            f"DynamoDB table {table!r} has clockwork schema version {version}; "
            f"this clockwork reads {schema.SCHEMA_VERSION}",
        )
    stored = items.number(meta, "shards") or schema.DEFAULT_SHARDS
    if shards is not None and shards != stored:
        raise InvalidValue("store.shards", f"{shards} differs from the {stored} shards of table {table!r}")
    return stored


def _settings(calls: Calls, shards: int | None) -> dict[str, Any]:
    """The table's META item; the first user writes it (two at once: one writes, both read it)."""
    meta: dict[str, Any] | None = calls("GetItem", Key=schema.META_KEY, ConsistentRead=True).get("Item")
    if meta is not None:
        return meta
    item = {
        **schema.META_KEY,
        "schema_version": items.n(schema.SCHEMA_VERSION),
        "shards": items.n(shards or schema.DEFAULT_SHARDS),
    }
    expression = Expression()
    try:
        calls("PutItem", Item=item, **expression.params(f"attribute_not_exists({expression.name('pk')})"))
    except ConditionFailed:
        return calls("GetItem", Key=schema.META_KEY, ConsistentRead=True).get("Item") or item
    return item


def create_table(
    client: DynamoDBClient,
    table: str,
    *,
    shards: int | None = None,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> DynamoDBStore:
    """Create ``table`` if absent, wait until it is active, turn TTL on, record its shards.

    An existing table with clockwork's schema is kept; one without it is an InvalidValue.
    Returns the store on the table (the caller closes it).
    """
    from clockwork_dynamodb.store import DynamoDBStore

    calls = Calls(client, table)
    try:
        description = calls("DescribeTable")["Table"]
    except TableMissing:
        calls("CreateTable", **schema.create_table_request(table))
        say(
            f"created table {table} (on-demand capacity; indexes {', '.join(i.name for i in schema.INDEXES)})"
        )
        description = _wait_until_active(calls, sleep)
    else:
        found = schema.problems(description)
        if found:
            raise InvalidValue(
                "store", f"DynamoDB table {table!r} exists but is not a clockwork table: {'; '.join(found)}"
            )
        say(f"table {table} exists with clockwork's schema")
    say(_time_to_live(calls))
    store = DynamoDBStore(client, table, shards=shards)
    say(f"table {table}: {store.shards} shards, schema version {schema.SCHEMA_VERSION}")
    return store


def _wait_until_active(calls: Calls, sleep: Callable[[float], None]) -> dict[str, Any]:
    give_up = time.monotonic() + ACTIVE_TIMEOUT
    while True:
        description: dict[str, Any] = calls("DescribeTable")["Table"]
        statuses = [description.get("TableStatus")]
        statuses += [index.get("IndexStatus") for index in description.get("GlobalSecondaryIndexes") or ()]
        if all(status in (None, "ACTIVE") for status in statuses):
            return description
        if time.monotonic() > give_up:
            raise StoreUnavailable(f"DynamoDB table {calls.table!r} is not active after {ACTIVE_TIMEOUT:g} s")
        sleep(1.0)


def _time_to_live(calls: Calls) -> str:
    """Turn TTL on ``expires_at`` on (if it is not), and say how it stands."""
    try:
        status = calls("DescribeTimeToLive")["TimeToLiveDescription"]
        if status.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            return f"run history expires through TTL on {status.get('AttributeName')!r}"
        calls(
            "UpdateTimeToLive",
            TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE},
        )
    except Unsupported:
        return f"this endpoint has no TTL: run history keeps its {schema.TTL_ATTRIBUTE!r} attribute but never expires"
    return f"turned TTL on: run history expires through {schema.TTL_ATTRIBUTE!r}"


def describe(client: DynamoDBClient, table: str) -> dict[str, Any]:
    """What a person wants to know about a clockwork table, as JSON-ready data.

    ``problems`` lists what keeps it from being a clockwork table (empty when it is one).
    """
    calls = Calls(client, table)
    try:
        description = calls("DescribeTable")["Table"]
    except TableMissing:
        return {"table": table, "exists": False, "problems": [f"table {table!r} does not exist"]}
    found = schema.problems(description)
    report: dict[str, Any] = {
        "table": table,
        "exists": True,
        "status": description.get("TableStatus"),
        "billing_mode": description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        "items": description.get("ItemCount"),
        "bytes": description.get("TableSizeBytes"),
        "indexes": {
            index["IndexName"]: {"status": index.get("IndexStatus"), "items": index.get("ItemCount")}
            for index in description.get("GlobalSecondaryIndexes") or ()
        },
        "problems": found,
    }
    if not found:
        meta = calls("GetItem", Key=schema.META_KEY, ConsistentRead=True).get("Item") or {}
        report["shards"] = items.number(meta, "shards")
        report["schema_version"] = items.number(meta, "schema_version")
    try:
        ttl = calls("DescribeTimeToLive")["TimeToLiveDescription"]
        report["ttl"] = {"status": ttl.get("TimeToLiveStatus"), "attribute": ttl.get("AttributeName")}
    except Unsupported:
        report["ttl"] = {"status": "UNSUPPORTED"}
    return report
