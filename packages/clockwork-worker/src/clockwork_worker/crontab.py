"""Crontab files: parse them into schedules, and keep a store in step with one.

The format is the familiar one, line by line. Only a newline ends a line (``\r\n`` too);
a line that holds another line break (U+2028, U+0085, a form feed, a lone carriage return)
or any other control character but a tab is refused with its line number: an editor may
show it as two lines, the shell does not treat it as a space, and such characters are
more often a bad paste or a hidden command than a wish.

* blank lines and lines starting with ``#`` are ignored;
* ``CRON_TZ=Europe/Berlin`` sets the time zone of the lines after it (``CRON_TZ=`` goes
  back to UTC); an unknown zone is an error naming the line;
* ``NAME=value`` sets an environment variable for the commands after it (quotes around
  the value are removed), as Vixie cron does; later lines may change it. Two names are
  rejected rather than silently ignored: ``SHELL`` (every command runs with
  ``/bin/sh``) and a non-empty ``MAILTO`` (clockwork sends no mail: ``clockwork
  history`` has every run). ``MAILTO=""`` is accepted: it asks for no mail;
* ``@daily command`` (any clockwork macro); ``@reboot`` is rejected;
* EventBridge's ``cron(...)``, ``rate(...)`` and ``at(...)`` followed by the command;
* 5 cron fields followed by the command, or 6 fields with seconds first. The command is
  the rest of the line, run by ``/bin/sh -c``; unlike Vixie cron, ``%`` is not special.

**Five or six fields.** The 6th token is the day-of-week field of a seconds-first line
if it parses as a day-of-week field (``*``, ``1-5``, ``MON``, ``5L``, ...) *and* more
tokens follow it; otherwise it is the first word of the command. So
``*/5 * * * * * echo hi`` fires every 5 seconds and ``0 5 * * * echo hi`` at 05:00; a
5-field line whose command starts with a word that reads as a day of the week
(``0 5 * * 1 sat --check``) is read as 6 fields: write ``./sat`` or ``exec sat`` there.

Each line becomes a :class:`~clockwork_core.model.Schedule` of the given launcher with the
params ``{"command": ..., "env": {...}}`` and an id derived from what the line means
(launcher, zone, expression, command, environment), not from where it is:
``crontab-<12 hex digits>``. Editing a line gives it a new id (a new schedule); moving
it, or reading the same file at another path on another host, does not. Identical lines
are numbered so that each still fires. The origin records the file and the line.

:func:`sync` makes the store hold exactly the file's schedules: it creates the new ones,
deletes those whose origin is this file but that are no longer in it, leaves existing
ones (their cursor, pause state and history) alone, and touches no other schedule.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
from clockwork_core.cron import parse_cron
from clockwork_core.errors import (
    Conflict,
    InvalidExpression,
    InvalidValue,
    ScheduleExists,
    ScheduleNotFound,
)
from clockwork_core.model import Schedule, Target
from clockwork_core.schedules import Change, put_schedule, update_schedule
from clockwork_core.store import Store
from clockwork_core.zones import get_zone

ORIGIN_KIND = "crontab"
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
_AWS_FORM = re.compile(r"^((?:cron|rate|at)\([^)]*\))\s*(.*)$", re.IGNORECASE)
_REJECTED_MACROS = {"@reboot": "@reboot is not supported: clockwork fires schedules, not boot-time tasks"}


class CrontabError(InvalidValue):
    """A crontab line that cannot be used: ``examples/crontab:7: minute 61 is out of range 0-59``."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(where, reason)
        self.path = path
        self.line = line


@attrs.frozen
class Entry:
    """One schedule line of a crontab."""

    line: int
    expression: str
    timezone: str
    command: str
    env: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Crontab:
    """A parsed crontab: where it was read (``shown`` as the user wrote it) and its schedules."""

    path: str  # absolute: what origins record and sync compares
    shown: str
    launcher: str
    entries: tuple[Entry, ...]
    schedules: tuple[Schedule, ...]

    def line_of(self, schedule_id: str) -> int | None:
        for schedule in self.schedules:
            if schedule.id == schedule_id:
                return int(schedule.origin["line"])
        return None

    def check_targets(self, validate: Callable[[Mapping[str, Any]], None]) -> None:
        """Run a launcher's ``validate`` over every line's params; errors name the line."""
        for schedule in self.schedules:
            try:
                validate(schedule.target.params)
            except InvalidValue as exc:
                raise CrontabError(self.shown, int(schedule.origin["line"]), str(exc)) from None


