"""Faults a production scheduler meets every week, with real `clockwork run` processes.

Workers paused with SIGSTOP past their lease and resumed; runs that ended between two
tracking passes under ``--concurrency forbid``. Each check is made from what the jobs
themselves recorded and from ``clockwork history``. The DynamoDB twins (and the clock
skew test, which needs a store with a clock of its own) are in clockwork-dynamodb's tests.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from clockwork_runner import Clockwork
from clockwork_worker.testing import PauseTrial


@pytest.mark.slow
def test_a_worker_resumed_after_its_lease_never_launches_late_or_twice(tmp_path: Path) -> None:
    trial = PauseTrial(home=tmp_path, store_url=f"sqlite:///{tmp_path / 'clockwork.db'}")
    result = trial.run()
    assert result.pauses >= 2
    assert result.exit_codes == [0, 0, 0], "a worker did not stop cleanly on SIGTERM"
    assert not result.problems(trial), "\n".join(result.problems(trial))


@pytest.mark.slow
def test_forbid_runs_every_fire_whose_previous_run_has_ended(clockwork: Clockwork) -> None:
    """An instant job every second, and a 4 s job every 5 s: none is skipped, however
    recently its previous run ended (the record still said so until a tracking pass)."""
    forbid = ["--concurrency", "forbid"]
    clockwork.ok("schedule", "add", "instant", "* * * * * *", "--command", "true", *forbid)
    clockwork.ok("schedule", "add", "four-of-five", "*/5 * * * * *", "--command", "sleep 4", *forbid)
    worker = clockwork.start("--lease", "5")
    time.sleep(21)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    for schedule_id, at_least in (("instant", 15), ("four-of-five", 3)):
        statuses = Counter(run["status"] for run in clockwork.history(schedule_id))
        assert statuses["SKIPPED"] == 0, f"{schedule_id}: {dict(statuses)}"
        assert statuses["SUCCEEDED"] + statuses["RUNNING"] + statuses["LAUNCHED"] >= at_least, dict(statuses)
