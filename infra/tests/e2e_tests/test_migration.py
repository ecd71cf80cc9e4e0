"""The move from aws-ecs-clockwork, as docs/migrating.md runs it, with real processes.

One moto server (DynamoDB and ECS) on loopback. The original's table holds items as its
Lambda writes them; a stand-in for the original's worker (``original_worker.py``, a
process of its own) fires every instant of every item as the original's worker read it,
with the original's RunTask. Then the guide's steps:

1. ``clockwork dynamodb migrate --dry-run`` (a real process) reports the one expression
   the original read otherwise (doubled spaces: a seconds field) and exits 1, writing
   nothing; ``migrate --handover-until ... --handover-grace 2 --meaning original`` copies
   the schedules, that one in the original's meaning.
2. Two real ``clockwork run`` processes start while the stand-in still fires.
3. The stacks' requests reach clockwork's handler (as the original's function, given
   clockwork's code, would pass them: ``CLOCKWORK_MIGRATED_TABLES`` names the original's
   table): an Update in the shape of the original's own sample event, with an unknown
   ``Comment``, and CloudFormation's rollback of it. Both answer SUCCESS with the
   original's physical id, while the schedule keeps firing.
4. The stand-in is SIGKILLed at a random moment between two instants (the offset is in
   every failure message), before the handover ends.
5. After the window, the stack's Delete removes its schedule.

Counted from the tasks moto's ECS started: every instant of the window ran exactly once,
whoever started it.

Two items share a task definition (a full ARN, as a stack's ``Ref`` gives it); a third
names a family; a fourth is written with doubled spaces. Their expressions have a
seconds field (in the original's reading), so the test is short.

moto, as this test finds it: its tasks have no ``createdAt`` (the server runs through
``clockwork_ecs.testing.moto_command``, which adds it); its conditional writes are not
atomic, so the workers' and the handler's DynamoDB traffic goes through a proxy that
forwards one request at a time; a RunTask with no launch type runs through the
cluster's default capacity provider strategy, and with FARGATE it asks a network
configuration only of ``awsvpc`` task definitions, so the original's RunTask (no launch
type, no network) runs on a bridge-mode task definition as sent.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import boto3
import pytest
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.testing import SERVICE_TOKEN, LambdaContext, ResponseServer, event
from clockwork_core.cron import parse_cron
from clockwork_core.errors import ScheduleNotFound
from clockwork_core.model import run_id_for
from clockwork_core.plugins import open_store
from clockwork_core.zones import isoformat_z
from clockwork_dynamodb.testing.emulators import FAKE_CREDENTIALS, Emulator, Proxy, create_table, free_port
from clockwork_ecs import tasks
from clockwork_ecs.fire import KEY_TAG
from clockwork_ecs.handover import ADOPTED_TAG
from clockwork_ecs.testing import REGION, moto_command

HERE = Path(__file__).parent
GRACE = 2
LEASE = "12"  # at least 1.5 x (grace + 5) s: a handover fire waits its grace inside its claim
#: The handover ends this long after the schedules are adopted; the stand-in dies before.
UNTIL = 30.0
#: The window goes on this long after ``until``: fires on time, with no lookup.
AFTER = 6.0
EVERY_3 = "*/3 * * * * *"
SHIFTED = "1-59/3 * * * * *"  # not 1/3: the original read a/s as a alone
#: The original read doubled spaces as empty fields: a seconds field, every 5 s. clockwork
#: reads the same text as every 5 minutes; the migration keeps the original's meaning.
DOUBLED = "*/5  * * * *"
DOUBLED_MEANT = "*/5 * * * * *"
#: Tasks per instant of each family: two schedules share the report task definition.
PER_INSTANT = {"report": 2, "cleanup": 1, "sweep": 1}


@attrs.frozen
class Moto:
    emulator: Emulator
    proxy: Proxy

    @property
    def endpoint(self) -> str:
        return self.emulator.endpoint

    def client(self, service: str, *, proxied: bool = False) -> Any:
        endpoint = self.proxy.endpoint if proxied else self.endpoint
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint)  # type: ignore[call-overload]


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[Moto]:
    port = free_port()
    emulator = Emulator("moto_server", moto_command(port), port, tmp_path / "moto.log").start()
    proxy = Proxy(port, serialise=True)
    try:
        yield Moto(emulator, proxy)
    finally:
        proxy.close()
        emulator.stop()


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


def original_world(moto: Moto) -> dict[str, str]:
    """The original's cluster and two task definitions; ECS's names for them."""
    ecs = moto.client("ecs")
    suffix = uuid.uuid4().hex[:8]
    cluster = ecs.create_cluster(
        clusterName=f"jobs-{suffix}",
        capacityProviders=["FARGATE"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
    )["cluster"]["clusterArn"]
    names = {"cluster": cluster}
    for family in PER_INSTANT:
        names[family] = ecs.register_task_definition(
            family=f"{family}-{suffix}",
            networkMode="bridge",
            containerDefinitions=[{"name": "main", "image": "busybox", "memory": 128, "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]
    return names


def original_items(world: dict[str, str]) -> list[dict[str, str]]:
    """Items as the original's Lambda writes them (its Create of three stack resources)."""
    shapes = [
        ("report-eu", EVERY_3, world["report"]),
        ("report-us", EVERY_3, world["report"]),
        ("cleanup", SHIFTED, family_of(world["cleanup"])),
        ("sweep", DOUBLED, world["sweep"]),
    ]
    return [
        {
            "id": str(uuid.uuid4()),
            "name": name,
            "cron_time": cron,
            "definition_arn": definition,
            "ecs_cluster_arn": world["cluster"],
            "last_updated": datetime.now(UTC).isoformat(),
        }
        for name, cron, definition in shapes
    ]


