"""The process launcher, with real processes: environment, exits, output, stop, idempotency.

Processes that must be other OS processes (workers racing on one fire, a worker killed
with SIGKILL) are Python scripts started with ``subprocess``.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clockwork_core.errors import InvalidValue, PermanentLaunchError, TransientLaunchError
from clockwork_core.launcher import Launched, Launcher, LaunchRequest, Observation, Phase
from clockwork_core.launchers import environment
from clockwork_core.launchers.process import ProcessLauncher
from clockwork_core.model import fire_key, run_id_for
from clockwork_core.plugins import open_launcher
from clockwork_core.testing import EnvironmentProbe, LauncherConformance

T0 = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
DEADLINE = 10.0  # seconds: the longest any wait below may take before the test fails


def request(key: str = "k1", *, schedule_id: str = "nightly", **params: Any) -> LaunchRequest:
    return LaunchRequest(
        schedule_id=schedule_id,
        instant=T0,
        run_id=run_id_for(T0),
        key=key,
        attempt=1,
        params=params,
    )


def until_ended(launcher: Launcher, handle: str) -> Observation:
    deadline = time.monotonic() + DEADLINE
    while True:
        (seen,) = launcher.describe([handle])
        if seen.phase is not Phase.RUNNING:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"{handle} still running after {DEADLINE} s: {seen}")
        time.sleep(0.02)


def wait_for(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def is_gone(pid: int) -> bool:
    """Whether ``pid`` has ended (a zombie that nobody reaped has ended too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "runs"
    yield state
    # Whoever launched them (this process or a script), no job outlives its test.
    cleaner = ProcessLauncher(state_dir=state, stop_grace=0.2)
    if state.is_dir():
        for run_dir in state.iterdir():
            cleaner.stop(f"process:{run_dir.name}", reason="test teardown")
            if cleaner.describe([f"process:{run_dir.name}"])[0].phase is Phase.RUNNING:
                until_ended(cleaner, f"process:{run_dir.name}")
    cleaner.close()


@pytest.fixture
def launcher(state_dir: Path) -> Iterator[ProcessLauncher]:
    launcher = ProcessLauncher(state_dir=state_dir, stop_grace=0.5)
    yield launcher
    launcher.close()


def run(launcher: ProcessLauncher, command: str | list[str], key: str = "k1", **params: Any) -> Observation:
    (handle,) = launcher.launch(request(key, command=command, **params)).handles
    return until_ended(launcher, handle)


# --- the launcher contract -----------------------------------------------------------------

#: A job that writes its environment, atomically, to ``<directory>/<its fire key>.json``.
DUMP_ENVIRONMENT = (
    "import json, os, sys\n"
    "path = os.path.join(sys.argv[1], os.environ['CLOCKWORK_FIRE_KEY'] + '.json')\n"
    "with open(path + '.tmp', 'w') as fh: json.dump(dict(os.environ), fh)\n"
    "os.replace(path + '.tmp', path)"
)


class TestProcessLauncherConformance(LauncherConformance):
    deadline = DEADLINE

    @pytest.fixture
    def launcher(self, state_dir: Path) -> Iterator[Launcher]:
        launcher = ProcessLauncher(state_dir=state_dir, stop_grace=0.5)
        yield launcher
        launcher.close()

    @pytest.fixture
    def succeeding_params(self) -> Mapping[str, Any]:
        return {"command": "true"}

    @pytest.fixture
    def failing_params(self) -> Mapping[str, Any]:
        return {"command": f"exit {self.failing_exit_code}"}

    @pytest.fixture
    def long_running_params(self) -> Mapping[str, Any]:
        return {"command": ["sleep", "600"]}

    @pytest.fixture
    def invalid_params(self) -> Sequence[Mapping[str, Any]]:
        return [{}, {"command": 42}, {"command": "true", "env": {"A": 1}}, {"command": "true", "shell": "no"}]

    @pytest.fixture
    def unknown_handle(self) -> str:
        return "process:no-such-task"

    @pytest.fixture
    def environment_probe(self, tmp_path: Path) -> EnvironmentProbe:
        def read(launched: Launched) -> Mapping[str, str] | None:
            key = launched.handles[0].removeprefix("process:")
            path = tmp_path / f"{key}.json"
            return json.loads(path.read_text()) if path.exists() else None

        return EnvironmentProbe({"command": [sys.executable, "-c", DUMP_ENVIRONMENT, str(tmp_path)]}, read)


# --- validation -----------------------------------------------------------------------------


class TestValidation:
    @pytest.mark.parametrize(
        "params",
        [
            {"command": "echo hello | tr a-z A-Z"},
            {"command": ["printf", "%s", "hello"], "cwd": "/tmp", "env": {"GREETING": "hi"}},
            {"command": "printf hello", "shell": False},
        ],
        ids=["a shell line", "an argument list with cwd and env", "a text command without a shell"],
    )
    def test_it_accepts(self, launcher: ProcessLauncher, params: dict[str, Any]) -> None:
        launcher.validate(params)

    @pytest.mark.parametrize(
        ("params", "field", "reason"),
        [
            ({}, "target.params.command", "is required"),
            ({"command": "   "}, "target.params.command", "is empty"),
            ({"command": []}, "target.params.command", "empty list"),
            ({"command": 42}, "target.params.command", "expected text or a list of text, got int"),
            ({"command": ["echo", 3]}, "target.params.command", "item 1 is 3"),
            ({"command": "echo 'unbalanced", "shell": False}, "target.params.command", "cannot be split"),
            ({"command": "'' x", "shell": False}, "target.params.command", "names no program"),
            ({"command": ["echo"], "shell": True}, "target.params.shell", "needs the command as text"),
            ({"command": "true", "shell": "yes"}, "target.params.shell", "expected true or false"),
            ({"command": "true", "cwd": 7}, "target.params.cwd", "expected a directory path"),
            (
                {"command": "true", "env": ["A=1"]},
                "target.params.env",
                "expected a mapping of names to text, got list",
            ),
            ({"command": "true", "env": {"PORT": 8080}}, "target.params.env.PORT", "expected text, got int"),
            ({"command": "true", "env": {"A=B": "1"}}, "target.params.env", "is not a variable name"),
            (
                {"command": "true", "comand": "x"},
                "target.params.comand",
                "knows command, cwd, env, pass_env, shell",
            ),
        ],
        ids=[
            "a missing command",
            "an empty command line",
            "an empty argument list",
            "a command that is a number",
            "an argument that is not text",
            "unbalanced quotes without a shell",
            "an empty program without a shell",
            "shell with an argument list",
            "a shell flag that is not a boolean",
            "a cwd that is not a path",
            "env that is not a mapping",
            "an env value that is not text",
            "an env name with '='",
            "an unknown parameter, listing the known ones",
        ],
    )
    def test_it_rejects(
        self, launcher: ProcessLauncher, params: dict[str, Any], field: str, reason: str
    ) -> None:
        with pytest.raises(InvalidValue) as caught:
            launcher.validate(params)
        assert caught.value.field == field
        assert reason in caught.value.reason

    def test_launch_refuses_invalid_params_permanently(self, launcher: ProcessLauncher) -> None:
        with pytest.raises(PermanentLaunchError, match=r"target\.params\.command: is required"):
            launcher.launch(request())


# --- the job's environment: explicit, never the worker's own --------------------------------

#: The worker's variables that no job may see unless it names them (and AWS_* never).
WORKER_ONLY = {
    "AWS_ACCESS_KEY_ID": "AKIAWORKERONLY0000",
    "AWS_SECRET_ACCESS_KEY": "worker-secret-access-key",
    "AWS_SESSION_TOKEN": "worker-session-token",
    "WORKER_ONLY_MARKER": "worker-only-marker",
}


def dumped_environment(launcher: ProcessLauncher, tmp_path: Path, **params: Any) -> dict[str, str]:
    """Run a job that writes its whole environment; return it."""
    seen = tmp_path / "env.json"
    dump = "import json, os, sys\nwith open(sys.argv[1], 'w') as fh: json.dump(dict(os.environ), fh)"
    ended = run(launcher, [sys.executable, "-I", "-c", dump, str(seen)], **params)
    assert ended.phase is Phase.SUCCEEDED, ended
    environment: dict[str, str] = json.loads(seen.read_text())
    return environment


@pytest.fixture
def worker_environment(monkeypatch: pytest.MonkeyPatch) -> Mapping[str, str]:
    """The worker's environment: credentials and a marker, beside the usual names."""
    for name, value in WORKER_ONLY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LC_TIME", "C.UTF-8")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    monkeypatch.setenv("HOME", "/home/worker")
    return dict(os.environ)


class TestJobEnvironment:
    def test_the_job_gets_the_documented_names_and_nothing_else_of_the_worker(
        self, launcher: ProcessLauncher, tmp_path: Path, worker_environment: Mapping[str, str]
    ) -> None:
        seen = dumped_environment(launcher, tmp_path, env={"GREETING": "hello"})
        fire = {"CLOCKWORK_SCHEDULE_ID", "CLOCKWORK_FIRE_TIME", "CLOCKWORK_RUN_ID", "CLOCKWORK_FIRE_KEY"}
        base = {n for n in worker_environment if n in environment.BASE or n.startswith("LC_")}
        assert set(seen) == base | fire | {"PATH", "GREETING"}
        assert {n: seen[n] for n in base} == {n: worker_environment[n] for n in base}
        assert (seen["TZ"], seen["LC_TIME"], seen["HOME"]) == ("Europe/Berlin", "C.UTF-8", "/home/worker")
        for value in WORKER_ONLY.values():
            assert value not in json.dumps(seen)

    def test_a_worker_without_path_gives_the_job_a_default_one(
        self, launcher: ProcessLauncher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("PATH")
        assert dumped_environment(launcher, tmp_path)["PATH"] == environment.DEFAULT_PATH

    def test_pass_env_passes_the_named_variables_the_worker_has(
        self, launcher: ProcessLauncher, tmp_path: Path, worker_environment: Mapping[str, str]
    ) -> None:
        seen = dumped_environment(launcher, tmp_path, pass_env=["WORKER_ONLY_MARKER", "NOT_SET_ANYWHERE"])
        assert seen["WORKER_ONLY_MARKER"] == "worker-only-marker"
        assert "NOT_SET_ANYWHERE" not in seen
        assert "AWS_SECRET_ACCESS_KEY" not in seen

    def test_env_wins_over_pass_env_and_the_base(
        self, launcher: ProcessLauncher, tmp_path: Path, worker_environment: Mapping[str, str]
    ) -> None:
        env = {"WORKER_ONLY_MARKER": "the schedule's", "TZ": "UTC", "AWS_REGION": "eu-west-1"}
        seen = dumped_environment(launcher, tmp_path, pass_env=["WORKER_ONLY_MARKER"], env=env)
        assert {n: seen[n] for n in env} == env

    def test_the_wrapper_holds_none_of_the_worker_environment(
        self, launcher: ProcessLauncher, tmp_path: Path, worker_environment: Mapping[str, str]
    ) -> None:
        """The job's parent is the wrapper: its /proc environ is readable by the job."""
        if not Path("/proc/self/environ").exists():
            pytest.skip("no /proc/<pid>/environ on this system")
        copy = tmp_path / "parent.environ"
        read = "import os, sys\nopen(sys.argv[1], 'wb').write(open(f'/proc/{os.getppid()}/environ', 'rb').read())"
        ended = run(launcher, [sys.executable, "-c", read, str(copy)])
        assert ended.phase is Phase.SUCCEEDED, ended
        names = {entry.split(b"=", 1)[0].decode() for entry in copy.read_bytes().split(b"\0") if entry}
        assert names, "the wrapper's environment was not read"
        assert names <= set(environment.BASE) | {n for n in names if n.startswith("LC_")}
        for value in WORKER_ONLY.values():
            assert value.encode() not in copy.read_bytes()

    @pytest.mark.parametrize(
        ("pass_env", "reason"),
        [
            (["AWS_SECRET_ACCESS_KEY"], "AWS_* variables are never passed"),
            (["aws_session_token"], "AWS_* variables are never passed"),
            ("HOME", "expected a list of variable names"),
            (["A=B"], "is not a variable name"),
            ([3], "is not a variable name"),
        ],
        ids=["an AWS credential", "an AWS name in lower case", "text", "a name with '='", "a number"],
    )
    def test_it_rejects_pass_env(self, launcher: ProcessLauncher, pass_env: object, reason: str) -> None:
        with pytest.raises(InvalidValue) as caught:
            launcher.validate({"command": "true", "pass_env": pass_env})
        assert caught.value.field == "target.params.pass_env"
        assert reason in caught.value.reason


# --- what a job sees, and how it ends -------------------------------------------------------


class TestJobs:
    def test_the_job_receives_the_fire_in_its_environment(
        self, launcher: ProcessLauncher, tmp_path: Path
    ) -> None:
        seen = tmp_path / "env.json"
        names = [
            "CLOCKWORK_SCHEDULE_ID",
            "CLOCKWORK_FIRE_TIME",
            "CLOCKWORK_RUN_ID",
            "CLOCKWORK_FIRE_KEY",
            "GREETING",
        ]
        dump = (
            "import json, os, sys\n"
            f"values = {{n: os.environ.get(n) for n in {names!r}}}\n"
            "with open(sys.argv[1], 'w') as fh: json.dump(values, fh)"
        )
        key = fire_key("nightly", T0)
        # The target's env may not override what clockwork gives the job.
        env = {"GREETING": "hello", "CLOCKWORK_RUN_ID": "forged"}
        ended = run(launcher, [sys.executable, "-c", dump, str(seen)], key=key, env=env)

        assert ended.phase is Phase.SUCCEEDED, ended
        assert json.loads(seen.read_text()) == {
            "CLOCKWORK_SCHEDULE_ID": "nightly",
            "CLOCKWORK_FIRE_TIME": "2026-03-08T07:00:00Z",
            "CLOCKWORK_RUN_ID": "20260308T070000.000Z",
            "CLOCKWORK_FIRE_KEY": key,
            "GREETING": "hello",
        }

    def test_it_records_a_zero_exit_as_succeeded(self, launcher: ProcessLauncher) -> None:
        ended = run(launcher, "true")
        assert (ended.phase, ended.exit_codes, ended.stop_reason) == (Phase.SUCCEEDED, {"process": 0}, None)

    def test_it_records_the_exit_code(self, launcher: ProcessLauncher) -> None:
        ended = run(launcher, "exit 3")
        assert (ended.phase, ended.exit_codes, ended.stop_reason) == (
            Phase.FAILED,
            {"process": 3},
            "exit code 3",
        )

    def test_it_records_a_job_killed_by_a_signal(self, launcher: ProcessLauncher) -> None:
        ended = run(launcher, "kill -KILL $$")
        assert (ended.phase, ended.exit_codes, ended.stop_reason) == (
            Phase.FAILED,
            {"process": 128 + signal.SIGKILL},
            "killed by SIGKILL",
        )

    def test_an_argument_list_runs_without_a_shell(self, launcher: ProcessLauncher) -> None:
        ended = run(launcher, ["printf", "%s|", "a b", "$HOME", "*"])
        assert ended.output == "a b|$HOME|*|"

    def test_a_text_command_without_a_shell_is_split_like_a_shell_would(
        self, launcher: ProcessLauncher
    ) -> None:
        ended = run(launcher, "printf '%s|' 'a b' $HOME", shell=False)
        assert ended.output == "a b|$HOME|"

    def test_the_job_runs_in_cwd(self, launcher: ProcessLauncher, tmp_path: Path) -> None:
        ended = run(launcher, "pwd", cwd=str(tmp_path))
        assert ended.output == f"{tmp_path}\n"

    def test_the_output_holds_stdout_and_stderr(self, launcher: ProcessLauncher) -> None:
        ended = run(launcher, "echo out; echo err >&2")
        assert ended.output == "out\nerr\n"

    def test_the_output_is_the_tail_of_a_long_output(self, launcher: ProcessLauncher) -> None:
        ended = run(launcher, "head -c 10000 /dev/zero | tr '\\0' a; echo; echo END")
        assert ended.output is not None
        assert len(ended.output) == 4096
        assert ended.output.endswith("a\nEND\n")

    def test_the_output_tail_does_not_start_inside_a_character(self, state_dir: Path) -> None:
        launcher = ProcessLauncher(state_dir=state_dir, output_limit=101)
        ended = run(launcher, ["printf", "%s", "é" * 300])  # 600 bytes of 2-byte characters
        assert ended.output == "é" * 50

    def test_a_job_is_running_until_it_ends(self, launcher: ProcessLauncher, tmp_path: Path) -> None:
        release = tmp_path / "release"
        command = f"echo waiting; while [ ! -e {release} ]; do sleep 0.02; done"
        (handle,) = launcher.launch(request(command=command)).handles

        wait_for(lambda: launcher.describe([handle])[0].output == "waiting\n", "the job's first output")
        assert launcher.describe([handle])[0].phase is Phase.RUNNING
        release.touch()
        assert until_ended(launcher, handle).phase is Phase.SUCCEEDED


# --- launch failures ------------------------------------------------------------------------


class TestLaunchFailures:
    def test_a_missing_program_is_a_permanent_error_naming_it(self, launcher: ProcessLauncher) -> None:
        with pytest.raises(PermanentLaunchError, match="cannot run 'no-such-program-here'") as caught:
            launcher.launch(request(command=["no-such-program-here", "--help"]))
        assert caught.value.code == "ENOENT"

    def test_a_missing_working_directory_is_a_permanent_error_naming_it(
        self, launcher: ProcessLauncher, tmp_path: Path
    ) -> None:
        missing = tmp_path / "missing"
        with pytest.raises(PermanentLaunchError, match=f"cannot use '{missing}' as the working directory"):
            launcher.launch(request(command="true", cwd=str(missing)))

    def test_a_failed_launch_can_be_tried_again_with_the_same_key(
        self, launcher: ProcessLauncher, tmp_path: Path
    ) -> None:
        later = tmp_path / "created-later"
        with pytest.raises(PermanentLaunchError):
            launcher.launch(request(command="pwd", cwd=str(later)))
        assert launcher.describe(["process:k1"])[0].phase is Phase.UNKNOWN

        later.mkdir()
        ended = run(launcher, "pwd", cwd=str(later))
        assert (ended.phase, ended.output) == (Phase.SUCCEEDED, f"{later}\n")

    @pytest.mark.parametrize("err", [errno.EAGAIN, errno.ENOMEM], ids=["EAGAIN", "ENOMEM"])
    def test_a_fork_failure_is_transient(
        self, launcher: ProcessLauncher, monkeypatch: pytest.MonkeyPatch, err: int
    ) -> None:
        def fork_fails(*_args: Any, **_kwargs: Any) -> subprocess.Popen[bytes]:
            raise OSError(err, os.strerror(err))

        with monkeypatch.context() as patch:
            patch.setattr(subprocess, "Popen", fork_fails)
            with pytest.raises(TransientLaunchError, match="cannot start") as caught:
                launcher.launch(request(command="true"))
        assert caught.value.code == errno.errorcode[err]
        assert run(launcher, "true").phase is Phase.SUCCEEDED  # nothing was left half-claimed


# --- idempotency ----------------------------------------------------------------------------

RACER = """
import sys
from datetime import UTC, datetime
from clockwork_core.launcher import LaunchRequest
from clockwork_core.launchers import environment
from clockwork_core.launchers.process import ProcessLauncher

state_dir, command, *keys = sys.argv[1:]
launcher = ProcessLauncher(state_dir=state_dir)
print("ready", flush=True)
sys.stdin.readline()  # "go", sent to every racer at once
for key in keys:
    fire = LaunchRequest("race", datetime(2026, 3, 8, 7, tzinfo=UTC), "r", key, 1, {"command": command})
    print(launcher.launch(fire).handles[0], flush=True)
"""

WORKER = """
import sys
from datetime import UTC, datetime
from clockwork_core.launcher import LaunchRequest
from clockwork_core.launchers import environment
from clockwork_core.launchers.process import ProcessLauncher

state_dir, command = sys.argv[1:]
fire = LaunchRequest("doomed", datetime(2026, 3, 8, 7, tzinfo=UTC), "r", "doomed", 1, {"command": command})
print(ProcessLauncher(state_dir=state_dir).launch(fire).handles[0], flush=True)
sys.stdin.read()  # until the test kills this "worker"
"""


class TestIdempotency:
    def test_launching_a_key_again_returns_the_same_handle_and_runs_once(
        self, launcher: ProcessLauncher, tmp_path: Path
    ) -> None:
        lines = tmp_path / "lines"
        fire = request(command=f"echo ran >> {lines}")
        first = launcher.launch(fire)
        second = launcher.launch(fire)
        until_ended(launcher, first.handles[0])
        third = launcher.launch(fire)  # after the job ended, too

        assert first.handles == second.handles == third.handles == ("process:k1",)
        assert lines.read_text() == "ran\n"

    def test_different_keys_run_separately(self, launcher: ProcessLauncher, tmp_path: Path) -> None:
        lines = tmp_path / "lines"
        handles = [launcher.launch(request(key, command=f"echo {key} >> {lines}")).handles[0] for key in "ab"]
        for handle in handles:
            until_ended(launcher, handle)
        assert sorted(lines.read_text().split()) == ["a", "b"]

    def test_processes_racing_to_launch_one_key_run_it_once(self, state_dir: Path, tmp_path: Path) -> None:
        lines = tmp_path / "lines"
        keys = ["race-a", "race-b", "race-c"]
        command = f'echo "$CLOCKWORK_FIRE_KEY" >> {lines}'
        argv = [sys.executable, "-c", RACER, str(state_dir), command, *keys]
        racers = [
            subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(4)
        ]
        for racer in racers:
            assert racer.stdout is not None
            assert racer.stdout.readline() == "ready\n"
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        outputs = [racer.communicate(timeout=DEADLINE)[0] for racer in racers]

        assert [racer.returncode for racer in racers] == [0, 0, 0, 0]
        assert {tuple(output.split()) for output in outputs} == {tuple(f"process:{k}" for k in keys)}
        launcher = ProcessLauncher(state_dir=state_dir)
        for key in keys:
            assert until_ended(launcher, f"process:{key}").phase is Phase.SUCCEEDED
        assert sorted(lines.read_text().split()) == keys

    def test_a_job_outlives_its_killed_worker_and_another_process_sees_it_end(
        self, state_dir: Path, tmp_path: Path
    ) -> None:
        # SIGKILL to the worker's whole process group, as a supervisor (or Ctrl-C) sends it.
        release = tmp_path / "release"
        command = f"while [ ! -e {release} ]; do sleep 0.02; done; exit 7"
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(state_dir), command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert worker.stdout is not None
        handle = worker.stdout.readline().strip()
        os.killpg(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=DEADLINE)
        assert (handle, worker.returncode) == ("process:doomed", -signal.SIGKILL)

        survivor = ProcessLauncher(state_dir=state_dir)
        assert survivor.describe([handle])[0].phase is Phase.RUNNING
        release.touch()
        ended = until_ended(survivor, handle)
        assert (ended.phase, ended.exit_codes, ended.stop_reason) == (
            Phase.FAILED,
            {"process": 7},
            "exit code 7",
        )


# --- stopping -------------------------------------------------------------------------------


class TestStop:
    def test_stop_ends_the_whole_process_group_and_records_the_reason(
        self, launcher: ProcessLauncher, tmp_path: Path
    ) -> None:
        pid_file, mark = tmp_path / "grandchild.pid", tmp_path / "grandchild.mark"
        grandchild = (
            f"trap 'echo SIGTERM > {mark}; exit 0' TERM; echo $$ > {pid_file}; while :; do sleep 0.02; done"
        )
        (handle,) = launcher.launch(request(command=f"sh -c {shlex.quote(grandchild)} & wait")).handles
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the grandchild's pid")
        pid = int(pid_file.read_text())

        launcher.stop(handle, reason="replaced by the next fire")
        ended = until_ended(launcher, handle)

        assert (ended.phase, ended.stop_reason) == (Phase.FAILED, "replaced by the next fire")
        assert ended.exit_codes == {"process": 128 + signal.SIGTERM}
        wait_for(lambda: is_gone(pid), "the grandchild to end")
        assert mark.read_text() == "SIGTERM\n"

    def test_stop_returns_at_once_and_kills_a_job_that_ignores_sigterm_after_the_grace(
        self, state_dir: Path, tmp_path: Path
    ) -> None:
        launcher = ProcessLauncher(state_dir=state_dir, stop_grace=1.0)
        ready = tmp_path / "ready"
        (handle,) = launcher.launch(request(command=f"trap '' TERM; touch {ready}; sleep 60")).handles
        wait_for(ready.exists, "the job to ignore SIGTERM")

        asked = time.monotonic()
        launcher.stop(handle, reason="timed out")
        assert time.monotonic() - asked < 0.5  # stop did not wait the grace out
        ended = until_ended(launcher, handle)

        assert time.monotonic() - asked >= 1.0
        assert (ended.phase, ended.exit_codes, ended.stop_reason) == (
            Phase.FAILED,
            {"process": 128 + signal.SIGKILL},
            "timed out",
        )

    def test_stopping_an_ended_job_is_not_an_error_and_keeps_its_outcome(
        self, launcher: ProcessLauncher
    ) -> None:
        run(launcher, "true")
        launcher.stop("process:k1", reason="too late")
        (seen,) = launcher.describe(["process:k1"])
        assert (seen.phase, seen.stop_reason) == (Phase.SUCCEEDED, None)

    def test_the_first_stop_reason_is_the_one_reported(self, launcher: ProcessLauncher) -> None:
        (handle,) = launcher.launch(request(command="sleep 60")).handles
        launcher.stop(handle, reason="timed out")
        launcher.stop(handle, reason="replaced")
        assert until_ended(launcher, handle).stop_reason == "timed out"

    def test_stopping_an_unknown_handle_is_not_an_error(self, launcher: ProcessLauncher) -> None:
        launcher.stop("process:never-launched", reason="cleanup")
        launcher.stop("ecs:arn:aws:ecs:task/1", reason="cleanup")

    def test_a_job_whose_wrapper_was_killed_is_still_tracked_and_stopped(
        self, launcher: ProcessLauncher, state_dir: Path
    ) -> None:
        (handle,) = launcher.launch(request(command="sleep 60")).handles
        started = json.loads((state_dir / "k1" / "started.json").read_text())
        os.kill(started["wrapper_pid"], signal.SIGKILL)
        wait_for(lambda: is_gone(started["wrapper_pid"]), "the wrapper to die")

        assert launcher.describe([handle])[0].phase is Phase.RUNNING
        launcher.stop(handle, reason="timed out")
        ended = until_ended(launcher, handle)
        assert (ended.phase, ended.exit_codes, ended.stop_reason) == (
            Phase.FAILED,
            {"process": None},
            "timed out",
        )


# --- describe, plugin, housekeeping ---------------------------------------------------------


class TestDescribe:
    def test_it_answers_one_observation_per_handle_in_order(self, launcher: ProcessLauncher) -> None:
        run(launcher, "true", key="ok")
        run(launcher, "exit 1", key="bad")
        handles = ["process:bad", "process:nothing", "process:ok", "process:../etc", "ecs:task"]
        seen = launcher.describe(handles)
        assert [(o.handle, o.phase) for o in seen] == [
            ("process:bad", Phase.FAILED),
            ("process:nothing", Phase.UNKNOWN),
            ("process:ok", Phase.SUCCEEDED),
            ("process:../etc", Phase.UNKNOWN),
            ("ecs:task", Phase.UNKNOWN),
        ]


class TestPlugin:
    def test_it_is_installed_as_the_process_launcher(self, state_dir: Path) -> None:
        launcher = open_launcher("process", state_dir=state_dir)
        assert isinstance(launcher, ProcessLauncher)
        assert isinstance(launcher, Launcher)
        assert (launcher.name, launcher.state_dir) == ("process", state_dir)

    def test_its_state_dir_defaults_to_clockwork_state_dir(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("CLOCKWORK_STATE_DIR", str(tmp_path / "from-env"))
        assert ProcessLauncher().state_dir == tmp_path / "from-env"
        monkeypatch.delenv("CLOCKWORK_STATE_DIR")
        monkeypatch.chdir(tmp_path)
        assert ProcessLauncher().state_dir == tmp_path / ".clockwork" / "runs"


class TestCleanup:
    def test_it_removes_old_ended_runs_and_keeps_running_ones(
        self, launcher: ProcessLauncher, tmp_path: Path
    ) -> None:
        run(launcher, "true", key="ended")
        (running,) = launcher.launch(request("running", command="sleep 60")).handles

        assert launcher.cleanup(older_than=timedelta(hours=1)) == 0
        assert launcher.cleanup(older_than=timedelta(0)) == 1
        assert launcher.describe(["process:ended", running]) == [
            Observation("process:ended", Phase.UNKNOWN),
            Observation(running, Phase.RUNNING, output=""),
        ]
