"""Scheduler-added lateness and throughput of one worker on SQLite.

The launcher is the recording launcher (it records and returns at once), so what is
measured is clockwork itself: polling, claiming, completing and writing runs. Two
scenarios per size:

* burst: every schedule fires at the same instant; how fast the worker drains them,
  and each fire's lateness (launch call time minus the instant);
* steady: every schedule fires every 10 s at its own H-hashed second, so the load is
  size / 10 fires per second for the whole run.

Run with ``python3 dev.py nox -s bench-worker`` (``-- --quick`` for a short run). Writes
``.bench/worker.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clockwork_core import RunStatus, Schedule, Target
from clockwork_core.planner import first_due
from clockwork_core.plugins import open_store
from clockwork_core.store import Store
from clockwork_core.testing.recording import RecordingLauncher
from clockwork_worker import Worker, WorkerSettings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def populate(store: Store, size: int, expression: str) -> None:
    now = datetime.now(UTC)
    for i in range(size):
        schedule = Schedule(id=f"bench-{i:06d}", expression=expression, target=Target("recording"))
        due = first_due(schedule, after=now)
        store.create(schedule, due_at=due.due_at, cursor=due.cursor, now=now)


def run_worker(store: Store, seconds: float) -> RecordingLauncher:
    launcher = RecordingLauncher()
    worker = Worker(store, {"recording": launcher}, WorkerSettings(worker_id="bench"))
    thread = threading.Thread(target=worker.run)
    thread.start()
    time.sleep(seconds)
    worker.stop()
    thread.join()
    return launcher


def lateness_ms(store: Store, size: int) -> list[float]:
    values = []
    for i in range(size):
        for run in store.runs(f"bench-{i:06d}", limit=1000):
            if run.status is not RunStatus.FAILED_TO_LAUNCH and run.lateness is not None:
                values.append(run.lateness.total_seconds() * 1000)
    return values


def burst(size: int, folder: Path) -> dict[str, object]:
    store = open_store(f"sqlite:///{folder / f'burst-{size}.db'}")
    lead = 5 + size / 1000  # time to create the schedules before the instant
    at = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)
    populate(store, size, f"{at.second} {at.minute} {at.hour} {at.day} {at.month} *")
    remaining = (at - datetime.now(UTC)).total_seconds()
    launcher = run_worker(store, max(0.0, remaining) + 3 + size / 200)
    starts = [r.instant for r in launcher.started()]
    values = lateness_ms(store, size)
    store.close()
    drained = len(starts)
    last = max(values) / 1000 if values else 0.0
    return {
        "scenario": "burst",
        "schedules": size,
        "fires": drained,
        "fires_per_s": round(drained / last, 1) if last > 0 else None,
        "lateness_p50_ms": round(percentile(values, 0.5), 2),
        "lateness_p99_ms": round(percentile(values, 0.99), 2),
    }


def steady(size: int, folder: Path, seconds: float) -> dict[str, object]:
    store = open_store(f"sqlite:///{folder / f'steady-{size}.db'}")
    populate(store, size, "H/10 * * * * *")
    begin = time.monotonic()
    launcher = run_worker(store, seconds)
    elapsed = time.monotonic() - begin
    values = lateness_ms(store, size)
    store.close()
    return {
        "scenario": "steady",
        "schedules": size,
        "fires": len(launcher.started()),
        "fires_per_s": round(len(launcher.started()) / elapsed, 1),
        "lateness_p50_ms": round(percentile(values, 0.5), 2),
        "lateness_p99_ms": round(percentile(values, 0.99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes and a short run")
    parser.add_argument("--out", default=".bench/worker.json")
    args = parser.parse_args()
    sizes = [100, 1000] if args.quick else [1000, 10000]
    seconds = 5.0 if args.quick else 30.0
    with tempfile.TemporaryDirectory() as tmp:
        rows = [burst(size, Path(tmp)) for size in sizes] + [
            steady(size, Path(tmp), seconds) for size in sizes
        ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"python": platform.python_version(), "results": rows}, indent=2))
    print(f"{'scenario':8} {'schedules':>9} {'fires':>7} {'fires/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(
            f"{r['scenario']:8} {r['schedules']:>9} {r['fires']:>7} {r['fires_per_s']!s:>8} "
            f"{r['lateness_p50_ms']:>8} {r['lateness_p99_ms']:>8}"
        )
    print(f"(written to {out}; lateness = launch call time minus the instant; SQLite store, one worker)")


if __name__ == "__main__":
    main()