def family_of(task_definition: str) -> str:
    return task_definition.rpartition("/")[2].partition(":")[0]


def original_table(moto: Moto, items: list[dict[str, str]]) -> str:
    dynamodb = moto.client("dynamodb")
    name = f"original-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for item in items:
        dynamodb.put_item(TableName=name, Item={k: {"S": v} for k, v in item.items()})
    return name


def migrate(env: dict[str, str], source: str, *flags: str) -> tuple[int, dict[str, Any]]:
    """``clockwork dynamodb migrate --from SOURCE --json FLAGS`` as a process: its status and report."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "clockwork_worker.cli",
            "dynamodb",
            "migrate",
            "--from",
            source,
            "--json",
            *flags,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def migrate_as_the_guide_says(env: dict[str, str], source: str, until: datetime) -> dict[str, Any]:
    """The dry run asks for a decision on the doubled spaces; the copy keeps the original's."""
    status, report = migrate(env, source, "--dry-run")
    assert status == 1, report
    undecided = [item for item in report["items"] if item["action"] == "undecided"]
    assert [item["meaning"]["text"] for item in undecided] == [DOUBLED], report
    assert undecided[0]["meaning"]["translation"] == DOUBLED_MEANT
    handover = ("--handover-until", isoformat_z(until), "--handover-grace", str(GRACE))
    status, report = migrate(env, source, *handover, "--meaning", "original")
    assert status == 0, report
    return report


@attrs.define
class Processes:
    home: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = attrs.field(factory=dict)

    def start(self, name: str, command: list[str]) -> int:
        with (self.home / f"{name}.log").open("wb") as log:
            self.procs[name] = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self.procs[name].pid

    def log(self, name: str) -> str:
        return (self.home / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=10)

    def stop(self, names: list[str]) -> list[int]:
        for name in names:
            self.procs[name].send_signal(signal.SIGTERM)
        return [self.procs[name].wait(timeout=60) for name in names]

    def kill_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def wait_for(what: str, condition: Any, timeout: float, logs: Processes) -> None:
    give_up = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > give_up:
            shown = {name: logs.log(name)[-1500:] for name in logs.procs}
            raise AssertionError(f"{what} did not happen within {timeout:g} s; logs: {shown}")
        time.sleep(0.1)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def instant_at_or_before(expression: str, moment: datetime) -> datetime:
    """The expression's last instant at or before ``moment`` (its instants are at most 5 s apart)."""
    instants = itertools.islice(parse_cron(expression).iter_after(moment - timedelta(seconds=5.5)), 6)
    return max(i for i in instants if i <= moment)


@attrs.frozen
class Census:
    """The tasks moto's ECS started, by (task definition family, instant), and what they say."""

    per_family: Counter[tuple[str, datetime]]
    per_schedule: Counter[tuple[str, datetime]]
    adopted: dict[str, tuple[str, datetime]]
    launched_by_clockwork: list[datetime]


def census(moto: Moto, cluster: str, expressions: dict[str, str]) -> Census:
    ecs = moto.client("ecs")
    seen = tasks.describe(ecs, cluster, _all_arns(ecs, cluster), tags=True)
    per_family: Counter[tuple[str, datetime]] = Counter()
    per_schedule: Counter[tuple[str, datetime]] = Counter()
    adopted: dict[str, tuple[str, datetime]] = {}
    launched: list[datetime] = []
    for arn, task in seen.items():
        family = str(task["taskDefinitionArn"]).rpartition("/")[2].partition(":")[0]
        key, schedule = tasks.tag(task, KEY_TAG), tasks.tag(task, "clockwork:schedule-id")
        if key is None or schedule is None:  # the stand-in's, not taken over
            instant = instant_at_or_before(expressions[family], task["createdAt"])
        else:
            instant = datetime.fromisoformat(str(tasks.tag(task, "clockwork:fire-time")))
            per_schedule[schedule, instant] += 1
            if tasks.tag(task, ADOPTED_TAG) is not None:
                assert instant_at_or_before(expressions[family], task["createdAt"]) == instant, arn
                adopted[arn] = (schedule, instant)
            else:
                launched.append(instant)
        per_family[family, instant] += 1
    return Census(per_family, per_schedule, adopted, launched)


