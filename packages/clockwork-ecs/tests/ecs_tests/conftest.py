"""Fixtures: moto's server (session-wide), a fresh ECS world per test, fake credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clockwork_ecs.launcher import EcsLauncher
from clockwork_ecs.testing import World, build_world

from .emulator import FAKE_CREDENTIALS, MotoServer


@pytest.fixture(autouse=True, scope="module")
def fake_credentials() -> Iterator[None]:
    """Credentials for moto, in the environment (the crash test spawns a child)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "AWS_PROFILE",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "CLOCKWORK_ECS_RUN_TASK_RATES",
        ):
            patch.delenv(name, raising=False)
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    try:
        # moto's default, set explicitly: each DescribeTasks moves a task one state on,
        # so a task is STOPPED after four looks (it never stops by itself otherwise).
        server.set_task_progression({"progression": "manual", "times": 1})
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(moto: MotoServer) -> World:
    return build_world(moto.endpoint)


@pytest.fixture
def launcher() -> Iterator[EcsLauncher]:
    launcher = EcsLauncher()
    yield launcher
    launcher.close()
