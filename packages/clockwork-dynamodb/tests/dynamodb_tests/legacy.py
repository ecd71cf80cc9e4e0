"""The original aws-ecs-clockwork's table, for tests: items as its Lambda wrote them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clockwork_core.testing.support import eventually
from clockwork_dynamodb.testing.emulators import Backend

LEGACY_ID = "0b9e6c1e-6f1a-4d0e-9a59-2f1c1c0e7a11"


def legacy_item(schedule_id: str = LEGACY_ID, **changes: str) -> dict[str, Any]:
    """An item as the original's Lambda wrote it."""
    values = {
        "id": schedule_id,
        "name": "nightly-report",
        "cron_time": "0 3 * * *",
        "definition_arn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/report:7",
        "ecs_cluster_arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/jobs",
        "last_updated": "2016-04-01T10:00:00.000Z",
        **changes,
    }
    return {name: {"S": value} for name, value in values.items()}


def legacy_table(backend: Backend, name: str, legacy: Iterable[dict[str, Any]]) -> None:
    """The original's table (hash key ``id``) holding ``legacy``, written 25 items a call."""
    client = backend.client()
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    # dynalite answers CreateTable before the table is ACTIVE, even with --createTableMs 0.
    eventually(
        lambda: client.describe_table(TableName=name)["Table"]["TableStatus"],
        lambda status: status == "ACTIVE",
        what=f"table {name} becoming ACTIVE",
    )
    puts: list[Any] = [{"PutRequest": {"Item": item}} for item in legacy]
    for start in range(0, len(puts), 25):
        request = {name: puts[start : start + 25]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
