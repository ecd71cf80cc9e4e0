"""Crontab files: the format, the five-or-six-fields rule, errors that name the line, and sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from clockwork_core.errors import InvalidValue
from clockwork_core.model import Schedule, Target
from clockwork_core.planner import first_due
from clockwork_core.stores.memory import MemoryStore
from clockwork_worker import crontab
from clockwork_worker.crontab import CrontabError

EXAMPLES = Path(__file__).resolve().parents[4] / "examples" / "crontab"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def parse(text: str, path: str = "jobs.cron") -> crontab.Crontab:
    return crontab.parse(text, path=path)


def only(text: str) -> Schedule:
    (schedule,) = parse(text).schedules
    return schedule


class TestLines:
    def test_it_reads_five_fields_and_the_rest_of_the_line_as_the_command(self) -> None:
        schedule = only("0 5 * * *   echo  'two  spaces' | tee -a out.log\n")
        assert schedule.expression == "0 5 * * *"
        assert schedule.target == Target("process", {"command": "echo  'two  spaces' | tee -a out.log"})

    def test_it_reads_six_fields_as_seconds_first(self) -> None:
        schedule = only("*/5 * * * * * echo hi")
        assert schedule.expression == "*/5 * * * * *"
        assert schedule.target.params["command"] == "echo hi"

    def test_it_skips_blank_lines_and_comments(self) -> None:
        table = parse("\n# a comment\n   # indented comment\n\n0 0 * * * true\n")
        assert [entry.line for entry in table.entries] == [5]

    def test_it_reads_macros(self) -> None:
        assert only("@hourly /usr/bin/rotate").expression == "@hourly"
        assert only("@daily\t./nightly  --all").target.params["command"] == "./nightly  --all"

    def test_percent_signs_are_passed_to_the_shell_as_they_are(self) -> None:
        assert only("0 0 * * * date +%Y-%m-%d").target.params["command"] == "date +%Y-%m-%d"

    def test_it_reads_eventbridge_forms(self) -> None:
        assert only("rate(5 minutes) ./poll.sh").expression == "rate(5 minutes)"
        assert only("cron(0 12 * * ? *) ./noon.sh").target.params["command"] == "./noon.sh"

    def test_it_records_the_origin(self) -> None:
        schedule = only("# header\n0 0 * * * true")
        assert dict(schedule.origin) == {
            "kind": "crontab",
            "file": str(Path("jobs.cron").absolute()),
            "line": "2",
        }

    def test_the_example_crontab_parses_and_fires_within_seconds(self) -> None:
        table = crontab.load(EXAMPLES)
        (schedule,) = table.schedules
        first = schedule.cron.next_after(NOW)
        assert first is not None
        assert first - NOW <= timedelta(seconds=5)
        assert "CLOCKWORK_FIRE_TIME" in schedule.target.params["command"]


class TestFiveOrSixFields:
    """The 6th token is a day-of-week field iff it parses as one and more tokens follow."""

    @pytest.mark.parametrize(
        ("line", "expression", "command"),
        [
            ("0 5 * * * echo hi", "0 5 * * *", "echo hi"),
            ("0 5 * * 1-5 /usr/bin/backup --all", "0 5 * * 1-5", "/usr/bin/backup --all"),
            ("0 5 * * * 7z a backup.7z", "0 5 * * *", "7z a backup.7z"),
            ("0 0 5 * * MON ./weekly", "0 0 5 * * MON", "./weekly"),
            ("*/10 * * * * ? ./tick", "*/10 * * * * ?", "./tick"),
            # Only 6 tokens: the 6th must be the command, whatever it looks like.
            ("0 5 * * * 7", "0 5 * * *", "7"),
            ("0 5 * * * true", "0 5 * * *", "true"),
        ],
    )
    def test_it_tells_the_sixth_field_from_the_command(
        self, line: str, expression: str, command: str
    ) -> None:
        schedule = only(line)
        assert (schedule.expression, schedule.target.params["command"]) == (expression, command)

    def test_a_command_that_reads_as_a_weekday_makes_the_line_six_fields(self) -> None:
        # The documented ambiguity: "sat" is Saturday, so this is seconds-first.
        schedule = only("0 5 * * 1 sat --check")
        assert schedule.expression == "0 5 * * 1 sat"
        assert schedule.target.params["command"] == "--check"
        # The documented way out.
        assert only("0 5 * * 1 ./sat --check").expression == "0 5 * * 1"

    def test_a_bad_field_in_a_six_field_line_is_reported_as_such(self) -> None:
        with pytest.raises(CrontabError, match=r"^jobs.cron:1: month 13 is out of range 1-12$"):
            parse("*/5 * * * 13 * echo hi")


class TestEnvironmentAndZones:
    def test_cron_tz_sets_the_zone_of_the_lines_after_it(self) -> None:
        table = parse("0 1 * * * a\nCRON_TZ=America/New_York\n30 2 * * * b\nCRON_TZ=\n0 3 * * * c\n")
        assert [s.timezone for s in table.schedules] == ["UTC", "America/New_York", "UTC"]

    def test_variables_are_passed_to_the_commands_after_them(self) -> None:
        table = parse('0 1 * * * a\nGREETING="hello world"\n0 2 * * * b\nGREETING=bye\n0 3 * * * c\n')
        assert [s.target.params.get("env") for s in table.schedules] == [
            None,
            {"GREETING": "hello world"},
            {"GREETING": "bye"},
        ]

    def test_an_empty_mailto_is_accepted_and_not_passed_on(self) -> None:
        assert "env" not in only('MAILTO=""\n0 0 * * * true').target.params

    @pytest.mark.parametrize(
        ("line", "reason"),
        [
            ("SHELL=/bin/bash", "SHELL is not supported"),
            ("MAILTO=ops@example.com", "MAILTO is not supported"),
        ],
    )
    def test_it_rejects_settings_it_would_otherwise_ignore(self, line: str, reason: str) -> None:
        with pytest.raises(CrontabError, match=rf"^jobs.cron:2: {reason}"):
            parse(f"# x\n{line}\n0 0 * * * true")


class TestErrors:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("# ok\n\n61 * * * * echo", "jobs.cron:3: minute 61 is out of range 0-59"),
            ("0 0 30 2 * echo", "jobs.cron:1: day-of-month 30 never occurs in Feb (at most 29 days)"),
            ("0 0 * * *", "jobs.cron:1: expected 5 cron fields (or 6, seconds first) and then a command"),
            ("@reboot ./start", "jobs.cron:1: @reboot is not supported"),
            ("@daily", "jobs.cron:1: the line has a schedule but no command"),
            ("@fortnightly true", "jobs.cron:1: unknown macro '@fortnightly'"),
            (
                "CRON_TZ=Mars/Olympus\n0 0 * * * true",
                "jobs.cron:1: CRON_TZ: unknown time zone 'Mars/Olympus'",
            ),
        ],
    )
    def test_it_names_the_file_the_line_and_the_reason(self, text: str, message: str) -> None:
        with pytest.raises(CrontabError) as caught:
            parse(text)
        assert str(caught.value).startswith(message)

    def test_a_missing_file_is_an_error_naming_it(self, tmp_path: Path) -> None:
        missing = tmp_path / "nope"
        with pytest.raises(CrontabError, match=rf"^{missing}: cannot read the crontab: No such file"):
            crontab.load(missing)

    def test_launcher_checks_name_the_line(self) -> None:
        def reject(params: object) -> None:
            raise InvalidValue("target.params.command", "is not allowed here")

        table = parse("# x\n0 0 * * * true")
        with pytest.raises(CrontabError, match=r"^jobs.cron:2: target.params.command: is not allowed here$"):
            table.check_targets(reject)


class TestLineEnds:
    """Only a newline (alone, or after a carriage return) ends a line. str.splitlines() and
    text-mode reading also end lines at form feeds, U+2028, U+0085, lone carriage returns...,
    which made one line as an editor shows it into two schedules."""

    @pytest.mark.parametrize(
        ("character", "name"),
        [
            ("\u2028", "line separator"),
            ("\u2029", "paragraph separator"),
            ("\x85", "next line"),
            ("\x0c", "form feed"),
            ("\x0b", "vertical tab"),
            ("\r", "carriage return"),
            ("\x1e", "record separator"),
            ("\x00", "NUL"),
            ("\x1b", "control character"),
        ],
    )
    def test_a_line_break_or_control_character_inside_a_line_is_refused_naming_the_line(
        self, tmp_path: Path, character: str, name: str
    ) -> None:
        path = tmp_path / "jobs.cron"
        path.write_bytes(f"# jobs\n0 5 * * * ./backup{character}* * * * * rm -rf /tmp/x\n".encode())
        with pytest.raises(CrontabError) as caught:
            crontab.load(path)
        code = f"U+{ord(character):04X}"
        assert str(caught.value) == (
            f"{path}:2: character {code} ({name}) at column 19 is not allowed: only a newline ends "
            "a crontab line, and a line holds no control characters"
        )

    def test_it_is_refused_in_a_comment_too(self) -> None:
        # An editor shows the second half as a schedule line of its own.
        with pytest.raises(CrontabError, match=r"^jobs.cron:1: character U\+2028 \(line separator\)"):
            parse("# off for now\u2028* * * * * ./noisy\n")

    def test_crlf_line_ends_are_line_ends(self, tmp_path: Path) -> None:
        path = tmp_path / "jobs.cron"
        path.write_bytes(b"# jobs\r\n0 5 * * * ./backup\r\n\r\n*/5 * * * * ./poll\r\n")
        table = crontab.load(path)
        assert [(entry.line, entry.command) for entry in table.entries] == [(2, "./backup"), (4, "./poll")]

    def test_other_unicode_in_a_command_is_kept_as_it_is(self) -> None:
        schedule = only("0 5 * * * echo 'caf\u00e9\u00a0\u6771\u4eac'\n")
        assert schedule.target.params["command"] == "echo 'caf\u00e9\u00a0\u6771\u4eac'"

    def test_a_tab_separates_fields(self) -> None:
        assert only("0\t5\t*\t*\t*\t./backup").expression == "0 5 * * *"


class TestIds:
    def test_ids_follow_the_meaning_of_a_line_not_its_place(self) -> None:
        first = only("0 5 * * * backup")
        moved = only("# a new comment\n\n0 5 * * * backup")
        assert first.id == moved.id
        assert first.id.startswith("crontab-")
        assert len(first.id) == len("crontab-") + 12

    @pytest.mark.parametrize(
        "changed",
        [
            "0 6 * * * backup",
            "0 5 * * * backup --full",
            "CRON_TZ=Europe/Berlin\n0 5 * * * backup",
            "X=1\n0 5 * * * backup",
        ],
    )
    def test_any_change_of_meaning_changes_the_id(self, changed: str) -> None:
        assert only(changed).id != only("0 5 * * * backup").id

    def test_identical_lines_get_distinct_ids(self) -> None:
        table = parse("0 5 * * * backup\n0 5 * * * backup")
        assert len({s.id for s in table.schedules}) == 2

    def test_the_launcher_is_part_of_the_meaning(self) -> None:
        text = "0 5 * * * backup"
        assert crontab.parse(text, path="x", launcher="other").schedules[0].id != only(text).id


class TestSync:
    def test_it_creates_keeps_and_deletes_only_its_own_schedules(self, tmp_path: Path) -> None:
        path = str(tmp_path / "jobs.cron")
        store = MemoryStore()
        other = Schedule(id="by-hand", expression="* * * * *", target=Target("process", {"command": "x"}))
        store.create(other, due_at=first_due(other, after=NOW).due_at, cursor=NOW, now=NOW)

        first = crontab.parse("0 1 * * * a\n0 2 * * * b\n", path=path)
        report = crontab.sync(store, first, now=NOW)
        assert sorted(report.created) == sorted(s.id for s in first.schedules)
        a, b = first.schedules
        cursor_of_a = store.get(a.id).cursor

        later = NOW + timedelta(hours=1)
        second = crontab.parse("# moved down\n0 1 * * * a\n0 3 * * * c\n", path=path)
        report = crontab.sync(store, second, now=later)
        c = second.schedules[1]
        assert report.created == (c.id,)
        assert report.deleted == (b.id,)
        assert report.moved == (a.id,)
        assert sorted(r.id for r in store.list()) == sorted([a.id, c.id, "by-hand"])
        kept = store.get(a.id)
        assert kept.cursor == cursor_of_a  # untouched: its place in time is kept
        assert kept.schedule.origin["line"] == "2"

        report = crontab.sync(store, second, now=later)
        assert (report.created, report.deleted, report.moved) == ((), (), ())
        assert sorted(report.kept) == sorted([a.id, c.id])

    def test_a_paused_crontab_schedule_stays_paused(self, tmp_path: Path) -> None:
        path = str(tmp_path / "jobs.cron")
        store = MemoryStore()
        table = crontab.parse("0 1 * * * a\n", path=path)
        crontab.sync(store, table, now=NOW)
        (schedule,) = table.schedules
        store.replace(attrs.evolve(schedule, enabled=False), due_at=None, now=NOW)
        crontab.sync(store, table, now=NOW)
        assert store.get(schedule.id).schedule.enabled is False

    def test_another_file_s_schedules_are_left_alone(self, tmp_path: Path) -> None:
        store = MemoryStore()
        crontab.sync(store, crontab.parse("0 1 * * * a\n", path=str(tmp_path / "one")), now=NOW)
        report = crontab.sync(store, crontab.parse("", path=str(tmp_path / "two")), now=NOW)
        assert report.deleted == ()
        assert len(list(store.list())) == 1

    def test_an_emptied_file_removes_its_schedules(self, tmp_path: Path) -> None:
        path = str(tmp_path / "jobs.cron")
        store = MemoryStore()
        crontab.sync(store, crontab.parse("0 1 * * * a\n", path=path), now=NOW)
        report = crontab.sync(store, crontab.parse("# nothing\n", path=path), now=NOW)
        assert len(report.deleted) == 1
        assert list(store.list()) == []
