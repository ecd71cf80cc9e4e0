"""A worker killed by a fatal signal says so in its log, with where it was.

SQLite maps the write-ahead log's shared-memory file (``clockwork.db-shm``) into every
process that has the database open; that file truncated in place (a ``cp`` or ``>`` over
it, a tool "cleaning up") makes the next access a SIGBUS, which no error handling can
catch. The worker cannot prevent that, but it must not die silently: the test truncates
the file under a running worker and reads the fatal error in its log.
"""

from __future__ import annotations

import os
import signal

import pytest
from clockwork_core.testing import eventually
from clockwork_runner import Clockwork


@pytest.mark.slow
def test_a_worker_killed_by_sigbus_names_it_in_its_log(clockwork: Clockwork) -> None:
    clockwork.ok("schedule", "add", "every-second", "* * * * * *", "--command", "true")
    worker = clockwork.start("--poll-interval", "0.2", "--lookahead", "1")
    clockwork.wait_for_log("launched")
    os.truncate(clockwork.home / "clockwork.db-shm", 0)
    eventually(worker.poll, lambda status: status is not None, what="the worker's end", deadline=20)
    assert worker.returncode == -signal.SIGBUS
    log = (clockwork.home / "worker.log").read_text()
    assert "Fatal Python error: Bus error" in log
    assert "clockwork_core/stores/sqlite.py" in log, "the traceback shows where"
