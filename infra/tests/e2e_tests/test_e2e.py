"""The deployable path end to end, on emulators: CloudFormation → Lambda → DynamoDB → workers → ECS.

One ``python -m moto.server`` serves DynamoDB and ECS (and EC2's default VPC, which its
Fargate tasks need). Everything that writes reaches it through clockwork-dynamodb's
serialising proxy: moto's conditional writes are not atomic under concurrent requests,
and the workers' exactly-once rests on them. The custom resource's handler
(``clockwork_cfn_resource.handler.handler``, called in-process as Lambda would) creates a
dozen schedules at seconds granularity and answers each request on a real HTTP response
server; three real ``clockwork run`` processes (DynamoDB store, ``ecs`` launcher, ECS's
endpoint from ``AWS_ENDPOINT_URL_ECS``, as a deployment behind a VPC endpoint would set
it) fire them while one of them is SIGKILLed and restarted every few seconds, and the
handler meanwhile changes one schedule's cron, pauses another and deletes two.

The verdict comes from ECS's own record (every task moto started, by its
``clockwork:fire-key``, ``schedule-id`` and ``fire-time`` tags) and from ``clockwork
history --json``: each due instant of the checked window fired exactly once, the changed
cron is followed from its update on, and the paused and deleted schedules stop firing
(one fire in flight at the boundary allowed).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import boto3
import pytest
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.testing import SERVICE_TOKEN, LambdaContext, ResponseServer, event
from clockwork_core.plugins import open_store
from clockwork_dynamodb.location import client_config
from clockwork_dynamodb.testing.emulators import (
    FAKE_CREDENTIALS,
    Emulator,
    Proxy,
    create_table,
    moto_server,
)
from clockwork_ecs.fire import KEY_TAG
from clockwork_ecs.launcher import default_client
from clockwork_ecs.testing import REGION, World, build_world
from clockwork_worker.testing import WorkerProcesses, clockwork_env

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient

LEASE = 3
WORKERS = 3
#: How long the workers run under fire, and roughly how often one of them is SIGKILLed.
WINDOW = 40.0
KILL_EVERY = 6.0
#: When (seconds into the window) the handler changes, pauses and deletes schedules.
UPDATE_CRON_AT, PAUSE_AT, DELETE_AT = 12.0, 18.0, (24.0, 29.0)
#: How far behind its instants a schedule may be when it is changed (a loaded machine, a kill).
MAX_LAG = timedelta(seconds=30)
#: A fire claimed before a change may still launch: its instant is this close after it.
IN_FLIGHT = timedelta(seconds=7)
#: The worker's lookahead is 5 s; its track interval 2 s (moto stops a task after four looks).
CATCH_UP_TIMEOUT = 60.0


def every(step: int, offset: int = 0) -> Callable[[datetime], bool]:
    """Which instants a ``offset-59/step * * * * *`` cron names."""
    return lambda instant: instant.microsecond == 0 and instant.second % step == offset


@attrs.frozen
class Declared:
    """One schedule resource of the stack: its logical id, cron, and what becomes of it."""

    logical_id: str
    cron: str
    due: Callable[[datetime], bool]
    fate: str = "steady"  # steady, changed, paused, deleted
    zone: str = "UTC"


SCHEDULES = [
    *(
        Declared(
            f"Job{i:02d}", "*/2 * * * * *" if i % 2 == 0 else "*/3 * * * * *", every(2 if i % 2 == 0 else 3)
        )
        for i in range(8)
    ),
    Declared("Changed", "*/2 * * * * *", every(2), "changed", zone="Europe/Paris"),
    Declared("Paused", "*/3 * * * * *", every(3), "paused", zone="Asia/Kolkata"),
    Declared("DeletedA", "*/2 * * * * *", every(2), "deleted"),
    Declared("DeletedB", "*/3 * * * * *", every(3), "deleted", zone="America/New_York"),
]
NEW_CRON, NEW_DUE = "1-59/2 * * * * *", every(2, 1)


@attrs.define
class Stack:
    """Sends the stack's requests to the handler; each must be answered SUCCESS."""

    table: str
    world: World
    responses: ResponseServer
    physical: dict[str, str] = attrs.field(factory=dict)
    current: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    def properties(self, declared: Declared) -> dict[str, Any]:
        vpc = {"Subnets": [self.world.subnets[0]], "SecurityGroups": [self.world.security_group]}
        return {
            # The original aws-ecs-clockwork's property set ...
            "ServiceToken": SERVICE_TOKEN,
            "SchedulerDynamoDBTable": self.table,
            "Region": REGION,
            "Name": f"e2e {declared.logical_id}",
            "CronTime": declared.cron,
            "TaskDefinitionArn": self.world.task_definition_arn,
            "ECSClusterArn": self.world.cluster_arn,
            # ... and clockwork's own, as CloudFormation sends them (scalars as strings).
            "Description": f"{declared.fate} schedule of the end-to-end test",
            "TimeZone": declared.zone,
            "Enabled": "true",
            "ConcurrencyPolicy": "Allow",
            "MissedFirePolicy": "All",
            "MaxCatchUp": "1000",
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {"AwsvpcConfiguration": vpc},
        }

    def send(
        self, request_type: str, logical_id: str, properties: Mapping[str, Any]
    ) -> tuple[datetime, datetime]:
        """One request; when it started and when it had taken effect (the handler answered)."""
        sent_event = event(
            request_type,
            properties,
            self.responses.url(),
            physical_id=None if request_type == "Create" else self.physical[logical_id],
            old=self.current[logical_id] if request_type == "Update" else None,
            logical_id=logical_id,
        )
        before = datetime.now(UTC)
        document = handler(sent_event, LambdaContext(timeout=60))
        after = datetime.now(UTC)
        assert document["Status"] == "SUCCESS", document
        sent = [
            r.document for r in self.responses.received if r.document["RequestId"] == sent_event["RequestId"]
        ]
        assert [r["Status"] for r in sent] == ["SUCCESS"], sent
        if request_type == "Create":
            self.physical[logical_id] = document["PhysicalResourceId"]
        else:
            assert document["PhysicalResourceId"] == self.physical[logical_id], "no replacement expected"
        self.current[logical_id] = dict(properties)
        return before, after

    def create(self, declared: Declared) -> tuple[datetime, datetime]:
        return self.send("Create", declared.logical_id, self.properties(declared))

    def update(self, logical_id: str, **changes: str) -> tuple[datetime, datetime]:
        return self.send("Update", logical_id, {**self.current[logical_id], **changes})

    def delete(self, logical_id: str) -> tuple[datetime, datetime]:
        return self.send("Delete", logical_id, self.current[logical_id])


