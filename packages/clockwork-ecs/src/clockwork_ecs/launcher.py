"""The ``ecs`` launcher: each fire becomes an Amazon ECS task, exactly once.

Target parameters: see :mod:`clockwork_ecs.params`. Launcher options (the worker builds
one launcher and shares it between all its launches):

* ``region``: the default region of targets that name none (else boto3's own).
* ``endpoint_url``: another ECS endpoint (an emulator, a VPC endpoint).
* ``run_task_rates``: ``{"FARGATE": (calls a second, burst), "EC2": (...)}``; else the
  ``CLOCKWORK_ECS_RUN_TASK_RATES`` variable (``FARGATE=20/20,EC2=40/100``); else ECS's
  published rates.
* ``now``, ``sleep``: the wall clock and the wait of a handover.

A launch (1) looks for a task this fire already started (``ListTasks`` by ``startedBy``,
or by family when the target sets a ``started_by`` of its own, RUNNING and STOPPED, every
page, then the ``clockwork:fire-key`` tag), (2) takes a token from the bucket, (3) calls
``RunTask`` with the fire's ``clientToken``. A worker that died after (3) and before
recording the handles is covered by (1); a retry after a lost answer by the token as
well. A fire that the original aws-ecs-clockwork's workers may have started too (a
target's ``handover``) looks for their task instead of (1), and takes it over if there
is one: see :mod:`clockwork_ecs.handover`. Handles are task ARNs (their long format
names the cluster, so ``describe`` batches per cluster), followed by ``|<endpoint_url>``
when the target named its own endpoint.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs
from botocore.exceptions import BotoCoreError, ClientError
from clockwork_core.errors import InvalidValue, PermanentLaunchError
from clockwork_core.launcher import Launched, LaunchRequest, Observation, Phase

from clockwork_ecs import tasks
from clockwork_ecs.bucket import DEFAULT_RATES, RATES_VARIABLE, Buckets, TokenBucket, parse_rates
from clockwork_ecs.errors import error_code, exception_error, failure_error, is_throttling
from clockwork_ecs.fire import KEY_TAG, run_task_request, started_by
from clockwork_ecs.handover import take_over
from clockwork_ecs.params import EcsTarget, parse_params

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient

log = logging.getLogger(__name__)

#: How long a task definition's container names are reused (a family name follows deploys).
DEFINITION_TTL = 60.0
#: How long the bucket hands out nothing after ECS throttled a RunTask anyway.
THROTTLED_PAUSE = 1.0
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 15.0
MAX_CONNECTIONS = 64
STOP_REASON_LIMIT = 255
_NOT_FOUND = ("ClusterNotFoundException", "InvalidParameterException")

ClientFactory = Callable[[str, str | None], "ECSClient"]


@attrs.frozen
class Handle:
    """A task ARN and where to reach it: ``arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID[|endpoint]``."""

    arn: str
    region: str
    cluster: str
    endpoint: str | None

    @classmethod
    def parse(cls, text: str) -> Handle | None:
        arn, _, endpoint = text.partition("|")
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "ecs" or not parts[5].startswith("task/"):
            return None
        path = parts[5].split("/")
        if len(path) != 3 or not all(path):
            return None  # the short ARN format names no cluster: ECS made the long one mandatory
        return cls(arn, parts[3], path[1], endpoint or None)

    def text(self) -> str:
        return f"{self.arn}|{self.endpoint}" if self.endpoint else self.arn


def default_client(region: str, endpoint_url: str | None) -> ECSClient:
    """An ECS client without botocore's own retries (the worker retries, with backoff)."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=MAX_CONNECTIONS,
    )
    return boto3.client("ecs", region_name=region, endpoint_url=endpoint_url, config=config)


