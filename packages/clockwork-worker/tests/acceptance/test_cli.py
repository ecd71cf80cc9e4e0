"""The ``clockwork`` command, end to end: real subprocesses, a SQLite store, local processes.

* Bad input: one line on stderr naming the problem, and a non-zero exit status.
* ``next``: JSON instants, and the table's DST note.
* Schedules: add, list, show, pause, resume, trigger, history and delete round trip.
* Policies: one ``clockwork run`` fires a set of schedules, one per policy, for a few
  seconds; each test then reads its schedule's ``clockwork history --json``. Missed fires
  are made by adding schedules paused and resuming them after their instants, then
  passing ``clockwork run --once``.

Transient launch failures (and so retries with backoff) cannot be provoked through the
process launcher from outside; the worker's own tests cover retries with a scripted
launcher. Here a permanent failure shows that it fails at once, without retries.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from clockwork_core.model import Policies, Schedule, Target
from clockwork_core.planner import jitter
from clockwork_core.plugins import hookimpl, launcher_factories, new_plugin_manager
from clockwork_runner import Clockwork
from clockwork_worker.cli import main

#: The launchers installed in this environment (the workspace installs every plugin).
INSTALLED = ", ".join(sorted(launcher_factories(new_plugin_manager())))

LAUNCHED = {"LAUNCHED", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def z(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(instant: datetime) -> str:
    """An expression that fires once, at ``instant`` (UTC)."""
    return f"at({instant:%Y-%m-%dT%H:%M:%S})"


def sleep_until(instant: datetime) -> None:
    time.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))


def base_time(lead: float, span: float) -> datetime:
    """A whole second ``lead`` seconds or more from now, with ``span`` more in the same minute."""
    while True:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1 + lead)
        if (start + timedelta(seconds=span)).minute == start.minute:
            return start
        time.sleep(0.5)


def launched(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((r for r in runs if r["status"] in LAUNCHED), key=lambda r: r["instant"])


def instants(runs: list[dict[str, Any]], *statuses: str) -> list[str]:
    return sorted(r["instant"] for r in runs if not statuses or r["status"] in statuses)


# --- bad input -------------------------------------------------------------------------------


class TestBadInput:
    def test_an_invalid_expression(self, clockwork: Clockwork) -> None:
        result = clockwork("schedule", "add", "bad", "61 * * * *", "--command", "true")
        assert result.returncode == 2
        assert result.message == "clockwork: invalid expression '61 * * * *': minute 61 is out of range 0-59"
        assert clockwork("next", "* * 31 2 *").returncode == 2
        checked = clockwork("validate", "61 * * * *")
        assert checked.returncode == 1
        assert "minute 61 is out of range 0-59" in checked.message

    def test_an_unknown_zone(self, clockwork: Clockwork) -> None:
        result = clockwork("next", "0 9 * * *", "--tz", "Mars/Olympus")
        assert result.returncode == 2
        assert "unknown time zone 'Mars/Olympus'" in result.message

    @pytest.mark.parametrize("name", ["A" * 300, "Europe/Berlin\x01", "../etc/passwd", "Asia/\u6771\u4eac"])
    def test_a_zone_name_that_names_no_zone_file(self, clockwork: Clockwork, name: str) -> None:
        result = clockwork("next", "0 9 * * *", "--tz", name)
        assert result.returncode == 2
        assert result.message.startswith("clockwork next: argument --tz: unknown time zone ")
        assert len(result.message) < 250

    def test_an_unknown_launcher(self, clockwork: Clockwork) -> None:
        result = clockwork("run", "--once", "--launcher", "nomad")
        assert result.returncode == 2
        assert result.message == (
            "clockwork: --launcher (or CLOCKWORK_LAUNCHER) names the launcher 'nomad', which is not "
            f"installed (installed: {INSTALLED})"
        )

    def test_a_stored_schedule_whose_launcher_is_not_installed(self, clockwork: Clockwork) -> None:
        added = clockwork("schedule", "add", "remote", "@hourly", "--launcher", "nomad", "--param", "job=x")
        assert added.returncode == 0
        assert (
            added.message
            == "clockwork: warning: launcher 'nomad' is not installed here; its parameters were not checked"
        )
        result = clockwork("run", "--once")
        assert result.returncode == 2
        assert result.message == (
            f"clockwork: schedule 'remote' names the launcher 'nomad', which is not installed (installed: {INSTALLED})"
        )

    @pytest.mark.parametrize("depth", [33, 50_000])
    def test_params_json_nested_too_deep(self, clockwork: Clockwork, depth: int) -> None:
        params = '{"command": "true", "x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
        result = clockwork("schedule", "add", "deep", "@hourly", "--params-json", params)
        assert result.returncode == 2
        assert result.message == "clockwork: --params-json: nests deeper than 32 levels of lists and mappings"
        assert clockwork.json("schedule", "list") == []

    def test_a_missing_crontab(self, clockwork: Clockwork) -> None:
        result = clockwork("run", "--once", "--crontab", "no-such-crontab")
        assert result.returncode == 2
        assert (
            result.message == "clockwork: no-such-crontab: cannot read the crontab: No such file or directory"
        )

    def test_a_corrupt_crontab_line_is_named_by_its_number(self, clockwork: Clockwork) -> None:
        (clockwork.home / "jobs.cron").write_text("# jobs\n*/5 * * * * * echo ok\n61 * * * * echo bad\n")
        result = clockwork("run", "--once", "--crontab", "jobs.cron")
        assert result.returncode == 2
        assert result.message == "clockwork: jobs.cron:3: minute 61 is out of range 0-59"
        assert clockwork.json("schedule", "list") == [], "nothing of a corrupt crontab is loaded"

    def test_a_crontab_line_with_a_unicode_line_break_is_refused_not_split(
        self, clockwork: Clockwork
    ) -> None:
        (clockwork.home / "jobs.cron").write_text("# jobs\n0 5 * * * ./backup\u2028* * * * * ./other\n")
        result = clockwork("run", "--once", "--crontab", "jobs.cron")
        assert result.returncode == 2
        assert result.message.startswith("clockwork: jobs.cron:2: character U+2028 (line separator)")
        assert clockwork.json("schedule", "list") == []

    def test_an_unwritable_store_path(self, clockwork: Clockwork) -> None:
        blocker = clockwork.home / "not-a-directory"
        blocker.write_text("")
        result = clockwork("--store", f"sqlite:///{blocker}/clockwork.db", "schedule", "list")
        assert result.returncode == 2
        assert (
            result.message
            == f"clockwork: --store: cannot open {blocker}/clockwork.db: {blocker} is not a directory"
        )

    @pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only directory")
    def test_a_read_only_store_directory(self, clockwork: Clockwork) -> None:
        locked = clockwork.home / "locked"
        locked.mkdir(mode=0o500)
        result = clockwork("--store", f"sqlite:///{locked}/clockwork.db", "schedule", "list")
        assert result.returncode == 2
        assert f"the directory {locked} is not writable" in result.message

    def test_a_bad_variable_is_named(self, clockwork: Clockwork) -> None:
        result = clockwork("run", "--once", env={"CLOCKWORK_LEASE": "forever"})
        assert result.returncode == 2
        assert (
            result.message
            == "clockwork: CLOCKWORK_LEASE='forever' (for --lease): 'forever' is not a number of seconds"
        )

    def test_a_usage_error_is_one_line(self, clockwork: Clockwork) -> None:
        result = clockwork("schedule", "add", "x", "* * * * *", "--command", "true", "--jitter", "lots")
        assert result.returncode == 2
        assert result.message == (
            "clockwork schedule add: argument --jitter: 'lots' is not a number of seconds "
            "(see clockwork schedule add --help)"
        )


# --- next ------------------------------------------------------------------------------------


class TestNext:
    ARGS = (
        "next",
        "30 2 * * *",
        "--tz",
        "America/New_York",
        "--after",
        "2026-03-07T12:00:00Z",
        "--count",
        "3",
    )

    def test_json_is_a_list_of_utc_instants(self, clockwork: Clockwork) -> None:
        assert clockwork.json(*self.ARGS) == [
            "2026-03-08T07:00:00Z",
            "2026-03-09T06:30:00Z",
            "2026-03-10T06:30:00Z",
        ]

    def test_the_table_marks_a_fire_moved_by_dst(self, clockwork: Clockwork) -> None:
        header, *rows = clockwork.ok(*self.ARGS).stdout.splitlines()
        assert header.split() == ["#", "LOCAL", "(America/New_York)", "UTC", "NOTE"]
        assert rows[0].startswith(
            "1  Sun 2026-03-08 03:00:00 EDT  2026-03-08T07:00:00Z  moved by DST: 02:30:00"
        )
        assert "does not exist on 2026-03-08" in rows[0]
        assert rows[1].rstrip().endswith("2026-03-09T06:30:00Z"), "an ordinary fire has no note"


# --- schedules -------------------------------------------------------------------------------


@pytest.mark.slow
def test_schedules_round_trip(clockwork: Clockwork) -> None:
    added = clockwork.json(
        "schedule", "add", "nightly", "30 2 * * *", "--tz", "Europe/Berlin", "--command", "echo nightly",
        "--name", "Nightly", "--concurrency", "forbid", "--missed-fires", "all", "--starting-deadline", "600",
        "--jitter", "5", "--retries", "4", "--retry-backoff", "3", "--timeout", "3600", "--tag", "team=ops",
        "--end", "2030-01-01T00:00:00",
    )  # fmt: skip
    schedule = added["schedule"]
    assert schedule["target"] == {"launcher": "process", "params": {"command": "echo nightly"}}
    assert schedule["policies"]["concurrency"] == "forbid"
    assert schedule["policies"]["missed_fires"] == "all"
    assert schedule["policies"]["retry"]["attempts"] == 5
    assert schedule["end"] == "2029-12-31T23:00:00Z", "a time without an offset is read in --tz"
    assert len(added["next_fires"]) == 5
    assert clockwork("schedule", "add", "nightly", "0 3 * * *", "--command", "x").returncode == 1

    (listed,) = clockwork.json("schedule", "list")
    assert listed["schedule"] == schedule
    shown = clockwork.json("schedule", "show", "nightly")
    assert shown["due_at"] is not None

    paused = clockwork.json("schedule", "pause", "nightly")
    assert paused["schedule"]["enabled"] is False
    assert paused["due_at"] is None
    assert paused["cursor"] == shown["cursor"], "pausing keeps the schedule's place"
    assert paused["next_fires"] == []
    resumed = clockwork.json("schedule", "resume", "nightly")
    assert resumed["schedule"]["enabled"] is True
    assert resumed["due_at"] == shown["due_at"]

    triggered = clockwork.json("schedule", "trigger", "nightly")
    assert len(triggered["manual"]) == 1
    clockwork.ok("run", "--once")
    (run,) = clockwork.history("nightly")
    assert run["trigger"] == "manual"
    assert run["instant"] == triggered["manual"][0]
    assert clockwork.json("schedule", "show", "nightly")["due_at"] == shown["due_at"]

    replaced = clockwork.json("schedule", "add", "nightly", "0 3 * * *", "--command", "echo new", "--replace")
    assert replaced["schedule"]["expression"] == "0 3 * * *"
    assert len(clockwork.history("nightly")) == 1, "replacing keeps the history"

    assert clockwork.ok("schedule", "delete", "nightly").stdout == "deleted nightly\n"
    assert clockwork.json("schedule", "list") == []
    gone = clockwork("schedule", "show", "nightly")
    assert gone.returncode == 1
    assert gone.message == "clockwork: No schedule by the id of 'nightly' was found"


def test_replacing_a_schedule_with_its_own_definition_writes_nothing(clockwork: Clockwork) -> None:
    add = ("schedule", "add", "tidy", "*/5 * * * *", "--command", "echo tidy", "--replace")
    first = clockwork.json(*add)
    assert clockwork.ok(*add).stdout.startswith("unchanged tidy")
    assert clockwork.json("schedule", "show", "tidy")["version"] == first["version"] == 1


def test_a_crontab_keeps_the_store_in_step(clockwork: Clockwork) -> None:
    cron = clockwork.home / "jobs.cron"
    cron.write_text("0 1 * * * echo one\n0 2 * * * echo two\n")
    clockwork.ok("run", "--once", "--crontab", "jobs.cron")
    first = {r["schedule"]["target"]["params"]["command"]: r for r in clockwork.json("schedule", "list")}
    assert sorted(first) == ["echo one", "echo two"]
    assert first["echo two"]["schedule"]["origin"] == {"kind": "crontab", "file": str(cron), "line": "2"}

    clockwork.ok("schedule", "pause", first["echo one"]["schedule"]["id"])
    cron.write_text("# edited\n0 1 * * * echo one\n0 3 * * * echo three\n")
    clockwork.ok("run", "--once", "--crontab", "jobs.cron")
    second = {r["schedule"]["target"]["params"]["command"]: r for r in clockwork.json("schedule", "list")}
    assert sorted(second) == ["echo one", "echo three"]
    kept = second["echo one"]
    assert kept["schedule"]["id"] == first["echo one"]["schedule"]["id"]
    assert kept["schedule"]["enabled"] is False, "a kept schedule keeps its state"
    assert kept["cursor"] == first["echo one"]["cursor"]
    assert kept["schedule"]["origin"]["line"] == "2"


# --- policies, observed through history --------------------------------------------------------


@attrs.define
class PolicyRun:
    clockwork: Clockwork
    base: datetime
    histories: dict[str, list[dict[str, Any]]] = attrs.field(factory=dict)
    shows: dict[str, Any] = attrs.field(factory=dict)
    paused_at: datetime | None = None
    resumed_at: datetime | None = None
    exit_status: int | None = None
    stop_seconds: float = 0.0
    health: dict[str, Any] = attrs.field(factory=dict)
    metrics: str = ""


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return int(response.status), response.read().decode()


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory, pycache: Path) -> Iterator[PolicyRun]:
    clockwork = Clockwork(tmp_path_factory.mktemp("policies"), pycache)
    run = PolicyRun(clockwork, datetime.now(UTC))
    try:
        _policy_run(run)
        yield run
    finally:
        clockwork.cleanup()


SCHEDULES: dict[str, tuple[str, ...]] = {
    "allow": ("* * * * * *", "--command", "sleep 2.5", "--concurrency", "allow"),
    "forbid": ("* * * * * *", "--command", "sleep 3.5", "--concurrency", "forbid"),
    "replace": ("*/2 * * * * *", "--command", "sleep 30", "--concurrency", "replace"),
    "jitter": ("*/2 * * * * *", "--command", "true", "--jitter", "1.5"),
    "manual": ("0 0 1 1 *", "--command", "echo by hand"),
    "paused": ("* * * * * *", "--command", "true"),
}


def _policy_run(run: PolicyRun) -> None:
    clockwork = run.clockwork
    clockwork.parallel([("schedule", "add", name, *args) for name, args in SCHEDULES.items()])
    worker = clockwork.start("--poll-interval", "0.2", "--lookahead", "2", "--http", "127.0.0.1:0")
    port = int(clockwork.wait_for_log("http_started")["message"].rsplit(" ", 1)[1])
    manual_before = clockwork.json("schedule", "show", "manual")

    # Schedules tied to instants are added while the worker runs, so it is up before them.
    run.base = base = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    clockwork.parallel([
        ("schedule", "add", "timeout", at(base + timedelta(seconds=1)), "--command", "sleep 30", "--timeout", "1"),
        ("schedule", "add", "failure", at(base + timedelta(seconds=1)), "--command", "true",
         "--param", "cwd=/nonexistent/dir", "--retries", "3"),
        ("schedule", "add", "window", "* * * * * *", "--command", "true",
         "--start", z(base + timedelta(seconds=2)), "--end", z(base + timedelta(seconds=4))),
    ])  # fmt: skip
    assert datetime.now(UTC) < base + timedelta(seconds=1), "the machine is too slow for this timeline"

    sleep_until(base + timedelta(seconds=1))
    clockwork.parallel([("schedule", "trigger", "manual"), ("schedule", "pause", "paused")])
    run.paused_at = datetime.now(UTC)
    sleep_until(run.paused_at + timedelta(seconds=5))
    run.resumed_at = datetime.now(UTC)
    clockwork.ok("schedule", "resume", "paused")
    status, body = _get(f"http://127.0.0.1:{port}/healthz")
    run.health = {"status": status, **json.loads(body)}
    run.metrics = _get(f"http://127.0.0.1:{port}/metrics")[1]
    sleep_until(max(base + timedelta(seconds=11), run.resumed_at + timedelta(seconds=3)))

    stopping = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    run.exit_status = worker.wait(timeout=30)
    run.stop_seconds = time.monotonic() - stopping
    clockwork.ok("run", "--once")  # one more tracking pass for the runs still being watched

    names = [*SCHEDULES, "timeout", "failure", "window"]
    results = clockwork.parallel([("history", name, "--json", "--limit", "200") for name in names])
    run.histories = {name: result.json() for name, result in zip(names, results, strict=True)}
    run.shows = {"manual_before": manual_before, "manual_after": clockwork.json("schedule", "show", "manual")}


@pytest.mark.slow
class TestPolicies:
    def test_allow_launches_every_fire_while_earlier_runs_go_on(self, policies: PolicyRun) -> None:
        runs = launched(policies.histories["allow"])
        assert len(runs) >= 5
        assert not instants(policies.histories["allow"], "SKIPPED")
        overlapping = [
            (a, b) for a, b in itertools.pairwise(runs)
            if a["finished_at"] is None or utc(b["launched_at"]) < utc(a["finished_at"])
        ]  # fmt: skip
        assert len(overlapping) >= 3, "a 2.5 s job fired every second overlaps the next one"

    def test_forbid_skips_a_fire_while_the_previous_run_goes_on(self, policies: PolicyRun) -> None:
        history = policies.histories["forbid"]
        skipped = [r for r in history if r["status"] == "SKIPPED"]
        assert len(skipped) >= 2
        assert {r["error"] for r in skipped} == {"the previous run is still running"}
        runs = launched(history)
        assert len(runs) >= 2
        for a, b in itertools.pairwise(runs):
            assert a["finished_at"] is not None
            assert utc(b["launched_at"]) >= utc(a["finished_at"])

    def test_replace_stops_the_previous_run_before_launching(self, policies: PolicyRun) -> None:
        history = policies.histories["replace"]
        by_instant = {r["instant"]: r for r in history}
        replaced = [r for r in history if (r["stop_reason"] or "").startswith("replaced by the fire at ")]
        assert len(replaced) >= 2
        for run in replaced:
            successor = run["stop_reason"].removeprefix("replaced by the fire at ")
            assert successor in by_instant
            assert successor > run["instant"]
        assert any(r["status"] == "FAILED" and r["exit_codes"] == {"process": 143} for r in replaced)

    def test_jitter_delays_each_launch_by_its_own_stable_amount(self, policies: PolicyRun) -> None:
        model = Schedule(
            id="jitter",
            expression="*/2 * * * * *",
            target=Target("process", {"command": "true"}),
            policies=Policies(jitter=timedelta(seconds=1.5)),
        )
        runs = launched(policies.histories["jitter"])
        assert len(runs) >= 3
        delays = []
        for run in runs:
            delay = jitter(model, utc(run["instant"])).total_seconds()
            delays.append(delay)
            assert delay <= run["lateness"] <= delay + 0.75, run
            assert run["lateness"] < 1.5 + 0.75
        assert max(delays) > 0.1

    def test_a_permanent_launch_failure_fails_at_once(self, policies: PolicyRun) -> None:
        (run,) = policies.histories["failure"]
        assert run["status"] == "FAILED_TO_LAUNCH"
        assert run["attempts"] == 1, "a permanent failure is not retried"
        assert "/nonexistent/dir" in run["error"]
        assert "working directory" in run["error"]

    def test_a_run_past_its_timeout_is_stopped(self, policies: PolicyRun) -> None:
        (run,) = policies.histories["timeout"]
        assert run["status"] == "TIMED_OUT"
        assert run["stop_reason"].startswith("timed out after")
        assert utc(run["finished_at"]) - utc(run["launched_at"]) < timedelta(seconds=10)

    def test_start_and_end_bound_the_fires(self, policies: PolicyRun) -> None:
        expected = [z(policies.base + timedelta(seconds=s)) for s in (2, 3, 4)]
        assert instants(policies.histories["window"]) == expected
        assert instants(policies.histories["window"], "SUCCEEDED") == expected

    def test_a_manual_trigger_fires_without_moving_the_schedule(self, policies: PolicyRun) -> None:
        (run,) = policies.histories["manual"]
        assert run["trigger"] == "manual"
        assert run["status"] == "SUCCEEDED"
        assert run["output"] == "by hand\n"
        before, after = policies.shows["manual_before"], policies.shows["manual_after"]
        assert (after["due_at"], after["cursor"]) == (before["due_at"], before["cursor"])
        assert after["manual"] == []

    def test_a_paused_schedule_does_not_fire_until_resumed(self, policies: PolicyRun) -> None:
        assert policies.paused_at is not None
        assert policies.resumed_at is not None
        history = policies.histories["paused"]
        quiet_from = policies.paused_at + timedelta(seconds=1.5)
        quiet_to = policies.resumed_at - timedelta(seconds=1.5)
        assert quiet_to - quiet_from >= timedelta(seconds=1)
        during = [r for r in launched(history) if quiet_from < utc(r["instant"]) < quiet_to]
        assert during == []
        assert [r for r in history if r["status"] == "MISSED" and quiet_from < utc(r["instant"]) < quiet_to]
        assert [r for r in launched(history) if utc(r["launched_at"]) > policies.resumed_at]

    def test_sigterm_stops_the_worker_promptly_and_cleanly(self, policies: PolicyRun) -> None:
        assert policies.exit_status == 0
        assert policies.stop_seconds < 5
        actions = [r.get("action") for r in policies.clockwork.log_records()]
        assert actions.index("worker_stopping") < actions.index("worker_stopped")

    def test_the_http_endpoint_serves_health_and_metrics(self, policies: PolicyRun) -> None:
        assert policies.health["status"] == 200
        assert policies.health["ok"] is True
        assert "clockwork_fires_total" in policies.metrics

    def test_the_worker_logs_json_lines_off_a_terminal(self, policies: PolicyRun) -> None:
        lines = (policies.clockwork.home / "worker.log").read_text().splitlines()
        records = [json.loads(line) for line in lines]
        assert {"time", "level", "logger", "message"} <= set(records[0])
        assert any(r.get("action") == "launched" and r.get("schedule") == "allow" for r in records)


# --- missed fires ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def missed(
    tmp_path_factory: pytest.TempPathFactory, pycache: Path
) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """Four paused schedules whose three instants pass; then resumed, and three ``run --once``."""
    clockwork = Clockwork(tmp_path_factory.mktemp("missed"), pycache)
    try:
        base = base_time(lead=3, span=2)
        moments = [base + timedelta(seconds=s) for s in range(3)]
        expression = f"{','.join(str(m.second) for m in moments)} {base:%M %H %d %m} *"
        cases = {
            "latest": ("--missed-fires", "latest"),
            "all": ("--missed-fires", "all"),
            # skip counts a fire up to 30 s late (or the deadline) as on time: a deadline makes it miss.
            "skip": ("--missed-fires", "skip", "--starting-deadline", "1"),
            "deadline": ("--missed-fires", "latest", "--starting-deadline", "1"),
        }
        clockwork.parallel(
            [
                ("schedule", "add", name, expression, "--command", "true", "--disabled", *args)
                for name, args in cases.items()
            ]
        )
        assert datetime.now(UTC) < moments[0], "the machine is too slow for this timeline"
        sleep_until(moments[-1] + timedelta(seconds=2.2))
        clockwork.parallel([("schedule", "resume", name) for name in cases])
        for _ in range(3):
            clockwork.ok("run", "--once")
        results = clockwork.parallel([("history", name, "--json") for name in cases])
        yield [z(m) for m in moments], {name: r.json() for name, r in zip(cases, results, strict=True)}
    finally:
        clockwork.cleanup()


@pytest.mark.slow
class TestMissedFires:
    def test_latest_launches_the_most_recent_and_records_the_others(self, missed: Any) -> None:
        moments, histories = missed
        assert [r["instant"] for r in launched(histories["latest"])] == moments[-1:]
        assert instants(histories["latest"], "MISSED") == moments[:-1]

    def test_all_launches_each_missed_instant_oldest_first(self, missed: Any) -> None:
        moments, histories = missed
        runs = launched(histories["all"])
        assert [r["instant"] for r in runs] == moments
        # As times: a launch on a whole second is written without a fraction ("…58Z" sorts after "…58.2Z").
        launch_times = [utc(r["launched_at"]) for r in runs]
        assert launch_times == sorted(launch_times)
        assert instants(histories["all"], "MISSED") == []

    def test_skip_launches_none_of_them(self, missed: Any) -> None:
        moments, histories = missed
        assert launched(histories["skip"]) == []
        assert instants(histories["skip"], "MISSED") == moments

    def test_a_fire_past_its_starting_deadline_is_missed(self, missed: Any) -> None:
        moments, histories = missed
        assert launched(histories["deadline"]) == []
        by_instant = {r["instant"]: r for r in histories["deadline"]}
        assert by_instant[moments[-1]]["status"] == "MISSED"
        assert by_instant[moments[-1]]["error"] == "later than the starting deadline"


# --- plugins ---------------------------------------------------------------------------------


class Greeter:
    """A plugin that adds ``clockwork hello``."""

    @hookimpl
    def clockwork_add_commands(self, subparsers: Any) -> None:
        hello = subparsers.add_parser("hello", help="say hello")
        hello.add_argument("--who", default="world")
        hello.set_defaults(handler=lambda args: print(f"hello {args.who} from {args.store}") or 0)


def test_plugins_add_subcommands(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import clockwork_core.plugins

    for name in [n for n in os.environ if n.startswith("CLOCKWORK_")]:
        monkeypatch.delenv(name)
    manager = new_plugin_manager(load_entry_points=False)
    manager.register(Greeter())
    monkeypatch.setattr(clockwork_core.plugins, "plugin_manager", lambda: manager)
    assert main(["--store", "memory://", "hello", "--who", "ops"]) == 0
    assert capsys.readouterr().out == "hello ops from memory://\n"


def test_a_plugin_that_fails_to_load_is_reported_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import clockwork_core.plugins

    def broken() -> Any:
        raise ModuleNotFoundError("No module named 'clockwork_nomad.plugin'")

    monkeypatch.setattr(clockwork_core.plugins, "plugin_manager", broken)
    assert main(["schedule", "list"]) == 1
    assert capsys.readouterr().err == (
        "clockwork: a clockwork plugin failed to load: ModuleNotFoundError: "
        "No module named 'clockwork_nomad.plugin'\n"
    )
