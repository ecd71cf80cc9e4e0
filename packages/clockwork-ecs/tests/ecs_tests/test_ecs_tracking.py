"""Tracking: DescribeTasks in batches of 100 per cluster; exit codes, stop code and reason into the run."""

from __future__ import annotations

import math
import uuid
from typing import Any

from clockwork_core.launcher import Phase
from clockwork_ecs.launcher import EcsLauncher, Handle, observe
from clockwork_ecs.testing import REGION, World, build_world

from .emulator import Faults
from .support import fire


def stopped(containers: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A DescribeTasks entry shaped as ECS writes one (moto never reports non-zero exits or stop codes)."""
    return {"taskArn": "arn", "lastStatus": "STOPPED", "containers": containers, **fields}


class TestObservation:
    def test_a_task_whose_containers_all_exit_zero_succeeded(self) -> None:
        seen = observe("h", stopped([{"name": "main", "exitCode": 0}, {"name": "log", "exitCode": 0}]))
        assert (seen.phase, dict(seen.exit_codes)) == (Phase.SUCCEEDED, {"main": 0, "log": 0})

    def test_a_task_with_a_non_zero_exit_failed_with_stop_code_and_reason(self) -> None:
        task = stopped(
            [{"name": "main", "exitCode": 3}, {"name": "log", "exitCode": 0}],
            stopCode="EssentialContainerExited",
            stoppedReason="Essential container in task exited",
        )
        seen = observe("h", task)
        assert (seen.phase, dict(seen.exit_codes)) == (Phase.FAILED, {"main": 3, "log": 0})
        assert seen.stop_reason == "EssentialContainerExited: Essential container in task exited"

    def test_a_task_that_never_ran_failed_with_the_containers_reason(self) -> None:
        task = stopped(
            [{"name": "main", "reason": "CannotPullContainerError: pull access denied"}],
            stopCode="TaskFailedToStart",
        )
        seen = observe("h", task)
        assert (seen.phase, dict(seen.exit_codes)) == (Phase.FAILED, {"main": None})
        assert seen.stop_reason == "TaskFailedToStart (main: CannotPullContainerError: pull access denied)"

    def test_a_task_not_yet_stopped_is_running(self) -> None:
        assert observe("h", {"lastStatus": "PROVISIONING", "containers": []}).phase is Phase.RUNNING

    def test_a_task_ecs_does_not_know_is_unknown(self) -> None:
        assert observe("h", None).phase is Phase.UNKNOWN


class TestDescribe:
    def test_it_describes_in_batches_of_100_per_cluster(self, world: World, launcher: EcsLauncher) -> None:
        other = build_world(world.endpoint)
        handles: list[str] = []
        for _ in range(15):  # 150 tasks in one cluster, 10 at a time
            handles += launcher.launch(fire(world.params(count=10))).handles
        handles += launcher.launch(fire(other.params(count=3))).handles
        faults = Faults(launcher.client(REGION, world.endpoint))
        observations = launcher.describe(handles)
        assert [o.handle for o in observations] == handles
        assert {o.phase for o in observations} == {Phase.RUNNING}
        described = [params for name, params, _ in faults.calls if name == "DescribeTasks"]
        assert [(p["cluster"], len(p["tasks"])) for p in described] == [
            (world.cluster, 100),
            (world.cluster, 50),
            (other.cluster, 3),
        ]
        assert len(described) == math.ceil(150 / 100) + 1

    def test_a_stopped_task_reports_the_stop_reason_and_exit_codes(
        self, world: World, launcher: EcsLauncher
    ) -> None:
        [handle] = launcher.launch(fire(world.params())).handles
        launcher.stop(handle, reason="timed out after 300 s")
        [seen] = launcher.describe([handle])
        assert seen.stop_reason == "timed out after 300 s"
        assert dict(seen.exit_codes) == {world.container: 0}  # moto's containers always exit 0

    def test_a_handle_in_a_missing_cluster_is_unknown(self, world: World, launcher: EcsLauncher) -> None:
        handle = f"arn:aws:ecs:{REGION}:123456789012:task/no-such-cluster-{uuid.uuid4().hex[:6]}/abc|{world.endpoint}"
        assert Handle.parse(handle) is not None
        assert [o.phase for o in launcher.describe([handle, "not a handle"])] == [
            Phase.UNKNOWN,
            Phase.UNKNOWN,
        ]
