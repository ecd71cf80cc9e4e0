"""For the tests: a fire of a fresh schedule, the tasks of a world's cluster, ListTasks paged by one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from clockwork_core.launcher import LaunchRequest
from clockwork_core.model import fire_key, run_id_for
from clockwork_core.testing.support import T0
from clockwork_ecs.testing import World

ORIGINAL = "ecs-aws-clockwork"


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


def cluster_tasks(world: World) -> list[str]:
    ecs = world.ecs()
    return sorted(
        {
            arn
            for status in ("RUNNING", "STOPPED")
            for arn in ecs.list_tasks(cluster=world.cluster, desiredStatus=status)["taskArns"]
        }
    )


def paged_by_one(world: World) -> Any:
    """ListTasks answered from moto's own listing, one task a page (moto never pages)."""
    upstream = world.ecs()

    def answer(params: Mapping[str, Any]) -> Mapping[str, Any]:
        asked = {k: v for k, v in params.items() if k not in ("nextToken", "maxResults")}
        listed = upstream.list_tasks(**asked)["taskArns"]
        start = int(params.get("nextToken") or 0)
        page: dict[str, Any] = {"taskArns": listed[start : start + 1]}
        if start + 1 < len(listed):
            page["nextToken"] = str(start + 1)
        return page

    return answer
