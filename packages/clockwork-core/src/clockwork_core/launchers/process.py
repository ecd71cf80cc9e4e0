"""The ``process`` launcher: runs a fire as a local process, for laptops and single hosts.

Target parameters::

    command   required: text, run by ``/bin/sh -c``; or a list of arguments, run directly
    shell     optional: false runs a text command directly, split as a shell would split it
    cwd       optional: the working directory (default: the worker's)
    env       optional: variables (text to text) the job receives
    pass_env  optional: names of the worker's variables the job receives too (never AWS_*)

A job does not inherit the worker's environment: it receives a small base (``PATH``,
``HOME``, ``LANG``, ``LC_*``, ``TZ``, ...), what ``pass_env`` names, ``env``, and
``CLOCKWORK_SCHEDULE_ID``, ``CLOCKWORK_FIRE_TIME``, ``CLOCKWORK_RUN_ID`` and
``CLOCKWORK_FIRE_KEY``, which win over ``env``; :mod:`clockwork_core.launchers.environment`
has the exact rules.

Every fire gets a run directory, ``<state_dir>/<fire key>``, that outlives the worker;
it and the state directory are its user's alone (0700, every file in them 0600).
A small wrapper (:mod:`clockwork_core.launchers._wrap`) runs the job in a session of its
own, so a worker killed with SIGKILL leaves its jobs running, and writes the job's exit
into the run directory, so any worker (not only the one that launched it) can observe it.

Idempotency across worker processes rests on one flock per run directory: a launcher
holds ``launch.lock`` while it starts the wrapper, the wrapper inherits it and lets go
only after ``started.json`` exists. Whoever takes the lock next finds ``started.json``
and returns the same handle. The kernel releases a dead holder's lock, so a worker that
died half-way never blocks the fire, and no process can start a second job while the
first is being started.

Stopping sends SIGTERM to the job's process group (the job and whatever it started), then
SIGKILL after ``stop_grace``; the wrapper escalates, so ``stop`` returns at once. A job
killed by signal n reports exit code 128 + n, as a shell (and ECS) would.

Limits: workers share runs only on one host, through a state directory on a local file
system (flock, signals and pids are per host). A supervisor that kills the worker's whole
cgroup (systemd's default ``KillMode=control-group``) kills its jobs too; a container whose
pid 1 reaps no orphans keeps the zombies of jobs whose worker died (run it with an init).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs

from clockwork_core.errors import InvalidValue, LaunchError, PermanentLaunchError, TransientLaunchError
from clockwork_core.launcher import Launched, LaunchRequest, Observation, Phase
from clockwork_core.launchers import _wrap, environment
from clockwork_core.plugins import LauncherFactory, hookimpl

log = logging.getLogger(__name__)

HANDLE_PREFIX = "process:"
KNOWN_PARAMS = ("command", "cwd", "env", "pass_env", "shell")
SHELL = "/bin/sh"

#: Failures that another attempt will meet again; any other errno is worth a retry.
PERMANENT_ERRNOS = frozenset(
    {
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EACCES,
        errno.EPERM,
        errno.ENOEXEC,
        errno.ELOOP,
        errno.ENAMETOOLONG,
        errno.E2BIG,
        errno.EINVAL,
    }
)


@attrs.frozen
class ProcessTarget:
    """A target's parameters, checked: what to exec, where, with which variables."""

    argv: tuple[str, ...]
    cwd: str | None
    env: Mapping[str, str]
    pass_env: tuple[str, ...] = ()


def parse_params(params: Mapping[str, Any]) -> ProcessTarget:
    """Check ``params``; raise :class:`InvalidValue` naming ``target.params.<name>``."""
    if not isinstance(params, Mapping):
        raise InvalidValue("target.params", f"expected a mapping, got {type(params).__name__}")
    unknown = sorted(str(name) for name in params if name not in KNOWN_PARAMS)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise InvalidValue(
            f"target.params.{unknown[0]}",
            f"unknown parameter {names} (the process launcher knows {', '.join(KNOWN_PARAMS)})",
        )
    shell = params.get("shell")
    if shell is not None and not isinstance(shell, bool):
        raise InvalidValue("target.params.shell", f"expected true or false, got {shell!r}")
    return ProcessTarget(
        argv=_argv(params.get("command"), shell),
        cwd=_cwd(params.get("cwd")),
        env=_env(params.get("env")),
        pass_env=environment.parse_pass_env(params.get("pass_env")),
    )


