"""What is particular to the DynamoDB store: URLs, the table check, the item layout, capacity."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from urllib.parse import urlsplit

import pytest
from clockwork_core.errors import Conflict, InvalidValue
from clockwork_core.model import RunStatus, Target
from clockwork_core.plugins import open_store
from clockwork_core.store import shard_of
from clockwork_core.testing import at, sample_run, sample_schedule
from clockwork_core.testing.support import T0
from clockwork_dynamodb import schema
from clockwork_dynamodb.capacity import CapacityCollector, CapacityMeter
from clockwork_dynamodb.location import parse
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend
from prometheus_client import CollectorRegistry, generate_latest


@pytest.fixture
def store(backend: Backend, table: str) -> Iterator[DynamoDBStore]:
    with closing(DynamoDBStore(backend.client(), table)) as opened:
        yield opened


def raw(backend: Backend, table: str, pk: str, sk: str) -> dict[str, object]:
    item = backend.client().get_item(
        TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    )
    return dict(item.get("Item") or {})


class TestURLs:
    def test_it_reads_the_table_and_every_option(self) -> None:
        where = parse(
            "dynamodb://clockwork-prod?region=eu-west-1&endpoint_url=http://127.0.0.1:8000&shards=4&retention_days=7"
        )
        assert (where.table, where.region, where.endpoint_url, where.shards, where.retention.days) == (
            "clockwork-prod",
            "eu-west-1",
            "http://127.0.0.1:8000",
            4,
            7,
        )

    def test_it_keeps_the_case_of_the_table_name(self) -> None:
        assert parse(urlsplit("dynamodb://SchedulerTable?region=eu-west-1")).table == "SchedulerTable"

    @pytest.mark.parametrize(
        "url",
        [
            "dynamodb://",
            "dynamodb://ab?region=eu-west-1",
            "dynamodb://table/path",
            "dynamodb://user@table",
            "dynamodb://table?colour=blue",
            "dynamodb://table?shards=0",
            "dynamodb://table?shards=\u00b9",
            "dynamodb://table?retention_days=\uff13",
            "dynamodb://table?endpoint_url=http://[::1",
            "dynamodb://table?endpoint_url=http://127.0.0.1:99999",
            "dynamodb://table?retention_days=forever",
            "dynamodb://table?endpoint_url=localhost:8000",
        ],
    )
    def test_it_rejects_a_url_it_cannot_honour(self, url: str) -> None:
        with pytest.raises(InvalidValue) as caught:
            parse(url)
        assert caught.value.field == "store"
        assert url in str(caught.value) or "endpoint_url" in str(caught.value)

    def test_it_asks_for_a_region_when_boto3_has_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
        monkeypatch.delenv("AWS_REGION", raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
        with pytest.raises(
            InvalidValue, match=r"no AWS region for DynamoDB table 'clockwork': add \?region="
        ):
            parse("dynamodb://clockwork").client()

    def test_the_plugin_opens_the_store_by_its_scheme(self, backend: Backend, table: str) -> None:
        with closing(open_store(backend.url(table, shards="4"))) as store:
            assert isinstance(store, DynamoDBStore)
            assert store.shards == 4


class TestTheTableCheck:
    def test_it_names_a_missing_table(self, backend: Backend) -> None:
        with pytest.raises(InvalidValue) as caught:
            open_store(backend.url("no-such-table"))
        assert caught.value.field == "store"
        assert str(caught.value) == (
            "store: DynamoDB table 'no-such-table' does not exist (create it with `clockwork dynamodb create-table`)"
        )

    def test_it_recognises_a_table_of_the_original_clockwork(self, backend: Backend, table_name: str) -> None:
        client = backend.client()
        client.create_table(
            TableName=table_name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        with pytest.raises(
            InvalidValue,
            match=f"table '{table_name}' is not a clockwork table: it has the key of the original aws-ecs-clockwork",
        ):
            DynamoDBStore(client, table_name)

    def test_it_names_every_index_a_table_lacks(self, backend: Backend, table_name: str) -> None:
        request = schema.create_table_request(table_name)
        request["GlobalSecondaryIndexes"] = request["GlobalSecondaryIndexes"][2:]
        used = {"pk", "sk", "entity"}
        request["AttributeDefinitions"] = [
            a for a in request["AttributeDefinitions"] if a["AttributeName"] in used
        ]
        client = backend.client()
        client.create_table(**request)
        with pytest.raises(InvalidValue) as caught:
            DynamoDBStore(client, table_name)
        assert str(caught.value).endswith(
            "is not a clockwork table: global secondary index 'due' is missing; "
            "global secondary index 'active' is missing"
        )

    def test_it_names_a_key_of_the_wrong_shape(self) -> None:
        described = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "GlobalSecondaryIndexes": []}
        assert schema.problems(described)[0] == "its key is (pk HASH), not (pk HASH, sk RANGE)"

    def test_it_keeps_the_shard_count_the_table_was_first_used_with(
        self, backend: Backend, table: str
    ) -> None:
        DynamoDBStore(backend.client(), table, shards=4)
        assert DynamoDBStore(backend.client(), table).shards == 4
        with pytest.raises(InvalidValue, match=f"3 differs from the 4 shards of table '{table}'"):
            DynamoDBStore(backend.client(), table, shards=3)

    def test_it_uses_eight_shards_by_default(self, store: DynamoDBStore) -> None:
        assert store.shards == schema.DEFAULT_SHARDS == 8


class TestTheItems:
    def test_a_schedule_is_in_the_due_index_only_while_it_needs_attention(
        self, backend: Backend, table: str, store: DynamoDBStore
    ) -> None:
        store.create(sample_schedule("nightly"), due_at=at(60), now=T0)
        item = raw(backend, table, "S#nightly", "S")
        assert item["due_at"] == {"N": str(int(at(60).timestamp() * 1000))}
        assert item["due_shard"] == {"N": str(shard_of("nightly", store.shards))}
        store.replace(sample_schedule("nightly", enabled=False), due_at=None, now=at(1))
        paused = raw(backend, table, "S#nightly", "S")
        assert "due_at" not in paused
        assert "due_shard" not in paused

    def test_a_run_expires_through_its_ttl_attribute(self, backend: Backend, table: str) -> None:
        with closing(open_store(backend.url(table, retention_days="7"))) as store:
            run = sample_run("nightly", T0)
            store.put_run(run)
        item = raw(backend, table, "S#nightly", f"R#{run.run_id}")
        assert item[schema.TTL_ATTRIBUTE] == {"N": str(int(T0.timestamp()) + 7 * 86_400)}

    def test_a_run_is_in_the_active_index_only_while_it_is_active(
        self, backend: Backend, table: str, store: DynamoDBStore
    ) -> None:
        running = sample_run("nightly", T0, RunStatus.RUNNING, updated_at=at(5))
        store.put_run(running)
        assert raw(backend, table, "S#nightly", f"R#{running.run_id}")["active_at"] == {
            "N": str(int(at(5).timestamp() * 1000))
        }
        store.put_run(sample_run("nightly", T0, RunStatus.SUCCEEDED, updated_at=at(9)))
        assert "active_shard" not in raw(backend, table, "S#nightly", f"R#{running.run_id}")

    def test_it_refuses_params_that_have_no_json_form(self, store: DynamoDBStore) -> None:
        with pytest.raises(InvalidValue) as caught:
            store.create(sample_schedule(target=Target("recording", {"when": T0})), due_at=T0, now=T0)
        assert caught.value.field == "target.params"
        assert list(store.list()) == []


class TestCapacity:
    def test_it_meters_the_capacity_each_call_reports(self, backend: Backend, table: str) -> None:
        meter = CapacityMeter()
        with closing(DynamoDBStore(backend.client(), table, meter=meter)) as store:
            before = meter.usage(table)
            store.create(sample_schedule(), due_at=T0, now=T0)
            store.get("nightly")
            used = meter.usage(table) - before
        assert used.requests == 2
        assert used.write_units >= 1
        assert used.read_units >= 0.5

    def test_it_counts_a_lost_claim_as_a_condition_failure(self, backend: Backend, table: str) -> None:
        meter = CapacityMeter()
        with closing(DynamoDBStore(backend.client(), table, meter=meter)) as store:
            created = store.create(sample_schedule(), due_at=T0, now=T0)
            store.claim(created, owner="a", lease_until=at(30), pending=None, now=T0)
            with pytest.raises(Conflict):
                store.claim(created, owner="b", lease_until=at(30), pending=None, now=T0)
        assert meter.usage(table).condition_failures == 1

    def test_it_shows_capacity_in_the_workers_metrics(self, backend: Backend, table: str) -> None:
        meter = CapacityMeter()
        with closing(DynamoDBStore(backend.client(), table, meter=meter)) as store:
            store.create(sample_schedule(), due_at=T0, now=T0)
        registry = CollectorRegistry()
        registry.register(CapacityCollector(meter))
        text = generate_latest(registry).decode()
        assert (
            f'clockwork_dynamodb_consumed_capacity_units_total{{kind="write",operation="PutItem",table="{table}"}}'
            in text
        )
        assert (
            # two puts: the table settings (its first use) and the schedule
            f'clockwork_dynamodb_requests_total{{operation="PutItem",outcome="ok",table="{table}"}} 2.0'
            in text
        )

    def test_the_plugin_registers_the_capacity_metrics_in_the_workers_registry(self) -> None:
        from clockwork_core.plugins import plugin_manager

        registry = CollectorRegistry()
        plugin_manager().hook.clockwork_metrics(registry=registry)
        text = generate_latest(registry).decode()
        for family in ("consumed_capacity_units", "requests", "retries"):
            assert f"# TYPE clockwork_dynamodb_{family}_total counter" in text
