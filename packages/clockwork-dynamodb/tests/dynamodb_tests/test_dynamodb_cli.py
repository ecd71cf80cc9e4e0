"""``clockwork dynamodb create-table|describe|migrate``, through the real ``clockwork`` command line."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import pytest
from clockwork_core.plugins import open_store
from clockwork_core.store import Store
from clockwork_core.testing.support import T0, eventually
from clockwork_dynamodb import schema
from clockwork_dynamodb.migrate import LEGACY_KIND
from clockwork_dynamodb.testing.emulators import Backend, delete_table
from clockwork_worker.cli import main

LEGACY_ID = "0b9e6c1e-6f1a-4d0e-9a59-2f1c1c0e7a11"


@pytest.fixture
def fresh(backend: Backend) -> Iterator[str]:
    """A table name nobody uses yet; deleted afterwards if a test created it."""
    name = f"clockwork-cli-{uuid.uuid4().hex[:10]}"
    yield name
    delete_table(backend.client(), name)


def clockwork(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


class TestCreateTable:
    def test_it_creates_the_table_with_its_indexes_ttl_and_shards(
        self, backend: Backend, fresh: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out, _ = clockwork(
            capsys, "dynamodb", "create-table", "--shards", "4", "--store", backend.url(fresh)
        )
        assert status == 0
        assert (
            out.splitlines()[0]
            == f"created table {fresh} (on-demand capacity; indexes due, active, schedules)"
        )
        assert out.splitlines()[-1] == f"table {fresh}: 4 shards, schema version 1"
        assert schema.problems(backend.client().describe_table(TableName=fresh)["Table"]) == []
        with closing(open_store(backend.url(fresh))) as store:
            assert store.shards == 4

    def test_it_can_be_run_again(
        self, backend: Backend, fresh: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        clockwork(capsys, "dynamodb", "create-table", "--store", backend.url(fresh))
        status, out, _ = clockwork(capsys, "dynamodb", "create-table", "--store", backend.url(fresh))
        assert status == 0
        assert out.splitlines()[0] == f"table {fresh} exists with clockwork's schema"

    def test_it_says_how_ttl_stands_on_each_emulator(
        self, backend: Backend, fresh: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _, out, _ = clockwork(capsys, "dynamodb", "create-table", "--store", backend.url(fresh))
        expected = {
            "moto": "turned TTL on: run history expires through 'expires_at'",
            "dynalite": "this endpoint has no TTL: run history keeps its 'expires_at' attribute but never expires",
        }
        assert expected[backend.name] in out.splitlines()

    def test_it_prints_the_table_as_a_cloudformation_resource(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out, _ = clockwork(capsys, "dynamodb", "create-table", "--cloudformation")
        resource = json.loads(out)["ClockworkTable"]
        assert status == 0
        assert resource["Type"] == "AWS::DynamoDB::Table"
        assert resource["Properties"]["TimeToLiveSpecification"] == {
            "AttributeName": "expires_at",
            "Enabled": True,
        }
        assert [i["IndexName"] for i in resource["Properties"]["GlobalSecondaryIndexes"]] == [
            "due",
            "active",
            "schedules",
        ]

    def test_it_refuses_a_store_that_is_not_dynamodb(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, _, err = clockwork(capsys, "dynamodb", "describe", "--store", "sqlite:///x.db")
        assert status == 2
        assert err.strip() == (
            "clockwork: --store: 'sqlite:///x.db' is not a dynamodb:// store URL (clockwork dynamodb needs one)"
        )


class TestDescribe:
    def test_it_describes_a_clockwork_table(
        self, backend: Backend, table: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        open_store(backend.url(table)).close()  # the first use records the shards
        status, out, _ = clockwork(capsys, "dynamodb", "describe", "--json", "--store", backend.url(table))
        report = json.loads(out)
        assert status == 0
        assert (report["table"], report["status"], report["shards"], report["problems"]) == (
            table,
            "ACTIVE",
            8,
            [],
        )
        assert sorted(report["indexes"]) == ["active", "due", "schedules"]

    def test_it_names_what_is_wrong_and_fails(
        self, backend: Backend, fresh: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        legacy_table(backend, fresh, [])
        status, out, _ = clockwork(capsys, "dynamodb", "describe", "--store", backend.url(fresh))
        assert status == 1
        assert "problem       it has the key of the original aws-ecs-clockwork's table (hash key 'id')" in out

    def test_it_says_a_missing_table_is_missing(
        self, backend: Backend, fresh: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out, _ = clockwork(capsys, "dynamodb", "describe", "--store", backend.url(fresh))
        assert (status, out.strip()) == (
            1,
            f"{fresh}: does not exist (create it with `clockwork dynamodb create-table`)",
        )


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


def legacy_table(backend: Backend, name: str, legacy: list[dict[str, Any]]) -> None:
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
    for item in legacy:
        client.put_item(TableName=name, Item=item)


class TestMigrate:
    opened: list[Store]

    @pytest.fixture(autouse=True)
    def closes_what_it_opens(self) -> Iterator[None]:
        self.opened = []
        yield
        for store in self.opened:
            store.close()

    @pytest.fixture
    def source(self, backend: Backend, fresh: str) -> str:
        legacy_table(
            backend, fresh, [legacy_item(), legacy_item("hourly-ping", cron_time="0 * * * *", name="ping")]
        )
        return fresh

    def migrate(
        self, capsys: pytest.CaptureFixture[str], backend: Backend, table: str, source: str, *more: str
    ) -> tuple[int, str]:
        status, out, _ = clockwork(
            capsys, "dynamodb", "migrate", "--from", source, *more, "--store", backend.url(table)
        )
        return status, out

    def test_it_adopts_each_legacy_schedule_with_its_id_expression_and_target(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out = self.migrate(capsys, backend, table, source)
        assert status == 0
        assert out.splitlines()[-1] == f"2 created (from {source} into {table})"
        with closing(open_store(backend.url(table))) as store:
            record = store.get(LEGACY_ID)
        assert (record.schedule.name, record.schedule.expression, record.schedule.timezone) == (
            "nightly-report",
            "0 3 * * *",
            "UTC",
        )
        assert record.schedule.target.launcher == "ecs"
        assert dict(record.schedule.target.params) == {
            "cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/jobs",
            "task_definition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/report:7",
        }
        assert dict(record.schedule.origin) == {
            "kind": LEGACY_KIND,
            "table": source,
            "last_updated": "2016-04-01T10:00:00.000Z",
        }
        assert record.due_at is not None

    def test_it_changes_nothing_when_run_again(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.migrate(capsys, backend, table, source)
        with closing(open_store(backend.url(table))) as store:
            before = store.get(LEGACY_ID)
            status, out = self.migrate(capsys, backend, table, source)
            assert (status, out.splitlines()[-1]) == (0, f"2 unchanged (from {source} into {table})")
            assert store.get(LEGACY_ID) == before

    def test_it_updates_a_schedule_whose_legacy_item_changed(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.migrate(capsys, backend, table, source)
        backend.client().put_item(
            TableName=source, Item=legacy_item(cron_time="30 4 * * *", last_updated="2017")
        )
        status, out = self.migrate(capsys, backend, table, source)
        assert status == 0
        assert f"updated   {LEGACY_ID}: 30 4 * * *" in out
        with closing(open_store(backend.url(table))) as store:
            assert store.get(LEGACY_ID).schedule.expression == "30 4 * * *"

    def test_a_manual_trigger_queued_between_migrations_still_fires(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.migrate(capsys, backend, table, source)
        with closing(open_store(backend.url(table))) as store:
            queued = datetime.now(UTC).replace(microsecond=0)
            store.trigger(LEGACY_ID, instant=queued, now=queued)
            backend.client().put_item(
                TableName=source, Item=legacy_item(cron_time="30 4 * * *", last_updated="2017")
            )
            status, out = self.migrate(capsys, backend, table, source)
            assert (status, f"updated   {LEGACY_ID}: 30 4 * * *" in out) == (0, True)
            record = store.get(LEGACY_ID)
            assert record.manual == (queued,)
            assert record.due_at == queued, "the trigger is still due, before the next 04:30"
            assert LEGACY_ID in [due.id for due in store.due(queued)]

    def test_a_schedule_paused_in_clockwork_stays_paused(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.migrate(capsys, backend, table, source)
        status, _, _ = clockwork(capsys, "schedule", "pause", LEGACY_ID, "--store", backend.url(table))
        assert status == 0
        status, out = self.migrate(capsys, backend, table, source)
        assert (status, out.splitlines()[-1]) == (0, f"2 unchanged (from {source} into {table})")
        backend.client().put_item(
            TableName=source, Item=legacy_item(cron_time="30 4 * * *", last_updated="2017")
        )
        self.migrate(capsys, backend, table, source)
        with closing(open_store(backend.url(table))) as store:
            record = store.get(LEGACY_ID)
        assert (record.schedule.expression, record.schedule.enabled, record.due_at) == (
            "30 4 * * *",
            False,
            None,
        )

    def test_it_keeps_a_schedule_clockwork_manages_now(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.migrate(capsys, backend, table, source)
        store = open_store(backend.url(table))
        self.opened.append(store)
        adopted = store.get(LEGACY_ID)

        managed = adopted.schedule.__class__(
            id=LEGACY_ID,
            expression="0 5 * * *",
            target=adopted.schedule.target,
            origin={"kind": "cloudformation"},
        )
        store.replace(managed, due_at=None, now=T0)
        status, out = self.migrate(capsys, backend, table, source)
        assert (status, f"kept      {LEGACY_ID}: managed by cloudformation" in out) == (0, True)
        assert store.get(LEGACY_ID).schedule.expression == "0 5 * * *"

    def test_it_writes_nothing_on_a_dry_run(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out = self.migrate(capsys, backend, table, source, "--dry-run")
        assert (status, out.splitlines()[-1]) == (
            0,
            f"dry run, nothing written: 2 created (from {source} into {table})",
        )
        with closing(open_store(backend.url(table))) as store:
            assert list(store.list()) == []

    def test_it_reports_an_item_it_cannot_adopt_and_adopts_the_rest(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        backend.client().put_item(TableName=source, Item=legacy_item("broken", cron_time="61 * * * *"))
        status, out = self.migrate(capsys, backend, table, source, "--json")
        report = {row["id"]: row for row in json.loads(out)["items"]}
        assert status == 1
        assert report["broken"]["action"] == "invalid"
        assert report["broken"]["detail"].startswith("expression: ")
        assert report[LEGACY_ID]["action"] == "created"

    def test_it_shows_the_control_characters_of_a_legacy_id_and_never_writes_them(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        backend.client().put_item(TableName=source, Item=legacy_item("evil\x1b[2J\x07\x9b"))
        status, out = self.migrate(capsys, backend, table, source)
        assert status == 1
        assert not {"\x1b", "\x07", "\x9b"} & set(out), repr(out)
        assert any(line.startswith("invalid   evil\\x1b[2J\\x07\\x9b: ") for line in out.splitlines())

    def test_it_names_a_missing_source_table(
        self, backend: Backend, table: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, _, err = clockwork(
            capsys, "dynamodb", "migrate", "--from", "nope-table", "--store", backend.url(table)
        )
        assert (status, err.strip()) == (2, "clockwork: --from: DynamoDB table 'nope-table' does not exist")
