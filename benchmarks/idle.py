"""Idle cost: what one worker costs per hour on DynamoDB with nothing due, by table size.

An idle worker (the ``clockwork run`` defaults: poll every 1 s, lookahead 5 s, shard
leases of 10 s renewed at half-life, runs tracked every 2 s) runs against dynalite for a
window; every request is counted by kind (through botocore's events, beside the store's
own :class:`~clockwork_dynamodb.capacity.CapacityMeter`) and extrapolated to an hour.
Each schedule is due once a year, so the ``due`` index holds them all but none is due.

Beside it, the original aws-ecs-clockwork's cost: a full Scan of the table every 60 s,
priced from the size of the very items this run wrote (DynamoDB's item-size rules, see
:func:`item_size`); at the smallest size a real Scan on dynalite checks the arithmetic.

Also used by ``writes.py``: :class:`RequestTally` and :func:`item_size`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clockwork_core import Schedule, Target
from clockwork_core.planner import first_due
from clockwork_core.testing.recording import RecordingLauncher
from clockwork_dynamodb.capacity import CapacityMeter
from clockwork_dynamodb.items import new_schedule_item
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_worker import Worker, WorkerSettings
from common import HOURS_PER_MONTH, PRICE_PER_MILLION_READS, PRICE_PER_MILLION_WRITES, Part
from stores import dynalite_running, filled_dynamodb

TITLE = "Idle cost (DynamoDB, one worker, nothing due)"
#: The original aws-ecs-clockwork's worker scans its whole table this often (its
#: worker/process.js, ``setInterval(..., 60000)`` since its commit 76e2672; 10 s before).
ORIGINAL_SCAN_SECONDS = 60
SECONDS_PER_HOUR = 3600


# --- what each request is, and what AWS would bill for it ------------------------------


def request_label(operation: str, params: Mapping[str, Any]) -> str:
    """A request's kind: the operation and what it touches (index, leases, schedule, run)."""
    index = params.get("IndexName")
    if index:
        return f"{operation} {index} index"
    if operation == "Query":
        values = {str(v.get("S", "")) for v in params.get("ExpressionAttributeValues", {}).values()}
        return "Query leases" if "LEASE" in values else "Query runs" if "R#" in values else "Query"
    key = params.get("Key") or params.get("Item") or {}
    pk = str(key.get("pk", {}).get("S", ""))
    sk = str(key.get("sk", {}).get("S", ""))
    if pk == "LEASE":
        return f"{operation} {'presence' if sk.startswith('worker-') else 'shard'} lease"
    if pk.startswith("S#"):
        return f"{operation} {'run' if sk.startswith('R#') else 'schedule'}"
    return operation


def consistent(operation: str, params: Mapping[str, Any]) -> bool:
    """Whether a read is strongly consistent (a GSI is never)."""
    return bool(params.get("ConsistentRead")) and not params.get("IndexName")


WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
READ_OPERATIONS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem"})


