"""Every target parameter reaches RunTask, and the task carries it as DescribeTasks reports it.

Where moto drops a parameter that it accepts (placement constraints and strategy,
``propagateTags``, ``enableExecuteCommand``, ``clientToken``), the test checks the
request as it left the client instead, and says so.
"""

from __future__ import annotations

from typing import Any

import pytest
from clockwork_core.errors import PermanentLaunchError
from clockwork_ecs.fire import KEY_TAG, client_token, started_by
from clockwork_ecs.launcher import EcsLauncher, Handle
from clockwork_ecs.testing import World

from .emulator import Faults
from .support import fire

ROLE = "arn:aws:iam::123456789012:role/"


def everything(world: World) -> dict[str, Any]:
    return world.params(
        count=2,
        network_configuration={
            "awsvpcConfiguration": {
                "subnets": list(world.subnets),
                "securityGroups": [world.security_group],
                "assignPublicIp": "ENABLED",
            }
        },
        platform_version="1.4.0",
        placement_constraints=[{"type": "distinctInstance"}],
        placement_strategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
        overrides={
            "containerOverrides": [
                {
                    "name": "main",
                    "command": ["backup", "--all"],
                    "environment": [
                        {"name": "LEVEL", "value": "9"},
                        {"name": "CLOCKWORK_RUN_ID", "value": "mine"},
                    ],
                    "cpu": 128,
                    "memory": 256,
                }
            ],
            "taskRoleArn": ROLE + "task",
            "executionRoleArn": ROLE + "execution",
        },
        tags={"team": "data"},
        propagate_tags="TASK_DEFINITION",
        enable_execute_command=True,
        group="nightly-jobs",
    )


class TestRunTaskParameters:
    def test_every_parameter_appears_on_the_task(self, world: World, launcher: EcsLauncher) -> None:
        request = fire(everything(world))
        launched = launcher.launch(request)
        assert len(launched.handles) == 2
        arns = [h.arn for h in map(Handle.parse, launched.handles) if h is not None]
        tasks = world.ecs().describe_tasks(cluster=world.cluster, tasks=arns, include=["TAGS"])["tasks"]
        assert len(tasks) == 2
        for task in tasks:
            assert task["clusterArn"].endswith(f":cluster/{world.cluster}")
            assert task["taskDefinitionArn"].endswith(f":task-definition/{world.family}:1")
            assert task["launchType"] == "FARGATE"
            assert task["platformVersion"] == "1.4.0"
            assert task["group"] == "nightly-jobs"
            assert task["startedBy"] == started_by(request.key)
            [eni] = task["attachments"]
            assert {d["name"]: d["value"] for d in eni["details"]}["subnetId"] == world.subnets[0]
            overrides = task["overrides"]
            assert (overrides["taskRoleArn"], overrides["executionRoleArn"]) == (
                ROLE + "task",
                ROLE + "execution",
            )
            [main] = overrides["containerOverrides"]
            assert (main["command"], main["cpu"], main["memory"]) == (["backup", "--all"], 128, 256)
            assert {e["name"]: e["value"] for e in main["environment"]} == {
                "LEVEL": "9",
                **request.environment,
            }
            tags = {t["key"]: t["value"] for t in task["tags"]}
            assert tags["team"] == "data"
            assert tags[KEY_TAG] == request.key
            assert tags["clockwork:schedule-id"] == request.schedule_id
            assert tags["clockwork:fire-time"] == "2026-03-08T07:00:00Z"

    def test_what_moto_drops_leaves_the_client_as_given(self, world: World, launcher: EcsLauncher) -> None:
        """moto accepts and forgets these; the request as sent (recorded at the client) carries them."""
        request = fire(everything(world))
        faults = Faults(launcher.client("us-east-1", world.endpoint))
        launcher.launch(request)
        [sent] = [params for name, params, _ in faults.calls if name == "RunTask"]
        assert sent["placementConstraints"] == [{"type": "distinctInstance"}]
        assert sent["placementStrategy"] == [{"type": "spread", "field": "attribute:ecs.availability-zone"}]
        assert sent["propagateTags"] == "TASK_DEFINITION"
        assert sent["enableExecuteCommand"] is True
        assert sent["clientToken"] == client_token(request.key)
        assert sent["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
        assert sent["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [world.security_group]
        assert sent["count"] == 2

    def test_a_capacity_provider_strategy_replaces_the_launch_type(
        self, world: World, launcher: EcsLauncher
    ) -> None:
        params = world.params(
            launch_type=None, capacity_provider_strategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
        )
        launched = launcher.launch(fire({k: v for k, v in params.items() if v is not None}))
        handle = Handle.parse(launched.handles[0])
        assert handle is not None
        [task] = world.ecs().describe_tasks(cluster=world.cluster, tasks=[handle.arn])["tasks"]
        assert task.get("capacityProviderName") == "FARGATE_SPOT"

    def test_a_family_name_runs_its_latest_active_revision(self, world: World, launcher: EcsLauncher) -> None:
        ecs = world.ecs()
        definition = ecs.describe_task_definition(taskDefinition=world.family)["taskDefinition"]
        ecs.register_task_definition(
            family=definition["family"],
            networkMode=definition["networkMode"],
            requiresCompatibilities=definition["requiresCompatibilities"],
            cpu=definition["cpu"],
            memory=definition["memory"],
            containerDefinitions=definition["containerDefinitions"],
        )
        launched = launcher.launch(fire(world.params()))
        handle = Handle.parse(launched.handles[0])
        assert handle is not None
        [task] = ecs.describe_tasks(cluster=world.cluster, tasks=[handle.arn])["tasks"]
        assert task["taskDefinitionArn"].endswith(f"{world.family}:2")

    def test_a_missing_task_definition_fails_the_launch_permanently_with_ecs_reason(
        self, world: World, launcher: EcsLauncher
    ) -> None:
        with pytest.raises(PermanentLaunchError) as caught:
            launcher.launch(fire(world.params(task_definition="no-such-family")))
        assert "DescribeTaskDefinition" in caught.value.reason
        assert caught.value.code.startswith("ecs_")
