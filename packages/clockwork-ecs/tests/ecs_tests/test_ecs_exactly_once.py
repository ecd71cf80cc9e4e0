"""Exactly once across crashes: a relaunch of a fire finds the task a dead worker started.

moto ignores ``clientToken``, so in these tests the lookup (ListTasks by ``startedBy``,
confirmed by the ``clockwork:fire-key`` tag) is all that stands between a recovery and a
second task: they check the lookup alone.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from clockwork_ecs.fire import started_by
from clockwork_ecs.launcher import EcsLauncher, Handle
from clockwork_ecs.testing import World

from .support import fire

CHILD = Path(__file__).with_name("crash_child.py")


def tasks_of(world: World, key: str) -> list[str]:
    ecs = world.ecs()
    return [
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in ecs.list_tasks(cluster=world.cluster, startedBy=started_by(key), desiredStatus=status)[
            "taskArns"
        ]
    ]


class TestRecovery:
    @pytest.mark.parametrize("point", ["before-run-task", "after-run-task"])
    def test_a_worker_killed_mid_launch_then_recovered_starts_one_task(
        self, world: World, launcher: EcsLauncher, point: str
    ) -> None:
        request = fire(world.params())
        fields = {
            **attrs.asdict(request),
            "instant": request.instant.isoformat(),
            "trigger": request.trigger.value,
        }
        child = subprocess.run(
            [sys.executable, str(CHILD), point, json.dumps(fields)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr
        started_before = tasks_of(world, request.key)
        assert len(started_before) == (1 if point == "after-run-task" else 0)

        recovered = launcher.launch(attrs.evolve(request, attempt=2))

        assert len(recovered.handles) == 1
        assert tasks_of(world, request.key) == [h.arn for h in map(Handle.parse, recovered.handles) if h]
        if started_before:
            assert tasks_of(world, request.key) == started_before

    def test_a_stopped_task_of_the_fire_still_counts_as_launched(
        self, world: World, launcher: EcsLauncher
    ) -> None:
        request = fire(world.params())
        first = launcher.launch(request)
        launcher.stop(first.handles[0], reason="done early")
        assert launcher.launch(attrs.evolve(request, attempt=2)) == first
        assert len(tasks_of(world, request.key)) == 1

    def test_a_task_with_the_same_started_by_but_another_key_is_not_adopted(
        self, world: World, launcher: EcsLauncher
    ) -> None:
        request = fire(world.params())
        world.ecs().run_task(
            cluster=world.cluster,
            taskDefinition=world.family,
            launchType="FARGATE",
            startedBy=started_by(request.key),
            tags=[{"key": "clockwork:fire-key", "value": "someone-else"}],
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": [world.subnets[0]],
                    "securityGroups": [world.security_group],
                }
            },
        )
        launched = launcher.launch(request)
        assert len(launched.handles) == 1
        assert len(tasks_of(world, request.key)) == 2

    def test_all_tasks_of_a_count_are_found_again(self, world: World, launcher: EcsLauncher) -> None:
        request = fire(world.params(count=3))
        first = launcher.launch(request)
        again = launcher.launch(request)
        assert len(first.handles) == 3
        assert again == first
