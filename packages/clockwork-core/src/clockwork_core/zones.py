"""Time zones from the pinned ``tzdata`` package, never from the host.

Every worker and the Lambda must agree on where a wall-clock time falls, so zones are
read from the ``tzdata`` wheel that clockwork pins, whatever ``/usr/share/zoneinfo``
holds on the machine.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, tzinfo
from importlib import resources
from zoneinfo import ZoneInfo

from clockwork_core.errors import InvalidValue, UnknownTimeZone

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")


def get_zone(name: str) -> tzinfo:
    """Return the zone called ``name`` (an IANA name such as ``America/New_York``).

    ``UTC`` (and its aliases) returns :data:`datetime.UTC`. Raises :class:`UnknownTimeZone`
    for anything else that is not a zone file of tzdata: names that are not text, longer
    than any zone's, or not made of ASCII letters, digits and ``_+-`` between slashes.
    """
    if not isinstance(name, str) or len(name) > UnknownTimeZone.longest:
        raise UnknownTimeZone(name)
    return _zone(name)


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> tzinfo:
    if name in ("UTC", "Etc/UTC", "Z", "Etc/Zulu", "Zulu", "Universal", "Etc/Universal"):
        return UTC
    if not _NAME.fullmatch(name):
        raise UnknownTimeZone(name)
    path = resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))
    try:
        with path.open("rb") as fh:
            zone = ZoneInfo.from_file(fh, key=name)
    except (OSError, ValueError) as exc:  # no such file, a directory, not a TZif file
        raise UnknownTimeZone(name) from exc
    return zone


def zone_name(zone: tzinfo) -> str:
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else "UTC"


def require_aware(value: datetime, field: str) -> datetime:
    """Return ``value`` in UTC; a naive datetime is an error that names ``field``."""
    if not isinstance(value, datetime):
        raise InvalidValue(field, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(field, f"{value.isoformat()} has no time zone; clockwork needs aware datetimes")
    return value.astimezone(UTC)


def to_ms(value: datetime) -> int:
    """Epoch milliseconds of an aware datetime (the storage boundary's representation)."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def isoformat_z(value: datetime) -> str:
    """``2026-03-08T07:00:00Z``; milliseconds are shown only when present."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"
