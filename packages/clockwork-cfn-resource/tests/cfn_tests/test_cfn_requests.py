"""Create, Update and Delete as CloudFormation sends them, against DynamoDB on moto's server;
each response is read back from a real HTTP server standing in for the pre-signed URL."""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta
from typing import Any

import pytest
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.testing import LambdaContext, ResponseServer, event, original_properties, thaw
from clockwork_core.errors import ScheduleNotFound
from clockwork_core.model import Concurrency, MissedFires, RetryPolicy
from clockwork_core.store import Store
from clockwork_core.testing.support import T0
from clockwork_core.zones import isoformat_z
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend, create_table, delete_table


def _send(sent: dict[str, Any], responses: ResponseServer, count: int = 1) -> dict[str, Any]:
    handler(sent, LambdaContext(timeout=30))
    received = responses.wait(count)
    assert len(received) == count
    return received[-1].document


class TestTheOriginalExample:
    def test_it_creates_the_schedule_every_two_minutes(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        answer = _send(event("Create", original_properties(table), responses.url()), responses)
        assert answer["Status"] == "SUCCESS", answer
        record = store.get(answer["PhysicalResourceId"])
        assert record.schedule.expression == "*/2 * * * *"
        assert record.schedule.name == "Do Accruals Nightly Processing"
        assert dict(record.schedule.target.params)["task_definition"].endswith("DoAccruals:7")
        assert answer["Data"]["ScheduleId"] == record.id
        assert answer["Data"]["NextFireTime"].endswith(("0:00Z", "2:00Z", "4:00Z", "6:00Z", "8:00Z"))


ALL_NEW_PROPERTIES = {
    "Description": "month-end accruals",
    "TimeZone": "Europe/Berlin",
    "Enabled": "true",
    "StartTime": "2026-01-01T00:00:00Z",
    "EndTime": "2030-01-01T00:00:00",
    "ConcurrencyPolicy": "Forbid",
    "MissedFirePolicy": "All",
    "MaxCatchUp": "5",
    "StartingDeadlineSeconds": "300",
    "JitterSeconds": "10",
    "RetryPolicy": {"Attempts": "4", "BackoffSeconds": "3", "Multiplier": "1.5", "MaxBackoffSeconds": "90"},
    "TimeoutSeconds": "3600",
    "Count": "2",
    "LaunchType": "FARGATE",
    "NetworkConfiguration": {
        "AwsvpcConfiguration": {
            "Subnets": ["subnet-0a1b2c3d"],
            "SecurityGroups": ["sg-0a1b2c3d"],
            "AssignPublicIp": "DISABLED",
        }
    },
    "PlatformVersion": "LATEST",
    "Overrides": {
        "ContainerOverrides": [
            {
                "Name": "app",
                "Command": ["accruals", "--month-end"],
                "Environment": [{"Name": "MODE", "Value": "month-end"}],
                "Memory": "512",
            }
        ],
        "Cpu": "256",
    },
    "Group": "accruals",
    "Tags": [{"Key": "team", "Value": "finance"}],
    "PropagateTags": "TASK_DEFINITION",
    "EnableExecuteCommand": "false",
}


class TestNewProperties:
    def test_every_new_property_arrives_as_a_string_and_is_stored_typed(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        properties = {**original_properties(table), **ALL_NEW_PROPERTIES}
        answer = _send(event("Create", properties, responses.url()), responses)
        assert answer["Status"] == "SUCCESS", answer
        schedule = store.get(answer["PhysicalResourceId"]).schedule
        assert schedule.description == "month-end accruals"
        assert schedule.timezone == "Europe/Berlin"
        assert isoformat_z(schedule.end or T0) == "2029-12-31T23:00:00Z"  # naive: in TimeZone
        policies = schedule.policies
        assert (policies.concurrency, policies.missed_fires, policies.max_catch_up) == (
            Concurrency.FORBID,
            MissedFires.ALL,
            5,
        )
        assert policies.starting_deadline == timedelta(seconds=300)
        assert policies.jitter == timedelta(seconds=10)
        assert policies.timeout == timedelta(hours=1)
        assert policies.retry == RetryPolicy(4, timedelta(seconds=3), 1.5, timedelta(seconds=90))
        params = thaw(schedule.target.params)
        assert params["count"] == 2
        assert params["launch_type"] == "FARGATE"
        assert params["network_configuration"] == {
            "awsvpcConfiguration": {
                "subnets": ["subnet-0a1b2c3d"],
                "securityGroups": ["sg-0a1b2c3d"],
                "assignPublicIp": "DISABLED",
            }
        }
        assert params["overrides"] == {
            "containerOverrides": [
                {
                    "name": "app",
                    "command": ["accruals", "--month-end"],
                    "environment": [{"name": "MODE", "value": "month-end"}],
                    "memory": 512,
                }
            ],
            "cpu": "256",
        }
        assert params["tags"] == {"team": "finance"}
        assert params["enable_execute_command"] is False
        assert params["region"] == "us-east-1"

    def test_a_paused_schedule_has_no_next_fire_time(self, table: str, responses: ResponseServer) -> None:
        properties = {**original_properties(table), "Enabled": "false"}
        answer = _send(event("Create", properties, responses.url()), responses)
        assert answer["Status"] == "SUCCESS", answer
        assert answer["Data"]["NextFireTime"] == ""


class TestUpdate:
    def test_a_changed_cron_and_a_pause_take_effect_in_place(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        old = original_properties(table)
        created = _send(event("Create", old, responses.url()), responses)
        new = {**old, "CronTime": "0 3 * * *", "TimeZone": "America/New_York", "Enabled": "false"}
        sent = event("Update", new, responses.url(), physical_id=created["PhysicalResourceId"], old=old)
        updated = _send(sent, responses, 2)
        assert updated["Status"] == "SUCCESS", updated
        assert updated["PhysicalResourceId"] == created["PhysicalResourceId"]
        record = store.get(created["PhysicalResourceId"])
        assert (record.schedule.expression, record.schedule.timezone) == ("0 3 * * *", "America/New_York")
        assert record.schedule.enabled is False
        assert record.due_at is None  # paused: out of the due index
        assert record.version == 2

    def test_an_update_that_keeps_the_timing_keeps_the_schedule_s_place(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        old = original_properties(table)
        created = _send(event("Create", old, responses.url()), responses)
        physical_id = created["PhysicalResourceId"]
        # Fired at T0 by a worker, and none has run since: 07:02 and later are still to decide.
        claimed = store.claim(
            store.get(physical_id),
            owner="worker-a",
            lease_until=T0 + timedelta(seconds=30),
            pending=None,
            now=T0,
        )
        store.complete(claimed, due_at=T0 + timedelta(minutes=2), cursor=T0, now=T0)
        new = {**old, "TaskDefinitionArn": old["TaskDefinitionArn"].replace(":7", ":8")}
        sent = event("Update", new, responses.url(), physical_id=physical_id, old=old)
        assert _send(sent, responses, 2)["Status"] == "SUCCESS"
        record = store.get(physical_id)
        assert dict(record.schedule.target.params)["task_definition"].endswith("DoAccruals:8")
        assert (record.cursor, record.due_at) == (T0, T0 + timedelta(minutes=2))

    def test_a_new_table_replaces_the_resource_and_the_old_one_is_deleted_after(
        self, moto: Backend, table: str, store: Store, responses: ResponseServer
    ) -> None:
        old = original_properties(table)
        created = _send(event("Create", old, responses.url()), responses)
        with closing(moto.client()) as client:
            other = f"{table}-b"
            create_table(client, other)
            try:
                new = {**old, "SchedulerDynamoDBTable": other}
                sent = event(
                    "Update", new, responses.url(), physical_id=created["PhysicalResourceId"], old=old
                )
                updated = _send(sent, responses, 2)
                assert updated["Status"] == "SUCCESS", updated
                assert updated["PhysicalResourceId"] != created["PhysicalResourceId"]
                with closing(DynamoDBStore(moto.client(), other, close_client=True)) as moved:
                    assert moved.get(updated["PhysicalResourceId"]).schedule.expression == "*/2 * * * *"
                # CloudFormation then deletes the old resource, with its old properties.
                gone = event("Delete", old, responses.url(), physical_id=created["PhysicalResourceId"])
                assert _send(gone, responses, 3)["Status"] == "SUCCESS"
                with pytest.raises(ScheduleNotFound):
                    store.get(created["PhysicalResourceId"])
            finally:
                delete_table(client, other)

    def test_an_update_of_a_schedule_deleted_behind_our_back_writes_it_again(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        old = original_properties(table)
        created = _send(event("Create", old, responses.url()), responses)
        store.delete(created["PhysicalResourceId"])
        new = {**old, "CronTime": "*/5 * * * *"}
        sent = event("Update", new, responses.url(), physical_id=created["PhysicalResourceId"], old=old)
        assert _send(sent, responses, 2)["Status"] == "SUCCESS"
        assert store.get(created["PhysicalResourceId"]).schedule.expression == "*/5 * * * *"


class TestReplays:
    def test_a_replayed_create_leaves_one_schedule(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        sent = event("Create", original_properties(table), responses.url())
        first = _send(sent, responses)
        second = _send(sent, responses, 2)
        assert first == second
        assert first["Status"] == "SUCCESS"
        assert [record.id for record in store.list()] == [first["PhysicalResourceId"]]
        assert store.get(first["PhysicalResourceId"]).version == 1

    def test_a_replayed_update_changes_nothing_more(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        old = original_properties(table)
        created = _send(event("Create", old, responses.url()), responses)
        new = {**old, "CronTime": "*/7 * * * *"}
        sent = event("Update", new, responses.url(), physical_id=created["PhysicalResourceId"], old=old)
        assert _send(sent, responses, 2)["Status"] == "SUCCESS"
        assert _send(sent, responses, 3)["Status"] == "SUCCESS"
        assert store.get(created["PhysicalResourceId"]).version == 2

    def test_a_replayed_delete_succeeds(self, table: str, store: Store, responses: ResponseServer) -> None:
        properties = original_properties(table)
        created = _send(event("Create", properties, responses.url()), responses)
        sent = event("Delete", properties, responses.url(), physical_id=created["PhysicalResourceId"])
        assert _send(sent, responses, 2)["Status"] == "SUCCESS"
        again = _send(sent, responses, 3)
        assert again["Status"] == "SUCCESS"
        assert again["PhysicalResourceId"] == created["PhysicalResourceId"]
        assert list(store.list()) == []


class TestFailures:
    def test_a_typo_fails_with_the_known_names_and_writes_nothing(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        properties = {**original_properties(table), "CronTme": "*/5 * * * *"}
        answer = _send(event("Create", properties, responses.url()), responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"].startswith(
            "CronTme: unknown property; did you mean 'CronTime'? known properties: "
        )
        assert "TaskDefinitionArn" in answer["Reason"]
        assert list(store.list()) == []

    def test_every_bad_value_is_named_with_its_property(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        properties = {
            **original_properties(table),
            "CronTime": "*/2 25 * * *",
            "TimeZone": "Europe/Berln",
            "TaskDefinitionArn": "arn:aws:ecs:us-east-1:123:task-definition/x:1",
            "RetryPolicy": {"Attempts": "0"},
            "TimeoutSeconds": "1e3",
        }
        answer = _send(event("Create", properties, responses.url()), responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"].split("; ") == [
            "TimeZone: unknown time zone 'Europe/Berln' (use an IANA name such as 'Europe/Berlin')",
            "CronTime: '*/2 25 * * *': hour 25 is out of range 0-23",
            "TimeoutSeconds: expected a whole number, got '1e3'",
            "RetryPolicy.Attempts: 0 is out of range 1-20",
            "TaskDefinitionArn: 'arn:aws:ecs:us-east-1:123:task-definition/x:1' is not a family name "
            "(the latest ACTIVE revision), family:revision or ARN",
        ]
        assert list(store.list()) == []

    def test_a_delete_after_a_failed_create_succeeds(self, table: str, responses: ResponseServer) -> None:
        properties = {**original_properties(table), "CronTime": "every minute"}
        failed = _send(event("Create", properties, responses.url()), responses)
        assert failed["Status"] == "FAILED"
        sent = event("Delete", properties, responses.url(), physical_id=failed["PhysicalResourceId"])
        deleted = _send(sent, responses, 2)
        assert deleted["Status"] == "SUCCESS", deleted
        assert deleted["PhysicalResourceId"] == failed["PhysicalResourceId"]

    def test_a_delete_from_a_table_that_is_gone_succeeds(self, responses: ResponseServer) -> None:
        properties = original_properties("clockwork-never-created")
        sent = event("Delete", properties, responses.url(), physical_id="cfn-orders-Job-0123456789ab")
        assert _send(sent, responses)["Status"] == "SUCCESS"

    def test_an_unknown_request_type_fails(self, table: str, responses: ResponseServer) -> None:
        answer = _send(event("Upgrade", original_properties(table), responses.url()), responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"] == "RequestType 'Upgrade' is not one of Create, Update, Delete"

    def test_a_schedule_of_another_stack_is_not_touched(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        properties = original_properties(table)
        created = _send(event("Create", properties, responses.url()), responses)
        theirs = event("Delete", properties, responses.url(), physical_id=created["PhysicalResourceId"])
        theirs["StackId"] = theirs["StackId"].replace("stack/orders/", "stack/billing/")
        answer = _send(theirs, responses, 2)
        assert answer["Status"] == "FAILED"
        assert "exists and was declared by resource 'DoAccuralsScheduledJob' of stack" in answer["Reason"]
        assert store.get(created["PhysicalResourceId"]).version == 1
