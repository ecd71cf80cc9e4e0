"""Exactly once under fire, on DynamoDB: three real `clockwork run` processes on one dynalite table.

The DynamoDB twin of clockwork-worker's SQLite acceptance test, shorter. Five schedules
fire every second and a few fixed ones at wall times inside a 30 s window; every ~7 s a
random worker is SIGKILLed and restarted. The launched commands append their own record
(schedule id and fire time) to a file, and the test checks from those records alone that
every instant in the window was launched exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clockwork_dynamodb.testing.emulators import Backend
from clockwork_worker.testing import ExactlyOnceTrial

EVERY_SECOND = 5


@pytest.mark.slow
def test_every_instant_launches_exactly_once_while_workers_are_killed(
    tmp_path: Path, dynalite_backend: Backend, table_name: str
) -> None:
    result = ExactlyOnceTrial(
        home=tmp_path,
        store_url=dynalite_backend.url(table_name),
        every_second=EVERY_SECOND,
        fixed_offsets=(5, 13, 21, 27),
        window=30.0,
        kill_every=7.0,
        setup=[["dynamodb", "create-table"]],
    ).run()
    assert result.kills >= 3
    assert len(result.expected) > EVERY_SECOND * 20
    assert result.exit_codes == [0, 0, 0], "a worker did not stop cleanly on SIGTERM"
    assert not result.doubled, (
        f"{len(result.doubled)} instants launched twice or more: {sorted(result.doubled)[:5]}"
    )
    assert not result.lost, f"{len(result.lost)} of {len(result.expected)} never launched: {result.lost[:5]}"
