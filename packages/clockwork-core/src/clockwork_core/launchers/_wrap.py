"""The wrapper that runs one job for the process launcher, and the run directory's layout.

The launcher starts this file as a script (``python -I -S _wrap.py RUN_DIR LOCK_FD``) in
a new session, so that the worker's death does not take the job with it. It imports the
standard library only: it starts in tens of milliseconds and stays small while the job
runs. It

1. takes the ``alive.lock`` flock for its whole life (any process can then tell whether
   it runs, without trusting a pid that the system may have reused);
2. reads the job's spec (argv, cwd, environment, stop grace) as JSON from stdin;
3. starts the job in a process group of its own, stdout and stderr to ``output``;
4. writes ``started.json``, releases the launch lock it inherited (fd ``LOCK_FD``) and
   reports one JSON line on stdout, ``{"started": ...}`` or ``{"error": ...}``;
5. on SIGTERM (the launcher's ``stop``), sends SIGTERM to the job's group, and SIGKILL
   after the grace period;
6. waits for the job and writes ``exit.json`` (exit code, signal, whether it was stopped),
   so that any process, not only the one that launched it, learns how the job ended.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

# The run directory, one per fire key, under the launcher's state directory.
LAUNCH_LOCK = "launch.lock"  # flock held by the launcher, then the wrapper, until started.json exists
ALIVE_LOCK = "alive.lock"  # flock held by the wrapper for its whole life
STARTED = "started.json"  # {"wrapper_pid", "pid", "pgid", "started_at", "argv", "cwd", ...}
STOP = "stop.json"  # {"reason", "requested_at", "grace"}: the first stop request
EXIT = "exit.json"  # {"code", "signal", "stopped", "finished_at"}
OUTPUT = "output"  # the job's stdout and stderr
WRAPPER_LOG = "wrapper.log"  # the wrapper's own stderr (a traceback if it ever crashes)

#: The shell convention (and ECS's): a job killed by signal n exits with 128 + n.
SIGNAL_EXIT_BASE = 128


def open_owner_only(path: Path, flags: int) -> int:
    """``os.open`` a file, creating it readable and writable by its owner alone (0600).

    (A umask only takes bits away, so no umask makes it more open than that.)
    """
    return os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, 0o600)


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Write ``value`` to ``path`` atomically: readers see the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(open_owner_only(tmp, os.O_WRONLY | os.O_TRUNC), "w") as fh:
        fh.write(json.dumps(value, sort_keys=True))
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """The object in ``path``, or None if there is none (yet)."""
    try:
        value = json.loads(path.read_text())
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def group_exists(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies, where /proc shows them, do not)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _live_member(pgid) if os.path.isdir("/proc/self") else True


def _live_member(pgid: int) -> bool:
    # An orphan is reaped by pid 1; in a container whose pid 1 reaps nothing, it stays a
    # zombie, and kill() keeps finding the group. /proc tells zombies apart (Linux).
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path("/proc", name, "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


class _Stopper:
    """Turns a SIGTERM to the wrapper into SIGTERM, then SIGKILL, to the job's group."""

    def __init__(self, pgid: int, grace: float) -> None:
        self.pgid = pgid
        self.grace = grace
        self.stopping = False
        self.killed = False
        self.deadline = 0.0

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self.on_stop)
        signal.signal(signal.SIGALRM, self.on_alarm)

    def on_stop(self, _signum: int, _frame: FrameType | None) -> None:
        if self.stopping:
            return
        self.stopping = True
        self.deadline = time.monotonic() + self.grace
        signal_group(self.pgid, signal.SIGTERM)
        # setitimer(0) would disarm the timer: a zero grace still needs the alarm.
        signal.setitimer(signal.ITIMER_REAL, max(self.grace, 0.001))

    def on_alarm(self, _signum: int, _frame: FrameType | None) -> None:
        self.killed = True
        signal_group(self.pgid, signal.SIGKILL)

    def sweep(self) -> None:
        """After a stopped job's leader exited: give the rest of its group the same grace."""
        while self.stopping and not self.killed and group_exists(self.pgid):
            if time.monotonic() >= self.deadline:
                self.on_alarm(signal.SIGALRM, None)
                break
            time.sleep(0.05)


def _report(message: dict[str, Any]) -> None:
    """One JSON line to the launcher, then let go of the pipe (the launcher may be gone)."""
    with contextlib.suppress(OSError):
        os.write(1, (json.dumps(message) + "\n").encode())
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def _start(spec: dict[str, Any], run_dir: Path) -> subprocess.Popen[bytes]:
    out = open_owner_only(run_dir / OUTPUT, os.O_WRONLY | os.O_TRUNC | os.O_APPEND)
    try:
        return subprocess.Popen(
            spec["argv"],
            cwd=spec["cwd"],
            env=spec["env"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
    finally:
        os.close(out)


def _start_error(exc: OSError, spec: dict[str, Any]) -> dict[str, Any]:
    code = exc.errno or errno.EIO
    if exc.filename is not None and exc.filename == spec["cwd"]:
        what = f"cannot use {spec['cwd']!r} as the working directory"
    else:
        what = f"cannot run {spec['argv'][0]!r}"
    return {"errno": code, "reason": f"{what}: {os.strerror(code)}"}


def _exit_record(returncode: int, stopper: _Stopper) -> dict[str, Any]:
    signum = -returncode if returncode < 0 else None
    return {
        "code": SIGNAL_EXIT_BASE + signum if signum is not None else returncode,
        "signal": signal.Signals(signum).name if signum is not None else None,
        "stopped": stopper.stopping,
        "finished_at": time.time(),
    }


def main(argv: list[str]) -> int:
    run_dir, launch_lock = Path(argv[0]), int(argv[1])
    alive = open_owner_only(run_dir / ALIVE_LOCK, os.O_RDWR)
    fcntl.flock(alive, fcntl.LOCK_EX)  # released by the kernel when this process ends
    spec = json.loads(sys.stdin.buffer.read())
    try:
        job = _start(spec, run_dir)
    except OSError as exc:
        _report({"error": _start_error(exc, spec)})
        return 2
    stopper = _Stopper(job.pid, float(spec["grace"]))
    stopper.install()
    started = {
        "wrapper_pid": os.getpid(),
        "pid": job.pid,
        "pgid": job.pid,
        "started_at": time.time(),
        "argv": spec["argv"],
        "cwd": spec["cwd"],
        **spec.get("info", {}),
    }
    write_json(run_dir / STARTED, started)
    os.close(launch_lock)
    _report({"started": {"pid": job.pid}})
    returncode = job.wait()
    write_json(run_dir / EXIT, _exit_record(returncode, stopper))
    stopper.sweep()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
