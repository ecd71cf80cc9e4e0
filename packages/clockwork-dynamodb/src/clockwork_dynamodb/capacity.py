"""Consumed capacity: what each DynamoDB call cost, by table and operation.

Every data call asks for ``ReturnConsumedCapacity=TOTAL``; the units DynamoDB reports go
into a :class:`CapacityMeter`. Reads (GetItem, Query, Scan, BatchGetItem) count as read
units, writes as write units. A conditional write whose condition is false is billed too
(at least one write unit) but its error carries no ConsumedCapacity: those are counted
apart, as condition failures, so that ``cost = write units + condition failures`` is a
lower bound that holds.

The meter is process-wide by default (:data:`METER`), so that the worker's ``/metrics``
(through the ``clockwork_metrics`` hook and :class:`CapacityCollector`) shows every store
the process opened; a test injects its own meter into a store to measure one fire.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

READ_OPERATIONS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem"})


@attrs.frozen
class Usage:
    """Capacity and calls, summed over some operations."""

    read_units: float = 0.0
    write_units: float = 0.0
    requests: int = 0
    condition_failures: int = 0
    retries: int = 0

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            read_units=self.read_units - other.read_units,
            write_units=self.write_units - other.write_units,
            requests=self.requests - other.requests,
            condition_failures=self.condition_failures - other.condition_failures,
            retries=self.retries - other.retries,
        )


class CapacityMeter:
    """Thread-safe running totals, keyed by (table, operation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: defaultdict[tuple[str, str], float] = defaultdict(float)
        self._write: defaultdict[tuple[str, str], float] = defaultdict(float)
        self._requests: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._failures: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._retries: defaultdict[tuple[str, str, str], int] = defaultdict(int)

    def consumed(self, table: str, operation: str, response: Mapping[str, Any]) -> None:
        """Count one successful call and the capacity its response reports."""
        units = _units(response.get("ConsumedCapacity"))
        with self._lock:
            self._requests[table, operation] += 1
            if operation in READ_OPERATIONS:
                self._read[table, operation] += units
            else:
                self._write[table, operation] += units

    def condition_failed(self, table: str, operation: str) -> None:
        with self._lock:
            self._requests[table, operation] += 1
            self._failures[table, operation] += 1

    def retried(self, table: str, operation: str, reason: str) -> None:
        """One attempt that will be repeated (``reason``: the error code or ``connection``)."""
        with self._lock:
            self._retries[table, operation, reason] += 1

    def usage(self, table: str | None = None) -> Usage:
        """Totals so far, for one table or all of them."""

        def total(counter: Mapping[tuple[str, str], float] | Mapping[tuple[str, str, str], int]) -> float:
            return sum(value for key, value in counter.items() if table is None or key[0] == table)

        with self._lock:
            return Usage(
                read_units=total(self._read),
                write_units=total(self._write),
                requests=int(total(self._requests)),
                condition_failures=int(total(self._failures)),
                retries=int(total(self._retries)),
            )

    def units(self) -> Iterator[tuple[str, str, str, float]]:
        """``(table, operation, "read" | "write", units)`` for every pair seen."""
        with self._lock:
            rows = [(t, op, "read", u) for (t, op), u in self._read.items()]
            rows += [(t, op, "write", u) for (t, op), u in self._write.items()]
        return iter(sorted(rows))

    def requests(self) -> Iterator[tuple[str, str, str, int]]:
        """``(table, operation, outcome, count)``: outcome ``ok`` or ``condition_failed``."""
        with self._lock:
            failures = dict(self._failures)
            rows = [(t, op, "ok", n - failures.get((t, op), 0)) for (t, op), n in self._requests.items()]
            rows += [(t, op, "condition_failed", n) for (t, op), n in failures.items()]
        return iter(sorted(rows))

    def retries(self) -> Iterator[tuple[str, str, str, int]]:
        """``(table, operation, reason, count)``."""
        with self._lock:
            rows = [(t, op, reason, n) for (t, op, reason), n in self._retries.items()]
        return iter(sorted(rows))


def _units(consumed: Any) -> float:
    """The capacity units of one response's ConsumedCapacity (a dict, or a list for batches)."""
    if consumed is None:
        return 0.0
    entries = consumed if isinstance(consumed, list) else [consumed]
    return float(sum(entry.get("CapacityUnits", 0.0) or 0.0 for entry in entries))


#: The process-wide meter that stores use unless given their own.
METER = CapacityMeter()


class CapacityCollector:
    """A Prometheus collector that reads a meter when scraped (see ``clockwork_metrics``).

    ``clockwork_dynamodb_consumed_capacity_units_total{table, operation, kind}``,
    ``clockwork_dynamodb_requests_total{table, operation, outcome}`` and
    ``clockwork_dynamodb_retries_total{table, operation, reason}``.
    """

    def __init__(self, meter: CapacityMeter = METER) -> None:
        self.meter = meter

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily

        families = (
            (
                "clockwork_dynamodb_consumed_capacity_units",
                "Capacity units DynamoDB reported as consumed (ReturnConsumedCapacity), by operation.",
                "kind",
                self.meter.units(),
            ),
            (
                "clockwork_dynamodb_requests",
                "DynamoDB calls answered, by outcome (ok, condition_failed: billed, at least 1 WCU).",
                "outcome",
                self.meter.requests(),
            ),
            (
                "clockwork_dynamodb_retries",
                "DynamoDB attempts repeated after throttling, a 5xx or a connection error.",
                "reason",
                self.meter.retries(),
            ),
        )
        for name, documentation, label, samples in families:
            family = CounterMetricFamily(name, documentation, labels=["table", "operation", label])
            for table, operation, value, amount in samples:
                family.add_metric([table, operation, value], amount)
            yield family
