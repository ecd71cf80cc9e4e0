"""Security by default, end to end: real ``clockwork`` processes, a SQLite store, local jobs.

* A job's environment is explicit: the worker's own variables (its AWS credentials above
  all) reach neither the job nor, through its output, the history and the store.
* Secrets in crontab commands and variables appear in no log line, JSON or text.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from clockwork_runner import Clockwork

#: The worker's own secrets: no job, log or stored run may show them.
WORKER_SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAWORKER000SECRET1",
    "AWS_SECRET_ACCESS_KEY": "worker-aws-secret-access-key-2",
    "AWS_SESSION_TOKEN": "worker-aws-session-token-3",
    "WORKER_ONLY_MARKER": "worker-only-marker-4",
}
FIRE_VARIABLES = ("CLOCKWORK_SCHEDULE_ID", "CLOCKWORK_FIRE_TIME", "CLOCKWORK_RUN_ID", "CLOCKWORK_FIRE_KEY")
WAIT = 30.0


def finished_runs(clockwork: Clockwork, schedule_ids: Iterable[str], log: str = "worker.log") -> None:
    """Wait until the worker's log says a run of each schedule ended."""
    wanted = set(schedule_ids)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        ended = {r.get("schedule") for r in clockwork.log_records(log) if r.get("action") == "run_finished"}
        if wanted <= ended:
            return
        time.sleep(0.1)
    raise AssertionError(f"no run of {wanted} ended within {WAIT} s: {(clockwork.home / log).read_text()}")


def stop(clockwork: Clockwork) -> None:
    for worker in clockwork.workers:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=WAIT) == 0


def environment_of(run: dict[str, Any]) -> dict[str, str]:
    """The variables of a run whose job was ``env``, read back from its recorded output."""
    assert run["status"] == "SUCCEEDED", run
    lines = (run["output"] or "").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def store_bytes(home: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(home.glob("clockwork.db*")))


class TestJobEnvironment:
    def test_a_job_sees_the_documented_environment_and_none_of_the_workers_secrets(
        self, clockwork: Clockwork
    ) -> None:
        clockwork.env.update(WORKER_SECRETS, PASSED_ON="asked-for")
        (clockwork.home / "jobs.cron").write_text("GREETING=from-the-crontab\n* * * * * * env\n")
        params = {"command": "env", "env": {"FROM_PARAMS": "yes"}, "pass_env": ["PASSED_ON"]}
        clockwork.ok("schedule", "add", "probe", "* * * * * *", "--params-json", json.dumps(params))
        clockwork.start("--crontab", "jobs.cron", "--poll-interval", "0.2", "--lookahead", "1")
        line = clockwork.wait_for_log("crontab_added")["schedule"]
        finished_runs(clockwork, ["probe", line])
        stop(clockwork)

        runs = {schedule_id: clockwork.history(schedule_id) for schedule_id in ("probe", line)}
        seen_by = {}
        for schedule_id, history in runs.items():
            run = next(r for r in history if r["status"] == "SUCCEEDED")
            seen = seen_by[schedule_id] = environment_of(run)
            assert seen["CLOCKWORK_SCHEDULE_ID"] == schedule_id
            assert seen["CLOCKWORK_RUN_ID"] == run["run_id"]
            assert set(FIRE_VARIABLES) <= set(seen)
            assert seen["PATH"] == clockwork.env["PATH"]
            assert not {name for name in seen if name.startswith("AWS_")}
            for secret in WORKER_SECRETS.values():
                assert secret not in json.dumps(history)
        assert seen_by[line]["GREETING"] == "from-the-crontab"
        assert (seen_by["probe"]["FROM_PARAMS"], seen_by["probe"]["PASSED_ON"]) == ("yes", "asked-for")

        for secret in WORKER_SECRETS.values():
            assert secret.encode() not in store_bytes(clockwork.home)
            assert secret not in (clockwork.home / "worker.log").read_text()


#: A crontab whose commands and variables hold secrets, in the usual places.
SECRET_CRONTAB = (
    "PGPASSWORD=pg-secret-5\n"
    'API_TOKEN="token-secret-6"\n'
    "* * * * * * echo mysqldump -ume -pmysql-secret-7 app > /dev/null\n"
    "* * * * * * : curl -s https://backup:url-secret-8@127.0.0.1:9/\n"
    "* * * * * * PGPASSWORD=pg-inline-9 true\n"
    '* * * * * * echo "the token is $API_TOKEN"\n'
)
CRONTAB_SECRETS = ("pg-secret-5", "token-secret-6", "mysql-secret-7", "url-secret-8", "pg-inline-9")


