"""Requests for the tests: a fire of a fresh schedule, and the launcher's client for a world."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from clockwork_core.launcher import LaunchRequest
from clockwork_core.model import fire_key, run_id_for
from clockwork_core.testing.support import T0


def fire(params: Mapping[str, Any], *, schedule_id: str | None = None, attempt: int = 1) -> LaunchRequest:
    schedule_id = schedule_id or f"nightly-{uuid.uuid4().hex[:8]}"
    return LaunchRequest(
        schedule_id=schedule_id,
        instant=T0,
        run_id=run_id_for(T0),
        key=fire_key(schedule_id, T0),
        attempt=attempt,
        params=params,
    )
