"""Error classification and throttling, with ECS answers that moto cannot give.

FAULT INJECTION: moto never returns RunTask ``failures[]`` and never throttles, so these
tests answer RunTask in-process, at the boto3 client (botocore's ``before-call`` event,
see ``emulator.Faults``). Everything else (the lookup, the task definition) is moto's.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

import attrs
import pytest
from clockwork_core.errors import LaunchError, PermanentLaunchError, TransientLaunchError
from clockwork_ecs.bucket import FARGATE
from clockwork_ecs.launcher import EcsLauncher
from clockwork_ecs.testing import REGION, World

from .emulator import Faults, error
from .support import fire


def failed(reason: str, detail: str | None = None) -> dict[str, Any]:
    failure = {"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/c/1", "reason": reason}
    if detail:
        failure["detail"] = detail
    return {"tasks": [], "failures": [failure]}


FAILURES = [
    ("RESOURCE:CPU", TransientLaunchError),
    ("RESOURCE:MEMORY", TransientLaunchError),
    ("RESOURCE:PORTS", TransientLaunchError),
    ("RESOURCE:ENI", TransientLaunchError),
    ("AGENT", TransientLaunchError),
    (
        "Capacity is unavailable at this time. Please try again later or in a different availability zone",
        TransientLaunchError,
    ),
    ("MISSING", PermanentLaunchError),
    ("INACTIVE", PermanentLaunchError),
]

EXCEPTIONS = [
    (error("ThrottlingException", "Rate exceeded"), TransientLaunchError),
    (error("ServerException", "Service unavailable", 500), TransientLaunchError),
    (error("ClientException", "Task definition does not support launch_type FARGATE."), PermanentLaunchError),
    (error("InvalidParameterException", "subnets can have at most 16 items."), PermanentLaunchError),
    (error("AccessDeniedException", "User is not authorized to perform: ecs:RunTask"), PermanentLaunchError),
    (error("ClusterNotFoundException", "Cluster not found."), PermanentLaunchError),
]


@pytest.fixture
def faults(world: World, launcher: EcsLauncher) -> Faults:
    return Faults(launcher.client(REGION, world.endpoint))


class TestClassification:
    @pytest.mark.parametrize(("reason", "kind"), FAILURES, ids=[r[:20] for r, _ in FAILURES])
    def test_a_run_task_failure_is_classified_with_ecs_reason(
        self, world: World, launcher: EcsLauncher, faults: Faults, reason: str, kind: type[LaunchError]
    ) -> None:
        faults.answer("RunTask", lambda _: failed(reason))
        with pytest.raises(LaunchError) as caught:
            launcher.launch(fire(world.params()))
        assert type(caught.value) is kind
        assert reason in caught.value.reason

    @pytest.mark.parametrize(("answer", "kind"), EXCEPTIONS, ids=[a["Error"]["Code"] for a, _ in EXCEPTIONS])
    def test_a_run_task_exception_is_classified_with_ecs_message(
        self,
        world: World,
        launcher: EcsLauncher,
        faults: Faults,
        answer: Mapping[str, Any],
        kind: type[LaunchError],
    ) -> None:
        faults.answer("RunTask", lambda _: answer)
        with pytest.raises(LaunchError) as caught:
            launcher.launch(fire(world.params()))
        assert type(caught.value) is kind
        assert answer["Error"]["Code"] in caught.value.reason
        assert answer["Error"]["Message"] in caught.value.reason

    def test_a_partial_launch_returns_the_tasks_that_started(
        self, world: World, launcher: EcsLauncher, faults: Faults
    ) -> None:
        def one_of_two(sent: Mapping[str, Any]) -> Mapping[str, Any]:
            arn = f"arn:aws:ecs:{REGION}:123456789012:task/{world.cluster}/{uuid.uuid4().hex}"
            return {"tasks": [{"taskArn": arn}], "failures": failed("RESOURCE:MEMORY")["failures"]}

        faults.answer("RunTask", one_of_two)
        assert len(launcher.launch(fire(world.params(count=2))).handles) == 1

    def test_a_retry_after_a_transient_failure_sends_the_same_client_token(
        self, world: World, launcher: EcsLauncher, faults: Faults
    ) -> None:
        request = fire(world.params())
        faults.answer("RunTask", lambda _: error("ServerException", "try later", 500))
        with pytest.raises(TransientLaunchError):
            launcher.launch(request)
        faults.answer("RunTask", lambda _: None)  # through to moto
        assert launcher.launch(request).handles
        tokens = [params["clientToken"] for name, params, _ in faults.calls if name == "RunTask"]
        assert len(tokens) == 2
        assert tokens[0] == tokens[1]


class EcsQuota:
    """ECS's own token bucket, emulated: RunTask beyond ``rate``/``burst`` is throttled."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()
        self.throttled = 0
        self.lock = threading.Lock()

    def __call__(self, sent: Mapping[str, Any]) -> Mapping[str, Any] | None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens < 1:
                self.throttled += 1
                return error("ThrottlingException", "Rate exceeded")
            self.tokens -= 1
        return None  # through to moto