def _all_arns(ecs: Any, cluster: str) -> list[str]:
    found: dict[str, None] = {}
    for status in ("RUNNING", "STOPPED"):
        for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus=status):
            found.update(dict.fromkeys(page["taskArns"]))
    return list(found)


def window(expressions: dict[str, str], after: datetime, end: datetime) -> Counter[tuple[str, datetime]]:
    """How many tasks each (family, instant) of the window must have: one per schedule."""
    expected: Counter[tuple[str, datetime]] = Counter()
    for item_family, expression in expressions.items():
        for instant in parse_cron(expression).iter_after(after):
            if instant > end:
                break
            expected[item_family, instant] += PER_INSTANT[item_family.partition("-")[0]]
    return expected


@attrs.frozen
class Timeline:
    adopted_at: datetime
    until: datetime
    killed_at: datetime
    end: datetime
    exit_codes: list[int]

    def __str__(self) -> str:
        return (
            f"adopted {self.adopted_at:%H:%M:%S.%f}, stand-in killed {self.killed_at:%H:%M:%S.%f}, "
            f"until {self.until:%H:%M:%S.%f}"
        )


def declared_by_the_stack(source: str, item: dict[str, str]) -> dict[str, Any]:
    """The properties of the stack resource whose Create wrote ``item`` (to the original's table)."""
    return {
        "ServiceToken": SERVICE_TOKEN,
        "SchedulerDynamoDBTable": source,
        "Region": REGION,
        "Name": item["name"],
        "CronTime": item["cron_time"],
        "TaskDefinitionArn": item["definition_arn"],
        "ECSClusterArn": item["ecs_cluster_arn"],
    }


def stack_requests(responses: ResponseServer, source: str, item: dict[str, str]) -> list[dict[str, Any]]:
    """What a stack declared for the original sends once its function runs clockwork's code:
    an Update in the shape of the original's sample event (an unknown ``Comment`` added), and
    CloudFormation's rollback of it (the old properties sent back as the new)."""
    declared = declared_by_the_stack(source, item)
    changed = {**declared, "Name": "cleanup, renamed", "Comment": "kept for the original's readers"}
    answers = []
    for new, old in ((changed, declared), (declared, changed)):
        answers.append(
            answer(responses, event("Update", new, responses.url(), physical_id=item["id"], old=old))
        )
    return answers


def answer(responses: ResponseServer, sent: dict[str, Any]) -> dict[str, Any]:
    """The handler's answer to ``sent``, as the response server received it."""
    handler(sent, LambdaContext(timeout=30))
    [received] = [r.document for r in responses.received if r.document["RequestId"] == sent["RequestId"]]
    return received


def delete_request(responses: ResponseServer, source: str, item: dict[str, str]) -> dict[str, Any]:
    properties = declared_by_the_stack(source, item)
    return answer(responses, event("Delete", properties, responses.url(), physical_id=item["id"]))


def cut_over(procs: Processes, source: str, during: Callable[[], None]) -> Timeline:
    """The stand-in fires; the guide's migration runs; two workers start; ``during`` runs while
    both fire; the stand-in dies."""
    procs.start("original", [sys.executable, str(HERE / "original_worker.py"), source])
    wait_for("the stand-in's first fire", lambda: '"tasks"' in procs.log("original"), 30, procs)
    adopted_at = datetime.now(UTC)
    until = adopted_at + timedelta(seconds=UNTIL)
    migrate_as_the_guide_says(procs.env, source, until)
    ports = [free_port(), free_port()]
    for index, port in enumerate(ports):
        run = ["run", "--worker-id", f"w{index}", "--lease", LEASE, "--poll-interval", "0.5"]
        http = ["--http", f"127.0.0.1:{port}"]
        procs.start(f"worker-{index}", [sys.executable, "-m", "clockwork_worker.cli", *run, *http])
    wait_for("both workers healthy", lambda: all(healthy(port) for port in ports), 30, procs)
    during()
    # The stand-in and the workers overlap a few instants; then a random moment between two.
    after_an_instant = parse_cron(EVERY_3).next_after(datetime.now(UTC) + timedelta(seconds=4))
    assert after_an_instant is not None
    kill_at = after_an_instant + timedelta(seconds=random.uniform(0.0, 3.0))
    assert kill_at < until - timedelta(seconds=GRACE + 1), "the workers started too late for the test"
    sleep_until(kill_at)
    procs.kill("original")
    killed_at = datetime.now(UTC)
    end = until + timedelta(seconds=AFTER)
    sleep_until(end + timedelta(seconds=GRACE + 3))  # the window's last fires are recorded
    exit_codes = procs.stop(["worker-0", "worker-1"])
    return Timeline(adopted_at, until, killed_at, end, exit_codes)


