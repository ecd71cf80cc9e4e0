"""A stand-in for the original aws-ecs-clockwork's worker, for the migration test.

``python original_worker.py TABLE`` (DynamoDB and ECS endpoints from
``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_ENDPOINT_URL_ECS``). It does what the original's
worker does, scaled to seconds: it scans the original's table (one Scan, ``Limit`` 1000,
no pagination) every few seconds, and fires every instant of every item as the original's
worker read its ``cron_time`` (:func:`clockwork_core.original_cron.worker_fires`), in UTC, with
``RunTask(taskDefinition, cluster, count=1, startedBy="ecs-aws-clockwork")`` and nothing
else; it never catches up an instant it missed, and coordinates with no one. Each fire is
a line of JSON on stdout: ``{"id", "instant", "tasks"}``, written once RunTask answered.
It runs until it is killed.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from clockwork_core.original_cron import worker_fires

STARTED_BY = "ecs-aws-clockwork"
RESCAN = 5.0
_lock = threading.Lock()


def scan(dynamodb: Any, table: str) -> list[dict[str, str]]:
    items = dynamodb.scan(TableName=table, Limit=1000)["Items"]
    return [{name: value["S"] for name, value in item.items() if "S" in value} for item in items]


def fire(ecs: Any, item: dict[str, str], instant: datetime) -> None:
    answer = ecs.run_task(
        taskDefinition=item["definition_arn"], cluster=item["ecs_cluster_arn"], count=1, startedBy=STARTED_BY
    )
    line = {
        "id": item["id"],
        "instant": instant.isoformat(),
        "tasks": [task["taskArn"] for task in answer.get("tasks", [])],
    }
    with _lock:
        print(json.dumps(line), flush=True)


def main(table: str) -> None:
    dynamodb = boto3.client("dynamodb")
    ecs = boto3.client("ecs")
    items: list[dict[str, str]] = []
    scanned = 0.0
    after = datetime.now(UTC)
    while True:
        if time.monotonic() - scanned > RESCAN:
            items, scanned = scan(dynamodb, table), time.monotonic()
        upcoming = [(next(iter(worker_fires(item["cron_time"], after, 1)), None), item) for item in items]
        instants = [instant for instant, _ in upcoming if instant is not None]
        if not instants:
            time.sleep(0.5)
            after = datetime.now(UTC)
            continue
        instant = min(instants)
        time.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))
        for when, item in upcoming:
            if when == instant:
                threading.Thread(target=fire, args=(ecs, item, instant), daemon=True).start()
        after = max(instant, datetime.now(UTC) - timedelta(milliseconds=1))


if __name__ == "__main__":
    main(sys.argv[1])
