"""What every benchmark part shares: its result's shape, percentiles, the machine, tables.

A part is a module in this folder with ``TITLE`` (a heading) and
``run(quick: bool, work: Path) -> Part``; ``work`` is a scratch folder of its own.
``suite.py`` runs the parts, writes ``.bench/bench.json`` and ``.bench/bench.md``, and
prints the markdown. Figures compared with something are measured side by side in the
same run and shown as a ratio.
"""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs


@attrs.define
class Part:
    """One part's results: a table (columns, rows of values) and what to read in it."""

    title: str
    columns: Sequence[str]
    rows: list[Mapping[str, Any]] = attrs.field(factory=list)
    #: Goals, anchors, and where a goal is missed, why (shown under the table).
    notes: list[str] = attrs.field(factory=list)

    def add(self, **row: Any) -> None:
        missing = [column for column in self.columns if column not in row]
        if missing:
            raise ValueError(f"{self.title}: row lacks {missing}")
        self.rows.append(row)

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        for row in self.rows:
            lines.append("| " + " | ".join(shown(row[column]) for column in self.columns) + " |")
        lines.extend(["", *self.notes] if self.notes else [])
        return "\n".join(lines)

    def data(self) -> dict[str, Any]:
        return {"title": self.title, "columns": list(self.columns), "rows": self.rows, "notes": self.notes}


def shown(value: Any) -> str:
    """A cell: integers with thousands separators, floats to three significant figures."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("yes" if value else "no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return str(value)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def machine() -> dict[str, Any]:
    """Where and when the numbers were measured."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
    }


#: DynamoDB on-demand prices (us-east-1, per million request units), for the dollar columns.
PRICE_PER_MILLION_WRITES = 0.625
PRICE_PER_MILLION_READS = 0.125
HOURS_PER_MONTH = 730
