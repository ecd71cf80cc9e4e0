"""Clockwork's errors: one base class, small subclasses whose messages come from their data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class ClockworkError(Exception):
    """The base of every error clockwork raises on purpose."""


class InvalidValue(ClockworkError, ValueError):
    """A value that does not fit its field.

    ``field`` is the dotted name of the field (``policies.retry.attempts``) so that the
    layers above can translate it into their own vocabulary (a CloudFormation property,
    a CLI flag).
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class InvalidExpression(InvalidValue):
    """A cron expression that cannot be parsed or can never fire.

    The message names the expression, the cron field at fault and the reason:
    ``'61 * * * *': minute 61 is out of range 0-59``.
    """

    def __init__(self, expression: str, reason: str, *, cron_field: str | None = None) -> None:
        self.expression = expression
        self.cron_field = cron_field
        ClockworkError.__init__(self, f"{expression!r}: {reason}")
        self.field = "expression"
        self.reason = reason


class UnknownTimeZone(InvalidValue):
    """A time-zone name that the pinned tzdata package does not know.

    A name longer than :attr:`longest` is no zone's, and is shown cut short.
    """

    #: The longest name a zone may have (tzdata's longest, America/Argentina/ComodRivadavia, has 32).
    longest = 64

    def __init__(self, name: object, *, field: str = "timezone") -> None:
        if not isinstance(name, str):
            shown = f"(expected a name, got {type(name).__name__})"
        elif len(name) > self.longest:
            shown = f"{name[:40]!r}... ({len(name)} characters; zone names are at most {self.longest})"
        else:
            shown = repr(name)
        super().__init__(field, f"unknown time zone {shown} (use an IANA name such as 'Europe/Berlin')")
        self.name = name


class ScheduleNotFound(ClockworkError, LookupError):
    def __init__(self, schedule_id: str) -> None:
        super().__init__(f"No schedule by the id of {schedule_id!r} was found")
        self.schedule_id = schedule_id


class ScheduleExists(ClockworkError):
    def __init__(self, schedule_id: str) -> None:
        super().__init__(f"A schedule by the id of {schedule_id!r} already exists")
        self.schedule_id = schedule_id


class RunNotFound(ClockworkError, LookupError):
    def __init__(self, schedule_id: str, run_id: str) -> None:
        super().__init__(f"No run {run_id!r} of schedule {schedule_id!r} was found")
        self.schedule_id = schedule_id
        self.run_id = run_id


class Conflict(ClockworkError):
    """A compare-and-set lost: somebody else changed the record first.

    Losing a claim race is normal operation for a worker: it drops the item.
    """

    def __init__(self, schedule_id: str, what: str) -> None:
        super().__init__(f"Schedule {schedule_id!r} changed under us ({what})")
        self.schedule_id = schedule_id
        self.what = what


class RecordUnreadable(ClockworkError):
    """A stored schedule or run that this clockwork cannot decode.

    It was damaged underneath the store, edited by hand, or written by a clockwork whose
    parser accepts what this one rejects. Listing calls leave such a record out and report
    it (``store.unreadable``); a call about that one record raises this error, which names
    the record and the problem in one line.
    """

    def __init__(self, schedule_id: str, reason: str, *, run_id: str | None = None) -> None:
        what = (
            f"schedule {schedule_id!r}" if run_id is None else f"run {run_id!r} of schedule {schedule_id!r}"
        )
        super().__init__(f"The stored {what} cannot be read: {reason}")
        self.schedule_id = schedule_id
        self.run_id = run_id
        self.reason = reason


class StoreUnavailable(ClockworkError):
    """The store could not be reached or refused for a reason that may pass (throttling, 5xx)."""


class UnknownPlugin(ClockworkError, LookupError):
    """No installed plugin provides the store scheme or launcher name asked for."""

    def __init__(
        self, kind: str, name: str, known: Iterable[str], *, broken: Mapping[str, str] | None = None
    ) -> None:
        known_list = ", ".join(sorted(known)) or "none"
        message = f"no {kind} named {name!r} is installed (installed: {known_list})"
        if broken:
            failures = "; ".join(f"{plugin}: {error}" for plugin, error in sorted(broken.items()))
            message += f"; plugins that failed to load: {failures}"
        super().__init__(message)
        self.kind = kind
        self.name = name


class LaunchError(ClockworkError):
    """A launch that did not start the task.

    ``transient`` failures (throttling, no capacity, a 5xx) are retried with backoff;
    permanent ones (no such task definition, access denied, invalid parameters) fail the
    run at once with the launcher's own reason.
    """

    transient: bool = False

    def __init__(self, reason: str, *, code: str = "error") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientLaunchError(LaunchError):
    transient = True


class PermanentLaunchError(LaunchError):
    transient = False