class RequestTally:
    """Every DynamoDB request one client makes, by kind: count, reported units, AWS minimum.

    Hooks botocore's ``provide-client-params`` (the request's parameters) and
    ``after-call`` (its ConsumedCapacity) events. ``aws_units`` is what AWS bills at
    least: a read is rounded up to a whole 4 KB block (1 unit consistent, 0.5 eventually
    consistent), a write to a whole 1 KB (1 unit), even when nothing is read or the
    condition fails; dynalite reports 0 units for an empty Query, so its figure is a
    floor, not the bill.
    """

    def __init__(self, client: Any) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.units: defaultdict[str, float] = defaultdict(float)  # as reported (dynalite)
        self.aws_units: defaultdict[str, float] = defaultdict(
            float
        )  # max(reported, AWS's per-request minimum)
        self.failed: Counter[str] = Counter()  # condition failures (billed, no capacity reported)
        self.item_bytes: dict[str, list[int]] = {}  # written item sizes, by kind
        client.meta.events.register("provide-client-params.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        operation = str(model.name)
        context["bench"] = (operation, request_label(operation, params), consistent(operation, params))
        if operation == "PutItem":
            self._size(request_label(operation, params), item_size(params["Item"]))

    def _after(self, parsed: Mapping[str, Any], context: Mapping[str, Any], **_: Any) -> None:
        if "bench" not in context:
            return
        operation, label, strong = context["bench"]
        if operation not in READ_OPERATIONS | WRITE_OPERATIONS:
            return
        entries = parsed.get("ConsumedCapacity")
        entries = entries if isinstance(entries, list) else [entries] if entries else []
        units = float(sum(entry.get("CapacityUnits", 0.0) or 0.0 for entry in entries))
        minimum = (1.0 if strong else 0.5) if operation in READ_OPERATIONS else 1.0
        with self._lock:
            self.requests[label] += 1
            self.units[label] += units
            self.aws_units[label] += max(units, minimum)
            if "Error" in parsed:
                self.failed[label] += 1
        if operation == "UpdateItem" and "Attributes" in parsed:
            self._size(label, item_size(parsed["Attributes"]))

    def _size(self, label: str, size: int) -> None:
        with self._lock:
            self.item_bytes.setdefault(label, []).append(size)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(dict(self.requests), dict(self.units), dict(self.aws_units))


class Snapshot:
    """Totals by kind at one moment; subtract two for a window."""

    def __init__(
        self, requests: dict[str, int], units: dict[str, float], aws_units: dict[str, float]
    ) -> None:
        self.requests, self.units, self.aws_units = requests, units, aws_units

    def __sub__(self, other: Snapshot) -> Snapshot:
        return Snapshot(
            {
                k: v - other.requests.get(k, 0)
                for k, v in self.requests.items()
                if v - other.requests.get(k, 0)
            },
            {k: v - other.units.get(k, 0.0) for k, v in self.units.items()},
            {k: v - other.aws_units.get(k, 0.0) for k, v in self.aws_units.items()},
        )

    @staticmethod
    def reads(table: Mapping[str, float]) -> float:
        return sum(v for k, v in table.items() if k.split()[0] in READ_OPERATIONS)

    @staticmethod
    def writes(table: Mapping[str, float]) -> float:
        return sum(v for k, v in table.items() if k.split()[0] in WRITE_OPERATIONS)


# --- item sizes, as DynamoDB counts them -----------------------------------------------


def number_size(text: str) -> int:
    """A number's bytes: 1 per two significant digits, plus 1 (leading/trailing zeros trimmed)."""
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, data),) = value.items()
    sizes: dict[str, Callable[[Any], int]] = {
        "S": lambda text: len(str(text).encode()),
        "N": lambda text: number_size(str(text)),
        "B": len,
        "BOOL": lambda _: 1,
        "NULL": lambda _: 1,
        "L": lambda elements: 3 + sum(1 + value_size(element) for element in elements),
        "M": lambda fields: (
            3 + sum(1 + len(name.encode()) + value_size(element) for name, element in fields.items())
        ),
        "SS": lambda elements: sum(len(str(element).encode()) for element in elements),
        "NS": lambda elements: sum(number_size(str(element)) for element in elements),
        "BS": lambda elements: sum(len(element) for element in elements),
    }
    return sizes[kind](data)


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """An item's size in bytes: attribute names (UTF-8) plus values, DynamoDB's way."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def scan_read_units(sizes: list[int], *, page: int = 1 << 20) -> float:
    """An eventually consistent Scan: 1 MB pages, each rounded up to 4 KB blocks, half a unit each."""
    units, current = 0.0, 0
    for size in sizes:
        if current + size > page:
            units += math.ceil(current / 4096) * 0.5
            current = 0
        current += size
    return units + math.ceil(current / 4096) * 0.5


# --- the measurement -------------------------------------------------------------------


def yearly(i: int) -> Schedule:
    """A schedule not due for months: in the ``due`` index, never due in the window."""
    return Schedule(
        id=f"idle-{i:07d}",
        expression=f"{i % 60} {i % 24} 1 1 *",
        target=Target("recording", {"exit_code": 0}),
    )


def table_sizes(store: DynamoDBStore, count: int) -> list[int]:
    """The sizes of the schedule items ``filled_dynamodb`` wrote (rebuilt the same way)."""
    now = datetime.now(UTC)
    sizes = []
    for i in range(count):
        schedule = yearly(i)
        due = first_due(schedule, after=now)
        item = new_schedule_item(
            schedule, shards=store.shards, due_at=due.due_at, cursor=due.cursor, now=now, token="bench"
        )
        sizes.append(item_size(item))
    return sizes


def measured_scan(store: DynamoDBStore) -> tuple[int, float]:
    """A real full Scan on dynalite: pages and the read units it reports."""
    meter = CapacityMeter()
    before = store.calls.meter
    store.calls.meter = meter
    try:
        for _ in store.calls.scan(ConsistentRead=False):
            pass
    finally:
        store.calls.meter = before
    usage = meter.usage()
    return usage.requests, usage.read_units


def idle_window(store: DynamoDBStore, tally: RequestTally, seconds: float) -> Snapshot:
    """Run an idle worker; the requests of ``seconds`` once it holds every shard."""
    settings = WorkerSettings(worker_id="idle")
    worker = Worker(store, {"recording": RecordingLauncher()}, settings)
    thread = threading.Thread(target=worker.run, name="idle-worker")
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while len(worker.shards.held) < store.shards and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # past the first acquisitions
        before = tally.snapshot()
        time.sleep(seconds)
        return tally.snapshot() - before
    finally:
        worker.stop()
        thread.join(timeout=30)


def dollars_per_month(reads_per_hour: float, writes_per_hour: float) -> float:
    per_hour = reads_per_hour * PRICE_PER_MILLION_READS + writes_per_hour * PRICE_PER_MILLION_WRITES
    return per_hour / 1e6 * HOURS_PER_MONTH


def run(quick: bool, work: Path) -> Part:
    sizes = (1_000, 3_000) if quick else (1_000, 100_000)
    window = 5.0 if quick else 20.0
    part = Part(
        TITLE,
        columns=(
            "schedules",
            "requests / h",
            "read units / h (dynalite)",
            "read units / h (AWS-priced)",
            "write units / h",
            "$ / month",
            "original: Scan every 60 s, read units / h",
            "original $ / month",
            "original ÷ clockwork",
        ),
    )
    breakdown: dict[int, Snapshot] = {}
    per_schedule: list[float] = []  # the original's $ / month per schedule
    ours_dollars: list[float] = []
    lease_dollars: list[float] = []
    checks: list[str] = []
    fill_seconds: dict[int, float] = {}
    with dynalite_running(work) as backend:
        for size in sizes:
            started = time.monotonic()
            store, _ = filled_dynamodb(backend, size, yearly, meter=CapacityMeter())
            fill_seconds[size] = time.monotonic() - started
            try:
                tally = RequestTally(store.calls.client)
                used = idle_window(store, tally, window)
                scale = SECONDS_PER_HOUR / window
                item_sizes = table_sizes(store, size)
                scan_units = scan_read_units(item_sizes)
                if size == sizes[0]:
                    pages, reported = measured_scan(store)
                    checks.append(
                        f"Check at {size:,} schedules: a real Scan on dynalite reported {reported:g} read "
                        f"units in {pages} page(s); the item-size arithmetic gives {scan_units:g} "
                        f"({sum(item_sizes):,} bytes, {sum(item_sizes) / size:.0f} bytes an item)."
                    )
            finally:
                store.close()
            breakdown[size] = used
            reads_aws = used.reads(used.aws_units) * scale
            writes = used.writes(used.aws_units) * scale
            ours = dollars_per_month(reads_aws, writes)
            scan_per_hour = scan_units * SECONDS_PER_HOUR / ORIGINAL_SCAN_SECONDS
            original = dollars_per_month(scan_per_hour, 0)
            per_schedule.append(original / size)
            ours_dollars.append(ours)
            lease_dollars.append(dollars_per_month(0, writes))
            part.add(
                **{
                    "schedules": size,
                    "requests / h": round(sum(used.requests.values()) * scale),
                    "read units / h (dynalite)": round(used.reads(used.units) * scale),
                    "read units / h (AWS-priced)": round(reads_aws),
                    "write units / h": round(writes),
                    "$ / month": round(ours, 3),
                    "original: Scan every 60 s, read units / h": round(scan_per_hour),
                    "original $ / month": round(original, 3),
                    "original ÷ clockwork": round(original / ours, 2) if ours else float("nan"),
                }
            )
    largest = breakdown[sizes[-1]]
    scale = SECONDS_PER_HOUR / window
    kinds = ", ".join(
        f"{label} {count * scale:,.0f}/h ({largest.units[label] * scale:,.0f} units reported, "
        f"{largest.aws_units[label] * scale:,.0f} AWS-priced)"
        for label, count in sorted(largest.requests.items(), key=lambda kv: -kv[1])
    )
    counts = [sum(breakdown[size].requests.values()) * scale for size in sizes]
    same = max(counts) <= min(counts) * 1.1
    part.notes.extend(
        [
            f"Measured over {window:g} s of an idle worker per size (defaults of `clockwork run`: poll "
            "1 s, lookahead 5 s, shard leases 10 s renewed at half-life, tracking every 2 s; 8 shards), "
            "extrapolated to an hour; $ at on-demand prices "
            f"(${PRICE_PER_MILLION_READS}/M reads, ${PRICE_PER_MILLION_WRITES}/M writes, "
            f"{HOURS_PER_MONTH} h a month).",
            f"The requests at {sizes[-1]:,} schedules: {kinds}. Per second: a Query of the `due` index per "
            "shard (8), a consistent Query of the lease partition (1), a Query of the `active` index per "
            "shard every 2 s (4/s); every ~5 s an UpdateItem renewing each shard lease (8) and the "
            "presence lease (1).",
            "dynalite reports 0 read units for a Query that returns nothing, so its column is a floor. "
            "The AWS-priced column bills each request at least one 4 KB read (1 unit consistent, 0.5 "
            "eventually consistent: every index Query) and each write at least 1 unit: computed from "
            "the request counts, not from dynalite's zeros.",
            "The original aws-ecs-clockwork scans its whole table every 60 s: eventually consistent, "
            "0.5 unit per 4 KB, priced here from the sizes of the schedule items this run wrote "
            "(DynamoDB's rules: names + values; numbers 1 byte per 2 digits + 1).",
            *checks,
            f"Break-even: the original's Scan costs ${max(per_schedule) * 1000:.2f} a month per 1,000 "
            f"schedules, so an idle clockwork worker (${max(ours_dollars):.2f} a month, of which "
            f"${max(lease_dollars):.2f} is the lease renewals' writes and the rest the Queries) is cheaper from about "
            f"{max(ours_dollars) / max(per_schedule):,.0f} schedules up, and below that costs a few "
            "dollars a month more.",
            f"Goal, the same cost at every size: {'met' if same else 'missed'} "
            f"({' vs '.join(f'{c:,.0f}' for c in counts)} requests/h).",
            f"1,000,000 schedules were not run: filling dynalite goes at ~1,000 items/s (here "
            f"{sizes[-1] / fill_seconds[sizes[-1]]:,.0f}/s: {sizes[-1]:,} in {fill_seconds[sizes[-1]]:.0f} s), "
            f"so a million would take ~{1e6 / (sizes[-1] / fill_seconds[sizes[-1]]) / 60:.0f} minutes here; the idle requests do not depend on the size (the table "
            "is never scanned), while the original's Scan grows linearly with the table "
            f"({1_000_000 / sizes[-1]:,.0f} times the {sizes[-1]:,} figure at 1,000,000).",
        ]
    )
    return part
