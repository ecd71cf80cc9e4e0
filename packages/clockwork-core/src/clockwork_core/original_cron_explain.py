"""Naming why a CronTime means something else to the original than to clockwork; writing sets.

:func:`explain` names the cause in one line (the layout of the text first, then the field
forms the original reads its own way); :func:`format_values` writes a set of values in the
shortest clockwork form.
"""

from __future__ import annotations

from collections.abc import Iterable

from clockwork_core.cron_syntax import CronSpec
from clockwork_core.original_cron_syntax import (
    BOUNDS,
    FIELDS,
    PREDEFINED,
    JsError,
    OriginalFields,
    parse_field,
    parse_original,
)

_DEFAULTS = "'0 * * * * *'"


def format_values(values: Iterable[int], low: int, high: int) -> str:
    """The shortest clockwork text for ``values`` (a non-empty set within ``low``-``high``).

    ``*`` for the full set, ``*/s``, ``a-b`` or ``a-b/s`` where exact, a list otherwise (its
    runs of three or more as ranges); a list wins a tie.
    """
    ordered = sorted(set(values))
    if ordered == list(range(low, high + 1)):
        return "*"
    runs: list[list[int]] = []
    for value in ordered:
        if runs and runs[-1][-1] == value - 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    listed = ",".join(f"{r[0]}-{r[-1]}" if len(r) >= 3 else ",".join(map(str, r)) for r in runs)
    candidates = [listed]
    if len(ordered) >= 3:
        step = ordered[1] - ordered[0]
        first, last = ordered[0], ordered[-1]
        if ordered == list(range(first, last + 1, step)):
            if step == 1:
                candidates.append(f"{first}-{last}")
            else:
                if first == low and last + step > high:
                    candidates.append(f"*/{step}")
                candidates.append(f"{first}-{last}/{step}")
    return min(candidates, key=len)


def explain(text: str, fields: OriginalFields, spec: CronSpec | None, clockwork_error: str | None) -> str:
    """One line naming why ``text`` means ``fields`` to the original and ``spec`` to clockwork."""
    causes = _layout(text, fields) or _forms(fields, spec)
    if not causes and clockwork_error is not None:
        causes = [f"clockwork refuses what the original read as {_reading(fields)}"]
    return "; ".join(causes) or f"the original reads it as {_reading(fields)}"


def _reading(fields: OriginalFields) -> str:
    return "'" + " ".join(fields.sources) + "' (seconds first)"


def _layout(text: str, fields: OriginalFields) -> list[str]:
    """Causes in how the text splits into fields, if they change its meaning."""
    if text in PREDEFINED:
        return []
    words = text.split()
    if not words:
        return [f"an empty text: the original fills every field from {_DEFAULTS}, every minute"]
    atoms = text.split(" ")
    causes: list[str] = []
    if len(atoms) != len(words):
        try:
            plain = parse_original(" ".join(words), "0.6.2")
        except JsError:
            plain = None
        if plain is not None and plain.values == fields.values:
            return []  # a leading space before 5 fields, say: the same meaning
        causes += _spaces(text, words)
    if len(atoms) < 5:
        causes.append(
            f"fewer than 5 fields: the original aligns them to the right of {_DEFAULTS}, "
            f"so {atoms[0]!r} is its {FIELDS[6 - len(atoms)]}"
        )
    elif len(atoms) > 6 and len(words) > 6:
        causes.append(
            f"{len(words)} fields: the original reads the first six, seconds first, and ignores the rest"
        )
    return causes


def _spaces(text: str, words: list[str]) -> list[str]:
    inner = text.strip(" ")
    if "\t" in text or "\n" in text or "\r" in text:
        return ["a tab or line break is no field separator for the original"]
    if "  " not in inner and not text.startswith(" ") and len(words) == 5:
        return ["a trailing space adds a seconds field (the original splits on each space)"]
    where = [
        name
        for name, present in (
            ("a leading space", text.startswith(" ")),
            ("doubled spaces", "  " in inner),
            ("a trailing space", text.endswith(" ")),
        )
        if present
    ]
    return [f"{' and '.join(where)}: each adds an empty field, which the original reads as its default"]


def _forms(fields: OriginalFields, spec: CronSpec | None) -> list[str]:
    """Causes in the fields' own forms, for each field whose values differ (every field if no spec)."""
    theirs: tuple[frozenset[int] | None, ...] = (None,) * 6
    if spec is not None:
        days = spec.days
        theirs = (
            spec.seconds,
            spec.minutes,
            spec.hours,
            days.dom_values if days.dom_restricted else frozenset(range(1, 32)),
            spec.months,
            days.dow_values if days.dow_restricted else frozenset(range(7)),
        )
    causes: list[str] = []
    for i, (name, source) in enumerate(zip(FIELDS, fields.sources, strict=True)):
        ours = frozenset(fields.values[i])
        if name == "day-of-week":
            ours = frozenset(v for v in ours if v < 7)
        found = _element_causes(name, source)
        if spec is None or ours != theirs[i]:
            causes += found or ([] if spec is None else [_difference(name, source, ours, theirs[i])])
    if spec is not None and not causes:
        causes += _wildcards(fields, spec)
    return causes


def _difference(name: str, source: str, ours: frozenset[int], theirs: frozenset[int] | None) -> str:
    low, high = (0, 6) if name == "day-of-week" else _bounds(name)
    shown = format_values(ours, low, high) if ours else "nothing"
    other = format_values(theirs, low, high) if theirs else "nothing"
    return f"{name} {source!r}: the original reads {shown}, clockwork {other}"


def _bounds(name: str) -> tuple[int, int]:
    return BOUNDS[FIELDS.index(name)]


def _wildcards(fields: OriginalFields, spec: CronSpec) -> list[str]:
    days = spec.days
    causes = []
    if fields.dom_wildcard and days.dom_restricted:
        causes.append(
            f"day-of-month {fields.sources[3]!r} lists every day, which the original reads as '*' "
            "(so day-of-week alone decides)"
        )
    if fields.dow_wildcard and days.dow_restricted:
        causes.append(
            f"day-of-week {fields.sources[5]!r} lists 0-7, which the original reads as '*' "
            "(so day-of-month alone decides)"
        )
    return causes


def _element_causes(name: str, source: str) -> list[str]:
    """The forms in one field's text that the original reads its own way."""
    items = source.split(",")
    causes: list[str] = []
    for item in items:
        base, _, _ = item.partition("/")
        step = item.split("/")[-1]
        if "|" in item:
            causes.append(f"{item!r}: the original drops a value that is not a number")
        elif item == "" and len(items) > 1:
            causes.append("an empty list item: the original reads it as 0")
        elif "/" in item and "-" not in base and base != "*":
            causes.append(f"{item!r}: the original reads a/s as a alone")
        elif "/" in item and not (step.isascii() and step.isdigit() and int(step) > 0):
            causes.append(f"{item!r}: a step below 1 leaves the original's range empty")
        elif name == "day-of-week" and "-" in base and base.split("-")[1] == "7":
            causes.append(f"{item!r}: the original's day-of-week 7 is Sunday only on its own, not in a range")
    if len(items) > 1 and not causes:
        kept = set(_values(name, source))
        if any(not set(_values(name, item)) <= kept for item in items):
            causes.append(
                f"{source!r}: the original keeps a list item only when it is larger than the ones before"
            )
    return causes


def _values(name: str, value: str) -> tuple[int, ...]:
    try:
        return parse_field(name, value or "0", "0.6.2")
    except JsError:
        return ()
