"""Create, Update and Delete of a schedule resource, each safe to replay.

CloudFormation (through Lambda's retries of an asynchronous invocation) may deliver the
same request more than once, so each operation ends in the same state however often it
runs:

* Create derives the schedule id from the stack, the logical id and the request id, so a
  replay finds the schedule it already wrote and makes it match.
* Update writes the new definition only if it differs (through
  :mod:`clockwork_core.schedules`, as every writer does). Changing the table or the region
  replaces the resource: a new schedule (a new physical id) in the new place;
  CloudFormation then deletes the old one with a Delete carrying the old properties.
* Delete removes the schedule if it is there and was declared by this resource. A
  resource whose Create failed has nothing to delete: its Delete succeeds.

Nothing is written before the properties have been checked in full.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from clockwork_core.errors import InvalidValue, ScheduleNotFound
from clockwork_core.model import SCHEDULE_ID, Schedule, ScheduleRecord
from clockwork_core.planner import next_instant
from clockwork_core.schedules import write_schedule
from clockwork_core.store import Store
from clockwork_core.zones import isoformat_z

from clockwork_cfn_resource.properties import Declaration, InvalidProperties, parse

log = logging.getLogger(__name__)

#: An endpoint for DynamoDB other than AWS's (an emulator, a VPC endpoint).
ENDPOINT_VARIABLE = "CLOCKWORK_DYNAMODB_ENDPOINT_URL"
ORIGIN_KIND = "cloudformation"


class NotOurs(InvalidValue):
    """The schedule by this id was declared by another resource (or not by CloudFormation)."""

    def __init__(self, schedule_id: str, origin: Mapping[str, str]) -> None:
        declared = (
            f"resource {origin.get('logical_id')!r} of stack {origin.get('stack')!r}"
            if origin.get("kind") == ORIGIN_KIND
            else "something other than CloudFormation"
        )
        super().__init__(
            "PhysicalResourceId", f"schedule {schedule_id!r} exists and was declared by {declared}"
        )


@attrs.frozen
class Outcome:
    """What an operation did: the physical id to answer with, and the attributes."""

    physical_id: str
    data: Mapping[str, str] = attrs.field(factory=dict)
    reason: str = ""


#: Opens the store for (table, region); the handler passes one that fits its time budget.
OpenStore = Callable[[str, str | None], Store]
#: Called before each write: raises if the handler has given up waiting (time is out).
Guard = Callable[[], None]


def schedule_id(event: Mapping[str, Any]) -> str:
    """A new physical id: readable (``cfn-<stack>-<logical id>-<hash>``), the same for a
    replay of the same request, different for each Create or replacing Update."""
    stack_id = str(event.get("StackId", ""))
    logical = str(event.get("LogicalResourceId", ""))
    digest = hashlib.sha256(f"{stack_id}\n{logical}\n{event.get('RequestId', '')}".encode()).hexdigest()
    stack = stack_id.split("/")[1] if stack_id.count("/") >= 2 else "stack"
    return f"cfn-{_clean(stack)[:100]}-{_clean(logical)[:120]}-{digest[:12]}"


def _clean(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def origin_of(event: Mapping[str, Any]) -> dict[str, str]:
    return {
        "kind": ORIGIN_KIND,
        "stack": str(event.get("StackId", "")),
        "logical_id": str(event.get("LogicalResourceId", "")),
    }


def declare(event: Mapping[str, Any], properties: object, physical_id: str) -> Declaration:
    return parse(
        properties,
        schedule_id=physical_id,
        default_name=str(event.get("LogicalResourceId", "")),
        origin=origin_of(event),
    )


def attributes(schedule: Schedule, now: datetime) -> dict[str, str]:
    """``Fn::GetAtt`` values: ``ScheduleId``, and ``NextFireTime`` (empty when none is due)."""
    upcoming = next_instant(schedule, now) if schedule.enabled else None
    return {"ScheduleId": schedule.id, "NextFireTime": isoformat_z(upcoming) if upcoming else ""}


def _now() -> datetime:
    current = datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


# --- the three requests -----------------------------------------------------------------------


def create(event: Mapping[str, Any], open_store: OpenStore, guard: Guard) -> Outcome:
    physical_id = schedule_id(event)
    declaration = declare(event, event.get("ResourceProperties"), physical_id)
    return _put(event, declaration, open_store, guard)


def update(event: Mapping[str, Any], open_store: OpenStore, guard: Guard) -> Outcome:
    old_id = str(event.get("PhysicalResourceId", ""))
    new = event.get("ResourceProperties")
    old = event.get("OldResourceProperties")
    if _place(new) != _place(old) or not SCHEDULE_ID.fullmatch(old_id):
        # Another table or region: a new resource; CloudFormation deletes the old one.
        return create(event, open_store, guard)
    return _put(event, declare(event, new, old_id), open_store, guard)


def delete(event: Mapping[str, Any], open_store: OpenStore, guard: Guard) -> Outcome:
    physical_id = str(event.get("PhysicalResourceId", ""))
    properties = event.get("ResourceProperties")
    if not SCHEDULE_ID.fullmatch(physical_id):
        return Outcome(physical_id, reason="nothing to delete: the physical id is not a schedule id")
    try:
        declaration = declare(event, properties, physical_id)
    except InvalidProperties:
        # Properties that never passed the checks never wrote anything.
        return Outcome(physical_id, reason="nothing to delete: the properties were never valid")
    try:
        store = open_store(declaration.table, declaration.region)
    except InvalidValue as exc:  # no such table (any more), or not a clockwork table
        return Outcome(physical_id, reason=f"nothing to delete: {exc}")
    try:
        try:
            stored = store.get(physical_id)
        except ScheduleNotFound:
            return Outcome(physical_id, reason="already deleted")
        _check_ours(stored, event)
        guard()
        store.delete(physical_id)
        log.info(
            "deleted schedule %s",
            physical_id,
            extra={"action": "cfn_schedule_deleted", "schedule": physical_id},
        )
        return Outcome(physical_id)
    finally:
        store.close()


def _place(properties: object) -> tuple[object, object]:
    """The table and region a resource's properties name (what, changed, replaces it)."""
    if not isinstance(properties, Mapping):
        return (None, None)
    region = properties.get("Region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return (properties.get("SchedulerDynamoDBTable"), region)


def _check_ours(stored: ScheduleRecord, event: Mapping[str, Any]) -> None:
    origin = stored.schedule.origin
    mine = origin_of(event)
    if origin.get("kind") != ORIGIN_KIND or origin.get("stack") != mine["stack"]:
        raise NotOurs(stored.id, origin)
    # The same stack may move a schedule to another logical id (a renamed resource), so
    # the logical id is not compared.


def _put(event: Mapping[str, Any], declaration: Declaration, open_store: OpenStore, guard: Guard) -> Outcome:
    """Make the store hold ``declaration``'s schedule: create it, or change it if it differs."""
    schedule = declaration.schedule

    def declared(stored: ScheduleRecord | None) -> Schedule:
        if stored is not None:
            _check_ours(stored, event)
        guard()
        return schedule

    store = open_store(declaration.table, declaration.region)
    try:
        now = _now()
        written = write_schedule(store, schedule.id, declared, now=now)
        log.info(
            "schedule %s %s, version %d",
            schedule.id,
            written.change.value,
            written.record.version,
            extra={
                "action": "cfn_schedule_written",
                "schedule": schedule.id,
                "change": written.change.value,
                "version": written.record.version,
            },
        )
        return Outcome(schedule.id, attributes(schedule, now))
    finally:
        store.close()


OPERATIONS: dict[str, Callable[[Mapping[str, Any], OpenStore, Guard], Outcome]] = {
    "Create": create,
    "Update": update,
    "Delete": delete,
}


def endpoint_url() -> str | None:
    return os.environ.get(ENDPOINT_VARIABLE) or None
