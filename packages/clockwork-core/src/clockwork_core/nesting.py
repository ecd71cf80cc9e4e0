"""How deep lists and mappings may nest in what users give and stores hold.

Python's ``json`` module and ``repr()`` recurse once per level, so a JSON text nested
50,000 deep raises RecursionError instead of saying what is wrong. Launcher parameters
nest a few levels (ECS's overrides: five), so clockwork accepts at most
:data:`MAX_DEPTH` levels, counts them without recursing, and names the field that
exceeds them. A level is one list or mapping: ``{"a": [1]}`` has two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from clockwork_core.errors import InvalidValue

MAX_DEPTH = 32
TOO_DEEP = f"nests deeper than {MAX_DEPTH} levels of lists and mappings"

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def text_deeper_than(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON ``text`` nests more than ``limit`` levels (brackets in strings do not count)."""
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def deeper_than(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests more than ``limit`` levels of lists, tuples and mappings.

    Walks without recursing, and stops at the first level past ``limit``, so a value that
    contains itself is too deep rather than endless.
    """
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def loads(text: str, field: str) -> Any:
    """JSON ``text`` decoded; InvalidValue naming ``field`` if it nests too deep or is not JSON."""
    if text_deeper_than(text):
        raise InvalidValue(field, TOO_DEEP)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidValue(field, f"is not JSON: {exc.msg} at column {exc.colno}") from None
