"""Exactly once under fire: three real `clockwork run` processes on one SQLite file.

Twenty schedules fire every second and five fixed ones at wall times inside the window;
every ~10 s a random worker is SIGKILLed and restarted, for 60 s. The launched commands
append their own record (schedule id and fire time) to a file, and the check is made
from those records alone: every instant in the window launched exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clockwork_worker.testing import ExactlyOnceTrial

EVERY_SECOND = 20


@pytest.mark.slow
def test_every_instant_launches_exactly_once_while_workers_are_killed(tmp_path: Path) -> None:
    result = ExactlyOnceTrial(
        home=tmp_path,
        store_url=f"sqlite:///{tmp_path / 'clockwork.db'}",
        every_second=EVERY_SECOND,
        fixed_offsets=(7, 19, 31, 44, 52),
        window=60.0,
        kill_every=10.0,
    ).run()
    assert result.kills >= 4
    assert len(result.expected) > EVERY_SECOND * 50
    assert result.exit_codes == [0, 0, 0], "a worker did not stop cleanly on SIGTERM"
    assert not result.doubled, (
        f"{len(result.doubled)} instants launched twice or more: {sorted(result.doubled)[:5]}"
    )
    assert not result.lost, f"{len(result.lost)} of {len(result.expected)} never launched: {result.lost[:5]}"
