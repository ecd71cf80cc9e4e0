"""``clockwork dynamodb create-table|describe``, through the real ``clockwork`` command line."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import closing

import pytest
from clockwork_core.plugins import open_store
from clockwork_dynamodb import schema
from clockwork_dynamodb.testing.emulators import Backend, delete_table
from clockwork_worker.cli import main

from .legacy import legacy_table


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
