"""Text for terminals: control characters are shown as escapes; JSON stays exact."""

from __future__ import annotations

import json

import pytest
from clockwork_core.display import printable, terminal_json

HOSTILE = "evil\x1b[2J\x07\x9b name"


class TestPrintable:
    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            (HOSTILE, "evil\\x1b[2J\\x07\\x9b name"),
            ("a\x1b]0;title\x07b", "a\\x1b]0;title\\x07b"),
            ("two\nlines\tand a tab\r", "two\\nlines\\tand a tab\\r"),
            ("del\x7f nul\x00", "del\\x7f nul\\x00"),
            ("abc\u202eexe.txt", "abc\\u202eexe.txt"),
            ("line\u2028separator", "line\\u2028separator"),
        ],
        ids=["CSI, BEL and a C1 CSI", "an OSC title", "newlines and tabs", "DEL and NUL", "a bidi override",
             "a line separator"],
    )  # fmt: skip
    def test_it_escapes_every_control_character(self, text: str, shown: str) -> None:
        assert printable(text) == shown

    @pytest.mark.parametrize("text", ["nightly report", "Grüße, 東京 🕒", "\u00a0non-breaking", ""])
    def test_it_leaves_printable_text_alone(self, text: str) -> None:
        assert printable(text) == text


class TestTerminalJson:
    @pytest.mark.parametrize("text", [HOSTILE, "del\x7f", "abc\u202e", "line\u2028x", "Grüße 東京"])
    def test_it_decodes_to_exactly_the_same_value(self, text: str) -> None:
        value = {"name": text, "list": [text, 1]}
        assert json.loads(terminal_json(value, indent=2)) == value

    def test_it_writes_no_raw_control_character_but_its_layout(self) -> None:
        written = terminal_json({"name": HOSTILE + "\x7f\u202e\u2028"}, indent=2)
        assert not {c for c in written if not c.isprintable()} - {"\n"}
        assert "\\u009b" in written