def load(path: str | os.PathLike[str], *, launcher: str = "process") -> Crontab:
    """Read and parse the crontab at ``path``; a file that cannot be read is an InvalidValue."""
    shown = os.fspath(path)
    try:
        # Bytes, then text: text mode would end lines at a lone carriage return.
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise CrontabError(shown, None, f"cannot read the crontab: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CrontabError(shown, None, f"is not UTF-8 text ({exc.reason})") from None
    return parse(text, path=shown, launcher=launcher)


def parse(text: str, *, path: str, launcher: str = "process") -> Crontab:
    """Parse crontab ``text`` read from ``path``. Raises :class:`CrontabError` naming the line."""
    absolute = os.path.abspath(path)
    timezone = "UTC"
    env: dict[str, str] = {}
    entries: list[Entry] = []
    for number, raw in _lines(text, path):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assignment = _ASSIGNMENT.match(line)
        if assignment:
            name, value = assignment.group(1), _unquoted(assignment.group(2).strip())
            if name == "CRON_TZ":
                timezone = _zone(value or "UTC", path, number)
            else:
                _check_variable(name, value, path, number)
                if name != "MAILTO":
                    env[name] = value
            continue
        expression, command = _split(line, path, number)
        entries.append(Entry(number, expression, timezone, command, dict(env)))
    schedules = _schedules(entries, absolute, path, launcher)
    return Crontab(absolute, path, launcher, tuple(entries), schedules)


#: Characters no crontab line may hold: C0 and C1 controls but the tab, and U+2028/U+2029.
_REFUSED = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMES = {
    "\x00": "NUL",
    "\x0b": "vertical tab",
    "\x0c": "form feed",
    "\r": "carriage return",
    "\x1c": "file separator",
    "\x1d": "group separator",
    "\x1e": "record separator",
    "\x1f": "unit separator",
    "\x85": "next line",
    "\u2028": "line separator",
    "\u2029": "paragraph separator",
}


def _lines(text: str, path: str) -> list[tuple[int, str]]:
    """The numbered lines of ``text``: split at ``\n`` only (``str.splitlines`` also splits
    at U+2028, U+0085, form feeds...), without a ``\r`` before it. Raises CrontabError for
    a line that holds any other line break or control character but a tab."""
    lines = []
    for number, piece in enumerate(text.split("\n"), start=1):
        line = piece.removesuffix("\r")
        refused = _REFUSED.search(line)
        if refused:
            character = refused.group()
            raise CrontabError(
                path,
                number,
                f"character U+{ord(character):04X} ({_NAMES.get(character, 'control character')}) at "
                f"column {refused.start() + 1} is not allowed: only a newline ends a crontab line, "
                "and a line holds no control characters",
            )
        lines.append((number, line))
    return lines


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _zone(name: str, path: str, line: int) -> str:
    try:
        get_zone(name)
    except InvalidValue as exc:
        raise CrontabError(path, line, f"CRON_TZ: {exc.reason}") from None
    return name


def _check_variable(name: str, value: str, path: str, line: int) -> None:
    if name == "SHELL":
        raise CrontabError(
            path, line, "SHELL is not supported: clockwork runs every command with /bin/sh; remove the line"
        )
    if name == "MAILTO" and value:
        raise CrontabError(
            path,
            line,
            "MAILTO is not supported: clockwork sends no mail (`clockwork history` has every run "
            "with its exit code and output); remove the line",
        )


def _split(line: str, path: str, number: int) -> tuple[str, str]:
    """The expression and the command of a schedule line."""
    if line.startswith("@"):
        macro, _, command = line.replace("\t", " ").partition(" ")
        if macro.lower() in _REJECTED_MACROS:
            raise CrontabError(path, number, _REJECTED_MACROS[macro.lower()])
        return macro, _command(command, path, number)
    aws = _AWS_FORM.match(line)
    if aws:
        return aws.group(1), _command(aws.group(2), path, number)
    tokens = line.split(None, 6)
    if len(tokens) < 6:
        raise CrontabError(
            path,
            number,
            f"expected 5 cron fields (or 6, seconds first) and then a command; the line has only "
            f"{len(tokens)} words",
        )
    if len(tokens) == 7 and _is_day_of_week(tokens[5]):
        return " ".join(tokens[:6]), tokens[6]
    return " ".join(tokens[:5]), line.split(None, 5)[5]


def _command(command: str, path: str, number: int) -> str:
    command = command.strip()
    if not command:
        raise CrontabError(path, number, "the line has a schedule but no command")
    return command


def _is_day_of_week(token: str) -> bool:
    """Whether ``token`` reads as a day-of-week field (the 6th field of a seconds-first line)."""
    try:
        parse_cron(f"0 0 0 * * {token}", "UTC", "probe")
    except InvalidExpression:
        return False
    return True


def _schedules(entries: list[Entry], absolute: str, shown: str, launcher: str) -> tuple[Schedule, ...]:
    seen: dict[str, int] = {}
    schedules = []
    for entry in entries:
        meaning = json.dumps(
            [launcher, entry.timezone, entry.expression, entry.command, sorted(entry.env.items())]
        )
        seen[meaning] = seen.get(meaning, 0) + 1
        if seen[meaning] > 1:
            meaning += f"\n#{seen[meaning]}"
        digest = hashlib.sha1(meaning.encode(), usedforsecurity=False).hexdigest()[:12]
        params: dict[str, Any] = {"command": entry.command}
        if entry.env:
            params["env"] = dict(entry.env)
        try:
            schedules.append(
                Schedule(
                    id=f"crontab-{digest}",
                    expression=entry.expression,
                    timezone=entry.timezone,
                    name=_short(entry.command, 80),
                    description=_short(entry.command, 1024),
                    target=Target(launcher, params),
                    origin={"kind": ORIGIN_KIND, "file": absolute, "line": str(entry.line)},
                )
            )
        except InvalidExpression as exc:
            raise CrontabError(shown, entry.line, exc.reason) from None
        except InvalidValue as exc:
            raise CrontabError(shown, entry.line, str(exc)) from None
    return tuple(schedules)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- keeping a store in step ---------------------------------------------------------------


@attrs.frozen
class SyncReport:
    created: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    #: Already in the store; left as they are (cursor, pause state, history).
    kept: tuple[str, ...] = ()
    #: Kept, with their origin's line number brought up to date.
    moved: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.deleted)} deleted, "
            f"{len(self.kept) + len(self.moved)} unchanged"
        )


