"""``started_by``: every task of a schedule carries one ``startedBy`` (the original's, say), and
a relaunch still finds exactly its own fire's task, by the fire-key tag.

moto's ListTasks never pages (it ignores ``maxResults``); the paging test splits moto's own
answer into pages of one task in-process, at the boto3 client (see ``emulator.Faults``),
and says so. What the pages hold is moto's.
"""

from __future__ import annotations

import attrs
from clockwork_ecs.fire import KEY_TAG, client_token
from clockwork_ecs.launcher import EcsLauncher, Handle
from clockwork_ecs.testing import REGION, World

from .emulator import Faults
from .support import ORIGINAL, cluster_tasks, fire, paged_by_one


def arns(handles: tuple[str, ...]) -> list[str]:
    return [h.arn for h in map(Handle.parse, handles) if h is not None]


def run_as_the_original(world: World) -> str:
    """A task as the original's worker starts one: startedBy, and nothing else of ours."""
    vpc = world.params()["network_configuration"]
    answer = world.ecs().run_task(
        cluster=world.cluster,
        taskDefinition=world.family,
        count=1,
        startedBy=ORIGINAL,
        launchType="FARGATE",
        networkConfiguration=vpc,
    )
    return str(answer["tasks"][0]["taskArn"])


class TestStartedBy:
    def test_the_task_carries_the_configured_started_by_and_the_fires_key(
        self, world: World, launcher: EcsLauncher
    ) -> None:
        request = fire(world.params(started_by=ORIGINAL))
        faults = Faults(launcher.client(REGION, world.endpoint))
        [arn] = arns(launcher.launch(request).handles)
        [task] = world.ecs().describe_tasks(cluster=world.cluster, tasks=[arn], include=["TAGS"])["tasks"]
        assert task["startedBy"] == ORIGINAL
        assert {"key": KEY_TAG, "value": request.key} in task["tags"]
        [sent] = [params for name, params, _ in faults.calls if name == "RunTask"]
        assert sent["clientToken"] == client_token(request.key)

    def test_a_relaunch_finds_its_own_task_among_others_with_the_same_started_by(
        self, world: World, launcher: EcsLauncher
    ) -> None:
        params = world.params(started_by=ORIGINAL)
        first, other = fire(params), fire(params)
        launched = launcher.launch(first)
        launcher.launch(other)
        run_as_the_original(world)

        again = launcher.launch(attrs.evolve(first, attempt=2))

        assert again == launched
        assert len(cluster_tasks(world)) == 3

    def test_a_stopped_task_of_the_fire_is_found_again(self, world: World, launcher: EcsLauncher) -> None:
        request = fire(world.params(started_by=ORIGINAL))
        launched = launcher.launch(request)
        launcher.stop(launched.handles[0], reason="done early")
        assert launcher.launch(attrs.evolve(request, attempt=2)) == launched
        assert len(cluster_tasks(world)) == 1

    def test_the_lookup_walks_every_page_and_lists_by_family_alone(
        self, world: World, launcher: EcsLauncher
    ) -> None:
        """ECS refuses startedBy with any other filter: the shared startedBy is compared on DescribeTasks."""
        params = world.params(started_by=ORIGINAL)
        for _ in range(3):
            launcher.launch(fire(params))
        request = fire(params)
        launched = launcher.launch(request)
        for _ in range(2):
            run_as_the_original(world)
        faults = Faults(launcher.client(REGION, world.endpoint))
        faults.answer("ListTasks", paged_by_one(world))

        assert launcher.launch(attrs.evolve(request, attempt=2)) == launched

        listings = [params for name, params, _ in faults.calls if name == "ListTasks"]
        assert len(listings) >= 6  # six tasks listed one a page
        assert all(p.get("family") == world.family and "startedBy" not in p for p in listings)
        assert faults.count("RunTask") == 0