# --- what ECS started -------------------------------------------------------------------------


@attrs.frozen
class Task:
    arn: str
    key: str
    schedule_id: str
    instant: datetime


class EcsRecord:
    """Every task moto started on the cluster, with its clockwork tags (read once per task)."""

    def __init__(self, ecs: ECSClient, cluster: str) -> None:
        self.ecs = ecs
        self.cluster = cluster
        self.tasks: dict[str, Task] = {}

    def refresh(self) -> list[Task]:
        arns: set[str] = set()
        paginator = self.ecs.get_paginator("list_tasks")
        for status in ("RUNNING", "STOPPED"):
            for page in paginator.paginate(cluster=self.cluster, desiredStatus=status):
                arns.update(page["taskArns"])
        new = sorted(arns - set(self.tasks))
        for start in range(0, len(new), 100):
            described = self.ecs.describe_tasks(
                cluster=self.cluster, tasks=new[start : start + 100], include=["TAGS"]
            )
            for task in described["tasks"]:
                tags = {t["key"]: t["value"] for t in task.get("tags", ())}
                self.tasks[task["taskArn"]] = Task(
                    arn=task["taskArn"],
                    key=tags[KEY_TAG],
                    schedule_id=tags["clockwork:schedule-id"],
                    instant=datetime.fromisoformat(tags["clockwork:fire-time"].replace("Z", "+00:00")),
                )
        return list(self.tasks.values())