@pytest.fixture(scope="module")
def pycache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.mark.slow
def test_the_guides_migration_runs_every_instant_once_and_keeps_the_stacks_working(
    moto: Moto, tmp_path: Path, pycache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = original_world(moto)
    items = original_items(world)
    source = original_table(moto, items)
    table = f"clockwork-{uuid.uuid4().hex[:8]}"
    create_table(moto.client("dynamodb"), table)
    url = f"dynamodb://{table}?region={REGION}&endpoint_url={moto.proxy.endpoint}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOCKWORK_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        FAKE_CREDENTIALS,
        AWS_ENDPOINT_URL_ECS=moto.endpoint,  # the migrated targets name no endpoint, as in AWS
        AWS_ENDPOINT_URL_DYNAMODB=moto.endpoint,
        CLOCKWORK_STORE=url,
        CLOCKWORK_LOG_FORMAT="json",
        PYTHONPYCACHEPREFIX=str(pycache),
    )
    # The original's function, given clockwork's code (docs/migrating.md, step 3).
    monkeypatch.setenv("CLOCKWORK_MIGRATED_TABLES", f"{source}={table}")
    monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", moto.proxy.endpoint)
    cleanup = next(item for item in items if item["name"] == "cleanup")
    answers: list[dict[str, Any]] = []
    procs = Processes(tmp_path, env)
    responses = ResponseServer()
    with contextlib.closing(open_store(url)) as store, contextlib.closing(responses):
        try:
            timeline = cut_over(
                procs, source, lambda: answers.extend(stack_requests(responses, source, cleanup))
            )
        finally:
            procs.kill_all()
        families = {
            family_of(world[name]): cron
            for name, cron in (("report", EVERY_3), ("cleanup", SHIFTED), ("sweep", DOUBLED_MEANT))
        }
        counted = census(moto, world["cluster"], families)
        expected = window(families, timeline.adopted_at, timeline.end)
        wrong = {k: (counted.per_family[k], n) for k, n in expected.items() if counted.per_family[k] != n}
        assert not wrong, f"(family, instant): (tasks, expected) where they differ; {timeline}"
        most = {k: n for k, n in counted.per_family.items() if n > PER_INSTANT[k[0].partition("-")[0]]}
        assert not most, f"doubled outside the window; {timeline}"
        assert max(counted.per_schedule.values()) == 1, timeline
        assert timeline.exit_codes == [0, 0]
        # What the run exercised: tasks taken over, and clockwork's own before and after until.
        assert counted.adopted, timeline
        launched = counted.launched_by_clockwork
        assert any(timeline.killed_at < t < timeline.until for t in launched), timeline
        assert any(t >= timeline.until for t in launched), timeline
        for arn, (schedule_id, instant) in counted.adopted.items():
            assert store.get_run(schedule_id, run_id_for(instant)).handles == (arn,)
        # The stacks: the Update and its rollback kept the original's physical id and said
        # what compatibility kept; the schedule is the stack's now, fired all along.
        assert [(a["Status"], a["PhysicalResourceId"]) for a in answers] == [("SUCCESS", cleanup["id"])] * 2
        assert "Comment" in answers[0]["Reason"], answers
        adopted = store.get(cleanup["id"]).schedule
        assert (adopted.name, adopted.origin["kind"]) == ("cleanup", "cloudformation")
        sweep = next(item for item in items if item["name"] == "sweep")
        swept = store.get(sweep["id"]).schedule
        assert (swept.expression, swept.origin["cron_time"]) == (DOUBLED_MEANT, DOUBLED)
        # After the window, the stack's Delete removes its schedule (with its history).
        deleted = delete_request(responses, source, cleanup)
        assert (deleted["Status"], deleted["PhysicalResourceId"]) == ("SUCCESS", cleanup["id"]), deleted
        with pytest.raises(ScheduleNotFound):
            store.get(cleanup["id"])
    # The original's table was only read.
    left = moto.client("dynamodb").scan(TableName=source)["Items"]
    assert sorted(item["id"]["S"] for item in left) == sorted(item["id"] for item in items)
