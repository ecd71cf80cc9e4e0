"""Fixtures for the acceptance tests: a :class:`~clockwork_runner.Clockwork` per test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from clockwork_runner import Clockwork


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """In-process `main()` calls configure the root logger to write to pytest's captured
    stderr, which is closed after the test: put the root logger back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def pycache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture
def clockwork(tmp_path: Path, pycache: Path) -> Iterator[Clockwork]:
    runner = Clockwork(tmp_path, pycache)
    yield runner
    runner.cleanup()
