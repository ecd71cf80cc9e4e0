"""Without AWS credentials, a region, or with a broken endpoint, every command that reaches
DynamoDB fails in one line that says what to do: the real ``clockwork`` command, as a
subprocess, with an environment that has no AWS settings at all (empty config files, no
instance metadata), against a real moto server that it never gets to call."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clockwork_dynamodb.testing.emulators import REGION, Backend

TIMEOUT = 60.0
#: How a bad store URL is reported (``schedule`` commands name the flag, as ``dynamodb`` ones do
#: for the URL's own text).
STORE_ERROR = ("clockwork: store: ", "clockwork: --store: ")


def clockwork(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("clockwork")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "clockwork_worker.cli"]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {done.stderr!r}"
    return lines[0]


@pytest.fixture
def bare(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine with no AWS configuration."""
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLOCKWORK_", "BOTO"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        HOME=str(tmp_path),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_CONFIG_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPYCACHEPREFIX=str(tmp_path / "pycache"),
    )
    return env


COMMANDS = [
    pytest.param(("schedule", "list"), id="schedule-list"),
    pytest.param(("schedule", "add", "job", "@hourly", "--command", "true"), id="schedule-add"),
    pytest.param(("dynamodb", "describe"), id="describe"),
    pytest.param(("dynamodb", "create-table"), id="create-table"),
    pytest.param(("dynamodb", "migrate", "--from", "legacy-table"), id="migrate"),
]


class TestCredentials:
    @pytest.mark.parametrize("command", COMMANDS)
    def test_no_credentials_is_one_line_that_says_what_to_set(
        self, moto: Backend, bare: dict[str, str], command: tuple[str, ...]
    ) -> None:
        message = one_line(clockwork(bare, *command, "--store", moto.url("clockwork-absent")))
        assert message.startswith("clockwork: DynamoDB ")
        assert "table 'clockwork-absent'" in message or "table 'legacy-table'" in message
        assert "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and " in message

    def test_half_a_key_is_one_line_naming_what_is_missing(self, moto: Backend, bare: dict[str, str]) -> None:
        env = {**bare, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"}
        message = one_line(clockwork(env, "schedule", "list", "--store", moto.url("clockwork-absent")))
        assert "incomplete AWS credentials" in message
        assert "missing: AWS_SECRET_ACCESS_KEY" in message

    def test_a_profile_that_does_not_exist_is_one_line_naming_it(
        self, moto: Backend, bare: dict[str, str]
    ) -> None:
        env = {**bare, "AWS_PROFILE": "no-such-profile"}
        message = one_line(clockwork(env, "dynamodb", "describe", "--store", moto.url("clockwork-absent")))
        assert "no-such-profile" in message
        assert "AWS_PROFILE" in message


class TestRegionAndEndpoint:
    @pytest.fixture
    def keyed(self, bare: dict[str, str]) -> dict[str, str]:
        return {**bare, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

    @pytest.mark.parametrize("command", COMMANDS)
    def test_no_region_is_one_line_that_says_where_to_give_it(
        self, moto: Backend, keyed: dict[str, str], command: tuple[str, ...]
    ) -> None:
        store = f"dynamodb://clockwork-absent?endpoint_url={moto.endpoint}"
        done = clockwork(keyed, *command, "--store", store)
        message = one_line(done)
        assert message.startswith(STORE_ERROR)
        assert re.search(
            r"no AWS region for DynamoDB table '(clockwork-absent|legacy-table)': "
            r"add \?region=eu-west-1 to the URL or set AWS_REGION$",
            message,
        )
        assert done.returncode == 2

    def test_a_region_that_is_no_region_name_is_one_line(self, moto: Backend, keyed: dict[str, str]) -> None:
        store = f"dynamodb://clockwork-absent?region=eu%20west&endpoint_url={moto.endpoint}"
        done = clockwork(keyed, "schedule", "list", "--store", store)
        message = one_line(done)
        assert message.startswith(STORE_ERROR)
        assert "'eu west'" in message
        assert done.returncode == 2

    @pytest.mark.parametrize(
        ("endpoint", "reason"),
        [
            ("http://[::1", "Invalid IPv6 URL"),
            ("http://127.0.0.1:99999", "Port out of range"),
            ("http://", "is not an http(s) URL"),
            ("ftp://127.0.0.1:21", "is not an http(s) URL"),
        ],
    )
    def test_a_malformed_endpoint_is_one_line_naming_it(
        self, keyed: dict[str, str], endpoint: str, reason: str
    ) -> None:
        store = f"dynamodb://clockwork-absent?region={REGION}&endpoint_url={endpoint}"
        done = clockwork(keyed, "schedule", "list", "--store", store)
        message = one_line(done)
        assert message.startswith(STORE_ERROR)
        assert f"endpoint_url={endpoint!r}" in message
        assert reason in message
        assert done.returncode == 2
