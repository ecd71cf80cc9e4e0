"""Write units per fire: what one fire writes on DynamoDB (dynalite), and a million fires' price.

Schedules firing every second run through one worker (the recording launcher: it
returns at once and its tasks end at the first ``describe``). Over a steady window
every write is counted by what it is (the claim, the run LAUNCHED, the completion, the
run finished), with the units dynalite reports (base table only) and the units AWS
would bill, index writes included: DynamoDB bills a global secondary index write for
every item that enters, leaves or changes in an index (an index key that changes is a
delete and a put), each rounded up to 1 KB (:func:`index_units`). The old item of each
write is known because the table is read once before the window and every write's new
item is seen (PutItem's Item, UpdateItem's ALL_NEW).
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clockwork_core import Schedule, Target
from clockwork_core.testing.recording import RecordingLauncher
from clockwork_dynamodb import schema
from clockwork_dynamodb.capacity import CapacityMeter
from clockwork_worker import Worker, WorkerSettings
from common import PRICE_PER_MILLION_READS, PRICE_PER_MILLION_WRITES, Part
from idle import RequestTally, Snapshot, item_size
from stores import dynalite_running, filled_dynamodb

TITLE = "Write units per fire (DynamoDB, one worker)"
GOAL = 4.0

Item = Mapping[str, Any]


def _in_index(item: Item | None, index: schema.Index) -> bool:
    return item is not None and index.hash_key in item and index.range_key in item


def _entry(item: Item, index: schema.Index) -> dict[str, Any]:
    """What the index stores of ``item``: everything, or the table's and the index's keys."""
    if index.projection == "ALL":
        return dict(item)
    names = {schema.PK, schema.SK, index.hash_key, index.range_key}
    return {name: value for name, value in item.items() if name in names}


def _kb(item: Item) -> int:
    return max(1, math.ceil(item_size(item) / 1024))


def index_units(old: Item | None, new: Item | None) -> float:
    """AWS's write units for the global secondary indexes of one write from ``old`` to ``new``."""
    units = 0.0
    for index in schema.INDEXES:
        before = _entry(old, index) if old is not None and _in_index(old, index) else None
        after = _entry(new, index) if new is not None and _in_index(new, index) else None
        if before is None and after is None:
            continue
        if before is None or after is None:
            units += _kb(after or before or {})  # enters or leaves the index: one put or delete
            continue
        moved = any(before[key] != after[key] for key in (index.hash_key, index.range_key))
        if moved:
            units += _kb(before) + _kb(after)  # a key changed: delete the old entry, put the new
        elif before != after:
            units += _kb(after)  # a projected attribute changed: one update
    return units


