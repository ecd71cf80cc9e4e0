"""Configuration: an explicit flag beats a ``CLOCKWORK_*`` variable, which beats a default.

Each setting the command line takes from the environment is a :class:`Setting`: its flag,
its variable, a parser shared by both sources, and a default. argparse keeps the flag's
raw text (``None`` when absent); :func:`resolve` then picks the source and parses it, so a
bad value is reported the same way wherever it came from, naming the flag *and* the
variable::

    --poll-interval: 'soon' is not a number of seconds (also settable as CLOCKWORK_POLL_INTERVAL)
    CLOCKWORK_POLL_INTERVAL='soon' (for --poll-interval): 'soon' is not a number of seconds

An empty variable counts as unset (``CLOCKWORK_HTTP=`` in a compose file turns it off).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Generic, TypeVar

import attrs
from clockwork_core.errors import InvalidValue

T = TypeVar("T")
Parse = Callable[[str], T]

ENV_PREFIX = "CLOCKWORK_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class ConfigError(InvalidValue):
    """A flag or variable whose text does not parse; the message names both."""

    def __init__(self, setting: Setting[Any], *, from_env: bool, text: str, reason: str) -> None:
        if from_env:
            field = f"{setting.env}={text!r} (for {setting.flag})"
            super().__init__(field, reason)
        else:
            super().__init__(setting.flag, f"{reason} (also settable as {setting.env})")
        self.setting = setting
        self.from_env = from_env


@attrs.frozen
class Setting(Generic[T]):
    """One setting: ``--flag`` on the command line, ``CLOCKWORK_*`` in the environment."""

    flag: str
    parse: Parse[T]
    help: str
    default: T | None = None
    #: How the default reads in ``--help`` when ``str(default)`` would not say it well.
    shown_default: str | None = None
    metavar: str | None = None
    env: str = attrs.field()

    @env.default
    def _env_from_flag(self) -> str:
        return ENV_PREFIX + self.flag.lstrip("-").replace("-", "_").upper()

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def help_text(self) -> str:
        """The flag's help, naming its variable and its default: ``... [CLOCKWORK_X; default 5]``."""
        shown = self.shown_default
        if shown is None and self.default is not None:
            shown = _shown(self.default)
        default = f"; default {shown}" if shown else ""
        # argparse formats help with %: a literal percent sign must be doubled.
        return f"{self.help} [env {self.env}{default}]".replace("%", "%%")


def resolve(setting: Setting[T], explicit: str | None, environ: Mapping[str, str]) -> T | None:
    """The setting's value: the flag's text if given, else the variable's, else the default."""
    if explicit is not None:
        return _parsed(setting, explicit, from_env=False)
    text = environ.get(setting.env, "")
    if text.strip():
        return _parsed(setting, text, from_env=True)
    return setting.default


def required(setting: Setting[T], explicit: str | None, environ: Mapping[str, str]) -> T:
    """:func:`resolve` for a setting that must have a value (it has a default, or is required)."""
    value = resolve(setting, explicit, environ)
    if value is None:
        raise InvalidValue(setting.flag, f"is required (or set {setting.env})")
    return value


def _parsed(setting: Setting[T], text: str, *, from_env: bool) -> T:
    try:
        return setting.parse(text.strip())
    except ValueError as exc:
        reason = exc.reason if isinstance(exc, InvalidValue) else str(exc)
        raise ConfigError(setting, from_env=from_env, text=text, reason=reason) from None


def _shown(value: object) -> str:
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


# --- parsers: text in, a typed value out, ValueError with a reason otherwise ---------------


def text(value: str) -> str:
    if not value:
        raise ValueError("is empty")
    return value


def choice(options: Sequence[str]) -> Parse[str]:
    """One of ``options``, in any case."""

    def parse(value: str) -> str:
        lowered = value.lower()
        if lowered not in options:
            raise ValueError(f"{value!r} is not one of {', '.join(options)}")
        return lowered

    return parse


def seconds(*, low: float = 0.0, high: float = 86_400.0, allow_zero: bool = False) -> Parse[timedelta]:
    """A number of seconds (``2``, ``0.5``) as a duration within ``low``-``high``."""

    def parse(value: str) -> timedelta:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number of seconds") from None
        if not math.isfinite(number) or number < low or (number == 0 and not allow_zero):
            floor = f"at least {low:g}" if allow_zero or low > 0 else "more than 0"
            raise ValueError(f"{value} s must be {floor}")
        if number > high:
            raise ValueError(f"{value} s is more than the maximum of {high:g} s")
        return timedelta(seconds=number)

    return parse


def integer(*, low: int, high: int) -> Parse[int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"{number} is out of range {low}-{high}")
        return number

    return parse


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{value!r} is not one of {'/'.join(_TRUE)} or {'/'.join(_FALSE)}")


def address(value: str) -> tuple[str, int]:
    """``HOST:PORT`` for the HTTP endpoint (``:8080`` is loopback, ``127.0.0.1:0`` any free port)."""
    from clockwork_worker.http import parse_address

    return parse_address(value)
