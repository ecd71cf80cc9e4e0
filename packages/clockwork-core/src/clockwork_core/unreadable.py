"""Stored records a store could not decode: left out of its answers, kept here with the reason.

A record may be unreadable: damaged underneath the store, edited by hand, or written by a
clockwork whose parser accepted what this one rejects. One such record is the record's
problem, never a reason to stop the others from firing or being listed. A store leaves it
out of what ``due``, ``list``, ``runs`` and ``active_runs`` return and puts it in its
:class:`Unreadable` (``store.unreadable``); ``get`` and ``get_run`` of it raise
:class:`~clockwork_core.errors.RecordUnreadable`. The worker logs each one once
(:meth:`Unreadable.unreported`) and counts them; the command line prints a warning line for
each one it met.
"""

from __future__ import annotations

import contextlib
import json
import textwrap
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import attrs

from clockwork_core.errors import InvalidExpression, InvalidValue, RecordUnreadable

T = TypeVar("T")
S = TypeVar("S")

#: What decoding stored data raises when the data is bad: JSON and model errors (both
#: ValueError), a missing field (KeyError), a value of the wrong kind (TypeError,
#: AttributeError), and JSON nested too deeply for the decoder (RecursionError).
DECODING_ERRORS = (ValueError, LookupError, TypeError, AttributeError, RecursionError)

_REASON_WIDTH = 300


@attrs.frozen
class UnreadableRecord:
    """One record that could not be decoded: which one, at which version, and why (one line)."""

    schedule_id: str
    reason: str
    #: None for a schedule; the run's id for a run.
    run_id: str | None = None
    #: The stored version, when it could be read (runs have none).
    version: int | None = None

    @property
    def what(self) -> str:
        if self.run_id is None:
            return f"schedule {self.schedule_id!r}"
        return f"run {self.run_id!r} of schedule {self.schedule_id!r}"

    def __str__(self) -> str:
        return f"{self.what} cannot be read: {self.reason}"

    def error(self) -> RecordUnreadable:
        return RecordUnreadable(self.schedule_id, self.reason, run_id=self.run_id)


def reason_of(exc: BaseException) -> str:
    """Why decoding failed, in one printable line."""
    if isinstance(exc, json.JSONDecodeError):
        text = f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    elif isinstance(exc, InvalidExpression):
        text = f"expression {exc}"
    elif isinstance(exc, InvalidValue):
        text = str(exc)
    elif isinstance(exc, KeyError):
        text = f"the field {exc.args[0]!r} is missing" if exc.args else "a field is missing"
    elif isinstance(exc, RecursionError):
        text = "nested too deeply to decode"
    else:
        text = f"{type(exc).__name__}: {exc}"
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(text.split()))
    return textwrap.shorten(printable, _REASON_WIDTH, placeholder=" ...")


class Unreadable:
    """The records one store object found unreadable and has not since read or rewritten.

    Thread-safe. Stores call :meth:`decoded` around every decode, :meth:`readable` after a
    write, and :meth:`forget` after deleting a schedule. Readers iterate over it, or take
    :meth:`unreported` to hear of each record once (once per stored version).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple[str, str | None], UnreadableRecord] = {}
        self._reported: set[tuple[str, str | None, int | None]] = set()

    def decoded(
        self,
        decode: Callable[[], T],
        schedule_id: str,
        *,
        run_id: str | None = None,
        version: int | None = None,
    ) -> T:
        """``decode()``; when it fails on bad data, keep the record here and raise RecordUnreadable."""
        try:
            value = decode()
        except DECODING_ERRORS as exc:
            found = UnreadableRecord(schedule_id, reason_of(exc), run_id=run_id, version=version)
            with self._lock:
                self._found[schedule_id, run_id] = found
            raise found.error() from exc
        if self._found:  # the common case, nothing unreadable, takes no lock
            self.readable(schedule_id, run_id)
        return value

    def readable(self, schedule_id: str, run_id: str | None = None) -> None:
        """The record was read or written whole: it is no longer unreadable."""
        with self._lock:
            gone = self._found.pop((schedule_id, run_id), None)
            if gone is not None:
                self._reported.discard((schedule_id, run_id, gone.version))

    def forget(self, schedule_id: str) -> None:
        """The schedule and its runs were deleted."""
        with self._lock:
            for key in [key for key in self._found if key[0] == schedule_id]:
                del self._found[key]
            self._reported = {key for key in self._reported if key[0] != schedule_id}

    def unreported(self) -> list[UnreadableRecord]:
        """The records not returned by an earlier call (at their current version), by id."""
        with self._lock:
            new = [
                f for f in self._found.values() if (f.schedule_id, f.run_id, f.version) not in self._reported
            ]
            self._reported.update((f.schedule_id, f.run_id, f.version) for f in new)
        return sorted(new, key=_order)

    def __iter__(self) -> Iterator[UnreadableRecord]:
        with self._lock:
            found = sorted(self._found.values(), key=_order)
        return iter(found)

    def __len__(self) -> int:
        return len(self._found)

    def __repr__(self) -> str:
        return f"Unreadable({len(self)} records)"


def readable(decode: Callable[[S], T], stored: Iterable[S]) -> list[T]:
    """``decode`` of each stored item, leaving out those it reports unreadable.

    ``decode`` raises :class:`~clockwork_core.errors.RecordUnreadable` for an item it
    could not decode, having reported it (:meth:`Unreadable.decoded`).
    """
    decoded = []
    for item in stored:
        with contextlib.suppress(RecordUnreadable):
            decoded.append(decode(item))
    return decoded


def _order(found: UnreadableRecord) -> tuple[str, str]:
    return (found.schedule_id, found.run_id or "")
