"""The model: schedules, their policies, their runs, and what a store keeps about each.

Every class is a frozen attrs value, validated on construction. A bad value raises
:class:`~clockwork_core.errors.InvalidValue` naming the field (``policies.retry.attempts``),
so the layers above can translate the name into theirs (a CloudFormation property, a flag).
Times are aware UTC datetimes; a naive one is an error.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from clockwork_core.cron import CronExpression, parse_cron
from clockwork_core.errors import InvalidValue
from clockwork_core.nesting import MAX_DEPTH, TOO_DEEP, deeper_than
from clockwork_core.zones import get_zone, isoformat_z, require_aware, to_ms

SCHEDULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,254}$")
LAUNCHER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class Concurrency(enum.Enum):
    """What a fire does while the previous run of its schedule is still running."""

    ALLOW = "allow"  # launch anyway (the original's behaviour)
    FORBID = "forbid"  # skip this fire, recorded as SKIPPED
    REPLACE = "replace"  # stop the previous run, then launch


class MissedFires(enum.Enum):
    """What a schedule does with instants that passed while nobody could fire them."""

    LATEST = "latest"  # launch once, for the most recent missed instant
    ALL = "all"  # launch each missed instant, oldest first (bounded by max_catch_up)
    SKIP = "skip"  # launch none of them


class RunStatus(enum.Enum):
    PENDING = "PENDING"
    LAUNCHED = "LAUNCHED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    SKIPPED = "SKIPPED"
    MISSED = "MISSED"
    FAILED_TO_LAUNCH = "FAILED_TO_LAUNCH"

    @property
    def is_active(self) -> bool:
        """Launched and not yet known to have stopped: a tracker must keep watching it."""
        return self in (RunStatus.LAUNCHED, RunStatus.RUNNING)

    @property
    def is_terminal(self) -> bool:
        return self not in (RunStatus.PENDING, RunStatus.LAUNCHED, RunStatus.RUNNING)


class Trigger(enum.Enum):
    SCHEDULE = "schedule"  # a cron instant
    MANUAL = "manual"  # ``clockwork schedule trigger``: a fire now that does not move the schedule


# --- validators -------------------------------------------------------------------------


def _aware(field: str) -> Any:
    def check(_inst: object, _attr: attrs.Attribute[Any], value: datetime | None) -> None:
        if value is not None:
            require_aware(value, field)

    return check


def _fence(value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidValue("fence", f"expected a whole number of at least 0, got {value!r}")


def _utc_or_none(value: datetime | None) -> datetime | None:
    # Converters run before validators: anything but an aware datetime passes through
    # unchanged, so the validator can reject it naming its field.
    if isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(UTC)
    return value


def _seconds_text(value: timedelta) -> str:
    seconds = value.total_seconds()
    return f"{seconds:.0f} s" if seconds == int(seconds) else f"{seconds:.3f} s"


def _in_range(field: str, low: float, high: float, *, whole: bool = False) -> Any:
    def check(_inst: object, _attr: attrs.Attribute[Any], value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue(field, f"expected a number, got {value!r}")
        if whole and not isinstance(value, int):
            raise InvalidValue(field, f"expected a whole number, got {value!r}")
        if not low <= value <= high:
            raise InvalidValue(field, f"{value} is out of range {low:g}-{high:g}")

    return check


def _duration(field: str, *, high: timedelta, optional: bool, allow_zero: bool = False) -> Any:
    def check(_inst: object, _attr: attrs.Attribute[Any], value: timedelta | None) -> None:
        if value is None:
            if optional:
                return
            raise InvalidValue(field, "is required")
        if not isinstance(value, timedelta):
            raise InvalidValue(field, f"expected a duration, got {value!r}")
        low = timedelta(0)
        if value < low or (value == low and not allow_zero):
            raise InvalidValue(
                field, f"{_seconds_text(value)} must be {'zero or more' if allow_zero else 'positive'}"
            )
        if value > high:
            raise InvalidValue(
                field,
                f"{_seconds_text(value)} is more than the maximum of {_seconds_text(high)}",
            )

    return check


def _times(values: Iterable[datetime]) -> tuple[datetime, ...]:
    return tuple(require_aware(value, "manual") for value in values)


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


E = TypeVar("E", bound=enum.Enum)


def _enum_value(kind: type[E], field: str, value: object) -> E:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(repr(m.value) for m in kind)
        raise InvalidValue(field, f"{value!r} is not one of {known}") from None


def _concurrency(value: object) -> Concurrency:
    return _enum_value(Concurrency, "policies.concurrency", value)


def _missed_fires(value: object) -> MissedFires:
    return _enum_value(MissedFires, "policies.missed_fires", value)


def _run_status(value: object) -> RunStatus:
    return _enum_value(RunStatus, "status", value)


def _trigger(value: object) -> Trigger:
    return _enum_value(Trigger, "trigger", value)


def _pending_trigger(value: object) -> Trigger:
    return _enum_value(Trigger, "pending.trigger", value)


# --- policies ---------------------------------------------------------------------------


@attrs.frozen
class RetryPolicy:
    """Launch retries for transient failures (throttling, no capacity, 5xx).

    ``attempts`` counts every try, the first included; the n-th retry waits
    ``min(backoff * multiplier ** (n - 1), max_backoff)``.
    """

    attempts: int = attrs.field(default=3, validator=_in_range("policies.retry.attempts", 1, 20, whole=True))
    backoff: timedelta = attrs.field(
        default=timedelta(seconds=2),
        validator=_duration("policies.retry.backoff", high=timedelta(hours=1), optional=False),
    )
    multiplier: float = attrs.field(default=2.0, validator=_in_range("policies.retry.multiplier", 1, 10))
    max_backoff: timedelta = attrs.field(
        default=timedelta(minutes=1),
        validator=_duration("policies.retry.max_backoff", high=timedelta(hours=6), optional=False),
    )

    def delay(self, failed_attempt: int) -> timedelta:
        """The wait after attempt number ``failed_attempt`` (1-based) failed."""
        seconds = self.backoff.total_seconds() * self.multiplier ** (failed_attempt - 1)
        return timedelta(seconds=min(seconds, self.max_backoff.total_seconds()))


@attrs.frozen
class Policies:
    concurrency: Concurrency = attrs.field(default=Concurrency.ALLOW, converter=_concurrency)
    missed_fires: MissedFires = attrs.field(default=MissedFires.LATEST, converter=_missed_fires)
    #: A fire that would start later than this after its instant is recorded as MISSED.
    starting_deadline: timedelta | None = attrs.field(
        default=None,
        validator=_duration("policies.starting_deadline", high=timedelta(days=366), optional=True),
    )
    #: With ``missed_fires=all``: at most this many missed instants are launched.
    max_catch_up: int = attrs.field(
        default=100, validator=_in_range("policies.max_catch_up", 1, 10_000, whole=True)
    )
    #: Up to this much delay, derived from (schedule id, instant), so launches spread out.
    jitter: timedelta = attrs.field(
        default=timedelta(0),
        validator=_duration("policies.jitter", high=timedelta(hours=1), optional=False, allow_zero=True),
    )
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    #: A run still going this long after its launch is stopped and recorded TIMED_OUT.
    timeout: timedelta | None = attrs.field(
        default=None,
        validator=_duration("policies.timeout", high=timedelta(days=14), optional=True),
    )


# --- schedules --------------------------------------------------------------------------


@attrs.frozen
class Target:
    """What a fire launches: a launcher by name and that launcher's parameters."""

    launcher: str = attrs.field()
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)

    @launcher.validator
    def _check_launcher(self, _attr: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not LAUNCHER_NAME.fullmatch(value):
            raise InvalidValue("target.launcher", f"{value!r} is not a launcher name (such as 'ecs')")

    @params.validator
    def _check_params(self, _attr: attrs.Attribute[Mapping[str, Any]], value: Mapping[str, Any]) -> None:
        # The params' own mapping is the first level; stores keep them as JSON text.
        for key, item in value.items():
            if deeper_than(item, MAX_DEPTH - 1):
                raise InvalidValue(f"target.params.{key}", TOO_DEEP)


def _check_id(_inst: object, _attr: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not SCHEDULE_ID.fullmatch(value):
        raise InvalidValue(
            "id",
            f"{value!r} is not a schedule id (1-255 characters: letters, digits and ._:@+=-, "
            "starting with a letter or digit)",
        )


def _check_text(field: str, limit: int) -> Any:
    def check(_inst: object, _attr: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str):
            raise InvalidValue(field, f"expected text, got {type(value).__name__}")
        if len(value) > limit:
            raise InvalidValue(field, f"is {len(value)} characters long; the limit is {limit}")

    return check


def _check_tags(_inst: object, _attr: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise InvalidValue("tags", f"tag {key!r}: keys and values must be text")


@attrs.frozen
class Schedule:
    """A cron schedule: when (expression, zone, start, end), what (target), and how (policies)."""

    id: str = attrs.field(validator=_check_id)
    expression: str = attrs.field(validator=_check_text("expression", 1000))
    target: Target
    name: str = attrs.field(default="", validator=_check_text("name", 255))
    description: str = attrs.field(default="", validator=_check_text("description", 1024))
    timezone: str = attrs.field(default="UTC")
    enabled: bool = attrs.field(default=True)
    start: datetime | None = attrs.field(default=None, converter=_utc_or_none, validator=_aware("start"))
    end: datetime | None = attrs.field(default=None, converter=_utc_or_none, validator=_aware("end"))
    policies: Policies = attrs.field(factory=Policies)
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_mapping, validator=_check_tags)
    #: Where the schedule was declared: e.g. {"kind": "cloudformation", "stack": ..., "logical_id": ...}.
    origin: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_mapping)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise InvalidValue("enabled", f"expected true or false, got {self.enabled!r}")
        get_zone(self.timezone)
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise InvalidValue(
                "end", f"{isoformat_z(self.end)} is not after the start {isoformat_z(self.start)}"
            )
        # Parsing validates the expression (and caches it for the planner).
        self.cron  # noqa: B018

    @property
    def cron(self) -> CronExpression:
        """The parsed expression, evaluated in the schedule's zone, H forms seeded by the id."""
        return parse_cron(self.expression, self.timezone, self.id)


# --- runs -------------------------------------------------------------------------------


def fire_key(schedule_id: str, instant: datetime, trigger: Trigger = Trigger.SCHEDULE) -> str:
    """The idempotency key of one fire: the same for every worker and every retry.

    32 hexadecimal characters, so it fits ECS's 64-character ``clientToken`` and
    ``startedBy`` (36) with room for a prefix.
    """
    text = f"{schedule_id}\n{to_ms(instant)}\n{trigger.value}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def run_id_for(instant: datetime, trigger: Trigger = Trigger.SCHEDULE) -> str:
    """A run's id within its schedule: the instant, sortable as text (``20260308T070000.000Z``)."""
    stamp = instant.strftime("%Y%m%dT%H%M%S") + f".{instant.microsecond // 1000:03d}Z"
    return stamp if trigger is Trigger.SCHEDULE else f"{stamp}-{trigger.value}"


@attrs.frozen
class Run:
    """One fire of a schedule, at one instant, and what became of it."""

    schedule_id: str
    instant: datetime = attrs.field(converter=_utc_or_none, validator=_aware("instant"))
    status: RunStatus = attrs.field(converter=_run_status)
    trigger: Trigger = attrs.field(default=Trigger.SCHEDULE, converter=_trigger)
    launcher: str = ""
    attempts: int = 0
    launched_at: datetime | None = attrs.field(
        default=None, converter=_utc_or_none, validator=_aware("launched_at")
    )
    finished_at: datetime | None = attrs.field(
        default=None, converter=_utc_or_none, validator=_aware("finished_at")
    )
    #: What the launcher needs to find the run again: ECS task ARNs, a pid.
    handles: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    #: Exit code per container (ECS) or ``{"process": code}``; None where it is not known.
    exit_codes: Mapping[str, int | None] = attrs.field(factory=dict, converter=_frozen_mapping)
    stop_reason: str | None = None
    error: str | None = None
    #: The tail of the output, where the launcher can see it (the process launcher).
    output: str | None = None
    #: When the record was last written; used to order tracking work.
    updated_at: datetime | None = attrs.field(
        default=None, converter=_utc_or_none, validator=_aware("updated_at")
    )
    #: The claim this record was written under: the version of the schedule record that
    #: claim returned (claims only ever grow it). A store refuses a write whose fence is
    #: lower than the stored one, so a worker that lost its claim cannot overwrite what
    #: the claim's new holder recorded. None: written outside a claim (counts as 0).
    fence: int | None = attrs.field(default=None, validator=lambda _i, _a, v: _fence(v))

    @property
    def run_id(self) -> str:
        return run_id_for(self.instant, self.trigger)

    @property
    def key(self) -> str:
        return fire_key(self.schedule_id, self.instant, self.trigger)

    @property
    def lateness(self) -> timedelta | None:
        """Launch time minus the instant."""
        return None if self.launched_at is None else self.launched_at - self.instant


# --- what a store keeps -----------------------------------------------------------------


@attrs.frozen
class Pending:
    """A fire decided by a claim and not yet completed: what a recovering worker repeats."""

    instant: datetime = attrs.field(converter=_utc_or_none, validator=_aware("pending.instant"))
    attempt: int = 1
    trigger: Trigger = attrs.field(default=Trigger.SCHEDULE, converter=_pending_trigger)


@attrs.frozen
class ScheduleRecord:
    """A schedule as a store holds it, with the state that drives firing.

    ``version`` grows by one on every write and is the compare-and-set token.
    ``due_at`` is when the schedule next needs attention (its next launch time, a retry,
    or the end of a lease); None when it needs none (disabled, ended).
    ``cursor`` is the last instant already decided (fired, missed or skipped): the next
    instants are strictly after it. ``lease_owner`` is the worker that holds a claim,
    until ``due_at``. ``pending`` is the fire that claim is about.
    ``manual`` holds the instants of manual triggers not yet fired.
    """

    schedule: Schedule
    version: int = 1
    due_at: datetime | None = attrs.field(default=None, converter=_utc_or_none, validator=_aware("due_at"))
    cursor: datetime | None = attrs.field(default=None, converter=_utc_or_none, validator=_aware("cursor"))
    lease_owner: str | None = None
    pending: Pending | None = None
    manual: tuple[datetime, ...] = attrs.field(default=(), converter=_times)
    updated_at: datetime | None = attrs.field(
        default=None, converter=_utc_or_none, validator=_aware("updated_at")
    )

    @property
    def id(self) -> str:
        return self.schedule.id
