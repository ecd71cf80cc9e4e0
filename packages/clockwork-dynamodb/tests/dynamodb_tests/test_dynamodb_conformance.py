"""The store conformance kit, against moto's server and against dynalite."""

from __future__ import annotations

import pytest
from clockwork_core.store import Store
from clockwork_core.testing import StoreConformance
from clockwork_dynamodb import schema
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend


class DynamoDBSpoiling:
    """Damage items with a plain UpdateItem on the emulator, as a hand edit in the console would."""

    @staticmethod
    def _set(store: Store, key: dict[str, dict[str, str]], name: str, text: str) -> None:
        assert isinstance(store, DynamoDBStore)
        store.calls.client.update_item(
            TableName=store.table,
            Key=key,
            UpdateExpression="SET #n = :v",
            ExpressionAttributeNames={"#n": name},
            ExpressionAttributeValues={":v": {"S": text}},
        )

    def spoil_schedule(self, store: Store, schedule_id: str, definition: str) -> None:
        self._set(store, schema.schedule_key(schedule_id), "definition", definition)

    def spoil_run(self, store: Store, schedule_id: str, run_id: str, data: str) -> None:
        self._set(store, schema.run_key(schedule_id, run_id), "data", data)


class TestDynamoDBStoreOnMoto(DynamoDBSpoiling, StoreConformance):
    list_size = 350  # four BatchGetItem calls after the index query
    race_rounds = 20
    race_records = 20

    @pytest.fixture
    def backend(self, moto: Backend) -> Backend:
        return moto

    @pytest.fixture
    def store_url(self, backend: Backend, table: str) -> str:
        return backend.url(table)


class TestDynamoDBStoreOnDynalite(DynamoDBSpoiling, StoreConformance):
    list_size = 350
    race_rounds = 20
    race_records = 20

    @pytest.fixture
    def backend(self, dynalite_backend: Backend) -> Backend:
        return dynalite_backend

    @pytest.fixture
    def store_url(self, backend: Backend, table: str) -> str:
        return backend.url(table)
