"""Text for terminals: control characters in stored text are shown, never obeyed.

Names, descriptions, commands, ids read from legacy tables and job output are anyone's
text. Written raw to a terminal, ``\\x1b[2J`` clears it, ``\\x1b]0;...\\x07`` retitles
it, a C1 ``\\x9b`` starts a control sequence on terminals that take 8-bit controls, and
bidirectional overrides reorder what is shown. :func:`printable` writes each such
character as its escape (``\\x1b``, ``\\x9b``, ``\\u202e``) for human output;
:func:`terminal_json` writes JSON that decodes to exactly the same value, with those
characters as ``\\u`` escapes.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

#: Bidirectional formatting characters: they reorder the text around them.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Controls (C0, DEL, C1), line and paragraph separators, lone surrogates.
_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


def _hidden(char: str) -> bool:
    return char in _BIDI or unicodedata.category(char) in _CATEGORIES


_SHORT = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escaped(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character written as its escape: one line, shown as is."""
    if text.isprintable():  # the usual case: nothing to look at character by character
        return text
    return "".join(_escaped(c) if _hidden(c) else c for c in text)


def terminal_json(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **options)``, safe to write to a terminal.

    JSON escapes C0 controls itself; DEL, C1 controls, separators and bidirectional
    characters can only stand inside strings, where ``\\uXXXX`` means the same character.
    """
    text = json.dumps(value, ensure_ascii=False, **options)
    if text.isascii() and "\x7f" not in text:  # the usual case
        return text
    # A raw character below DEL is the layout's whitespace: JSON escapes those in strings.
    return "".join(f"\\u{ord(c):04x}" if ord(c) >= 0x7F and _hidden(c) else c for c in text)