def _argv(command: object, shell: bool | None) -> tuple[str, ...]:
    field = "target.params.command"
    if command is None:
        raise InvalidValue(field, "is required: a shell command line (text) or a list of arguments")
    if isinstance(command, str):
        if not command.strip():
            raise InvalidValue(field, "is empty")
        _no_nul(field, command)
        if shell is not False:
            return (SHELL, "-c", command)
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise InvalidValue(field, f"cannot be split into arguments: {exc}") from None
        if not argv or not argv[0]:
            raise InvalidValue(field, "names no program to run")
        return tuple(argv)
    if not isinstance(command, list | tuple):
        raise InvalidValue(field, f"expected text or a list of text, got {type(command).__name__}")
    if shell:
        raise InvalidValue("target.params.shell", "true needs the command as text, not a list")
    if not command:
        raise InvalidValue(field, "is an empty list; it needs at least the program to run")
    for index, item in enumerate(command):
        if not isinstance(item, str):
            raise InvalidValue(field, f"item {index} is {item!r}; every item must be text")
        _no_nul(field, item)
    if not command[0]:
        raise InvalidValue(field, "the program (item 0) is empty")
    return tuple(command)


def _cwd(cwd: object) -> str | None:
    if cwd is None:
        return None
    if not isinstance(cwd, str) or not cwd:
        raise InvalidValue("target.params.cwd", f"expected a directory path, got {cwd!r}")
    _no_nul("target.params.cwd", cwd)
    return cwd


def _env(env: object) -> dict[str, str]:
    if env is None:
        return {}
    if not isinstance(env, Mapping):
        # Never the value itself, here or below: an env holds secrets, and errors reach logs.
        raise InvalidValue(
            "target.params.env", f"expected a mapping of names to text, got {type(env).__name__}"
        )
    checked: dict[str, str] = {}
    for name, value in env.items():
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise InvalidValue("target.params.env", f"{name!r} is not a variable name")
        if not isinstance(value, str):
            raise InvalidValue(f"target.params.env.{name}", f"expected text, got {type(value).__name__}")
        _no_nul(f"target.params.env.{name}", value)
        checked[name] = value
    return checked


def _no_nul(field: str, text: str) -> None:
    if "\0" in text:
        raise InvalidValue(field, "contains a NUL character")


def _launch_error(reason: str, err: int) -> LaunchError:
    kind = PermanentLaunchError if err in PERMANENT_ERRNOS else TransientLaunchError
    return kind(reason, code=errno.errorcode.get(err, "error"))


def default_state_dir() -> Path:
    """``$CLOCKWORK_STATE_DIR``, else ``.clockwork/runs`` under the current directory."""
    configured = os.environ.get("CLOCKWORK_STATE_DIR")
    return Path(configured) if configured else Path(".clockwork", "runs")


