"""One unreadable stored schedule, end to end: the others fire, list and show; it is named once.

The damage is real: the definition is rewritten in the SQLite file through ``sqlite3``,
underneath clockwork, as a bad disk, a hand edit or a clockwork with a laxer parser would
leave it. One schedule's text is not JSON; another's is JSON whose expression this
clockwork's parser rejects.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import urllib.error
import urllib.request
from contextlib import closing
from typing import Any

import pytest
from clockwork_core.testing import eventually
from clockwork_runner import Clockwork

NOT_JSON = '{"id": "not-json", "expression": '
BROKEN = ("not-json", "rejected")


def _damage(clockwork: Clockwork) -> None:
    """Add ``good`` and the two broken schedules (every second), then spoil the broken two."""
    clockwork.parallel(
        [("schedule", "add", name, "* * * * * *", "--command", "true") for name in ("good", *BROKEN)]
    )
    with closing(sqlite3.connect(clockwork.home / "clockwork.db")) as db, db:
        (definition,) = db.execute("SELECT definition FROM schedules WHERE id = 'rejected'").fetchone()
        rejected = {**json.loads(definition), "expression": "61 * * * *"}
        db.execute("UPDATE schedules SET definition = ? WHERE id = 'rejected'", (json.dumps(rejected),))
        db.execute("UPDATE schedules SET definition = ? WHERE id = 'not-json'", (NOT_JSON,))


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _launched(clockwork: Clockwork, schedule_id: str) -> list[dict[str, Any]]:
    return [run for run in clockwork.history(schedule_id) if run["status"] != "FAILED_TO_LAUNCH"]


@pytest.mark.slow
def test_a_worker_fires_the_good_schedules_and_names_each_bad_one_once(clockwork: Clockwork) -> None:
    _damage(clockwork)
    worker = clockwork.start("--poll-interval", "0.2", "--lookahead", "1", "--http", "127.0.0.1:0")
    port = int(clockwork.wait_for_log("http_started")["message"].rsplit(" ", 1)[1])

    eventually(
        lambda: _launched(clockwork, "good"), lambda runs: len(runs) >= 3, what="three fires of 'good'"
    )
    status, body = _get(f"http://127.0.0.1:{port}/healthz")
    metrics = _get(f"http://127.0.0.1:{port}/metrics")[1]
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0

    records = clockwork.log_records()
    named = sorted(r["schedule"] for r in records if r.get("action") == "record_unreadable")
    assert named == sorted(BROKEN), "each bad schedule is named once, however many polls met it"
    [rejected] = [
        r for r in records if r.get("action") == "record_unreadable" and r["schedule"] == "rejected"
    ]
    assert rejected["level"] == "WARNING"
    assert "'61 * * * *': minute 61 is out of range 0-59" in rejected["message"]
    assert not [r for r in records if r.get("action") == "store_unavailable"]
    assert (status, json.loads(body)["ok"]) == (200, True), "a bad record is the record's problem"
    assert "clockwork_unreadable_records 2.0" in metrics
    for name in BROKEN:
        assert clockwork.history(name) == []


class TestTheCommandLine:
    def test_list_shows_the_good_ones_and_warns_once_for_each_bad_one(self, clockwork: Clockwork) -> None:
        _damage(clockwork)
        for args in (("schedule", "list"), ("schedule", "list", "--json")):
            result = clockwork.ok(*args)
            warnings = result.stderr.strip().splitlines()
            assert len(warnings) == 2
            assert warnings[0].startswith(
                "clockwork: warning: schedule 'not-json' cannot be read: definition: is not JSON"
            )
            assert warnings[1].startswith(
                "clockwork: warning: schedule 'rejected' cannot be read: expression "
            )
        assert [record["schedule"]["id"] for record in clockwork.json("schedule", "list")] == ["good"]
        assert "good" in clockwork.ok("schedule", "list").stdout

    def test_show_of_a_bad_one_is_one_line_naming_it_and_the_problem(self, clockwork: Clockwork) -> None:
        _damage(clockwork)
        result = clockwork("schedule", "show", "rejected")
        assert result.returncode != 0
        assert result.message == (
            "clockwork: The stored schedule 'rejected' cannot be read: "
            "expression '61 * * * *': minute 61 is out of range 0-59"
        )

    def test_history_of_a_bad_one_warns_and_shows_its_runs(self, clockwork: Clockwork) -> None:
        _damage(clockwork)
        result = clockwork.ok("history", "not-json", "--json")
        assert json.loads(result.stdout) == []
        assert result.message.startswith(
            "clockwork: warning: schedule 'not-json' cannot be read: definition: is not JSON"
        )

    def test_history_leaves_out_a_bad_run_and_warns(self, clockwork: Clockwork) -> None:
        clockwork.ok("schedule", "add", "good", "* * * * * *", "--command", "true")
        clockwork.ok("schedule", "trigger", "good")
        clockwork.ok("run", "--once")
        clockwork.ok("schedule", "trigger", "good")
        clockwork.ok("run", "--once")
        first, second = sorted(run["run_id"] for run in clockwork.history("good"))
        with closing(sqlite3.connect(clockwork.home / "clockwork.db")) as db, db:
            db.execute("UPDATE runs SET data = '{' WHERE run_id = ?", (first,))
        result = clockwork.ok("history", "good", "--json")
        assert [run["run_id"] for run in json.loads(result.stdout)] == [second]
        assert result.message.startswith(
            f"clockwork: warning: run {first!r} of schedule 'good' cannot be read: "
        )

    def test_a_bad_one_can_be_deleted(self, clockwork: Clockwork) -> None:
        _damage(clockwork)
        result = clockwork.ok("schedule", "delete", "not-json")
        assert result.stdout == "deleted not-json\n"
        assert "schedule 'not-json' cannot be read" in result.message
        listed = clockwork.ok("schedule", "list")
        assert "not-json" not in listed.stdout + listed.stderr
