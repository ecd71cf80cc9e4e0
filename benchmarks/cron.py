"""next_after computations per second: clockwork's CronExpression beside croniter used directly.

Both sides compute the same fires: croniter is given an aware start in the same zone, as
a user of croniter would. A part of ``suite.py`` (``nox -s bench -- --only cron``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from clockwork_core import CronExpression
from common import Part
from croniter import croniter

TITLE = "Cron: next_after per second"

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


def run(quick: bool, work: Path) -> Part:
    seconds = 0.3 if quick else 3.0
    part = Part(TITLE, ("case", "expression", "zone", "clockwork/s", "croniter/s", "ratio"))
    for case, expr in CASES:
        for zone in ZONES:
            found = measure(expr, zone, seconds)
            part.add(
                case=case,
                expression=f"`{expr}`",
                zone=zone,
                **{
                    "clockwork/s": found["clockwork_per_s"],
                    "croniter/s": found["croniter_per_s"],
                    "ratio": found["ratio"],
                },
            )
    part.notes.append(
        "Ratio = clockwork / croniter, side by side in this run. Both iterate through 2026 and start over; "
        "clockwork also applies its DST rules (croniter alone does not), and probes a zone's transitions "
        "once per zone and year, outside the loop."
    )
    return part
