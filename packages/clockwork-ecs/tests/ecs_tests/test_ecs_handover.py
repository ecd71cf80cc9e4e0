"""The handover: a fire before ``until`` takes over the task the original's worker started for
its instant, or launches one itself after the grace; never both, never neither.

The original's tasks are started as its worker starts them (RunTask with the task
definition, the cluster, count 1 and ``startedBy="ecs-aws-clockwork"``, nothing else),
over HTTP on moto's server. Instants are "now"; the launchers' clock runs a grace ahead
(the launch happens as if the grace had passed, so tests do not wait it out), except
where the wait itself is tested. moto gives tasks no ``createdAt``; the server runs with it added
(see ``clockwork_ecs.testing.moto_command``). moto's ListTasks never pages: the paging
test splits moto's own answer in-process at the client (``emulator.Faults``), and says so.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from clockwork_core.launcher import Launched, LaunchRequest
from clockwork_core.model import Trigger, fire_key, run_id_for
from clockwork_ecs.fire import KEY_TAG
from clockwork_ecs.handover import ADOPTED_TAG, candidates
from clockwork_ecs.launcher import EcsLauncher, Handle
from clockwork_ecs.params import parse_params
from clockwork_ecs.testing import REGION, World

from .emulator import Faults
from .support import ORIGINAL, cluster_tasks, paged_by_one

GRACE = 1


class Sleeps:
    """The launcher's sleep: a real one, recorded."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def after_the_grace() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=GRACE)


@pytest.fixture
def launcher(sleeps: Sleeps) -> Iterator[EcsLauncher]:
    launcher = EcsLauncher(sleep=sleeps, now=after_the_grace)
    yield launcher
    launcher.close()


