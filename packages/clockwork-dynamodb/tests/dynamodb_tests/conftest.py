"""Fixtures: the two emulators (session-wide), a fresh table per test, fake credentials.

``moto`` is moto's server behind a proxy that forwards one request at a time;
``dynalite`` is dynalite reached directly (it is atomic). ``backend`` is parametrized
over both. ``table`` creates a clockwork table with a unique name on a backend and
deletes it afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from clockwork_dynamodb.testing.emulators import (
    FAKE_CREDENTIALS,
    Backend,
    Emulator,
    Proxy,
    Unavailable,
    create_table,
    delete_table,
    dynalite,
    moto_server,
)


@pytest.fixture(autouse=True, scope="module")
def fake_credentials() -> Iterator[None]:
    """Credentials for the emulators, in the environment (process races spawn children)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        yield


def _started(emulator: Emulator) -> Emulator:
    try:
        return emulator.start()
    except Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    logs = tmp_path_factory.mktemp("moto")
    emulator = _started(moto_server(logs / "moto.log"))
    proxy = Proxy(emulator.port, serialise=True)
    try:
        yield Backend("moto", proxy.endpoint, emulator, proxy)
    finally:
        proxy.close()
        emulator.stop()


@pytest.fixture(scope="session")
def dynalite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    logs = tmp_path_factory.mktemp("dynalite")
    emulator = _started(dynalite(logs / "dynalite.log"))
    try:
        yield Backend("dynalite", emulator.endpoint, emulator)
    finally:
        emulator.stop()


@pytest.fixture(params=["moto", "dynalite"])
def backend(request: pytest.FixtureRequest) -> Backend:
    name = "dynalite_backend" if request.param == "dynalite" else "moto"
    found: Backend = request.getfixturevalue(name)
    return found


@pytest.fixture
def table_name() -> str:
    return f"clockwork-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def table(backend: Backend, table_name: str) -> Iterator[str]:
    """A new clockwork table on ``backend``, deleted after the test."""
    client = backend.client()
    create_table(client, table_name)
    yield table_name
    delete_table(client, table_name)
