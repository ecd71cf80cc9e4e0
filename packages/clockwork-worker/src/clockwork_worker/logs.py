"""Logs for machines and for people: JSON lines off a terminal, readable lines on one.

Every module logs through stdlib ``logging`` with an ``action`` key (and more) in
``extra``. :func:`configure` renders the records:

* ``json``: one object per line, ``{"time": "2026-03-08T07:00:00.012Z", "level": "INFO",
  "logger": "clockwork_worker.firing", "message": "...", "action": "launched", ...}``,
  for log shippers (CloudWatch, Loki). The time is UTC with milliseconds.
* ``text``: ``07:00:00.012 INFO  launched nightly for 2026-03-08T07:00:00Z
  action=launched schedule=nightly``; the time is UTC, like every time clockwork shows.
* ``auto`` (the default): ``text`` when the stream is a terminal, else ``json``.

The AWS libraries' own INFO records ("Found credentials in environment variables.") are
not clockwork's news: below ``debug`` only their warnings and errors are shown.

Either way a control character in a message or a value is written as an escape
(:mod:`clockwork_core.display`), never raw.

No record above DEBUG holds a command line or the value of a variable: they are where
secrets live (``mysqldump -pSECRET``, ``https://user:pass@host``, ``PGPASSWORD=...``).
Records name schedules by id. A DEBUG record that shows a command shows it
:func:`redacted`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from clockwork_core.display import printable, terminal_json

FORMATS = ("auto", "json", "text")
LEVELS = ("debug", "info", "warning", "error")

#: The attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_HANDLER_NAME = "clockwork"
#: Libraries whose records below WARNING are shown only at the ``debug`` level.
QUIET_LIBRARIES = ("botocore", "boto3", "urllib3")


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller passed in ``extra``, in the order given."""
    return {key: value for key, value in vars(record).items() if key not in _STANDARD}


def _time(record: logging.LogRecord) -> datetime:
    return datetime.fromtimestamp(record.created, UTC)


class JsonFormatter(logging.Formatter):
    """One JSON object per record; values JSON cannot hold are written as text."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _time(record).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extra_fields(record).items():
            data.setdefault(key, value)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return terminal_json(data, default=str)


class TextFormatter(logging.Formatter):
    """``HH:MM:SS.mmm LEVEL message key=value ...``, for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = _time(record).strftime("%H:%M:%S.%f")[:-3]
        parts = [f"{stamp} {record.levelname:<7} {printable(record.getMessage())}"]
        parts.extend(f"{key}={_text_value(value)}" for key, value in extra_fields(record).items())
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def _text_value(value: object) -> str:
    if isinstance(value, str):
        if value and not any(c.isspace() or c in "\"'=" for c in value):
            return printable(value)
        return json.dumps(value)
    return terminal_json(value, default=str)


_SECRET_WORD = r"[a-z0-9_-]*(?:pass|pwd|secret|token|key|auth|credential|sig)[a-z0-9_-]*"
_VALUE = r"""(?:'[^']*'|"[^"]*"|\S+)"""
_MASK = "***"
#: (pattern, replacement): what looks like a secret in a command line, most specific first.
_SECRETS = (
    # https://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s@/]*@", re.IGNORECASE), rf"\1:{_MASK}@"),
    # -H 'Authorization: Bearer ...', X-Api-Key: ...
    (
        re.compile(
            r"\b((?:proxy-)?authorization|x-[a-z0-9-]*(?:token|key|secret))\s*:\s*[^'\"\n]+", re.IGNORECASE
        ),
        rf"\1: {_MASK}",
    ),
    # ?access_token=...&sig=...
    (re.compile(rf"([?&]{_SECRET_WORD}=)[^&\s'\"]+", re.IGNORECASE), rf"\1{_MASK}"),
    # --password=..., --api-token ...
    (re.compile(rf"(?<!\S)(--{_SECRET_WORD})(=|\s+){_VALUE}", re.IGNORECASE), rf"\1\2{_MASK}"),
    # mysql's -pPASSWORD
    (re.compile(rf"(?<!\S)-p(?=\S){_VALUE}"), f"-p{_MASK}"),
    # NAME=value, before a command or as an argument
    (re.compile(rf"(?<!\S)([A-Za-z_][A-Za-z0-9_]*)={_VALUE}"), rf"\1={_MASK}"),
)


def redacted(command: str) -> str:
    """``command`` with what looks like a secret masked, for a DEBUG record.

    Best effort (a secret can hide anywhere in a command), which is why no record above
    DEBUG shows a command at all.
    """
    for pattern, replacement in _SECRETS:
        command = pattern.sub(replacement, command)
    return command


class QuietLibraries(logging.Filter):
    """Drops the records of :data:`QUIET_LIBRARIES` below WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return not any(record.name == name or record.name.startswith(f"{name}.") for name in QUIET_LIBRARIES)


def wants_json(format: str, stream: TextIO) -> bool:
    if format == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (callable(isatty) and isatty())
    return format == "json"


def configure(level: str = "info", format: str = "auto", *, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record at ``level`` or above to ``stream`` (stderr) in ``format``.

    Calling it again replaces the handler it installed before (tests, repeated ``main``).
    Returns the handler.
    """
    if format not in FORMATS:
        raise ValueError(f"log format {format!r} is not one of {', '.join(FORMATS)}")
    if level.lower() not in LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    target = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(target)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if wants_json(format, target) else TextFormatter())
    if level.lower() != "debug":
        handler.addFilter(QuietLibraries())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