class FireWrites:
    """Writes by what they are, with the dynalite units and the AWS units (base + indexes)."""

    def __init__(self, client: Any, known: Mapping[tuple[str, str], Item]) -> None:
        self._lock = threading.Lock()
        self._known = dict(known)
        self.count: defaultdict[str, int] = defaultdict(int)
        self.reported: defaultdict[str, float] = defaultdict(float)
        self.aws: defaultdict[str, float] = defaultdict(float)
        self.sizes: defaultdict[str, list[int]] = defaultdict(list)
        client.meta.events.register("provide-client-params.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if model.name in ("PutItem", "UpdateItem"):
            context["fire_writes"] = (model.name, params)

    def _after(self, parsed: Mapping[str, Any], context: Mapping[str, Any], **_: Any) -> None:
        if "fire_writes" not in context or "Error" in parsed:
            return
        operation, params = context["fire_writes"]
        new: Item | None = params["Item"] if operation == "PutItem" else parsed.get("Attributes")
        key = params["Item"] if operation == "PutItem" else params["Key"]
        pk, sk = key[schema.PK]["S"], key[schema.SK]["S"]
        if pk == schema.LEASE_PK or new is None:
            return  # leases: not per fire (see the idle cost), and in no index
        if sk.startswith(schema.RUN_PREFIX):
            label = f"PutItem run {new['status']['S']}"
        else:
            label = f"UpdateItem schedule: {'claim' if 'lease_owner' in new else 'complete'}"
        units = float((parsed.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0))
        with self._lock:
            old = self._known.get((pk, sk))
            self._known[pk, sk] = new
            base = max(_kb(new), _kb(old) if old is not None else 0)
            self.count[label] += 1
            self.reported[label] += units
            self.aws[label] += base + index_units(old, new)
            self.sizes[label].append(item_size(new))

    def snapshot(self) -> tuple[dict[str, int], dict[str, float], dict[str, float]]:
        with self._lock:
            return dict(self.count), dict(self.reported), dict(self.aws)


def every_second(i: int) -> Schedule:
    return Schedule(
        id=f"fires-{i:04d}", expression="* * * * * *", target=Target("recording", {"exit_code": 0})
    )


def run(quick: bool, work: Path) -> Part:
    # 10 fires a second: a loaded 2-core machine keeps up (at 30/s it fell behind, and the
    # instants it skipped were written as MISSED runs).
    schedules, seconds = (10, 10.0) if quick else (10, 30.0)
    part = Part(
        TITLE,
        columns=(
            "write",
            "per fire",
            "item bytes",
            "write units / fire (dynalite)",
            "write units / fire (AWS, with index writes)",
        ),
    )
    with dynalite_running(work) as backend:
        store, _ = filled_dynamodb(backend, schedules, every_second, meter=CapacityMeter())
        try:
            client = store.calls.client
            known = {
                (item[schema.PK]["S"], item[schema.SK]["S"]): item
                for item in store.calls.scan(ConsistentRead=True)
            }
            tally = RequestTally(client)
            writes = FireWrites(client, known)
            launcher = RecordingLauncher()
            settings = WorkerSettings(worker_id="writes")
            worker = Worker(store, {"recording": launcher}, settings)
            thread = threading.Thread(target=worker.run, name="writes-worker")
            thread.start()
            try:
                time.sleep(3.0)  # the first polls, claims and shard leases
                fired_before = len(launcher.started())
                requests_before, writes_before = tally.snapshot(), writes.snapshot()
                began = time.monotonic()
                time.sleep(seconds)
                elapsed = time.monotonic() - began
                fires = len(launcher.started()) - fired_before
                requests = tally.snapshot() - requests_before
                after = writes.snapshot()
            finally:
                worker.stop()
                thread.join(timeout=30)
        finally:
            store.close()
    count = {k: v - writes_before[0].get(k, 0) for k, v in after[0].items()}
    reported = {k: v - writes_before[1].get(k, 0.0) for k, v in after[1].items()}
    aws = {k: v - writes_before[2].get(k, 0.0) for k, v in after[2].items()}
    for label in sorted(count, key=lambda k: -count[k]):
        sizes = writes.sizes[label]
        part.add(
            **{
                "write": label,
                "per fire": round(count[label] / fires, 2),
                "item bytes": f"{min(sizes)}-{max(sizes)}",
                "write units / fire (dynalite)": round(reported[label] / fires, 2),
                "write units / fire (AWS, with index writes)": round(aws[label] / fires, 2),
            }
        )
    wcu_dynalite = sum(reported.values()) / fires
    wcu_aws = sum(aws.values()) / fires
    part.add(
        **{
            "write": "total",
            "per fire": round(sum(count.values()) / fires, 2),
            "item bytes": "",
            "write units / fire (dynalite)": round(wcu_dynalite, 2),
            "write units / fire (AWS, with index writes)": round(wcu_aws, 2),
        }
    )
    reads = Snapshot.reads(requests.aws_units) / fires
    lease_writes = (
        sum(v for k, v in requests.requests.items() if k.startswith("UpdateItem") and "lease" in k) / fires
    )
    by_read = ", ".join(
        f"{k} {requests.aws_units[k] / fires:.3g}"
        for k in sorted(requests.requests)
        if k.split()[0] in ("Query", "GetItem", "Scan", "BatchGetItem")
    )

    def dollars(write_units: float) -> float:
        return write_units * PRICE_PER_MILLION_WRITES + reads * PRICE_PER_MILLION_READS

    part.notes.extend(
        [
            f"{fires} fires in {elapsed:.1f} s ({schedules} schedules firing every second, after a 3 s "
            "warm-up); the worker's defaults (poll 1 s, lookahead 5 s, tracking every 2 s). A steady "
            "window: the runs finished in it (written by the tracker up to 2 s after the launch) "
            "balance those launched in it.",
            "Each fire: the claim (UpdateItem: lease, pending fire, `due_at` moved to the lease's end), "
            "the run LAUNCHED (PutItem; the run enters the `active` index), the completion (UpdateItem: "
            "next `due_at`, cursor, lease removed), the run finished (PutItem SUCCEEDED, from the "
            "tracker; the run leaves the `active` index). Shard-lease renewals "
            f"({lease_writes:.3f} writes per fire here) are per hour, not per fire: see the idle cost.",
            "A write unit covers 1 KB written (the larger of the old and the new item); every item "
            "here is under 1 KB, so each write is 1 unit in the base table. dynalite reports only the "
            "base table. AWS also bills each global secondary index write: the claim and the completion "
            "move `due_at`, a key of the `due` index (delete + put: 2 units each); the run enters and "
            "then leaves the `active` index (1 unit each); the `schedules` index (keys only) is not "
            "written.",
            f"Reads per fire (AWS-priced, at least half a unit per index Query): {reads:.3g} ({by_read}); "
            f"the polls return the schedules due within the lookahead, so at {schedules} fires a second "
            "the index Queries carry items (0.5 unit per 4 KB).",
            f"$ per million fires: {dollars(wcu_dynalite):.2f} with dynalite's write units, "
            f"{dollars(wcu_aws):.2f} with AWS's (index writes included), reads included "
            f"(${PRICE_PER_MILLION_WRITES}/M writes, ${PRICE_PER_MILLION_READS}/M reads).",
            "A worker that falls behind (a loaded machine) also writes a MISSED run per skipped instant "
            "(the default missed-fires policy fires the latest); such rows, if any, are not fires.",
            f"Goal <= {GOAL:g} write units per fire: {'met' if wcu_dynalite <= GOAL else 'missed'} in the "
            f"base table ({wcu_dynalite:.2f}); {'met' if wcu_aws <= GOAL else 'missed'} as AWS bills it "
            f"({wcu_aws:.2f}), because of the index writes.",
        ]
    )
    return part
