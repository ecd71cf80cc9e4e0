"""A burst through ECS's RunTask rate: N fires due in one second, drained at 20/s and 40/s.

Every schedule of a case fires at the same instant (full: 10,000 a case; quick: 400).
A worker runs in-process on SQLite (this part measures the launcher, not the store)
with the real ``ecs`` launcher, whose ``endpoint_url`` is :mod:`ecs_rate_limit`'s server:
an emulator of ECS's server-side RunTask throttling (its own token bucket at ECS's
rates, answering ``ThrottlingException`` when empty) in front of moto's ECS server. It
answers admitted RunTasks itself (moto's are too slow for 60 a second here; see that
module) and forwards the rest to moto. Two cases run side by side, one worker each:
Fargate (20/s, burst 20) and the EC2 launch type (40/s, burst 100), each against its
own quota.

* ideal: the burst leaves at once, the rest at the rate: (N − burst) / rate seconds;
* drain: from the instant to the last RunTask that started a task (the server's clock);
* lost: schedules whose instant has no RunTask that started a task; duplicates: more than one;
* throttled: ThrottlingException answers as a share of all RunTask calls.

Goals: nothing lost or doubled, throttling under 1 % of calls, drain within 5 % + 1 s of
the ideal.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from clockwork_core.model import Schedule, Target, fire_key
from clockwork_core.store import Store
from clockwork_dynamodb.testing.emulators import FAKE_CREDENTIALS, moto_server
from clockwork_ecs.bucket import DEFAULT_RATES, RATES_VARIABLE
from clockwork_ecs.launcher import EcsLauncher
from clockwork_ecs.testing import REGION, World, build_world
from clockwork_worker import Worker, WorkerSettings
from common import Part
from ecs_rate_limit import RateLimitServer
from stores import filled_sqlite

TITLE = "A burst through ECS's RunTask rate"
COLUMNS = (
    "launch type",
    "rate/s",
    "burst",
    "fires",
    "ideal s",
    "drain s",
    "over ideal",
    "lost",
    "doubled",
    "RunTask calls",
    "throttled % of calls",
    "goal met",
)
#: The whole part's time budget (full mode), setup and teardown included.
FULL_BUDGET = 535.0
QUICK_BUDGET = 40.0
#: Seconds given to a case past its goal (5 % + 1 s over the ideal) before it is cut off.
GRACE = 10.0


@attrs.frozen
class Case:
    kind: str  # FARGATE or EC2: the launch type, and the quota it counts against
    fires: int
    params: dict[str, Any]

    @property
    def rate(self) -> float:
        return DEFAULT_RATES[self.kind][0]

    @property
    def burst(self) -> int:
        return DEFAULT_RATES[self.kind][1]

    @property
    def ideal(self) -> float:
        return max(0, self.fires - self.burst) / self.rate

    @property
    def goal(self) -> float:
        return self.ideal * 1.05 + 1.0

    def schedule_id(self, i: int) -> str:
        return f"burst-{self.kind.lower()}-{i:05d}"


@attrs.define
class Running:
    case: Case
    store: Store
    launcher: EcsLauncher
    worker: Worker
    thread: threading.Thread


def run(quick: bool, work: Path) -> Part:
    began = time.monotonic()
    budget = QUICK_BUDGET if quick else FULL_BUDGET
    fires = 400 if quick else 10_000
    part = Part(TITLE, COLUMNS)
    with _aws_environment():
        moto = moto_server(work / "moto.log").start()
        try:
            with RateLimitServer(moto.endpoint, work / "rate_limit.log") as limiter:
                world = build_world(moto.endpoint)
                cases = [
                    Case("FARGATE", fires, _without_endpoint(world.params())),
                    Case("EC2", fires, ec2_params(world)),
                ]
                # Schedules are created for one instant a few seconds ahead (time to fill the stores).
                lead = 3.0 + 0.0006 * fires * len(cases)
                instant = (datetime.now(UTC) + timedelta(seconds=lead + 1)).replace(microsecond=0)
                stores = [_filled(work, case, instant) for case in cases]
                running = [
                    _start(case, store, limiter.endpoint) for case, store in zip(cases, stores, strict=True)
                ]
                start = max(instant.timestamp(), time.time())
                # Each case waits for its goal and some grace, the grace cut short by the budget.
                budget_end = time.time() + budget - (time.monotonic() - began)
                deadline = {
                    r.case.kind: min(start + r.case.goal + GRACE, max(start + r.case.goal + 1, budget_end))
                    for r in running
                }
                _wait(running, limiter, deadline)
                stats = limiter.stats(full=True)
        finally:
            moto.stop()
    for case in cases:
        _add_row(part, case, stats, start, instant)
    _add_notes(part, cases, stats, start)
    return part


@contextlib.contextmanager
def _aws_environment() -> Iterator[None]:
    """moto's fake credentials; the launcher's rates are its defaults (ECS's), not a local setting."""
    saved = {name: os.environ.get(name) for name in [*FAKE_CREDENTIALS, RATES_VARIABLE]}
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop(RATES_VARIABLE, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _without_endpoint(params: dict[str, Any]) -> dict[str, Any]:
    """Target params that name no endpoint: the launcher's own (the rate-limit server) applies."""
    return {name: value for name, value in params.items() if name != "endpoint_url"}


def ec2_params(world: World) -> dict[str, Any]:
    """Target params for an EC2-launch-type task definition (registered in moto, which describes it)."""
    family = f"job-ec2-{uuid.uuid4().hex[:8]}"
    world.ecs().register_task_definition(
        family=family,
        networkMode="bridge",
        requiresCompatibilities=["EC2"],
        containerDefinitions=[{"name": "main", "image": "busybox", "memory": 128, "essential": True}],
    )
    return {"cluster": world.cluster, "task_definition": family, "launch_type": "EC2", "region": REGION}


def _filled(work: Path, case: Case, instant: datetime) -> Store:
    expression = f"{instant.second} {instant.minute} {instant.hour} {instant.day} {instant.month} *"
    target = Target("ecs", case.params)
    return filled_sqlite(
        work / f"{case.kind.lower()}.db",
        case.fires,
        lambda i: Schedule(id=case.schedule_id(i), expression=expression, target=target),
    )


def _start(case: Case, store: Store, endpoint: str) -> Running:
    launcher = EcsLauncher(region=REGION, endpoint_url=endpoint, run_task_rates=DEFAULT_RATES)
    worker = Worker(store, {"ecs": launcher}, WorkerSettings(worker_id=f"burst-{case.kind.lower()}"))
    thread = threading.Thread(target=worker.run, name=f"worker-{case.kind.lower()}")
    thread.start()
    return Running(case, store, launcher, worker, thread)


def _wait(running: list[Running], limiter: RateLimitServer, deadline: dict[str, float]) -> None:
    """Until every case has started a task for each fire (or met its deadline); then stop its worker."""
    left = list(running)
    while left:
        time.sleep(1.0)
        launched = limiter.stats()["launched"]
        for r in list(left):
            if launched.get(r.case.kind, 0) >= r.case.fires or time.time() >= deadline[r.case.kind]:
                _stop(r)
                left.remove(r)


def _stop(r: Running) -> None:
    # Fires still queued in the worker's pool at a deadline are dropped, not waited for
    # (the worker's own stop finishes them all): they count as lost.
    r.worker._pool.shutdown(wait=False, cancel_futures=True)
    r.worker.stop()
    r.thread.join(timeout=60)
    r.launcher.close()
    r.store.close()


def _add_row(part: Part, case: Case, stats: dict[str, Any], start: float, instant: datetime) -> None:
    started: dict[str, list[float]] = stats["started"][case.kind]
    counts = [len(started.get(fire_key(case.schedule_id(i), instant), [])) for i in range(case.fires)]
    lost = sum(1 for n in counts if n == 0)
    doubled = sum(1 for n in counts if n > 1)
    arrivals = [t for times in started.values() for t in times]
    drain = max(arrivals) - start if arrivals else float("nan")
    calls = int(stats["calls"][case.kind])
    throttled = int(stats["throttled"][case.kind])
    share = 100.0 * throttled / calls if calls else float("nan")
    met = lost == 0 and doubled == 0 and share < 1.0 and drain <= case.goal
    part.add(
        **{
            "launch type": case.kind,
            "rate/s": case.rate,
            "burst": case.burst,
            "fires": case.fires,
            "ideal s": case.ideal,
            "drain s": drain,
            "over ideal": f"{100 * (drain / case.ideal - 1):+.1f} %" if case.ideal else "",
            "lost": lost,
            "doubled": doubled,
            "RunTask calls": calls,
            "throttled % of calls": share,
            "goal met": met,
        }
    )


def _add_notes(part: Part, cases: list[Case], stats: dict[str, Any], start: float) -> None:
    part.notes.extend(
        [
            "Each launch takes a token from the launcher's bucket (Fargate 20/s, burst 20; EC2 40/s, "
            "burst 100: ECS's published RunTask rates) before it calls RunTask, so a midnight burst "
            "drains at the highest rate ECS accepts instead of failing in a throttling storm of "
            "retries (each throttled call costs a retry after backoff and, in ECS, a token). Goals: "
            "nothing lost or doubled, throttling < 1 % of RunTask calls, drain within 5 % + 1 s of "
            "the ideal, (N − burst) / rate.",
            "ECS's throttling is emulated by a real HTTP server (benchmarks/ecs_rate_limit.py, a "
            "separate process; moto does not throttle): a token bucket per launch kind at the same "
            "rates, answering HTTP 400 ThrottlingException when empty. It answers admitted RunTasks "
            "itself with a minimal valid answer (and DescribeTasks / ListTasks of the tasks it "
            "started: each has ended, exit 0), because moto's RunTask, one request at a time, "
            "took 17 ms at the median (p99 95 ms) beside the workers when this part was written "
            "(2 cores): too slow for 40 + 20 calls a second. Everything else (DescribeTaskDefinition) goes "
            "on to moto's server. One worker per case, in-process, on SQLite, with the real ecs "
            "launcher and the worker's defaults (256 parallel fires; 3 launch attempts, 2 s backoff); "
            "both cases run at once.",
        ]
    )
    for case in cases:
        throttled = [t - start for t in stats["throttled_at"][case.kind]]
        if throttled:
            shown = ", ".join(f"{t:.1f}" for t in throttled[:8]) + (" ..." if len(throttled) > 8 else "")
            part.notes.append(
                f"{case.kind}: throttled at {shown} s after the instant. The launcher's bucket and "
                "ECS's have the same rate and no slack between them, so a call that reaches ECS a "
                "little earlier after its predecessor than the burst's calls did finds its bucket "
                "empty; each refusal leaves ECS a token ahead of the launcher, which absorbs that "
                "jitter, so refusals stop after a few."
            )
