"""The record of unreadable records: reasons in one line, each record reported once per version."""

from __future__ import annotations

import json

import pytest
from clockwork_core.codec import schedule_from_data
from clockwork_core.errors import RecordUnreadable
from clockwork_core.unreadable import Unreadable, UnreadableRecord, reason_of


def _bad(text: str) -> object:
    return schedule_from_data(json.loads(text))


def _reason(text: str) -> str:
    with pytest.raises(RecordUnreadable) as caught:
        Unreadable().decoded(lambda: _bad(text), "x")
    return caught.value.reason


class TestReasons:
    def test_it_says_where_text_is_not_json(self) -> None:
        assert _reason('{"id": ') == "not JSON (Expecting value at line 1 column 8)"

    def test_it_names_a_missing_field(self) -> None:
        assert _reason('{"id": "x"}') == "the field 'target' is missing"

    def test_it_names_a_rejected_expression_and_why(self) -> None:
        text = json.dumps({"id": "x", "expression": "61 * * * *", "target": {"launcher": "process"}})
        assert _reason(text) == "expression '61 * * * *': minute 61 is out of range 0-59"

    def test_it_names_a_value_of_the_wrong_kind(self) -> None:
        assert _reason("[1, 2]").startswith("TypeError: ")

    def test_it_survives_json_nested_too_deeply(self) -> None:
        assert _reason("[" * 100_000) == "nested too deeply to decode"

    def test_it_keeps_a_reason_on_one_short_printable_line(self) -> None:
        reason = reason_of(ValueError("line one\nline two \x1b[31mred\x1b[0m " + "word " * 200))
        assert reason.startswith("ValueError: line one line two \\x1b[31mred\\x1b[0m word")
        assert reason.endswith(" ...")
        assert len(reason) <= 300
        assert reason.isprintable()


class TestRegistry:
    def test_it_returns_what_decodes_and_keeps_nothing(self) -> None:
        unreadable = Unreadable()
        assert unreadable.decoded(lambda: 42, "x") == 42
        assert list(unreadable) == []

    def test_it_keeps_a_record_that_does_not_decode_and_raises_for_it(self) -> None:
        unreadable = Unreadable()
        with pytest.raises(RecordUnreadable, match=r"^The stored run 'r1' of schedule 'x' cannot be read: "):
            unreadable.decoded(lambda: _bad("nope"), "x", run_id="r1")
        assert list(unreadable) == [UnreadableRecord("x", _reason("nope"), run_id="r1")]

    def test_it_reports_a_record_once_per_version(self) -> None:
        unreadable = Unreadable()
        for _ in range(3):
            with pytest.raises(RecordUnreadable):
                unreadable.decoded(lambda: _bad("nope"), "x", version=3)
        assert [found.version for found in unreadable.unreported()] == [3]
        assert unreadable.unreported() == []
        with pytest.raises(RecordUnreadable):
            unreadable.decoded(lambda: _bad("still not"), "x", version=4)
        assert [found.version for found in unreadable.unreported()] == [4]
        assert len(unreadable) == 1

    def test_it_drops_a_record_read_whole_again_and_reports_a_new_breakage(self) -> None:
        unreadable = Unreadable()
        with pytest.raises(RecordUnreadable):
            unreadable.decoded(lambda: _bad("nope"), "x", version=1)
        assert len(unreadable.unreported()) == 1
        unreadable.decoded(lambda: "fine", "x", version=1)
        assert list(unreadable) == []
        with pytest.raises(RecordUnreadable):
            unreadable.decoded(lambda: _bad("nope"), "x", version=1)
        assert len(unreadable.unreported()) == 1

    def test_it_forgets_a_deleted_schedule_and_its_runs(self) -> None:
        unreadable = Unreadable()
        for schedule_id, run_id in (("x", None), ("x", "r1"), ("y", "r1")):
            with pytest.raises(RecordUnreadable):
                unreadable.decoded(lambda: _bad("nope"), schedule_id, run_id=run_id)
        unreadable.forget("x")
        assert [(found.schedule_id, found.run_id) for found in unreadable] == [("y", "r1")]
