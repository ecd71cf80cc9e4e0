"""next_after computations per second: clockwork's CronExpression beside croniter used directly.

Run with ``python3 dev.py nox -s bench-cron`` (``-- --quick`` for a short run). Writes
``.bench/cron.json`` and prints a table. Both sides compute the same fires: croniter is
given an aware start in the same zone, as a user of croniter would.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from clockwork_core import CronExpression
from croniter import croniter

CASES = [
    ("dense", "*/5 * * * *"),
    ("sparse", "0 3 * * 1"),
]
ZONES = ["UTC", "America/New_York"]
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)


def rate(step: object, seconds: float) -> float:
    """Calls of ``step`` per second over about ``seconds``, best of three rounds."""
    best = 0.0
    for _ in range(3):
        count, began = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - began) < seconds / 3:
            for _ in range(100):
                step()  # type: ignore[operator]
            count += 100
        best = max(best, count / elapsed)
    return best


def measure(expr: str, zone: str, seconds: float) -> dict[str, object]:
    ours = CronExpression(expr, zone)
    state = {"t": START}

    # Both sides iterate through 2026 and start over, as a worker computes fires near now.
    # (clockwork probes a zone's transitions once per zone and year; that is outside the loop.)
    def ours_step() -> None:
        t = ours.next_after(state["t"])
        state["t"] = t if t is not None and t < END else START

    aware_start = START.astimezone(ZoneInfo(zone)) if zone != "UTC" else START
    theirs = croniter(expr, aware_start)

    def theirs_step() -> None:
        if theirs.get_next(datetime) >= END:
            theirs.set_current(aware_start, force=True)

    a = rate(ours_step, seconds)
    b = rate(theirs_step, seconds)
    return {
        "expression": expr,
        "zone": zone,
        "clockwork_per_s": round(a),
        "croniter_per_s": round(b),
        "ratio": round(a / b, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run, to check the benchmark works")
    parser.add_argument("--out", default=".bench/cron.json")
    args = parser.parse_args()
    seconds = 0.3 if args.quick else 3.0
    rows = [dict(measure(expr, zone, seconds), case=case) for case, expr in CASES for zone in ZONES]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"python": platform.python_version(), "machine": platform.machine(), "results": rows}, indent=2
        )
    )
    print(f"{'case':8} {'expression':14} {'zone':18} {'clockwork/s':>12} {'croniter/s':>12} {'ratio':>6}")
    for r in rows:
        print(
            f"{r['case']:8} {r['expression']:14} {r['zone']:18} {r['clockwork_per_s']:>12,} {r['croniter_per_s']:>12,} {r['ratio']:>6}"
        )
    print(f"(written to {out}; ratio = clockwork / croniter, measured in this run)")


if __name__ == "__main__":
    main()
