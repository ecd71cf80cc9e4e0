"""The table: the single source of its definition, and the check of an existing one.

One table, on-demand capacity. Items, by ``(pk, sk)``:

=====================  ===============  =================================================
item                   pk / sk          attributes
=====================  ===============  =================================================
schedule               ``S#<id>``/``S`` ``definition`` (codec JSON), ``version``,
                                        ``cursor``, ``lease_owner``, ``claimed_version``,
                                        ``pending`` (codec JSON), ``manual`` (list of ms),
                                        ``updated_at``, ``write_token``; ``due_at`` and
                                        ``due_shard`` only while it needs attention;
                                        ``entity = "schedule"`` (the listing index)
run                    ``S#<id>``/      ``data`` (codec JSON), ``status``, ``instant``,
                       ``R#<run id>``   ``updated_at``, ``expires_at`` (TTL, epoch s);
                                        ``active_shard`` and ``active_at`` only while
                                        LAUNCHED or RUNNING
shard lease            ``LEASE``/name   ``owner``, ``until`` (ms), ``write_token``
table settings         ``META``/``META`` ``schema_version``, ``shards``
=====================  ===============  =================================================

Times are epoch milliseconds (``expires_at`` is in seconds, as TTL wants). Run ids are
the instant as sortable text, so a Query on ``R#`` in reverse returns the newest first.

Three sparse global secondary indexes; an item is in an index only while it carries the
index's keys, so each index holds exactly what its query wants and costs nothing for
the rest:

* ``due`` (``due_shard``, ``due_at``), all attributes: the schedules that need attention.
  Polling is one Query per shard, whatever the size of the table.
* ``active`` (``active_shard``, ``active_at``), all attributes: the runs a tracker follows.
* ``schedules`` (``entity``, ``pk``), keys only: every schedule in id order, for
  ``list()``, without scanning the run history. Only a create or a delete writes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

SCHEMA_VERSION = 1
#: Shards of the ``due`` and ``active`` indexes when a table is created (see the README:
#: idle cost is one Query per shard per poll, and more workers than shards gain nothing).
DEFAULT_SHARDS = 8
TTL_ATTRIBUTE = "expires_at"

PK, SK = "pk", "sk"
SCHEDULE_SK = "S"
RUN_PREFIX = "R#"
LEASE_PK = "LEASE"
META_KEY = {PK: {"S": "META"}, SK: {"S": "META"}}
ENTITY, SCHEDULE_ENTITY = "entity", "schedule"

#: The legacy table of the original aws-ecs-clockwork: one hash key, ``id``.
LEGACY_KEY = (("id", "HASH"),)


def schedule_pk(schedule_id: str) -> str:
    return f"S#{schedule_id}"


def schedule_key(schedule_id: str) -> dict[str, Any]:
    return {PK: {"S": schedule_pk(schedule_id)}, SK: {"S": SCHEDULE_SK}}


def run_key(schedule_id: str, run_id: str) -> dict[str, Any]:
    return {PK: {"S": schedule_pk(schedule_id)}, SK: {"S": RUN_PREFIX + run_id}}


def lease_key(name: str) -> dict[str, Any]:
    return {PK: {"S": LEASE_PK}, SK: {"S": name}}


@attrs.frozen
class Index:
    name: str
    hash_key: str
    range_key: str
    projection: str


KEY_SCHEMA = ((PK, "HASH"), (SK, "RANGE"))
ATTRIBUTE_TYPES = {
    PK: "S",
    SK: "S",
    "due_shard": "N",
    "due_at": "N",
    "active_shard": "N",
    "active_at": "N",
    ENTITY: "S",
}
INDEXES = (
    Index("due", "due_shard", "due_at", "ALL"),
    Index("active", "active_shard", "active_at", "ALL"),
    Index("schedules", ENTITY, PK, "KEYS_ONLY"),
)
DUE, ACTIVE, SCHEDULES = INDEXES


def _key_schema(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": kind} for name, kind in pairs]


def create_table_request(table: str) -> dict[str, Any]:
    """The CreateTable parameters of a clockwork table named ``table``."""
    return {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind} for name, kind in ATTRIBUTE_TYPES.items()
        ],
        "KeySchema": _key_schema(KEY_SCHEMA),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(((index.hash_key, "HASH"), (index.range_key, "RANGE"))),
                "Projection": {"ProjectionType": index.projection},
            }
            for index in INDEXES
        ],
    }


def cloudformation_resource() -> dict[str, Any]:
    """The table as an ``AWS::DynamoDB::Table`` resource (TTL on, point-in-time recovery on)."""
    request = create_table_request("unused")
    del request["TableName"]
    return {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            **request,
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    }


def problems(description: Mapping[str, Any]) -> list[str]:
    """What keeps a described table (DescribeTable's ``Table``) from being a clockwork table.

    An empty list means it is one. Each problem is a phrase: ``index 'due' is missing``.
    """
    keys = tuple((k["AttributeName"], k["KeyType"]) for k in description.get("KeySchema", ()))
    if keys == LEGACY_KEY:
        return [
            "it has the key of the original aws-ecs-clockwork's table (hash key 'id'); create a new "
            "table with `clockwork dynamodb create-table` and adopt its schedules with "
            "`clockwork dynamodb migrate --from TABLE`"
        ]
    found: list[str] = []
    if keys != KEY_SCHEMA:
        shown = ", ".join(f"{name} {kind}" for name, kind in keys) or "none"
        found.append(f"its key is ({shown}), not (pk HASH, sk RANGE)")
    types = {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", ())}
    for name, kind in ATTRIBUTE_TYPES.items():
        if name in types and types[name] != kind:
            found.append(f"attribute {name!r} is of type {types[name]}, not {kind}")
    indexes = {i["IndexName"]: i for i in description.get("GlobalSecondaryIndexes", ()) or ()}
    for index in INDEXES:
        found.extend(_index_problems(index, indexes.get(index.name)))
    return found


def _index_problems(index: Index, described: Mapping[str, Any] | None) -> list[str]:
    if described is None:
        return [f"global secondary index {index.name!r} is missing"]
    keys = tuple((k["AttributeName"], k["KeyType"]) for k in described.get("KeySchema", ()))
    wanted = ((index.hash_key, "HASH"), (index.range_key, "RANGE"))
    found = []
    if keys != wanted:
        found.append(
            f"index {index.name!r} has the key ({', '.join(f'{n} {k}' for n, k in keys)}), "
            f"not ({index.hash_key} HASH, {index.range_key} RANGE)"
        )
    projection = described.get("Projection", {}).get("ProjectionType")
    if projection != index.projection:
        found.append(f"index {index.name!r} projects {projection}, not {index.projection}")
    return found
