"""Schedules migrated from the original aws-ecs-clockwork, driven by the original's stacks.

The original's stacks keep their ServiceToken (CloudFormation cannot change it), so after
``clockwork dynamodb migrate`` their requests reach clockwork's handler naming the
original's table, with the original's uuid physical ids. The function's
``CLOCKWORK_MIGRATED_TABLES`` says which clockwork table holds what was migrated from
that table. DynamoDB is moto's server; the answers go to a real local HTTP server.
"""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta
from typing import Any

import pytest
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.testing import LambdaContext, ResponseServer, SilentEndpoint
from clockwork_core.errors import ScheduleNotFound
from clockwork_core.model import Run, RunStatus
from clockwork_core.testing.support import T0
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend, create_table, delete_table

from . import original as orig


def _original_items(moto: Backend, original: str) -> list[dict[str, Any]]:
    with closing(orig.client(moto)) as dynamodb:
        return list(dynamodb.scan(TableName=original, ConsistentRead=True)["Items"])


def _a_run(store: DynamoDBStore, schedule_id: str) -> Run:
    run = Run(
        schedule_id,
        T0,
        RunStatus.SUCCEEDED,
        launcher="ecs",
        attempts=1,
        launched_at=T0 + timedelta(seconds=1),
        finished_at=T0 + timedelta(minutes=1),
        handles=("arn:aws:ecs:eu-west-1:123456789012:task/ECSClusterArn/0a1b2c3d",),
    )
    store.put_run(run)
    return run


