"""Fixtures: moto's DynamoDB server (session-wide), a fresh table per test, a response server.

The handler reaches DynamoDB over HTTP through ``CLOCKWORK_DYNAMODB_ENDPOINT_URL``, as a
function deployed next to an emulator or a VPC endpoint would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from clockwork_cfn_resource.testing import REGION, ResponseServer
from clockwork_core.store import Store
from clockwork_core.testing.support import T0
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import (
    FAKE_CREDENTIALS,
    Backend,
    Unavailable,
    create_table,
    delete_table,
    moto_server,
)

from . import original as orig


@pytest.fixture(autouse=True)
def aws_environment(moto: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, the region a Lambda has, and the emulator as DynamoDB's endpoint."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", moto.endpoint)


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    logs = tmp_path_factory.mktemp("moto")
    try:
        emulator = moto_server(logs / "moto.log").start()
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        yield Backend("moto", emulator.endpoint, emulator)
    finally:
        emulator.stop()


@pytest.fixture
def table(moto: Backend) -> Iterator[str]:
    name = f"clockwork-cfn-{uuid.uuid4().hex[:12]}"
    with closing(moto.client()) as client:
        create_table(client, name)
        yield name
        delete_table(client, name)


@pytest.fixture
def store(moto: Backend, table: str) -> Iterator[Store]:
    """The table, read by the tests directly (not through the handler)."""
    with closing(DynamoDBStore(moto.client(), table, close_client=True)) as opened:
        yield opened


@pytest.fixture
def responses() -> Iterator[ResponseServer]:
    server = ResponseServer()
    yield server
    server.close()


@pytest.fixture
def tls_responses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ResponseServer]:
    """An https response server whose self-signed certificate the handler trusts."""
    server = ResponseServer(tls_dir=tmp_path)
    assert server.certificate is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(server.certificate))
    yield server
    server.close()


@pytest.fixture
def places(moto: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """(the original's table, the clockwork table it was migrated into), and the function's
    variable saying so."""
    with orig.tables(moto) as (original, target):
        monkeypatch.setenv("CLOCKWORK_MIGRATED_TABLES", f"{original}={target}")
        yield original, target


@pytest.fixture
def migrated(moto: Backend, places: tuple[str, str]) -> Iterator[DynamoDBStore]:
    """The clockwork table, holding the sample's schedule as the original created it."""
    original, target = places
    orig.put_item(moto, original, orig.SAMPLE_ID, orig.properties(original), now=T0)
    assert "1 created" in orig.run_migration(moto, original, target)
    with closing(orig.open_store(moto, target)) as store:
        yield store
