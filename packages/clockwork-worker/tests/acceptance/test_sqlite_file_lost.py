"""The SQLite file deleted or replaced under a running worker: noticed within seconds, loudly.

A real ``clockwork run`` fires an every-second schedule from ``./clockwork.db``; the test
deletes the file (or moves another database over it) and watches the worker: it must fail
``/healthz`` naming the file, stop claiming, and neither crash nor make a new database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
from clockwork_core.testing import eventually
from clockwork_runner import Clockwork


def _health(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _launch_times(clockwork: Clockwork) -> list[datetime]:
    return [
        datetime.fromisoformat(r["time"].replace("Z", "+00:00"))
        for r in clockwork.log_records()
        if r.get("action") == "launched"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["deleted", "replaced"])
def test_a_worker_notices_its_database_file_gone_and_stops_claiming(clockwork: Clockwork, fault: str) -> None:
    clockwork.ok("schedule", "add", "every-second", "* * * * * *", "--command", "true")
    if fault == "replaced":
        clockwork.ok(
            "schedule", "add", "restored", "0 0 1 1 *", "--command", "true", "--store", "sqlite:///backup.db"
        )
    worker = clockwork.start("--poll-interval", "0.2", "--lookahead", "1", "--http", "127.0.0.1:0")
    port = int(clockwork.wait_for_log("http_started")["message"].rsplit(" ", 1)[1])
    eventually(lambda: _launch_times(clockwork), lambda times: len(times) >= 2, what="two launches")

    database = clockwork.home / "clockwork.db"
    if fault == "deleted":
        database.unlink()
    else:
        shutil.move(clockwork.home / "backup.db", database)
    lost_at = datetime.now(UTC)
    _, health = eventually(
        lambda: _health(port), lambda answer: answer[0] == 503, what="/healthz failing", deadline=8
    )
    noticed = (datetime.now(UTC) - lost_at).total_seconds()
    assert f"the database file {database} was {fault} while open" in health["detail"]
    time.sleep(2.5)  # long enough for two more fires, had the worker gone on claiming

    assert worker.poll() is None, "the worker must not crash"
    assert _health(port)[0] == 503
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    assert noticed < 5
    late = [t for t in _launch_times(clockwork) if (t - lost_at).total_seconds() > 1.5]
    assert late == [], "a fire claimed after the file was gone"
    logged = [r for r in clockwork.log_records() if f"was {fault} while open" in r.get("message", "")]
    assert logged, "the log names the fault"

    if fault == "deleted":
        assert not database.exists(), "no new, empty database in its place"
        refused = clockwork("schedule", "list")
        assert refused.returncode != 0
        assert "deleted while in use" in refused.message
    else:
        assert [r["schedule"]["id"] for r in clockwork.json("schedule", "list")] == ["restored"]
        assert sorted(os.listdir(clockwork.home)).count("clockwork.db-wal") <= 1
