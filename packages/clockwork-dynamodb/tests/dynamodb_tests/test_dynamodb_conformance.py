"""The store conformance kit, against moto's server and against dynalite."""

from __future__ import annotations

import pytest
from clockwork_core.testing import StoreConformance
from clockwork_dynamodb.testing.emulators import Backend


class TestDynamoDBStoreOnMoto(StoreConformance):
    list_size = 350  # four BatchGetItem calls after the index query
    race_rounds = 20
    race_records = 20

    @pytest.fixture
    def backend(self, moto: Backend) -> Backend:
        return moto

    @pytest.fixture
    def store_url(self, backend: Backend, table: str) -> str:
        return backend.url(table)


class TestDynamoDBStoreOnDynalite(StoreConformance):
    list_size = 350
    race_rounds = 20
    race_records = 20

    @pytest.fixture
    def backend(self, dynalite_backend: Backend) -> Backend:
        return dynalite_backend

    @pytest.fixture
    def store_url(self, backend: Backend, table: str) -> str:
        return backend.url(table)