class EcsLauncher:
    """Runs each fire as ECS task(s); see the module's documentation."""

    name = "ecs"

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        run_task_rates: Mapping[str, tuple[float, int]] | None = None,
        client_factory: ClientFactory = default_client,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if run_task_rates is None:
            run_task_rates = parse_rates(os.environ.get(RATES_VARIABLE, ""))
        self.region = region
        self.endpoint_url = endpoint_url
        self.buckets = Buckets({**DEFAULT_RATES, **run_task_rates}, clock=clock, sleep=sleep)
        self._client_factory = client_factory
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._clients: dict[tuple[str, str | None], ECSClient] = {}
        self._definitions: dict[tuple[str, str | None, str], tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    # --- the Launcher protocol ------------------------------------------------------------

    def validate(self, params: Mapping[str, Any]) -> None:
        parse_params(params)

    def launch(self, request: LaunchRequest) -> Launched:
        try:
            target = parse_params(request.params)
        except InvalidValue as exc:
            raise PermanentLaunchError(str(exc), code="invalid_params") from exc
        region = self._region(target.region)
        endpoint = target.endpoint_url or self.endpoint_url
        client = self.client(region, endpoint)
        found = self._existing(client, target, request)
        if found:
            return Launched(sorted(self._handle(arn, target) for arn in found))
        containers = self._containers(client, region, endpoint, target.task_definition)
        kwargs = run_task_request(target, request, containers)
        bucket = self.buckets.get(region, endpoint, target.kind)
        arns = _run_task(client, kwargs, bucket, request.schedule_id)
        return Launched(sorted(self._handle(arn, target) for arn in arns))

    def describe(self, handles: Sequence[str]) -> Sequence[Observation]:
        parsed = {text: Handle.parse(text) for text in handles}
        groups: dict[tuple[str, str | None, str], list[str]] = {}
        for handle in parsed.values():
            if handle is not None:
                where = (handle.region, handle.endpoint or self.endpoint_url, handle.cluster)
                if handle.arn not in groups.setdefault(where, []):
                    groups[where].append(handle.arn)
        seen: dict[str, Mapping[str, Any]] = {}
        for (region, endpoint, cluster), arns in groups.items():
            seen.update(tasks.describe(self.client(region, endpoint), cluster, arns))
        observations = []
        for text, handle in parsed.items():
            task = seen.get(handle.arn) if handle is not None else None
            observations.append(observe(text, task))
        by_text = {o.handle: o for o in observations}
        return [by_text[text] for text in handles]

    def stop(self, handle: str, *, reason: str) -> None:
        parsed = Handle.parse(handle)
        if parsed is None:
            return
        client = self.client(parsed.region, parsed.endpoint or self.endpoint_url)
        task = tasks.describe(client, parsed.cluster, [parsed.arn]).get(parsed.arn)
        if task is None or task.get("lastStatus") == "STOPPED":
            return  # nothing to stop (asking ECS to stop an unknown task is an error)
        try:
            client.stop_task(cluster=parsed.cluster, task=parsed.arn, reason=reason[:STOP_REASON_LIMIT])
        except ClientError as exc:
            if error_code(exc) not in _NOT_FOUND:
                raise exception_error(exc, "StopTask") from exc
        except BotoCoreError as exc:
            raise exception_error(exc, "StopTask") from exc
        log.info("stopping %s: %s", parsed.arn, reason, extra={"action": "ecs_stop", "handle": handle})

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    # --- clients and lookups --------------------------------------------------------------

    def client(self, region: str, endpoint: str | None) -> ECSClient:
        with self._lock:
            client = self._clients.get((region, endpoint))
            if client is None:
                client = self._client_factory(region, endpoint)
                self._clients[region, endpoint] = client
            return client

    def _region(self, wanted: str | None) -> str:
        region = wanted or self.region
        if region is None:
            import boto3

            region = boto3.session.Session().region_name
        if not region:
            raise PermanentLaunchError(
                "no AWS region: set target.params.region, the launcher's region, or AWS_REGION",
                code="no_region",
            )
        return region

    def _handle(self, arn: str, target: EcsTarget) -> str:
        handle = Handle.parse(arn)
        if handle is None:
            return arn
        return attrs.evolve(handle, endpoint=target.endpoint_url).text()

    def _existing(self, client: ECSClient, target: EcsTarget, request: LaunchRequest) -> list[str]:
        """The task(s) that already are this fire's: its own from an earlier attempt, or the original's."""
        if target.handover is not None and target.handover.covers(request.instant, request.trigger):
            # Waits until instant + grace; it sees every task of the family, its own included.
            return take_over(client, target, request, now=self._now, sleep=self._sleep)
        # The lookup costs ListTasks calls; a fire's first launch cannot have started a
        # task yet, and clientToken covers a RunTask retried inside this call.
        found = self._find(client, target, request.key) if request.may_have_started else []
        if found:
            log.info(
                "%s at %s was already launched: %s",
                request.schedule_id,
                request.environment["CLOCKWORK_FIRE_TIME"],
                ", ".join(found),
                extra={"action": "ecs_already_launched", "schedule": request.schedule_id},
            )
        return found

    def _find(self, client: ECSClient, target: EcsTarget, key: str) -> list[str]:
        """Task ARNs this fire already started, confirmed by the whole key's tag.

        Listed by the fire's own ``startedBy``; when the target sets one that all its fires
        share, by the task definition's family instead (the narrower listing: ECS lists
        ``startedBy`` with no other filter).
        """
        if target.started_by is None:
            candidates = tasks.list_arns(client, target.cluster, started_by=started_by(key))
        else:
            candidates = tasks.list_arns(client, target.cluster, family=target.family)
        if not candidates:
            return []
        found = tasks.describe(client, target.cluster, candidates, tags=True)
        return [arn for arn, task in found.items() if tasks.tag(task, KEY_TAG) == key]

    def _containers(self, client: ECSClient, region: str, endpoint: str | None, definition: str) -> list[str]:
        """The container names of a task definition, so that each receives the fire's variables."""
        key = (region, endpoint, definition)
        cached = self._definitions.get(key)
        if cached is not None and self._clock() - cached[0] < DEFINITION_TTL:
            return cached[1]
        try:
            answer = client.describe_task_definition(taskDefinition=definition)
        except (ClientError, BotoCoreError) as exc:
            raise exception_error(exc, "DescribeTaskDefinition") from exc
        names = [
            str(c["name"]) for c in answer["taskDefinition"].get("containerDefinitions", []) if "name" in c
        ]
        self._definitions[key] = (self._clock(), names)
        return names


def _run_task(
    client: ECSClient, kwargs: Mapping[str, Any], bucket: TokenBucket, schedule_id: str
) -> list[str]:
    """RunTask behind the bucket: the ARNs of the tasks it started, or the launch error."""
    bucket.acquire()
    try:
        answer = client.run_task(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        if is_throttling(exc):
            bucket.hold_off(THROTTLED_PAUSE)
        raise exception_error(exc, "RunTask") from exc
    arns = [str(task["taskArn"]) for task in answer.get("tasks", [])]
    failures = list(answer.get("failures", []))
    if not arns:
        raise failure_error(failures)
    if failures:
        log.warning(
            "RunTask for %s started %d of %d tasks: %s",
            schedule_id,
            len(arns),
            kwargs["count"],
            failure_error(failures).reason,
            extra={"action": "ecs_partial_launch", "schedule": schedule_id},
        )
    log.info(
        "started %s for %s",
        ", ".join(arns),
        schedule_id,
        extra={"action": "ecs_started", "schedule": schedule_id},
    )
    return arns


def observe(handle: str, task: Mapping[str, Any] | None) -> Observation:
    """What a DescribeTasks entry (None: not found) says of one handle."""
    if task is None:
        return Observation(handle, Phase.UNKNOWN)
    exit_codes: dict[str, int | None] = {
        str(c.get("name")): c.get("exitCode") for c in task.get("containers", ()) if c.get("name")
    }
    if task.get("lastStatus") != "STOPPED":
        return Observation(handle, Phase.RUNNING, exit_codes)
    succeeded = bool(exit_codes) and all(code == 0 for code in exit_codes.values())
    return Observation(
        handle,
        Phase.SUCCEEDED if succeeded else Phase.FAILED,
        exit_codes,
        stop_reason=stop_reason(task),
    )


def stop_reason(task: Mapping[str, Any]) -> str | None:
    """``"<stopCode>: <stoppedReason>"``, with the containers' own reasons where they give one."""
    parts: Iterable[str] = filter(None, (task.get("stopCode"), task.get("stoppedReason")))
    text = ": ".join(parts)
    own = [f"{c.get('name')}: {c['reason']}" for c in task.get("containers", ()) if c.get("reason")]
    if own:
        text = f"{text} ({'; '.join(own)})" if text else "; ".join(own)
    return text or None