def crontab_ids(clockwork: Clockwork, count: int) -> list[str]:
    """The ids of the crontab's schedules, once the worker has loaded all ``count``."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        ids = [r["schedule"]["id"] for r in clockwork.json("schedule", "list")]
        if len(ids) >= count:
            return ids
        time.sleep(0.2)
    raise AssertionError(f"the worker did not load {count} crontab lines within {WAIT} s")


def runs_ended(log: Path, schedule_ids: Iterable[str], log_format: str) -> None:
    """Wait until ``log`` says a run of each schedule ended, in either format."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        text = log.read_text()
        if log_format == "json":
            records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
            ended = {r.get("schedule") for r in records if r.get("action") == "run_finished"}
        else:
            ended = {i for i in schedule_ids if f"action=run_finished schedule={i}" in text}
        if set(schedule_ids) <= ended:
            return
        time.sleep(0.1)
    raise AssertionError(f"not every run ended within {WAIT} s: {log.read_text()}")


class TestLogs:
    @pytest.mark.parametrize(
        ("log_format", "level"), [("json", "info"), ("text", "info"), ("json", "debug"), ("text", "debug")]
    )
    def test_no_secret_of_a_crontab_reaches_the_log(
        self, clockwork: Clockwork, log_format: str, level: str
    ) -> None:
        (clockwork.home / "jobs.cron").write_text(SECRET_CRONTAB)
        clockwork.start(
            "--crontab", "jobs.cron", "--poll-interval", "0.2", "--lookahead", "1",
            "--log-format", log_format, "--log-level", level,
        )  # fmt: skip
        ids = crontab_ids(clockwork, 4)
        runs_ended(clockwork.home / "worker.log", ids, log_format)
        stop(clockwork)

        log = (clockwork.home / "worker.log").read_text()
        assert "action=crontab_added" in log or '"crontab_added"' in log
        for secret in CRONTAB_SECRETS:
            assert secret not in log
        if level == "info":  # no command line at all, only schedule ids
            for word in ("mysqldump", "curl", "the token is"):
                assert word not in log


#: A CSI that clears the screen, a BEL, and a C1 CSI (8-bit terminals obey it).
HOSTILE = "evil\x1b[2J\x07\x9b name"
SHOWN = "evil\\x1b[2J\\x07\\x9b name"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b")


class TestTerminalOutput:
    def test_human_output_shows_control_characters_and_json_keeps_them_exactly(
        self, clockwork: Clockwork
    ) -> None:
        command = "echo \x1b]0;retitled\x07 \x9b"
        clockwork.ok(
            "schedule", "add", "hostile", "0 0 1 1 *", "--name", HOSTILE, "--description", HOSTILE,
            "--command", command, "--tag", f"team={HOSTILE}",
        )  # fmt: skip
        human = {
            " ".join(args): clockwork.ok(*args).stdout
            for args in (("schedule", "show", "hostile"), ("schedule", "list"), ("history", "hostile"))
        }
        for args, out in human.items():
            assert not [c for c in RAW_CONTROLS if c in out], f"clockwork {args} wrote raw controls: {out!r}"
        shown = [line.split(None, 1) for line in human["schedule show hostile"].splitlines()]
        assert ["name:", SHOWN] in shown
        assert ["tags:", f"team={SHOWN}"] in shown

        raw = clockwork.ok("schedule", "show", "hostile", "--json").stdout
        assert not [c for c in RAW_CONTROLS if c in raw]
        schedule = json.loads(raw)["schedule"]
        assert (schedule["name"], schedule["description"]) == (HOSTILE, HOSTILE)
        assert schedule["target"]["params"]["command"] == command
        assert schedule["tags"] == {"team": HOSTILE}

    def test_an_error_message_shows_control_characters(self, clockwork: Clockwork) -> None:
        result = clockwork("run", "--once", "--crontab", HOSTILE)
        assert result.returncode == 2
        assert result.message == f"clockwork: {SHOWN}: cannot read the crontab: No such file or directory"
