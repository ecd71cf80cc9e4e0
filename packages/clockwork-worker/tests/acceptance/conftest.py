"""Fixtures for the acceptance tests: a :class:`~clockwork_runner.Clockwork` per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clockwork_runner import Clockwork


@pytest.fixture(scope="session")
def pycache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture
def clockwork(tmp_path: Path, pycache: Path) -> Iterator[Clockwork]:
    runner = Clockwork(tmp_path, pycache)
    yield runner
    runner.cleanup()