class TestThrottling:
    FIRES = 60

    def burst(
        self, world: World, launcher: EcsLauncher, quota: EcsQuota
    ) -> tuple[list[str], list[LaunchError]]:
        Faults(launcher.client(REGION, world.endpoint)).answer("RunTask", quota)
        params = world.params()
        launched: list[str] = []
        errors: list[LaunchError] = []

        def launch(index: int) -> None:
            try:
                launched.extend(launcher.launch(fire(params, schedule_id=f"burst-{index}")).handles)
            except LaunchError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=launch, args=(i,)) for i in range(self.FIRES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return launched, errors

    def test_a_burst_of_fires_drains_within_the_quota_without_throttling(self, world: World) -> None:
        launcher = EcsLauncher(run_task_rates={FARGATE: (30.0, 5)})
        quota = EcsQuota(rate=40.0, burst=10)
        launched, errors = self.burst(world, launcher, quota)
        launcher.close()
        assert (len(launched), errors, quota.throttled) == (self.FIRES, [], 0)

    def test_without_the_bucket_the_same_burst_is_throttled(self, world: World) -> None:
        """The control: proves the quota emulation bites, so the test above can fail."""
        launcher = EcsLauncher(run_task_rates={FARGATE: (100_000.0, 100_000)})
        quota = EcsQuota(rate=40.0, burst=10)
        launched, errors = self.burst(world, launcher, quota)
        launcher.close()
        assert quota.throttled > 0
        assert all(isinstance(e, TransientLaunchError) for e in errors)
        assert len(launched) + len(errors) == self.FIRES

    def test_a_throttled_run_task_holds_the_bucket_off(
        self, world: World, launcher: EcsLauncher, faults: Faults
    ) -> None:
        faults.answer("RunTask", lambda _: error("ThrottlingException", "Rate exceeded"))
        with pytest.raises(TransientLaunchError):
            launcher.launch(fire(world.params()))
        assert launcher.buckets.get(REGION, world.endpoint, FARGATE).reserve() > 0.5


class TestLookupCost:
    def test_a_first_launch_skips_the_lookup_and_a_carried_over_one_does_it(
        self, world: World, launcher: EcsLauncher, faults: Faults
    ) -> None:
        first = attrs.evolve(fire(world.params()), may_have_started=False)
        launched = launcher.launch(first)
        assert faults.count("ListTasks") == 0
        assert faults.count("RunTask") == 1
        # The same fire carried over (a retry, a recovered claim) looks first and finds it.
        assert launcher.launch(attrs.evolve(first, may_have_started=True)) == launched
        assert faults.count("ListTasks") >= 1
        assert faults.count("RunTask") == 1
