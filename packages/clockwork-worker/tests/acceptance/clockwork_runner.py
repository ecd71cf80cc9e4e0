"""Run the real ``clockwork`` command as a subprocess, in a temporary directory of its own.

(A module of its own, not the conftest, so that test modules can import it by a name that
no other package's tests use.)

Each :class:`Clockwork` runs in its own directory with the defaults of a laptop: the
store is ``./clockwork.db`` there, the process launcher's runs go to ``.clockwork/runs``
beside it, and every ``CLOCKWORK_*`` variable of the outer environment is removed. Every
wait is bounded. Jobs that outlive a test (the process launcher starts them in sessions
of their own, by design) are killed at teardown.

Python compiles the imports of each subprocess; the outer environment may forbid writing
bytecode (``PYTHONDONTWRITEBYTECODE``), which makes every start three times slower. The
subprocesses therefore cache bytecode under pytest's temporary directory
(``PYTHONPYCACHEPREFIX``), never in the source tree.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

TIMEOUT = 60.0


def _command() -> list[str]:
    script = Path(sys.executable).with_name("clockwork")
    return [str(script)] if script.exists() else [sys.executable, "-m", "clockwork_worker.cli"]


@attrs.frozen
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.returncode == 0, f"clockwork {' '.join(self.args)} failed: {self.stderr}"
        return json.loads(self.stdout)

    @property
    def message(self) -> str:
        """The one line a failing command writes to stderr."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got: {self.stderr!r}"
        return lines[0]


class Clockwork:
    """``clockwork`` in ``home``, with a clean environment."""

    def __init__(self, home: Path, pycache: Path) -> None:
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CLOCKWORK_")}
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(pycache)
        self.workers: list[subprocess.Popen[bytes]] = []

    @property
    def state_dir(self) -> Path:
        return self.home / ".clockwork" / "runs"

    def __call__(self, *args: str, env: dict[str, str] | None = None, timeout: float = TIMEOUT) -> Result:
        done = subprocess.run(
            [*_command(), *args],
            cwd=self.home,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(tuple(args), done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.returncode == 0, f"clockwork {' '.join(args)} failed: {result.stderr}"
        return result

    def json(self, *args: str) -> Any:
        return self.ok(*args, "--json").json()

    def parallel(self, commands: Sequence[Sequence[str]], timeout: float = TIMEOUT) -> list[Result]:
        """Run several commands at once (each start costs a Python start-up); all must succeed."""
        procs = [
            (
                tuple(args),
                subprocess.Popen(
                    [*_command(), *args],
                    cwd=self.home,
                    env=self.env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
            for args in commands
        ]
        results = []
        for args, proc in procs:
            out, err = proc.communicate(timeout=timeout)
            results.append(Result(args, proc.returncode, out, err))
            assert proc.returncode == 0, f"clockwork {' '.join(args)} failed: {err}"
        return results

    def history(self, schedule_id: str) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self.json("history", schedule_id, "--limit", "200")
        return runs

    def start(self, *args: str, log: str = "worker.log") -> subprocess.Popen[bytes]:
        """``clockwork run ARGS`` in the background; its log goes to ``home/log``."""
        with open(self.home / log, "wb") as out:
            proc = subprocess.Popen(
                [*_command(), "run", *args],
                cwd=self.home,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.workers.append(proc)
        return proc

    def log_records(self, log: str = "worker.log") -> list[dict[str, Any]]:
        records = []
        for line in (self.home / log).read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                records.append(json.loads(line))
        return records

    def wait_for_log(self, action: str, timeout: float = 20.0, log: str = "worker.log") -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.log_records(log):
                if record.get("action") == action:
                    return record
            time.sleep(0.05)
        raise AssertionError(f"no {action!r} in the log within {timeout} s: {(self.home / log).read_text()}")

    def cleanup(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        kill_jobs(self.state_dir)


def kill_jobs(state_dir: Path) -> None:
    """Kill the process groups of the jobs that are still running under ``state_dir``."""
    if not state_dir.is_dir():
        return
    for started in state_dir.glob("*/started.json"):
        if (started.parent / "exit.json").exists():
            continue
        with contextlib.suppress(ValueError, KeyError, OSError):
            os.killpg(int(json.loads(started.read_text())["pgid"]), signal.SIGKILL)