# --- the test ---------------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials only; nothing from the machine's own AWS configuration."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", REGION)


@pytest.fixture
def moto(tmp_path: Path, aws: None) -> Iterator[Emulator]:
    emulator = moto_server(tmp_path / "moto.log").start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def proxy(moto: Emulator) -> Iterator[Proxy]:
    serialised = Proxy(moto.port, serialise=True)
    yield serialised
    serialised.close()


def instants(start: datetime, end: datetime, due: Callable[[datetime], bool]) -> set[datetime]:
    """The instants in [start, end] that ``due`` names (whole seconds)."""
    first = start.replace(microsecond=0) + (timedelta(seconds=1) if start.microsecond else timedelta(0))
    return {
        first + timedelta(seconds=s)
        for s in range(int((end - first).total_seconds()) + 1)
        if due(first + timedelta(seconds=s))
    }


def histories(env: dict[str, str], ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """``clockwork history ID --json`` of each schedule, run side by side."""
    procs = {
        i: subprocess.Popen(
            [sys.executable, "-m", "clockwork_worker.cli", "history", i, "--json", "--limit", "10000"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in ids
    }
    found: dict[str, list[dict[str, Any]]] = {}
    for i, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        found[i] = json.loads(out)
    return found


@attrs.define
class Outcome:
    """What the workers were put through, and when each change of the stack took effect."""

    created: dict[str, tuple[datetime, datetime]]
    changes: dict[str, tuple[datetime, datetime]] = attrs.field(factory=dict)
    kills: list[float] = attrs.field(factory=list)
    end: datetime = attrs.field(factory=lambda: datetime.now(UTC))


def under_fire(stack: Stack, pool: WorkerProcesses, outcome: Outcome) -> None:
    """The workers run for WINDOW s, one SIGKILLed (and restarted) every ~KILL_EVERY s, while
    the stack changes one cron, pauses one schedule and deletes two."""
    for index in range(WORKERS):
        pool.start(index)
    began = time.monotonic()
    rng = random.Random(20261127)
    actions: list[tuple[float, str, Callable[[], tuple[datetime, datetime]]]] = [
        (UPDATE_CRON_AT, "Changed", lambda: stack.update("Changed", CronTime=NEW_CRON)),
        (PAUSE_AT, "Paused", lambda: stack.update("Paused", Enabled="false")),
        (DELETE_AT[0], "DeletedA", lambda: stack.delete("DeletedA")),
        (DELETE_AT[1], "DeletedB", lambda: stack.delete("DeletedB")),
    ]
    next_kill = KILL_EVERY * rng.uniform(0.7, 1.3)
    while (elapsed := time.monotonic() - began) < WINDOW:
        if actions and actions[0][0] <= elapsed:
            _, logical_id, act = actions.pop(0)
            outcome.changes[logical_id] = act()
        elif next_kill <= elapsed:
            victim = rng.randrange(WORKERS)
            pool.kill(victim)
            pool.start(victim)
            outcome.kills.append(elapsed)
            next_kill = elapsed + KILL_EVERY * rng.uniform(0.7, 1.3)
        else:
            time.sleep(max(0.0, min(next_kill, actions[0][0] if actions else WINDOW, WINDOW) - elapsed))
    outcome.end = datetime.now(UTC).replace(microsecond=0)


def due_in_window(outcome: Outcome) -> dict[str, set[datetime]]:
    """Each schedule's instants that must have started exactly one task by the window's end.

    From the end of its Create; for the changed one, its new cron's instants from the end
    of the Update on (its, the paused and the deleted ones' earlier fires: see check_ecs).
    """
    expected: dict[str, set[datetime]] = {}
    for d in SCHEDULES:
        start = outcome.created[d.logical_id][1]
        if d.fate == "steady":
            expected[d.logical_id] = instants(start, outcome.end, d.due)
            continue
        # Before the change: see check_ecs (the backlog a change finds is dropped with it).
        expected[d.logical_id] = set()
        if d.fate == "changed":
            expected[d.logical_id] = instants(outcome.changes[d.logical_id][1], outcome.end, NEW_DUE)
    return expected


def settle(record: EcsRecord, wanted: set[tuple[str, datetime]], store_url: str) -> None:
    """Wait until ECS holds a task for every wanted fire (under load the workers run behind
    and catch up), then for anything in flight, then for the runs to be tracked to their end."""
    give_up = time.monotonic() + CATCH_UP_TIMEOUT
    while time.monotonic() < give_up:
        if wanted <= {(t.schedule_id, t.instant) for t in record.refresh()}:
            break
        time.sleep(2)
    time.sleep(LEASE + 1)  # anything that could launch twice does so now
    with closing(open_store(store_url)) as store:
        give_up = time.monotonic() + 30
        while store.active_runs() and time.monotonic() < give_up:
            time.sleep(1)


def check_ecs(tasks: list[Task], ids: dict[str, str], outcome: Outcome) -> dict[str, set[datetime]]:
    """ECS's own record: one task per fire, none off cron, none after a pause or delete
    (but one claimed before it), the new cron followed after an update. The fired instants."""
    doubled = {key: n for key, n in Counter(t.key for t in tasks).items() if n > 1}
    assert not doubled, f"{len(doubled)} fires started more than one task: {sorted(doubled.items())[:5]}"
    assert max(Counter((t.schedule_id, t.instant) for t in tasks).values()) == 1
    names = {physical: name for name, physical in ids.items()}
    assert {t.schedule_id for t in tasks} <= set(names), "a task of a schedule the stack never declared"
    fired: dict[str, set[datetime]] = defaultdict(set)
    for t in tasks:
        fired[names[t.schedule_id]].add(t.instant)
    for d in SCHEDULES:
        times = fired[d.logical_id]
        assert all(t > outcome.created[d.logical_id][0] for t in times), (
            f"{d.logical_id} fired before its Create"
        )
        if d.fate == "steady":
            assert all(d.due(t) for t in times), f"{d.logical_id} fired off its cron"
            continue
        change_began, took = outcome.changes[d.logical_id]
        assert all(d.due(t) for t in times if t <= change_began), f"{d.logical_id} fired off its cron"
        # Up to the change, no hole: every instant up to the last one fired before it fired.
        # What was still due and not yet fired when the change landed (the workers run behind
        # on a loaded machine, more so after a kill) is dropped by it, so only a hole is a loss.
        before = sorted(t for t in times if t <= change_began)
        assert before, f"{d.logical_id} never fired before its {d.fate}"
        holes = instants(outcome.created[d.logical_id][1], before[-1], d.due) - set(before)
        assert not holes, f"{d.logical_id} lost {sorted(holes)[:5]}"
        assert before[-1] >= change_began - MAX_LAG, f"{d.logical_id} was {change_began - before[-1]} behind"
        new_cron = NEW_DUE if d.fate == "changed" else (lambda _: False)
        stray = sorted(t for t in times if t > took and not new_cron(t))
        # One fire claimed before the change may still launch (its instant is near).
        assert len(stray) <= 1, f"{d.logical_id} ({d.fate} at {took}) fired after it: {stray}"
        assert all(t <= took + IN_FLIGHT for t in stray), f"{d.logical_id}: {stray} is no fire in flight"
        if d.fate == "changed":
            assert any(NEW_DUE(t) for t in times), "the new cron never fired"
    return fired


def check_history(
    history: dict[str, list[dict[str, Any]]],
    record: EcsRecord,
    end: datetime,
) -> int:
    """``clockwork history`` agrees with ECS run for run; the number of runs SUCCEEDED.

    moto reports every task's (first) container as exiting 0, and never a stop code: it
    cannot stand for a failing job, so a run here can only end SUCCEEDED with {"main": 0}.
    """
    finished = 0
    for physical, runs in history.items():
        mine = {
            t.instant.isoformat().replace("+00:00", "Z")
            for t in record.tasks.values()
            if t.schedule_id == physical
        }
        assert {r["instant"] for r in runs} == mine, f"{physical}: the history and ECS disagree"
        for run in runs:
            assert run["launcher"] == "ecs"
            arns = [handle.partition("|")[0] for handle in run["handles"]]
            assert len(arns) == 1, run
            assert record.tasks[arns[0]].schedule_id == physical
            assert record.tasks[arns[0]].instant.isoformat().replace("+00:00", "Z") == run["instant"]
            if run["status"] == "SUCCEEDED":
                finished += 1
                assert run["exit_codes"] == {"main": 0}, run
            else:
                assert run["status"] in ("LAUNCHED", "RUNNING"), run
                instant = datetime.fromisoformat(run["instant"].replace("Z", "+00:00"))
                assert instant > end, f"a run of the window was never tracked to its end: {run}"
    return finished


@pytest.mark.slow
def test_a_stacks_schedules_fire_exactly_once_on_ecs_while_workers_crash(
    tmp_path: Path, moto: Emulator, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    table = f"clockwork-e2e-{uuid.uuid4().hex[:8]}"
    with closing(
        boto3.client("dynamodb", region_name=REGION, endpoint_url=moto.endpoint, config=client_config())
    ) as dynamodb:
        create_table(dynamodb, table)
    world = build_world(moto.endpoint)
    # The function's configuration: its DynamoDB endpoint (the serialising proxy).
    monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", proxy.endpoint)
    store_url = f"dynamodb://{table}?region={REGION}&endpoint_url={proxy.endpoint}"
    # The workers' configuration: ECS's endpoint (boto3 honours AWS_ENDPOINT_URL_ECS; the
    # schedules' params name none), through the proxy too: moto's ECS is no more thread-safe.
    env = clockwork_env(tmp_path, store_url)
    env.update(AWS_ENDPOINT_URL_ECS=proxy.endpoint, CLOCKWORK_LAUNCHER="ecs")
    record = EcsRecord(default_client(REGION, proxy.endpoint), world.cluster_arn)

    responses = ResponseServer()
    stack = Stack(table, world, responses)
    pool = WorkerProcesses(tmp_path, env, lease=LEASE)
    try:
        outcome = Outcome(created={d.logical_id: stack.create(d) for d in SCHEDULES})
        ids = dict(stack.physical)
        assert len(set(ids.values())) == len(SCHEDULES)
        under_fire(stack, pool, outcome)
        expected = due_in_window(outcome)
        wanted = {(ids[name], instant) for name, due in expected.items() for instant in due}
        window_done = time.monotonic()
        settle(record, wanted, store_url)
        exit_codes = pool.stop_all()
    finally:
        pool.kill_all()
        responses.close()
    settled = time.monotonic()
    assert exit_codes == [0] * WORKERS, "a worker did not stop cleanly on SIGTERM"
    assert len(outcome.kills) >= 5, outcome.kills

    tasks = record.refresh()
    check_ecs(tasks, ids, outcome)
    lost = sorted(wanted - {(t.schedule_id, t.instant) for t in tasks})
    assert not lost, f"{len(lost)} of {len(wanted)} due instants never started a task: {lost[:5]}"

    kept = [ids[d.logical_id] for d in SCHEDULES if d.fate != "deleted"]
    finished = check_history(histories(env, kept), record, outcome.end)
    assert finished >= len(wanted) // 2

    print(
        f"\ne2e: {len(wanted)} due instants checked, {len(tasks)} ECS tasks, {finished} runs SUCCEEDED, "
        f"{len(outcome.kills)} kills at {[round(k, 1) for k in outcome.kills]} s; "
        f"settling took {settled - window_done:.1f} s, all {time.monotonic() - started:.1f} s"
    )
