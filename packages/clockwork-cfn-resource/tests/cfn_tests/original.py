"""The original aws-ecs-clockwork's side of a migration, as the tests need it.

* its table (one hash key, ``id``) and the items its Lambda wrote there (``putItem`` of
  ``id``, ``cron_time``, ``name``, ``definition_arn``, ``ecs_cluster_arn`` and
  ``last_updated``, every one a string);
* its sample events, in the shape of the original's ``lambda_function/events/*.json``: a
  ``Custom::ScheduleTask`` of the stack ``stack-name``, logical id ``123456``, in
  ``eu-west-1``, with the table ``TestSchedulerDynamoDBTable`` replaced by the test's;
* the migration: ``clockwork dynamodb migrate --from ORIGINAL --store dynamodb://CLOCKWORK``,
  run as users run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import uuid
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.testing import LambdaContext, ResponseServer
from clockwork_dynamodb.location import client_config
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend, create_table, delete_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

REGION = "eu-west-1"
STACK_ID = "arn:aws:cloudformation:us-east-1:namespace:stack/stack-name/guid"
LOGICAL_ID = "123456"
#: The physical id of the sample Update and Delete: an id the original's Create returned.
SAMPLE_ID = "27d7b677-2571-4f32-9669-5f9b3378d76c"


def client(moto: Backend) -> DynamoDBClient:
    """A client of the emulator in the samples' region."""
    return boto3.client(
        "dynamodb",
        endpoint_url=moto.endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=client_config(),
    )


@contextmanager
def tables(moto: Backend) -> Iterator[tuple[str, str]]:
    """An original-shaped table and a clockwork table, both in the samples' region."""
    suffix = uuid.uuid4().hex[:10]
    original, target = f"original-{suffix}", f"clockwork-{suffix}"
    with closing(client(moto)) as dynamodb:
        dynamodb.create_table(
            TableName=original,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        create_table(dynamodb, target)
        try:
            yield original, target
        finally:
            delete_table(dynamodb, original)
            delete_table(dynamodb, target)


def open_store(moto: Backend, table: str) -> DynamoDBStore:
    return DynamoDBStore(client(moto), table, close_client=True)


def properties(table: str, **changes: str) -> dict[str, Any]:
    """The sample Create's properties, pointed at ``table``."""
    return {
        "SchedulerDynamoDBTable": table,
        "Region": REGION,
        "Name": "Foobar",
        "CronTime": "*/2 * * * *",
        "TaskDefinitionArn": "TaskDefinitionArn",
        "ECSClusterArn": "ECSClusterArn",
        **changes,
    }


def sample(
    request_type: str,
    resource_properties: Mapping[str, Any],
    response_url: str,
    *,
    physical_id: str | None = None,
    old: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A request in the shape of the original's sample events (each with its own RequestId)."""
    sent: dict[str, Any] = {
        "RequestType": request_type,
        "RequestId": str(uuid.uuid4()),
        "ResponseURL": response_url,
        "ResourceType": "Custom::ScheduleTask",
        "LogicalResourceId": LOGICAL_ID,
        "StackId": STACK_ID,
        "ResourceProperties": dict(resource_properties),
    }
    if physical_id is not None:
        sent["PhysicalResourceId"] = physical_id
    if old is not None:
        sent["OldResourceProperties"] = dict(old)
    return sent


def put_item(
    moto: Backend, table: str, schedule_id: str, declared: Mapping[str, Any], *, now: datetime
) -> None:
    """What the original's Lambda wrote for a Create or an Update: one item, every value text."""
    item = {
        "id": schedule_id,
        "cron_time": declared["CronTime"],
        "name": declared["Name"],
        "definition_arn": declared["TaskDefinitionArn"],
        "ecs_cluster_arn": declared["ECSClusterArn"],
        "last_updated": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    with closing(client(moto)) as dynamodb:
        dynamodb.put_item(TableName=table, Item={key: {"S": value} for key, value in item.items()})


def run_migration(moto: Backend, original: str, target: str) -> str:
    """``clockwork dynamodb migrate`` from ``original`` into ``target``; its output."""
    script = shutil.which("clockwork", path=sysconfig.get_path("scripts")) or shutil.which(
        "clockwork", path=str(Path(sys.executable).parent)
    )
    assert script, "the clockwork command is not installed next to this Python"
    store = f"dynamodb://{target}?region={REGION}&endpoint_url={moto.endpoint}"
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    done = subprocess.run(
        [script, "dynamodb", "migrate", "--from", original, "--store", store],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done.stdout


def send(sent: dict[str, Any], responses: ResponseServer) -> dict[str, Any]:
    """The handler's answer to ``sent``, as the response server received it."""
    count = len(responses.received) + 1
    handler(sent, LambdaContext(timeout=30))
    received = responses.wait(count)
    assert len(received) == count
    return received[-1].document
