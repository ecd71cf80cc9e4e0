"""Log rendering: JSON lines for machines, readable lines on a terminal."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from clockwork_worker import logs


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def emit(stream: io.StringIO, format: str = "auto", level: str = "info") -> str:
    logs.configure(level, format, stream=stream)
    log = logging.getLogger("clockwork_worker.firing")
    log.debug("hidden")
    log.info(
        "launched %s for %s",
        "nightly",
        "2026-03-08T07:00:00Z",
        extra={"action": "launched", "schedule": "nightly", "handles": ["process:ab"], "lateness_ms": 1.5},
    )
    return stream.getvalue()


class TestJson:
    def test_off_a_terminal_each_record_is_one_json_object(self) -> None:
        (line,) = emit(io.StringIO()).splitlines()
        record = json.loads(line)
        assert record["level"] == "INFO"
        assert record["logger"] == "clockwork_worker.firing"
        assert record["message"] == "launched nightly for 2026-03-08T07:00:00Z"
        assert record["action"] == "launched"
        assert record["schedule"] == "nightly"
        assert record["handles"] == ["process:ab"]
        assert record["lateness_ms"] == 1.5

    def test_the_time_is_utc_with_milliseconds(self) -> None:
        record = json.loads(emit(io.StringIO()))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])

    def test_json_can_be_forced_on_a_terminal(self) -> None:
        assert json.loads(emit(Terminal(), "json"))["action"] == "launched"

    def test_an_exception_is_kept_in_the_record(self) -> None:
        stream = io.StringIO()
        logs.configure("info", "json", stream=stream)
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("x").exception("failed", extra={"action": "fire_crashed"})
        record = json.loads(stream.getvalue())
        assert "RuntimeError: boom" in record["exception"]
        assert "\n" not in stream.getvalue().rstrip("\n")

    def test_values_json_cannot_hold_are_written_as_text(self) -> None:
        stream = io.StringIO()
        logs.configure("info", "json", stream=stream)
        logging.getLogger("x").info("odd", extra={"thing": object()})
        assert json.loads(stream.getvalue())["thing"].startswith("<object object")


class TestText:
    def test_on_a_terminal_lines_are_for_people(self) -> None:
        line = emit(Terminal()).rstrip("\n")
        assert re.fullmatch(
            r"\d\d:\d\d:\d\d\.\d{3} INFO    launched nightly for 2026-03-08T07:00:00Z "
            r'action=launched schedule=nightly handles=\["process:ab"\] lateness_ms=1.5',
            line,
        ), line

    def test_text_can_be_forced_off_a_terminal(self) -> None:
        assert emit(io.StringIO(), "text").split()[1] == "INFO"

    def test_values_with_spaces_are_quoted(self) -> None:
        stream = Terminal()
        logs.configure("info", "auto", stream=stream)
        logging.getLogger("x").info("m", extra={"reason": "two words"})
        assert stream.getvalue().rstrip().endswith('reason="two words"')


HOSTILE = "evil\x1b[2J\x07\x9b"


class TestControlCharacters:
    """Stored text (a legacy id, an ECS stop reason) is shown in a log line, never obeyed."""

    def log_hostile(self, format: str) -> str:
        stream = Terminal()
        logs.configure("info", format, stream=stream)
        logging.getLogger("x").info("stopping %s", HOSTILE, extra={"reason": HOSTILE, "plain": f"a{HOSTILE}"})
        return stream.getvalue()

    def test_a_text_line_shows_them_as_escapes(self) -> None:
        line = self.log_hostile("text")
        assert not {"\x1b", "\x07", "\x9b"} & set(line)
        assert "stopping evil\\x1b[2J\\x07\\x9b " in line
        assert "plain=aevil\\x1b[2J\\x07\\x9b" in line

    def test_a_json_line_holds_none_raw_and_decodes_exactly(self) -> None:
        line = self.log_hostile("json")
        assert not {"\x1b", "\x07", "\x9b"} & set(line)
        record = json.loads(line)
        assert (record["message"], record["reason"]) == (f"stopping {HOSTILE}", HOSTILE)


class TestConfigure:
    def test_the_level_filters(self) -> None:
        assert emit(io.StringIO(), level="warning") == ""
        assert "hidden" in emit(io.StringIO(), level="debug")

    def test_the_aws_libraries_say_only_what_goes_wrong_unless_debugging(self) -> None:
        stream = io.StringIO()
        logs.configure("info", "json", stream=stream)
        logging.getLogger("botocore.credentials").info("Found credentials in environment variables.")
        logging.getLogger("urllib3.connectionpool").info("Resetting dropped connection")
        logging.getLogger("botocore.hooks").warning("a warning")
        logging.getLogger("botocorex").info("not botocore")
        assert [json.loads(line)["message"] for line in stream.getvalue().splitlines()] == [
            "a warning",
            "not botocore",
        ]
        debugging = io.StringIO()
        logs.configure("debug", "json", stream=debugging)
        logging.getLogger("botocore.credentials").info("Found credentials in environment variables.")
        assert "Found credentials" in debugging.getvalue()

    def test_configuring_again_replaces_the_handler(self) -> None:
        first, second = io.StringIO(), io.StringIO()
        logs.configure("info", "json", stream=first)
        logs.configure("info", "json", stream=second)
        logging.getLogger("x").info("once")
        assert first.getvalue() == ""
        assert second.getvalue().count("once") == 1

    @pytest.mark.parametrize(("level", "format"), [("loud", "json"), ("info", "xml")])
    def test_it_rejects_unknown_levels_and_formats(self, level: str, format: str) -> None:
        with pytest.raises(ValueError, match="is not one of"):
            logs.configure(level, format, stream=io.StringIO())


class TestRedacted:
    """Commands appear in debug logs only, with what looks like a secret masked."""

    @pytest.mark.parametrize(
        ("command", "shown"),
        [
            ("mysqldump -uroot -pS3cret app", "mysqldump -uroot -p*** app"),
            ("mysqldump -pmy-secret-key app", "mysqldump -p*** app"),
            ("mysql --password=S3cret app", "mysql --password=*** app"),
            ("tool --api-token S3cret --verbose", "tool --api-token *** --verbose"),
            ("curl https://user:S3cret@example.com/x", "curl https://user:***@example.com/x"),
            ("PGPASSWORD=S3cret pg_dump db", "PGPASSWORD=*** pg_dump db"),
            ("env A='S3 cret' B=\"x y\" run", "env A=*** B=*** run"),
            ("curl -H 'Authorization: Bearer S3cret' x", "curl -H 'Authorization: ***' x"),
            ("echo hello world", "echo hello world"),
            ("ls -la --color=auto /tmp", "ls -la --color=auto /tmp"),
        ],
        ids=[
            "mysql's -p",
            "mysql's -p with a word like a secret's",
            "a --password= option",
            "a token option with its value after a space",
            "a password in a URL",
            "an assignment before the command",
            "quoted assignments",
            "an Authorization header",
            "nothing secret",
            "options that are not secrets",
        ],
    )
    def test_it_masks(self, command: str, shown: str) -> None:
        assert logs.redacted(command) == shown
