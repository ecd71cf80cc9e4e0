"""``nox -s bench``: every benchmark part, one JSON file and one markdown table.

    python3 dev.py nox -s bench               # the whole suite (under 20 minutes on 2 cores)
    python3 dev.py nox -s bench -- --quick    # smaller sizes and shorter runs (CI runs this)
    python3 dev.py nox -s bench -- --only lateness,burst

Writes ``.bench/bench.json`` (every figure, with the machine and the date) and
``.bench/bench.md`` (the tables the README shows), and prints the markdown.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Part, machine  # noqa: E402

#: The parts, in the order the README shows them (module names in this folder).
PARTS = ("lateness", "throughput", "burst", "idle", "writes", "memory", "cron")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs (for CI)")
    parser.add_argument("--only", default="", help=f"comma-separated parts to run (of {', '.join(PARTS)})")
    parser.add_argument("--out", type=Path, default=Path(".bench"), help="where to write (default .bench)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(PARTS)
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        parser.error(f"unknown part {unknown[0]!r}; the parts are {', '.join(PARTS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick, "parts": {}}
    tables: list[str] = []
    for name in chosen:
        module = importlib.import_module(name)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"clockwork-bench-{name}-") as work:
            part: Part = module.run(args.quick, Path(work))
        seconds = time.monotonic() - started
        results["parts"][name] = {**part.data(), "seconds": round(seconds, 1)}
        tables.append(part.markdown())
        print(part.markdown(), f"\n({name}: {seconds:.0f} s)\n", flush=True)
        (args.out / "bench.json").write_text(json.dumps(results, indent=2, default=str))
    header = results["machine"]
    intro = (
        f"Measured {header['date']} on {header['platform']} ({header['processor']}, {header['cpus']} CPUs), "
        f"Python {header['python']}{', quick mode' if args.quick else ''}."
    )
    (args.out / "bench.md").write_text("\n\n".join([intro, *tables]) + "\n")
    print(intro)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