def now() -> datetime:
    """The wall clock to the millisecond (what a fire's instant and its key hold)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def handing_over(world: World, *, until: datetime | None = None, **changes: Any) -> dict[str, Any]:
    until = until or datetime.now(UTC) + timedelta(hours=1)
    handover = {"until": until.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "grace_seconds": GRACE}
    return world.params(handover=handover, **changes)


def fire_at(
    params: dict[str, Any], instant: datetime, *, trigger: Trigger = Trigger.SCHEDULE, attempt: int = 1
) -> LaunchRequest:
    schedule_id = f"nightly-{uuid.uuid4().hex[:8]}"
    return LaunchRequest(
        schedule_id=schedule_id,
        instant=instant,
        run_id=run_id_for(instant, trigger),
        key=fire_key(schedule_id, instant, trigger),
        attempt=attempt,
        params=params,
        trigger=trigger,
        may_have_started=attempt > 1,
    )


def as_the_original(world: World, definition: str | None = None, started_by: str = ORIGINAL) -> str:
    """RunTask as the original's worker sends it (the network configuration is moto's need)."""
    answer = world.ecs().run_task(
        cluster=world.cluster,
        taskDefinition=definition or world.family,
        count=1,
        startedBy=started_by,
        launchType="FARGATE",
        networkConfiguration=world.params()["network_configuration"],
    )
    return str(answer["tasks"][0]["taskArn"])


def task_of(world: World, arn: str) -> dict[str, Any]:
    [task] = world.ecs().describe_tasks(cluster=world.cluster, tasks=[arn], include=["TAGS"])["tasks"]
    return dict(task)


def tags_of(world: World, arn: str) -> dict[str, str]:
    return {t["key"]: t["value"] for t in task_of(world, arn).get("tags", [])}


def arns(launched: Launched) -> list[str]:
    return [h.arn for h in map(Handle.parse, launched.handles) if h is not None]


class TestTakingOver:
    def test_a_fire_takes_over_the_task_the_original_started_for_its_instant(
        self, world: World, launcher: EcsLauncher, caplog: pytest.LogCaptureFixture
    ) -> None:
        instant = now()
        original = as_the_original(world)
        request = fire_at(handing_over(world), instant)
        faults = Faults(launcher.client(REGION, world.endpoint))

        with caplog.at_level(logging.INFO, logger="clockwork_ecs"):
            launched = launcher.launch(request)

        assert arns(launched) == [original]
        assert faults.count("RunTask") == 0
        tags = tags_of(world, original)
        assert tags[KEY_TAG] == request.key
        assert tags[ADOPTED_TAG] == ORIGINAL
        assert tags["clockwork:schedule-id"] == request.schedule_id
        assert cluster_tasks(world) == [original]
        assert [r for r in caplog.records if getattr(r, "action", None) == "ecs_taken_over"]

    def test_with_no_task_of_the_original_the_fire_launches_after_the_grace(
        self, world: World, sleeps: Sleeps
    ) -> None:
        instant = now()
        request = fire_at(handing_over(world), instant)
        launcher = EcsLauncher(sleep=sleeps)  # the wall clock's own time

        [arn] = arns(launcher.launch(request))
        launcher.close()

        task = task_of(world, arn)
        assert task["createdAt"] >= instant + timedelta(seconds=GRACE)
        assert {"key": KEY_TAG, "value": request.key} in task["tags"]
        assert ADOPTED_TAG not in tags_of(world, arn)

    def test_a_task_of_the_original_that_stopped_already_is_taken_over(
        self, world: World, launcher: EcsLauncher
    ) -> None:
        instant = now()
        original = as_the_original(world)
        world.ecs().stop_task(cluster=world.cluster, task=original, reason="a short job")
        assert arns(launcher.launch(fire_at(handing_over(world), instant))) == [original]
        assert cluster_tasks(world) == [original]

    @pytest.mark.parametrize("with_original", [True, False], ids=["taken-over", "launched"])
    def test_a_retry_finds_the_fires_task_and_starts_none(
        self, world: World, launcher: EcsLauncher, with_original: bool
    ) -> None:
        instant = now()
        if with_original:
            as_the_original(world)
        request = fire_at(handing_over(world), instant)
        first = launcher.launch(request)

        assert launcher.launch(attrs.evolve(request, attempt=2, may_have_started=True)) == first
        assert len(cluster_tasks(world)) == 1

    def test_the_lookup_walks_every_page(self, world: World, launcher: EcsLauncher) -> None:
        instant = now()
        params = handing_over(world)
        for _ in range(3):
            launcher.launch(fire_at(params, instant - timedelta(hours=1)))  # older tasks of the family
        original = as_the_original(world)
        faults = Faults(launcher.client(REGION, world.endpoint))
        faults.answer("ListTasks", paged_by_one(world))

        assert arns(launcher.launch(fire_at(params, instant))) == [original]
        assert faults.count("ListTasks") >= 4
        assert faults.count("RunTask") == 0


class TestSharedTaskDefinition:
    """Two schedules of one task definition fire at the same instant, as two workers would.

    The schedules are chosen so that both fires try the same task of the original first:
    only the claim's read-back can then keep them apart.
    """

    @staticmethod
    def colliding(world: World, params: dict[str, Any], instant: datetime) -> list[LaunchRequest]:
        target = parse_params(params)
        seen = world.ecs().describe_tasks(cluster=world.cluster, tasks=cluster_tasks(world))["tasks"]
        by_arn = {str(task["taskArn"]): task for task in seen}
        while True:
            requests = [fire_at(params, instant), fire_at(params, instant)]
            first = {candidates(by_arn, target, request)[0] for request in requests}
            if len(first) == 1:
                return requests

    def fire_both(self, world: World, instant: datetime) -> list[list[str]]:
        params = handing_over(world)
        requests = self.colliding(world, params, instant)
        results: list[list[str]] = [[], []]
        launchers = [EcsLauncher(now=after_the_grace), EcsLauncher(now=after_the_grace)]

        def launch(index: int) -> None:
            results[index] = arns(launchers[index].launch(requests[index]))

        threads = [threading.Thread(target=launch, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        for launcher in launchers:
            launcher.close()
        keys = {tags_of(world, arn)[KEY_TAG] for result in results for arn in result}
        assert keys == {request.key for request in requests}
        return results

    def test_each_takes_a_task_of_its_own(self, world: World) -> None:
        instant = now()
        originals = {as_the_original(world), as_the_original(world)}
        first, second = self.fire_both(world, instant)
        assert len(first) == len(second) == 1
        assert {*first, *second} == originals
        assert set(cluster_tasks(world)) == originals

    def test_with_one_task_of_the_original_one_takes_it_and_the_other_launches(self, world: World) -> None:
        instant = now()
        original = as_the_original(world)
        first, second = self.fire_both(world, instant)
        assert len(first) == len(second) == 1
        assert first != second
        assert original in (*first, *second)
        assert len(cluster_tasks(world)) == 2


class TestLeftAlone:
    @pytest.mark.parametrize(
        "case", ["another revision", "another startedBy", "created too early", "claimed by clockwork"]
    )
    def test_a_task_that_is_not_this_fires_is_not_taken(
        self, world: World, launcher: EcsLauncher, case: str
    ) -> None:
        instant = now()
        changes: dict[str, Any] = {}
        if case == "another revision":
            changes["task_definition"] = world.task_definition_arn  # revision 1, pinned
            definition = world.ecs().describe_task_definition(taskDefinition=world.family)["taskDefinition"]
            second = world.ecs().register_task_definition(
                family=world.family,
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="256",
                memory="512",
                containerDefinitions=definition["containerDefinitions"],
            )
            other = as_the_original(world, second["taskDefinition"]["taskDefinitionArn"])
        elif case == "another startedBy":
            other = as_the_original(world, started_by="someone-else")
        elif case == "created too early":
            other = as_the_original(world)
            instant = now() + timedelta(seconds=1.5)
        else:
            claimed = fire_at(world.params(started_by=ORIGINAL), instant)
            [other] = arns(launcher.launch(claimed))
        request = fire_at(handing_over(world, **changes), instant)

        [arn] = arns(launcher.launch(request))

        assert arn != other
        assert tags_of(world, arn)[KEY_TAG] == request.key
        assert tags_of(world, other).get(KEY_TAG) != request.key


class TestWithoutLookup:
    @pytest.mark.parametrize("case", ["at until", "manual trigger"])
    def test_a_fire_the_original_did_not_start_launches_at_once(
        self, world: World, launcher: EcsLauncher, sleeps: Sleeps, case: str
    ) -> None:
        instant = now()
        as_the_original(world)
        if case == "at until":
            request = fire_at(handing_over(world, until=instant), instant)
        else:
            request = fire_at(handing_over(world), instant, trigger=Trigger.MANUAL)
        faults = Faults(launcher.client(REGION, world.endpoint))

        [arn] = arns(launcher.launch(request))

        assert sleeps.seconds == []
        assert [name for name, _, _ in faults.calls] == ["DescribeTaskDefinition", "RunTask"]
        assert tags_of(world, arn)[KEY_TAG] == request.key
        assert len(cluster_tasks(world)) == 2
