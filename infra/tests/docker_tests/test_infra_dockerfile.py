"""infra/Dockerfile: what it says, and (slow) its builder's commands run here, without Docker.

There is no Docker engine where these tests run, so the image's environment is built the
way the Dockerfile builds it: the builder stage's RUN lines, read from the Dockerfile (not
re-typed here), run by ``/bin/sh -c`` with the builder's ENV, in a folder laid out like its
WORKDIR (holding what its COPY lines take from the build context, .dockerignore applied).
The local Python 3.11 stands in for the base image's (a venv with pip, first on the PATH),
and the image's venv is made at a temporary path instead of /opt/clockwork. The venv is
then checked as the runtime stage runs it: with the image's ENV, ENTRYPOINT and CMD, and
its HEALTHCHECK command line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from .dockerfile import Dockerfile, Ignore, Stage, parse_copy, run_command

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "infra" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
#: Where the builder makes the venv that the runtime stage copies.
IMAGE_VENV = "/opt/clockwork"
#: A full Python version, optionally pinned to a digest too.
PINNED_PYTHON = re.compile(r"^python:(\d+)\.(\d+)\.(\d+)-slim-bookworm(@sha256:[0-9a-f]{64})?$")
#: The workspace packages the worker's image needs.
IMAGE_PACKAGES = ("clockwork-core", "clockwork-worker", "clockwork-dynamodb", "clockwork-ecs")
#: Variables of the machine running the tests that would leak into the "image".
LEAKY = re.compile(
    r"^(VIRTUAL_ENV|PYTHONPATH|PYTHONHOME|PYTHONSTARTUP|CONDA_PREFIX|UV_PROJECT_ENVIRONMENT|UV_PYTHON.*"
    r"|CLOCKWORK_.*|DYNAMO_TABLE|AWS_REGION|AWS_DEFAULT_REGION|AWS_PROFILE|AWS_ENDPOINT_URL.*)$"
)
START_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return Dockerfile.read(DOCKERFILE)


@pytest.fixture(scope="module")
def runtime(dockerfile: Dockerfile) -> Stage:
    return dockerfile.final


# --- what the Dockerfile says -----------------------------------------------------------------


def test_the_image_has_a_builder_stage_and_a_runtime_stage(dockerfile: Dockerfile) -> None:
    assert [stage.name for stage in dockerfile.stages] == ["builder", "runtime"]
    assert [copy.from_stage for copy in dockerfile.final.copies()] == ["builder"]


def test_every_base_image_is_a_full_python_version_never_latest(dockerfile: Dockerfile) -> None:
    for stage in dockerfile.stages:
        assert "latest" not in stage.base
        assert PINNED_PYTHON.fullmatch(stage.base), (
            f"{stage.name}: {stage.base} is not python:3.N.P-slim-bookworm"
        )


def test_both_stages_start_from_the_same_image(dockerfile: Dockerfile) -> None:
    assert len({stage.base for stage in dockerfile.stages}) == 1


def test_the_image_python_is_the_minor_version_these_tests_build_with(dockerfile: Dockerfile) -> None:
    match = PINNED_PYTHON.fullmatch(dockerfile.final.base)
    assert match is not None
    assert (int(match[1]), int(match[2])) == sys.version_info[:2]


def test_uv_is_pinned_and_the_locked_requirements_are_installed_with_their_hashes(
    dockerfile: Dockerfile,
) -> None:
    runs = " ".join(dockerfile.stage("builder").runs())
    assert re.search(r"pip install uv==\d+\.\d+\.\d+(\s|$)", runs)
    assert "uv export --frozen" in runs
    assert "--no-dev" in runs
    assert "--require-hashes" in runs
    for package in ("clockwork-worker", "clockwork-dynamodb", "clockwork-ecs"):
        assert f"--package {package}" in runs


def test_the_workspace_packages_are_installed_without_their_dependencies(dockerfile: Dockerfile) -> None:
    install = dockerfile.stage("builder").runs()[-1]
    assert "--no-deps" in install
    assert "--editable" not in install
    assert " -e " not in install
    for package in IMAGE_PACKAGES:
        assert f"./packages/{package}" in install


def test_the_runtime_runs_as_a_non_root_user(runtime: Stage) -> None:
    user = runtime.user()
    assert user is not None
    uid, _, gid = user.partition(":")
    assert uid.isdigit()
    assert int(uid) == 10001
    assert gid.isdigit()
    assert int(gid) != 0


def test_the_runtime_gets_tini_from_debian_without_recommends_and_cleans_the_lists(runtime: Stage) -> None:
    install = next(run for run in runtime.runs() if "apt-get install" in run)
    assert "--no-install-recommends tini" in install
    assert "rm -rf /var/lib/apt/lists/*" in install


def test_docker_run_with_no_arguments_runs_clockwork_run_under_tini(runtime: Stage) -> None:
    assert runtime.entrypoint() == ["tini", "--", "clockwork"]
    assert runtime.cmd() == ["run"]


def test_the_runtime_path_finds_the_venv_first_and_output_is_unbuffered(runtime: Stage) -> None:
    env = runtime.env({"PATH": "/usr/local/bin:/usr/bin"})
    assert env["PATH"].split(":")[0] == f"{IMAGE_VENV}/bin"
    assert env["PYTHONUNBUFFERED"] == "1"


def test_the_http_endpoint_listens_on_loopback_only_and_no_port_is_exposed(runtime: Stage) -> None:
    """The HEALTHCHECK runs inside the container: nothing outside it needs /healthz or /metrics."""
    from clockwork_worker.http import is_loopback, parse_address

    host, _ = parse_address(runtime.env()["CLOCKWORK_HTTP"])
    assert is_loopback(host), f"CLOCKWORK_HTTP listens on {host}"
    assert runtime.exposed() == []


def test_every_clockwork_variable_the_image_sets_is_one_the_worker_reads(runtime: Stage) -> None:
    from clockwork_worker import cli
    from clockwork_worker.commands import run

    read = {setting.env for setting in (*cli.GLOBAL, *run.SETTINGS)}
    set_by_image = {key for key in runtime.env() if key.startswith("CLOCKWORK_")}
    assert set_by_image
    assert set_by_image <= read
    # The legacy DYNAMO_TABLE mapping applies only while CLOCKWORK_STORE is unset.
    assert "CLOCKWORK_STORE" not in set_by_image


def test_the_healthcheck_asks_healthz_with_the_venv_python(runtime: Stage) -> None:
    healthcheck = runtime.healthcheck()
    assert healthcheck is not None
    assert isinstance(healthcheck.command, list)
    assert healthcheck.command[:2] == ["python", "-c"]
    assert "/healthz" in healthcheck.command[2]
    assert {"interval", "timeout", "retries"} <= set(healthcheck.options)


def test_the_build_context_holds_the_lock_and_the_packages_sources_only() -> None:
    ignore = Ignore.read(DOCKERIGNORE)
    kept = [
        "pyproject.toml",
        "uv.lock",
        "packages/clockwork-worker/pyproject.toml",
        "packages/clockwork-worker/README.md",
        "packages/clockwork-worker/src/clockwork_worker/cli.py",
        "packages/clockwork-dynamodb/src/clockwork_dynamodb/testing/dynalite/package-lock.json",
    ]
    left_out = [
        ".git/HEAD",
        ".venv/bin/python",
        ".tools/bin/uv",
        "infra/Dockerfile",
        "noxfile.py",
        "packages/clockwork-worker/tests/test_cli.py",
        "packages/clockwork-worker/src/clockwork_worker/__pycache__/cli.cpython-311.pyc",
        "packages/clockwork-core/src/clockwork_core.egg-info/PKG-INFO",
    ]
    assert [path for path in kept if ignore.excluded(PurePosixPath(path))] == []
    assert [path for path in left_out if not ignore.excluded(PurePosixPath(path))] == []


def test_every_file_the_builder_copies_is_in_the_build_context(dockerfile: Dockerfile) -> None:
    ignore = Ignore.read(DOCKERIGNORE)
    for copy in dockerfile.stage("builder").copies():
        for source in copy.sources:
            assert list(ignore.context(ROOT, source)), f"COPY {source}: nothing in the build context"


# --- the legacy variables of the original worker ----------------------------------------------


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({"DYNAMO_TABLE": "clockwork", "AWS_REGION": "eu-west-1"}, "dynamodb://clockwork?region=eu-west-1"),
        ({"DYNAMO_TABLE": "clockwork"}, "dynamodb://clockwork"),
        ({"DYNAMO_TABLE": " clockwork ", "AWS_REGION": ""}, "dynamodb://clockwork"),
        ({"DYNAMO_TABLE": "clockwork", "CLOCKWORK_STORE": "memory://"}, None),
        ({"DYNAMO_TABLE": "clockwork", "CLOCKWORK_STORE": " "}, "dynamodb://clockwork"),
        ({"DYNAMO_TABLE": "", "AWS_REGION": "eu-west-1"}, None),
        ({"DYNAMO_TABLE": "a?b=c"}, "dynamodb://a%3Fb%3Dc"),
    ],
)
def test_the_original_dynamo_table_and_aws_region_name_the_store(
    environ: dict[str, str], url: str | None
) -> None:
    from clockwork_worker import legacy_env

    assert legacy_env.legacy_store_url(environ) == url
    legacy_env.apply(environ)
    assert environ.get("CLOCKWORK_STORE") == (url or environ.get("CLOCKWORK_STORE"))


def test_a_legacy_table_name_that_is_not_one_is_rejected_by_the_store() -> None:
    from clockwork_core.errors import InvalidValue
    from clockwork_dynamodb.location import parse
    from clockwork_worker import legacy_env

    url = legacy_env.legacy_store_url({"DYNAMO_TABLE": "a?b=c"})
    assert url is not None
    with pytest.raises(InvalidValue, match="does not name a table"):
        parse(url)


# --- the builder, run here --------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    """The image's environment as built here: its venv, and how to run things in it."""

    venv: Path
    workdir: Path  # stands for the runtime's WORKDIR (the user's home)
    runtime: Stage
    base_env: Mapping[str, str]
    build_seconds: float

    def env(self, **extra: str) -> dict[str, str]:
        """The runtime stage's ENV over a clean environment, /opt/clockwork made the venv."""
        image_env = self.runtime.env({"PATH": self.base_env["PATH"]})
        env = {**self.base_env, **{k: v.replace(IMAGE_VENV, str(self.venv)) for k, v in image_env.items()}}
        if shutil.which("tini") is not None:
            env["TINI_SUBREAPER"] = "1"  # not PID 1 here: reap as a subreaper instead
        env.update(extra)
        return env

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` as the image runs it; without tini on this machine, without ``tini --``."""
        argv = list(argv)
        if argv[:2] == ["tini", "--"] and shutil.which("tini") is None:
            argv = argv[2:]
        return argv

    def clockwork(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        entrypoint = self.runtime.entrypoint() or []
        return subprocess.run(
            self.command([*entrypoint, *args]),
            env=self.env(**env),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def healthcheck(self, **env: str) -> subprocess.CompletedProcess[str]:
        healthcheck = self.runtime.healthcheck()
        assert healthcheck is not None
        assert isinstance(healthcheck.command, list)
        return subprocess.run(
            healthcheck.command,
            env=self.env(**env),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )

    @contextlib.contextmanager
    def worker(self, log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
        """``docker run IMAGE``: ENTRYPOINT + CMD; stopped (SIGKILL) if the test did not stop it."""
        argv = self.command([*(self.runtime.entrypoint() or []), *(self.runtime.cmd() or [])])
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv, env=self.env(**env), cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def clean_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not LEAKY.match(key)}


def base_python() -> Path:
    """The local Python the venvs are made from (not the workspace's venv)."""
    return Path(getattr(sys, "_base_executable", sys.executable))


def copy_context(ignore: Ignore, source: str, destination: Path) -> None:
    """``COPY source destination``: a file to a folder (ending in /), a folder's contents into one."""
    top = ROOT / source
    for relative in ignore.context(ROOT, source):
        if top.is_dir():
            target = destination / Path(relative).relative_to(source)
        else:
            target = destination / Path(relative).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)


@pytest.fixture(scope="module")
def image(dockerfile: Dockerfile, tmp_path_factory: pytest.TempPathFactory) -> Image:
    started = time.monotonic()
    scratch = tmp_path_factory.mktemp("image")
    venv = scratch / "opt-clockwork"
    # The base image's Python: a venv of the local one, with pip, first on the PATH.
    base = scratch / "base"
    subprocess.run([str(base_python()), "-m", "venv", str(base)], check=True, capture_output=True)
    base_env = clean_environment()
    base_env["PATH"] = f"{base / 'bin'}{os.pathsep}{base_env.get('PATH', '')}"
    builder = dockerfile.stage("builder")
    env = {**base_env, **builder.env({"PATH": base_env["PATH"]})}
    ignore = Ignore.read(DOCKERIGNORE)
    workdir = scratch / "workdir"
    workdir.mkdir()
    for instruction in builder.instructions:
        if instruction.keyword == "COPY":
            copy = parse_copy(instruction)
            for source in copy.sources:
                copy_context(ignore, source, workdir / copy.destination)
        elif instruction.keyword == "RUN":
            command = run_command(instruction).replace(IMAGE_VENV, str(venv))
            done = subprocess.run(
                ["/bin/sh", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, f"line {instruction.line}: {command}\n{done.stdout}\n{done.stderr}"
    # One WORKDIR, before every COPY: the scratch folder stands for it.
    assert len(builder.of("WORKDIR")) == 1
    assert all(builder.of("WORKDIR")[0].line < copy.line for copy in builder.of("COPY"))
    home = scratch / "home"
    home.mkdir()
    return Image(venv, home, dockerfile.final, base_env, time.monotonic() - started)


def free_port() -> int:
    from clockwork_dynamodb.testing.emulators import free_port as free

    return free()


def wait_healthy(image: Image, process: subprocess.Popen[bytes], log: Path, **env: str) -> None:
    """Run the image's HEALTHCHECK until it passes (the worker's start period)."""
    give_up = time.monotonic() + START_TIMEOUT
    while True:
        assert process.poll() is None, f"the worker exited ({process.returncode}):\n{log.read_text()}"
        done = image.healthcheck(**env)
        if done.returncode == 0:
            return
        assert time.monotonic() < give_up, f"unhealthy: {done.stderr[-500:]}\n{log.read_text()}"
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> int:
    """``docker stop``: SIGTERM to PID 1 (tini when it is installed here)."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


@pytest.mark.slow
def test_the_built_venv_holds_the_workspace_packages_non_editable(image: Image) -> None:
    done = subprocess.run(
        [str(image.venv / "bin" / "python"), "-m", "pip", "--version"], capture_output=True, check=False
    )
    assert done.returncode != 0  # no pip in the venv: nothing the worker does not need
    site = next((image.venv / "lib").glob("python3.*/site-packages"))
    for package in IMAGE_PACKAGES:
        module = package.replace("-", "_")
        assert (site / module / "__init__.py").is_file(), f"{module} is not installed in the venv"
    assert not list(site.glob("*.pth")), "an editable install (.pth) leaks the checkout into the venv"
    assert not (site / "clockwork_cfn_resource").exists()


@pytest.mark.slow
def test_clockwork_help_runs_from_the_venv(image: Image) -> None:
    done = image.clockwork("--help")
    assert done.returncode == 0, done.stderr
    assert "run" in done.stdout
    assert "schedule" in done.stdout
    assert "dynamodb" in done.stdout  # the DynamoDB plugin adds its commands


@pytest.mark.slow
def test_the_venv_has_the_ecs_and_process_launchers(image: Image) -> None:
    done = image.clockwork("run", "--launcher", "no-such-launcher", "--store", "memory://", "--once")
    assert done.returncode == 2
    assert "(installed: ecs, process)" in done.stderr


@pytest.mark.slow
def test_the_venv_has_the_dynamodb_sqlite_and_memory_stores(image: Image) -> None:
    done = image.clockwork("schedule", "list", "--store", "no-such-store://x")
    assert done.returncode == 2
    assert "(installed: dynamodb, memory, sqlite)" in done.stderr


CHECK_IMPORTS = """
import sys, sysconfig
from pathlib import Path
import clockwork_worker.cli, clockwork_worker.worker, clockwork_worker.http
import clockwork_dynamodb.plugin, clockwork_dynamodb.store, clockwork_ecs.plugin, clockwork_ecs.launcher
from clockwork_core.plugins import plugin_manager
clockwork_worker.cli.build_parser()
plugin_manager()
allowed = [Path(sys.prefix).resolve(), Path(sysconfig.get_paths()["stdlib"]).resolve(),
           Path(sysconfig.get_paths()["platstdlib"]).resolve()]
outside = sorted({str(Path(m.__file__).resolve()) for m in list(sys.modules.values())
                  if getattr(m, "__file__", None)
                  and not any(Path(m.__file__).resolve().is_relative_to(a) for a in allowed)})
site = Path(sysconfig.get_paths()["purelib"]).resolve()
paths = [p for p in sys.path if p and Path(p).exists() and Path(p).resolve() != site and not any(
    Path(p).resolve().is_relative_to(a) for a in allowed[1:])]
print("\\n".join(outside + paths))
assert Path(clockwork_worker.__file__).resolve().is_relative_to(site), clockwork_worker.__file__
"""


@pytest.mark.slow
def test_the_venv_imports_nothing_from_outside_itself_and_the_standard_library(image: Image) -> None:
    done = subprocess.run(
        ["python", "-c", CHECK_IMPORTS],
        env=image.env(),
        cwd=image.workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"from outside the venv and the standard library:\n{done.stdout}"


@pytest.mark.slow
def test_the_healthcheck_passes_against_a_running_worker_that_sigterm_stops_cleanly(
    image: Image, tmp_path: Path
) -> None:
    http = f"127.0.0.1:{free_port()}"
    store = f"sqlite:///{tmp_path / 'x.db'}"
    assert image.healthcheck(CLOCKWORK_HTTP=http).returncode != 0  # nobody listens yet
    log = tmp_path / "worker.log"
    with image.worker(log, CLOCKWORK_STORE=store, CLOCKWORK_HTTP=http) as process:
        wait_healthy(image, process, log, CLOCKWORK_HTTP=http)
        assert image.healthcheck(CLOCKWORK_HTTP=http).returncode == 0
        assert stop(process) == 0, log.read_text()
    assert (tmp_path / "x.db").is_file()


@pytest.mark.slow
def test_the_original_docker_run_variables_run_the_worker_on_the_dynamodb_table(
    image: Image, tmp_path: Path
) -> None:
    """``docker run --env AWS_REGION=... --env DYNAMO_TABLE=... IMAGE``, on a moto server."""
    import boto3
    from clockwork_dynamodb.testing.emulators import FAKE_CREDENTIALS, REGION, create_table, moto_server

    emulator = moto_server(tmp_path / "moto.log").start()
    try:
        client = boto3.client(
            "dynamodb",
            endpoint_url=emulator.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        create_table(client, "legacy-clockwork")
        port = free_port()
        legacy = {
            **FAKE_CREDENTIALS,
            "AWS_REGION": REGION,
            "DYNAMO_TABLE": "legacy-clockwork",
            "AWS_ENDPOINT_URL_DYNAMODB": emulator.endpoint,
        }
        legacy.pop("AWS_DEFAULT_REGION")  # the region comes from AWS_REGION, as in the original
        log = tmp_path / "worker.log"
        databases = set(image.workdir.glob("*.db"))
        # Only the HTTP address differs from `docker run`: a free port here, not 8080.
        with image.worker(log, CLOCKWORK_HTTP=f"127.0.0.1:{port}", **legacy) as process:
            give_up = time.monotonic() + START_TIMEOUT
            while not _healthz_ok(port):
                assert process.poll() is None, f"the worker exited ({process.returncode}):\n{log.read_text()}"
                assert time.monotonic() < give_up, log.read_text()
                time.sleep(0.2)
            assert set(image.workdir.glob("*.db")) == databases, (
                "DYNAMO_TABLE did not name the store: the worker made a SQLite one "
                "(does the command line read its environment through clockwork_worker.legacy_env.resolved?)"
            )
            items = client.scan(TableName="legacy-clockwork")["Items"]
            assert any(item["pk"]["S"] == "LEASE" for item in items), (items, log.read_text())
            assert stop(process) == 0, log.read_text()
        assert set(image.workdir.glob("*.db")) == databases, "the worker used a SQLite store, not the table"
    finally:
        emulator.stop()


def _healthz_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return int(answer.status) == 200
    except OSError:
        return False
