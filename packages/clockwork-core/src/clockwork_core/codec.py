"""Plain-data forms of the model, for stores and for ``--json`` output.

``*_to_data`` returns JSON-compatible dicts (times as ``2026-03-08T07:00:00Z`` text,
durations as seconds); ``*_from_data`` reverses them and validates through the model.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from clockwork_core import nesting
from clockwork_core.errors import InvalidValue
from clockwork_core.model import (
    Pending,
    Policies,
    RetryPolicy,
    Run,
    Schedule,
    ScheduleRecord,
    Target,
)
from clockwork_core.zones import isoformat_z

Data = dict[str, Any]


def time_to_text(value: datetime | None) -> str | None:
    return None if value is None else isoformat_z(value)


def time_from_text(value: str | None, field: str = "time") -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise InvalidValue(field, f"{value!r} is not an ISO-8601 time") from exc
    if parsed.tzinfo is None:
        raise InvalidValue(field, f"{value!r} has no time zone")
    return parsed.astimezone(UTC)


def _required_time(value: str, field: str) -> datetime:
    parsed = time_from_text(value, field)
    if parsed is None:
        raise InvalidValue(field, "is required")
    return parsed


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _duration(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def policies_to_data(policies: Policies) -> Data:
    retry = policies.retry
    return {
        "concurrency": policies.concurrency.value,
        "missed_fires": policies.missed_fires.value,
        "starting_deadline": _seconds(policies.starting_deadline),
        "max_catch_up": policies.max_catch_up,
        "jitter": policies.jitter.total_seconds(),
        "retry": {
            "attempts": retry.attempts,
            "backoff": retry.backoff.total_seconds(),
            "multiplier": retry.multiplier,
            "max_backoff": retry.max_backoff.total_seconds(),
        },
        "timeout": _seconds(policies.timeout),
    }


def policies_from_data(data: Mapping[str, Any]) -> Policies:
    retry = data.get("retry") or {}
    defaults = RetryPolicy()
    return Policies(
        concurrency=data.get("concurrency", "allow"),
        missed_fires=data.get("missed_fires", "latest"),
        starting_deadline=_duration(data.get("starting_deadline")),
        max_catch_up=data.get("max_catch_up", 100),
        jitter=timedelta(seconds=data.get("jitter", 0)),
        retry=RetryPolicy(
            attempts=retry.get("attempts", defaults.attempts),
            backoff=timedelta(seconds=retry.get("backoff", defaults.backoff.total_seconds())),
            multiplier=retry.get("multiplier", defaults.multiplier),
            max_backoff=timedelta(seconds=retry.get("max_backoff", defaults.max_backoff.total_seconds())),
        ),
        timeout=_duration(data.get("timeout")),
    )


def schedule_to_data(schedule: Schedule) -> Data:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "description": schedule.description,
        "expression": schedule.expression,
        "timezone": schedule.timezone,
        "enabled": schedule.enabled,
        "start": time_to_text(schedule.start),
        "end": time_to_text(schedule.end),
        "target": {"launcher": schedule.target.launcher, "params": dict(schedule.target.params)},
        "policies": policies_to_data(schedule.policies),
        "tags": dict(schedule.tags),
        "origin": dict(schedule.origin),
    }


def schedule_from_data(data: Mapping[str, Any]) -> Schedule:
    target = data["target"]
    return Schedule(
        id=data["id"],
        name=data.get("name", ""),
        description=data.get("description", ""),
        expression=data["expression"],
        timezone=data.get("timezone", "UTC"),
        enabled=data.get("enabled", True),
        start=time_from_text(data.get("start"), "start"),
        end=time_from_text(data.get("end"), "end"),
        target=Target(launcher=target["launcher"], params=target.get("params") or {}),
        policies=policies_from_data(data.get("policies") or {}),
        tags=data.get("tags") or {},
        origin=data.get("origin") or {},
    )


@functools.lru_cache(maxsize=16384)
def schedule_from_json(text: str) -> Schedule:
    """:func:`schedule_from_data` of a JSON text, remembered: stores read the same
    definitions over and over, and validating one costs more than reading it.
    A text that nests too deep or is not JSON is an InvalidValue of ``definition``."""
    return schedule_from_data(nesting.loads(text, "definition"))


def pending_to_data(pending: Pending | None) -> Data | None:
    if pending is None:
        return None
    return {
        "instant": isoformat_z(pending.instant),
        "attempt": pending.attempt,
        "trigger": pending.trigger.value,
    }


def pending_from_data(data: Mapping[str, Any] | None) -> Pending | None:
    if data is None:
        return None
    return Pending(
        instant=_required_time(data["instant"], "pending.instant"),
        attempt=data["attempt"],
        trigger=data.get("trigger", "schedule"),
    )


def record_to_data(record: ScheduleRecord) -> Data:
    return {
        "schedule": schedule_to_data(record.schedule),
        "version": record.version,
        "due_at": time_to_text(record.due_at),
        "cursor": time_to_text(record.cursor),
        "lease_owner": record.lease_owner,
        "pending": pending_to_data(record.pending),
        "manual": [isoformat_z(t) for t in record.manual],
        "updated_at": time_to_text(record.updated_at),
    }


def record_from_data(data: Mapping[str, Any]) -> ScheduleRecord:
    return ScheduleRecord(
        schedule=schedule_from_data(data["schedule"]),
        version=data["version"],
        due_at=time_from_text(data.get("due_at"), "due_at"),
        cursor=time_from_text(data.get("cursor"), "cursor"),
        lease_owner=data.get("lease_owner"),
        pending=pending_from_data(data.get("pending")),
        manual=tuple(_required_time(t, "manual") for t in data.get("manual") or ()),
        updated_at=time_from_text(data.get("updated_at"), "updated_at"),
    )


def run_to_data(run: Run) -> Data:
    return {
        "schedule_id": run.schedule_id,
        "run_id": run.run_id,
        "instant": isoformat_z(run.instant),
        "status": run.status.value,
        "trigger": run.trigger.value,
        "launcher": run.launcher,
        "attempts": run.attempts,
        "launched_at": time_to_text(run.launched_at),
        "finished_at": time_to_text(run.finished_at),
        "lateness": _seconds(run.lateness),
        "handles": list(run.handles),
        "exit_codes": dict(run.exit_codes),
        "stop_reason": run.stop_reason,
        "error": run.error,
        "output": run.output,
        "updated_at": time_to_text(run.updated_at),
        "fence": run.fence,
    }


def run_from_data(data: Mapping[str, Any]) -> Run:
    return Run(
        schedule_id=data["schedule_id"],
        instant=_required_time(data["instant"], "instant"),
        status=data["status"],
        trigger=data.get("trigger", "schedule"),
        launcher=data.get("launcher", ""),
        attempts=data.get("attempts", 0),
        launched_at=time_from_text(data.get("launched_at"), "launched_at"),
        finished_at=time_from_text(data.get("finished_at"), "finished_at"),
        handles=tuple(data.get("handles") or ()),
        exit_codes=data.get("exit_codes") or {},
        stop_reason=data.get("stop_reason"),
        error=data.get("error"),
        output=data.get("output"),
        updated_at=time_from_text(data.get("updated_at"), "updated_at"),
        fence=data.get("fence"),
    )