class TestTheOriginalsLifecycleOfAMigratedSchedule:
    """The sample Update and Delete's resource, created by the original's function and migrated."""

    def test_every_request_succeeds_in_place_and_the_history_stays(
        self, moto: Backend, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, target = places
        run = _a_run(migrated, orig.SAMPLE_ID)
        first = orig.properties(original)
        second = orig.properties(original, CronTime="*/3 * * * *")  # the sample Update's
        switched = orig.properties(target)
        url = responses.url()

        def answered(sent: dict[str, Any]) -> dict[str, Any]:
            answer = orig.send(sent, responses)
            assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", orig.SAMPLE_ID), answer
            assert [record.id for record in migrated.list()] == [orig.SAMPLE_ID]
            return answer

        update = orig.sample("Update", second, url, physical_id=orig.SAMPLE_ID, old=first)
        for _ in range(2):  # the request, and its replay
            answered(update)
            assert migrated.get(orig.SAMPLE_ID).schedule.expression == "*/3 * * * *"
        adopted = migrated.get(orig.SAMPLE_ID)
        assert adopted.version == 2
        assert dict(adopted.schedule.origin) == {
            "kind": "cloudformation",
            "stack": orig.STACK_ID,
            "logical_id": orig.LOGICAL_ID,
            "migrated_from": "aws-ecs-clockwork",
            "table": original,
            "last_updated": "2026-03-08T07:00:00.000Z",
        }
        rollback = orig.sample("Update", first, url, physical_id=orig.SAMPLE_ID, old=second)
        for _ in range(2):
            answered(rollback)
            assert migrated.get(orig.SAMPLE_ID).schedule.expression == "*/2 * * * *"
        version = migrated.get(orig.SAMPLE_ID).version
        # Pointing the stack at the clockwork table: the same schedule, not rewritten.
        switch = orig.sample("Update", switched, url, physical_id=orig.SAMPLE_ID, old=first)
        switch_back = orig.sample("Update", first, url, physical_id=orig.SAMPLE_ID, old=switched)
        for sent in (switch, switch, switch_back, switch):
            answered(sent)
        assert migrated.get(orig.SAMPLE_ID).version == version
        assert migrated.runs(orig.SAMPLE_ID) == [run]
        delete = orig.sample("Delete", switched, url, physical_id=orig.SAMPLE_ID)
        assert orig.send(delete, responses)["Status"] == "SUCCESS"
        assert list(migrated.list()) == []
        again = orig.send(delete, responses)
        assert (again["Status"], again["PhysicalResourceId"]) == ("SUCCESS", orig.SAMPLE_ID)
        assert again["Reason"].startswith("nothing to delete: no schedule")
        # The original's table is only read by the migration.
        assert [item["id"]["S"] for item in _original_items(moto, original)] == [orig.SAMPLE_ID]

    def test_the_sample_delete_deletes_it_through_the_original_table(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        # The sample Delete's properties, as written (its CronTime is not the stored one):
        # a Delete needs only the place and the id.
        declared = orig.properties(original, CronTime="0 * * * 0,4-6")
        answer = orig.send(
            orig.sample("Delete", declared, responses.url(), physical_id=orig.SAMPLE_ID), responses
        )
        assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", orig.SAMPLE_ID), answer
        with pytest.raises(ScheduleNotFound):
            migrated.get(orig.SAMPLE_ID)

    def test_a_delete_whose_cron_time_clockwork_refuses_deletes_it(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        declared = {**orig.properties(original, CronTime="*/2 * * *"), "Comment": "every 2 minutes"}
        answer = orig.send(
            orig.sample("Delete", declared, responses.url(), physical_id=orig.SAMPLE_ID), responses
        )
        assert answer["Status"] == "SUCCESS", answer
        with pytest.raises(ScheduleNotFound):
            migrated.get(orig.SAMPLE_ID)

    def test_a_move_to_another_clockwork_table_replaces_it(
        self, moto: Backend, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, target = places
        elsewhere = f"{target}-b"
        with closing(orig.client(moto)) as dynamodb:
            create_table(dynamodb, elsewhere)
            try:
                old = orig.properties(original)
                sent = orig.sample(
                    "Update", orig.properties(elsewhere), responses.url(), physical_id=orig.SAMPLE_ID, old=old
                )
                moved = orig.send(sent, responses)
                assert moved["Status"] == "SUCCESS", moved
                assert moved["PhysicalResourceId"] != orig.SAMPLE_ID
                with closing(orig.open_store(moto, elsewhere)) as there:
                    assert [record.id for record in there.list()] == [moved["PhysicalResourceId"]]
                # CloudFormation then deletes the old resource, with its old properties.
                gone = orig.sample("Delete", old, responses.url(), physical_id=orig.SAMPLE_ID)
                assert orig.send(gone, responses)["Status"] == "SUCCESS"
                assert list(migrated.list()) == []
            finally:
                delete_table(dynamodb, elsewhere)


class TestANewResourceOfAStackWrittenForTheOriginal:
    def test_its_lifecycle_through_the_original_table_keeps_one_schedule(
        self, moto: Backend, places: tuple[str, str], responses: ResponseServer
    ) -> None:
        """The sample Create, then its Update, replays, a rollback, the table switch and Delete."""
        original, target = places
        url = responses.url()
        first, second = orig.properties(original), orig.properties(original, CronTime="*/3 * * * *")
        switched = orig.properties(target)
        create = orig.sample("Create", first, url)
        created = orig.send(create, responses)
        assert created["Status"] == "SUCCESS", created
        physical_id = created["PhysicalResourceId"]
        assert physical_id.startswith("cfn-stack-name-123456-")
        assert orig.send(create, responses) == created
        with closing(orig.open_store(moto, target)) as store:
            assert dict(store.get(physical_id).schedule.origin)["table"] == original
            for old, new in (
                (first, second),
                (second, first),
                (first, switched),
                (switched, first),
                (first, switched),
            ):
                sent = orig.sample("Update", new, url, physical_id=physical_id, old=old)
                for _ in range(2):
                    answer = orig.send(sent, responses)
                    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", physical_id), (
                        answer
                    )
                    assert [record.id for record in store.list()] == [physical_id]
            assert store.get(physical_id).schedule.expression == "*/2 * * * *"
            delete = orig.sample("Delete", switched, url, physical_id=physical_id)
            assert orig.send(delete, responses)["Status"] == "SUCCESS"
            assert list(store.list()) == []


class TestAdoption:
    def test_the_table_switch_as_the_first_request_adopts_it_in_place(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, target = places
        old, new = orig.properties(original), orig.properties(target)
        sent = orig.sample("Update", new, responses.url(), physical_id=orig.SAMPLE_ID, old=old)
        answer = orig.send(sent, responses)
        assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", orig.SAMPLE_ID), answer
        origin = migrated.get(orig.SAMPLE_ID).schedule.origin
        assert (origin["kind"], origin["stack"], origin["table"]) == (
            "cloudformation",
            orig.STACK_ID,
            original,
        )

    def test_once_adopted_another_stack_is_refused(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        old, new = orig.properties(original), orig.properties(original, CronTime="*/3 * * * *")
        sent = orig.sample("Update", new, responses.url(), physical_id=orig.SAMPLE_ID, old=old)
        assert orig.send(sent, responses)["Status"] == "SUCCESS"
        for theirs in (
            orig.sample("Update", old, responses.url(), physical_id=orig.SAMPLE_ID, old=new),
            orig.sample("Delete", new, responses.url(), physical_id=orig.SAMPLE_ID),
        ):
            theirs["StackId"] = theirs["StackId"].replace("stack/stack-name/", "stack/other-stack/")
            answer = orig.send(theirs, responses)
            assert answer["Status"] == "FAILED"
            assert answer["Reason"] == (
                f"PhysicalResourceId: schedule {orig.SAMPLE_ID!r} exists and was declared by resource "
                f"'123456' of stack {orig.STACK_ID!r}"
            )
        assert migrated.get(orig.SAMPLE_ID).version == 2

    def test_a_definition_neither_old_nor_new_properties_hold_is_not_adopted(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        old = orig.properties(original, CronTime="*/5 * * * *", TaskDefinitionArn="Other")
        new = orig.properties(original, CronTime="*/7 * * * *", TaskDefinitionArn="Other")
        sent = orig.sample("Update", new, responses.url(), physical_id=orig.SAMPLE_ID, old=old)
        answer = orig.send(sent, responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"] == (
            f"PhysicalResourceId: schedule {orig.SAMPLE_ID!r} was migrated from table {original!r} with "
            "CronTime '*/2 * * * *' (the resource says '*/7 * * * *'); TaskDefinitionArn 'TaskDefinitionArn' "
            "(the resource says 'Other'): not what this resource declares. If the table changed after the "
            f"migration, run `clockwork dynamodb migrate --from {original}` again"
        )
        record = migrated.get(orig.SAMPLE_ID)
        assert (record.version, record.schedule.origin["kind"]) == (1, "aws-ecs-clockwork")

    def test_a_schedule_migrated_from_another_original_table_is_not_touched(
        self,
        moto: Backend,
        places: tuple[str, str],
        migrated: DynamoDBStore,
        responses: ResponseServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        original, target = places
        monkeypatch.setenv("CLOCKWORK_MIGRATED_TABLES", f"{original}={target},Another-Original={target}")
        declared = orig.properties("Another-Original")
        for sent in (
            orig.sample("Update", declared, responses.url(), physical_id=orig.SAMPLE_ID, old=declared),
            orig.sample("Delete", declared, responses.url(), physical_id=orig.SAMPLE_ID),
        ):
            answer = orig.send(sent, responses)
            assert answer["Status"] == "FAILED"
            assert answer["Reason"] == (
                f"PhysicalResourceId: schedule {orig.SAMPLE_ID!r} in {target!r} came from {original!r}, "
                "not from 'Another-Original' as the resource says"
            )
        assert migrated.get(orig.SAMPLE_ID).version == 1

    def test_a_schedule_clockwork_created_is_not_reached_through_an_original_table(
        self, places: tuple[str, str], responses: ResponseServer
    ) -> None:
        original, target = places
        created = orig.send(orig.sample("Create", orig.properties(target), responses.url()), responses)
        physical_id = created["PhysicalResourceId"]
        declared = orig.properties(original)
        sent = orig.sample("Delete", declared, responses.url(), physical_id=physical_id)
        answer = orig.send(sent, responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"] == (
            f"PhysicalResourceId: schedule {physical_id!r} in {target!r} came from no original table, "
            f"not from {original!r} as the resource says"
        )

    def test_without_the_variable_the_original_table_is_not_a_clockwork_table(
        self,
        places: tuple[str, str],
        migrated: DynamoDBStore,
        responses: ResponseServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        original, _ = places
        monkeypatch.delenv("CLOCKWORK_MIGRATED_TABLES")
        old, new = orig.properties(original), orig.properties(original, CronTime="*/3 * * * *")
        sent = orig.sample("Update", new, responses.url(), physical_id=orig.SAMPLE_ID, old=old)
        answer = orig.send(sent, responses)
        assert answer["Status"] == "FAILED"
        assert original in answer["Reason"]
        assert migrated.get(orig.SAMPLE_ID).version == 1


class TestTheVariable:
    def test_a_request_that_times_out_names_the_table_it_waited_for(
        self, places: tuple[str, str], responses: ResponseServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        original, target = places
        silent = SilentEndpoint(drip=True)
        monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", silent.url)
        try:
            handler(
                orig.sample("Create", orig.properties(original), responses.url()), LambdaContext(timeout=6)
            )
            [received] = responses.wait(1)
        finally:
            silent.close()
        assert received.document["Status"] == "FAILED"
        assert received.document["Reason"].startswith(
            f"timed out: DynamoDB table {target!r} did not answer in time"
        )

    @pytest.mark.parametrize(
        "case",
        [
            ("SchedulerTable", "'SchedulerTable' is not ORIGINAL=CLOCKWORK"),
            ("SchedulerTable=x", "'SchedulerTable=x' is not ORIGINAL=CLOCKWORK"),
            ("SchedulerTable=SchedulerTable", "'SchedulerTable=SchedulerTable' names the same table twice"),
            (
                "A-table=clockwork-1,A-table=clockwork-2",
                "'A-table' is named twice, for 'clockwork-1' and 'clockwork-2'",
            ),
            (
                "A-table=B-table,B-table=C-table",
                "'B-table' is a clockwork table (migrated into from 'A-table') and an original too",
            ),
        ],
    )
    def test_a_wrong_value_fails_every_request_naming_it_and_writes_nothing(
        self,
        places: tuple[str, str],
        migrated: DynamoDBStore,
        responses: ResponseServer,
        monkeypatch: pytest.MonkeyPatch,
        case: tuple[str, str],
    ) -> None:
        original, _ = places
        value, reason = case
        monkeypatch.setenv("CLOCKWORK_MIGRATED_TABLES", value)
        for sent in (
            orig.sample("Create", orig.properties(original), responses.url()),
            orig.sample("Delete", orig.properties(original), responses.url(), physical_id=orig.SAMPLE_ID),
        ):
            answer = orig.send(sent, responses)
            assert answer["Status"] == "FAILED"
            assert answer["Reason"].startswith(f"CLOCKWORK_MIGRATED_TABLES: {reason}")
        assert [record.version for record in migrated.list()] == [1]