class ProcessLauncher:
    """Runs each fire as a local process; see the module's documentation.

    ``state_dir`` holds one run directory per fire key; workers that share it share their
    runs (launch idempotency, describe, stop). ``stop_grace`` is how long a stopped job
    has between SIGTERM and SIGKILL. ``output_limit`` is how much of the end of a job's
    output ``describe`` returns, in bytes. ``launch_timeout`` bounds how long ``launch``
    waits for another worker's launch of the same fire.
    """

    name = "process"

    def __init__(
        self,
        *,
        state_dir: str | os.PathLike[str] | None = None,
        stop_grace: float | timedelta = 10.0,
        output_limit: int = 4096,
        launch_timeout: float = 10.0,
    ) -> None:
        self.state_dir = (
            Path(state_dir if state_dir is not None else default_state_dir()).expanduser().absolute()
        )
        grace = stop_grace.total_seconds() if isinstance(stop_grace, timedelta) else float(stop_grace)
        if grace < 0:
            raise InvalidValue("stop_grace", f"{grace:g} s must not be negative")
        self.stop_grace = grace
        self.output_limit = output_limit
        self.launch_timeout = launch_timeout
        self._closed = False

    # --- the Launcher protocol ------------------------------------------------------------

    def validate(self, params: Mapping[str, Any]) -> None:
        parse_params(params)

    def launch(self, request: LaunchRequest) -> Launched:
        if self._closed:
            raise PermanentLaunchError("the process launcher is closed", code="closed")
        try:
            target = parse_params(request.params)
        except InvalidValue as exc:
            raise PermanentLaunchError(str(exc), code="invalid_params") from exc
        run_dir = self._run_dir(request.key)
        if run_dir is None:
            raise PermanentLaunchError(f"{request.key!r} cannot name a run directory", code="invalid_key")
        try:
            self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            run_dir.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise _launch_error(
                f"cannot create the run directory {run_dir}: {exc.strerror}", exc.errno or 0
            ) from exc
        handle = HANDLE_PREFIX + request.key
        with self._launch_lock(run_dir) as lock_fd:
            if (run_dir / _wrap.STARTED).exists():
                log.debug("%s was already launched", handle, extra={"action": "process_already_started"})
                return Launched([handle])
            pid = self._start(run_dir, lock_fd, target, request)
        log.info(
            "started process %d for %s",
            pid,
            request.schedule_id,
            extra={"action": "process_started", "schedule": request.schedule_id, "handle": handle},
        )
        return Launched([handle])

    def describe(self, handles: Sequence[str]) -> Sequence[Observation]:
        return [self._observe(handle) for handle in handles]

    def stop(self, handle: str, *, reason: str) -> None:
        run_dir = self._handle_dir(handle)
        if run_dir is None or (run_dir / _wrap.EXIT).exists():
            return
        started = _wrap.read_json(run_dir / _wrap.STARTED)
        if started is None:
            return
        self._record_stop(run_dir, reason)
        if _wrapper_alive(run_dir):
            # If it ended between the two lines, exit.json tells how.
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(started["wrapper_pid"]), signal.SIGTERM)
        else:
            # The wrapper itself was killed: stop the job directly; describe escalates.
            _wrap.signal_group(int(started["pgid"]), signal.SIGTERM)
        log.info("stopping %s: %s", handle, reason, extra={"action": "process_stop", "handle": handle})

    def close(self) -> None:
        """Forget nothing and stop nothing: running jobs outlive the launcher by design."""
        self._closed = True

    # --- housekeeping ---------------------------------------------------------------------

    def cleanup(self, older_than: timedelta) -> int:
        """Remove the run directories of jobs that ended more than ``older_than`` ago.

        Launches that never started count as ended. Returns how many were removed. A fire
        whose directory is gone would launch again, so keep ``older_than`` well above the
        time a fire can stay pending (its retries and lease recoveries).
        """
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        if not self.state_dir.is_dir():
            return 0
        for run_dir in self.state_dir.iterdir():
            if not run_dir.is_dir() or self._run_dir(run_dir.name) != run_dir:
                continue
            phase = self._observe(HANDLE_PREFIX + run_dir.name).phase
            if phase is Phase.RUNNING or _lock_held(run_dir / _wrap.LAUNCH_LOCK):
                continue
            if _last_change(run_dir) < cutoff:
                shutil.rmtree(run_dir, ignore_errors=True)
                removed += 1
        return removed

    # --- launching ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _launch_lock(self, run_dir: Path) -> Iterator[int]:
        fd = _wrap.open_owner_only(run_dir / _wrap.LAUNCH_LOCK, os.O_RDWR)
        try:
            deadline = time.monotonic() + self.launch_timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise TransientLaunchError(
                            f"another launch of this fire has held {run_dir} for {self.launch_timeout:g} s",
                            code="launch_in_progress",
                        ) from None
                    time.sleep(0.01)
            yield fd
        finally:
            os.close(fd)  # our share of the lock; the wrapper holds its own until it started

    def _start(self, run_dir: Path, lock_fd: int, target: ProcessTarget, request: LaunchRequest) -> int:
        env = environment.for_job(
            os.environ,
            pass_env=target.pass_env,
            env=target.env,
            fire={**request.environment, "CLOCKWORK_FIRE_KEY": request.key},
        )
        spec = {
            "argv": list(target.argv),
            "cwd": target.cwd,
            "env": env,
            "grace": self.stop_grace,
            "info": {
                "schedule_id": request.schedule_id,
                "run_id": request.run_id,
                "key": request.key,
                "attempt": request.attempt,
            },
        }
        with open(
            _wrap.open_owner_only(run_dir / _wrap.WRAPPER_LOG, os.O_WRONLY | os.O_APPEND), "ab"
        ) as wrapper_log:
            try:
                wrapper = subprocess.Popen(
                    [sys.executable, "-I", "-S", _wrap.__file__, str(run_dir), str(lock_fd)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=wrapper_log,
                    pass_fds=(lock_fd,),
                    start_new_session=True,
                    env=environment.base(os.environ),  # the job's spec, env included, goes by stdin
                )
            except OSError as exc:
                raise _launch_error(
                    f"cannot start the job's wrapper: {exc.strerror}", exc.errno or 0
                ) from exc
        # Reap the wrapper when it ends, so no zombie stays behind this worker.
        threading.Thread(target=wrapper.wait, name=f"reap-{wrapper.pid}", daemon=True).start()
        report = self._handshake(wrapper, spec, run_dir)
        if "error" in report:
            error = report["error"]
            raise _launch_error(str(error["reason"]), int(error["errno"]))
        return int(report["started"]["pid"])

    def _handshake(
        self, wrapper: subprocess.Popen[bytes], spec: dict[str, Any], run_dir: Path
    ) -> dict[str, Any]:
        """Send the spec, read the wrapper's one-line report (bounded by ``launch_timeout``)."""
        assert wrapper.stdin is not None
        assert wrapper.stdout is not None
        with wrapper.stdin, wrapper.stdout:
            try:
                wrapper.stdin.write(json.dumps(spec).encode())
                wrapper.stdin.close()
            except BrokenPipeError:
                pass  # it died at once; the empty report below says so
            line = _read_line(wrapper.stdout.fileno(), time.monotonic() + self.launch_timeout)
        if line is None:
            raise TransientLaunchError(
                f"the job's wrapper did not report within {self.launch_timeout:g} s", code="wrapper_timeout"
            )
        try:
            report: dict[str, Any] = json.loads(line)
        except ValueError:
            log_tail = _tail(run_dir / _wrap.WRAPPER_LOG, 500) or "no output"
            raise TransientLaunchError(
                f"the job's wrapper failed before starting the job: {log_tail}", code="wrapper_failed"
            ) from None
        return report

    def _record_stop(self, run_dir: Path, reason: str) -> None:
        """Keep the first stop request: its reason is the one describe reports."""
        path = run_dir / _wrap.STOP
        if path.exists():
            return
        request = {"reason": reason, "requested_at": time.time(), "grace": self.stop_grace}
        tmp = run_dir / f".stop.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(_wrap.open_owner_only(tmp, os.O_WRONLY | os.O_TRUNC), "w") as fh:
            fh.write(json.dumps(request))
        try:
            os.link(tmp, path)  # fails if another stop got there first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()

    # --- observing ------------------------------------------------------------------------

    def _run_dir(self, key: str) -> Path | None:
        """The run directory of ``key``, or None if ``key`` cannot be a directory name."""
        if not key or key in (".", "..") or len(key) > 200:
            return None
        if not all(c.isascii() and (c.isalnum() or c in "._-") for c in key):
            return None
        return self.state_dir / key

    def _handle_dir(self, handle: str) -> Path | None:
        if not handle.startswith(HANDLE_PREFIX):
            return None
        return self._run_dir(handle.removeprefix(HANDLE_PREFIX))

    def _observe(self, handle: str) -> Observation:
        run_dir = self._handle_dir(handle)
        if run_dir is None or not run_dir.is_dir():
            return Observation(handle, Phase.UNKNOWN)
        ended = _wrap.read_json(run_dir / _wrap.EXIT)
        if ended is None:
            started = _wrap.read_json(run_dir / _wrap.STARTED)
            if started is None:
                return Observation(handle, Phase.UNKNOWN)  # never started (a failed launch)
            if _wrapper_alive(run_dir):
                return Observation(handle, Phase.RUNNING, output=self._output(run_dir))
            ended = _wrap.read_json(run_dir / _wrap.EXIT)  # it may have ended in between
            if ended is None:
                return self._orphan(handle, run_dir, started)
        return self._ended(handle, run_dir, ended)

    def _ended(self, handle: str, run_dir: Path, ended: Mapping[str, Any]) -> Observation:
        code = int(ended["code"])
        if ended.get("stopped"):
            stop = _wrap.read_json(run_dir / _wrap.STOP) or {}
            stop_reason: str | None = str(stop.get("reason", "stopped"))
        elif ended.get("signal"):
            stop_reason = f"killed by {ended['signal']}"
        else:
            stop_reason = f"exit code {code}" if code else None
        return Observation(
            handle,
            Phase.SUCCEEDED if code == 0 else Phase.FAILED,
            exit_codes={"process": code},
            stop_reason=stop_reason,
            output=self._output(run_dir),
        )

    def _orphan(self, handle: str, run_dir: Path, started: Mapping[str, Any]) -> Observation:
        """The wrapper died without writing the exit (someone killed it): watch the group."""
        pgid = int(started["pgid"])
        stop = _wrap.read_json(run_dir / _wrap.STOP)
        if _wrap.group_exists(pgid):
            if stop is not None and time.time() >= float(stop["requested_at"]) + float(stop["grace"]):
                _wrap.signal_group(pgid, signal.SIGKILL)
            return Observation(handle, Phase.RUNNING, output=self._output(run_dir))
        reason = str(stop["reason"]) if stop else "its wrapper process was killed; the exit code is unknown"
        return Observation(
            handle,
            Phase.FAILED,
            exit_codes={"process": None},
            stop_reason=reason,
            output=self._output(run_dir),
        )

    def _output(self, run_dir: Path) -> str | None:
        return _tail(run_dir / _wrap.OUTPUT, self.output_limit)


def _read_line(fd: int, deadline: float) -> str | None:
    """Read up to the first newline or the end of the pipe; None if the deadline passes first."""
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace").partition("\n")[0]


def _tail(path: Path, limit: int) -> str | None:
    """The last ``limit`` bytes of ``path`` as text, not starting inside a UTF-8 character."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - limit))
            data = fh.read(limit)
    except FileNotFoundError:
        return None
    if size > limit:
        cut = 0
        while cut < min(3, len(data)) and data[cut] & 0xC0 == 0x80:
            cut += 1
        data = data[cut:]
    return data.decode(errors="replace")


def _last_change(run_dir: Path) -> float:
    times = [run_dir.stat().st_mtime]
    for path in run_dir.iterdir():
        with contextlib.suppress(FileNotFoundError):
            times.append(path.stat().st_mtime)
    return max(times)


def _lock_held(path: Path) -> bool:
    """Whether another process holds the flock on ``path`` (without waiting for it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _wrapper_alive(run_dir: Path) -> bool:
    return _lock_held(run_dir / _wrap.ALIVE_LOCK)


@hookimpl
def clockwork_launchers() -> dict[str, LauncherFactory]:
    return {"process": ProcessLauncher}