def is_from(schedule: Schedule, path: str) -> bool:
    return schedule.origin.get("kind") == ORIGIN_KIND and schedule.origin.get("file") == path


def sync(store: Store, crontab: Crontab, *, now: datetime) -> SyncReport:
    """Make ``store`` hold exactly ``crontab``'s schedules; see the module's documentation.

    Safe to run from several workers at once: a schedule another worker created or deleted
    first counts as done.
    """
    wanted = {schedule.id: schedule for schedule in crontab.schedules}
    created: list[str] = []
    deleted: list[str] = []
    kept: list[str] = []
    moved: list[str] = []
    existing = {record.id: record for record in store.list()}
    for schedule_id, record in existing.items():
        if schedule_id not in wanted and is_from(record.schedule, crontab.path):
            store.delete(schedule_id)
            deleted.append(schedule_id)
    for schedule_id, schedule in wanted.items():
        stored = existing.get(schedule_id)
        if stored is None:
            try:
                put_schedule(store, schedule, now=now, replace=False)
            except ScheduleExists:
                kept.append(schedule_id)
            else:
                created.append(schedule_id)
        elif is_from(stored.schedule, crontab.path) and stored.schedule.origin != schedule.origin:
            (moved if _move(store, schedule, crontab.path, now) else kept).append(schedule_id)
        else:
            kept.append(schedule_id)
    return SyncReport(tuple(created), tuple(deleted), tuple(kept), tuple(moved))


def _move(store: Store, schedule: Schedule, path: str, now: datetime) -> bool:
    """Bring a kept schedule's origin (its line) up to date; all else of it stays as stored."""

    def moved(stored: Schedule) -> Schedule:
        return attrs.evolve(stored, origin=schedule.origin) if is_from(stored, path) else stored

    try:
        written = update_schedule(store, schedule.id, moved, now=now)
    except (Conflict, ScheduleNotFound):
        return False
    return written.change is Change.UPDATED
