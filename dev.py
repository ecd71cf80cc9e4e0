#!/usr/bin/env python3
"""Clockwork's developer entry point: needs only Python 3.11+ and git.

    python3 dev.py run     run the scheduler on the embedded default (SQLite + local processes)
    python3 dev.py test    run the whole test suite, lint and type checks (what CI runs)
    python3 dev.py nox -s bench    any nox session

``test`` first installs the Debian packages the tests use (libfaketime) where they are
missing and apt-get can, as root; elsewhere the tests needing them skip and say why.
The first call creates ``.tools/`` (a virtual environment holding pinned uv and nox);
uv then builds the workspace environment in ``.venv/`` from ``uv.lock``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
PINS = ["uv==0.13.9", "nox==2026.10.20"]
BIN = "Scripts" if os.name == "nt" else "bin"


def tools() -> Path:
    stamp = TOOLS / "pins.txt"
    wanted = "\n".join(PINS)
    if not stamp.exists() or stamp.read_text() != wanted:
        if sys.version_info < (3, 11):  # noqa: UP036 - dev.py itself may be run by an older Python
            sys.exit("clockwork needs Python 3.11 or newer")
        print("dev.py: installing", " ".join(PINS), "into .tools/", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        subprocess.run(
            [
                str(TOOLS / BIN / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *PINS,
            ],
            check=True,
        )
        stamp.write_text(wanted)
    return TOOLS / BIN


#: Debian packages the tests use, with a file each one installs: libfaketime shifts a
#: worker's clock for real in the clock-skew tests.
DEBIAN_PACKAGES = {"faketime": Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")}


def debian_packages() -> None:
    """Install the Debian packages the tests need where they are missing and apt can (as root).

    Elsewhere the tests that need one skip, naming the package.
    """
    missing = [name for name, marker in DEBIAN_PACKAGES.items() if not marker.exists()]
    if (
        not missing
        or not hasattr(os, "geteuid")
        or os.geteuid() != 0
        or not Path("/usr/bin/apt-get").exists()
    ):
        return
    print("dev.py: installing", " ".join(missing), "(Debian)", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    if subprocess.call(install, stdout=subprocess.DEVNULL, env=env) != 0:  # the package lists may be old
        subprocess.call(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, env=env)
        subprocess.call(install, stdout=subprocess.DEVNULL, env=env)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    bin_dir = tools()
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    if command == "test":
        debian_packages()
        return subprocess.call([str(bin_dir / "nox"), "-s", "ci", *rest], cwd=ROOT, env=env)
    if command == "nox":
        return subprocess.call([str(bin_dir / "nox"), *rest], cwd=ROOT, env=env)
    if command == "run":
        subprocess.run(
            [str(bin_dir / "uv"), "sync", "--frozen", "--all-packages", "--quiet"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        clockwork = ROOT / ".venv" / BIN / "clockwork"
        args = rest or ["run", "--crontab", str(ROOT / "examples" / "crontab")]
        # Ctrl-C reaches the worker too (same process group); it stops cleanly on its own.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        return subprocess.call([str(clockwork), *args], env=env)
    print(f"dev.py: unknown command {command!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
