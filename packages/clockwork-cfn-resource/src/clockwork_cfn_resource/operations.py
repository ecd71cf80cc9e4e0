"""Create, Update and Delete of a schedule resource, each safe to replay.

CloudFormation (through Lambda's retries of an asynchronous invocation) may deliver the
same request more than once, so each operation ends in the same state however often it
runs:

* Create derives the schedule id from the stack, the logical id and the request id, so a
  replay finds the schedule it already wrote and makes it match.
* Update writes the new definition only if it differs (through
  :mod:`clockwork_core.schedules`, as every writer does). Changing the table or the region
  to another store replaces the resource: a new schedule (a new physical id) in the new
  place; CloudFormation then deletes the old one with a Delete carrying the old
  properties. Naming another table that resolves to the same store (an original table
  and the clockwork table its schedules were migrated into: :mod:`.places`) is an
  Update in place, with the same physical id, so nothing is created twice.
* Delete removes the schedule if it is there and was declared by this resource. It needs
  only where the schedule is and its id: properties clockwork would refuse do not stop
  it. A resource whose Create failed has nothing to delete: its Delete succeeds.

Who may change a schedule is :mod:`.adoption`'s; how the properties are read (strict, or
compatible with the original aws-ecs-clockwork) is :mod:`.compat`'s. Nothing is written
before the properties have been checked in full.
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

from clockwork_cfn_resource import adoption, compat
from clockwork_cfn_resource.places import Place, place_of, raw_place
from clockwork_cfn_resource.properties import InvalidProperties

log = logging.getLogger(__name__)

#: An endpoint for DynamoDB other than AWS's (an emulator, a VPC endpoint).
ENDPOINT_VARIABLE = "CLOCKWORK_DYNAMODB_ENDPOINT_URL"


@attrs.frozen
class Outcome:
    """What an operation did: the physical id to answer with, the attributes, and the reason
    (on success: what compatibility kept, one line each)."""

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


def attributes(schedule: Schedule, now: datetime) -> dict[str, str]:
    """``Fn::GetAtt`` values: ``ScheduleId``, and ``NextFireTime`` (empty when none is due)."""
    upcoming = next_instant(schedule, now) if schedule.enabled else None
    return {"ScheduleId": schedule.id, "NextFireTime": isoformat_z(upcoming) if upcoming else ""}


def _now() -> datetime:
    current = datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


# --- the three requests -----------------------------------------------------------------------


def create(event: Mapping[str, Any], open_store: OpenStore, guard: Guard) -> Outcome:
    place = place_of(event.get("ResourceProperties"))
    return _put(_Request(event, schedule_id(event), place), open_store, guard)


def update(event: Mapping[str, Any], open_store: OpenStore, guard: Guard) -> Outcome:
    old_id = str(event.get("PhysicalResourceId", ""))
    place = place_of(event.get("ResourceProperties"))
    old_place = raw_place(event.get("OldResourceProperties"))
    if old_place is None or old_place.store != place.store or not SCHEDULE_ID.fullmatch(old_id):
        # Another store: a new resource; CloudFormation deletes the old one.
        return create(event, open_store, guard)
    return _put(_Request(event, old_id, place, old_place), open_store, guard)


def delete(event: Mapping[str, Any], open_store: OpenStore, guard: Guard) -> Outcome:
    """Deletes by place and id alone: the rest of the properties is not judged."""
    physical_id = str(event.get("PhysicalResourceId", ""))
    if not SCHEDULE_ID.fullmatch(physical_id):
        return Outcome(physical_id, reason="nothing to delete: the physical id is not a schedule id")
    try:
        place = place_of(event.get("ResourceProperties"))
    except InvalidProperties as exc:
        # No schedule was ever written for a resource without a place.
        return Outcome(physical_id, reason=f"nothing to delete: {exc}")
    try:
        store = open_store(place.table, place.region)
    except InvalidValue as exc:  # no such table (any more), or not a clockwork table
        return Outcome(physical_id, reason=f"nothing to delete: {exc}")
    try:
        try:
            stored = store.get(physical_id)
        except ScheduleNotFound:
            return Outcome(
                physical_id, reason=f"nothing to delete: no schedule {physical_id!r} in {place.describe()}"
            )
        adoption.check_owner(stored, event, [place])
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


@attrs.frozen
class _Request:
    """A Create or an Update: the schedule's id, its place, and (Update) the old place."""

    event: Mapping[str, Any]
    schedule_id: str
    place: Place
    old_place: Place | None = None
    now: datetime = attrs.field(factory=_now)

    @property
    def places(self) -> list[Place]:
        return [self.place] if self.old_place is None else [self.place, self.old_place]

    def declare(self, stored: ScheduleRecord | None) -> compat.Compatible:
        """What the resource declares over ``stored``, if the resource owns ``stored``."""
        properties = self.event.get("ResourceProperties")
        is_update = self.old_place is not None
        if stored is not None:
            declared = [properties, self.event.get("OldResourceProperties")] if is_update else [properties]
            adoption.check_owner(stored, self.event, self.places, declared)
        origin = adoption.origin_for(self.event, stored, self.place, self.schedule_id, update=is_update)
        made = compat.declare(
            properties,
            schedule_id=self.schedule_id,
            default_name=str(self.event.get("LogicalResourceId", "")),
            origin=origin,
            now=self.now,
        )
        if (
            stored is None
            or not adoption.is_original(stored.schedule.origin)
            or not isinstance(properties, Mapping)
        ):
            return made
        schedule = adoption.keep_migrated(stored.schedule, made.declaration.schedule, properties)
        return attrs.evolve(made, declaration=attrs.evolve(made.declaration, schedule=schedule))


def _put(request: _Request, open_store: OpenStore, guard: Guard) -> Outcome:
    """Make the store hold what the resource declares: create it, or change it if it differs."""
    kept: list[compat.Kept] = []

    def define(stored: ScheduleRecord | None) -> Schedule:
        made = request.declare(stored)
        kept[:] = made.kept
        guard()
        return made.declaration.schedule

    if request.old_place is None:
        request.declare(None)  # a new resource's properties are checked before the store is reached
    store = open_store(request.place.table, request.place.region)
    try:
        written = write_schedule(store, request.schedule_id, define, now=request.now)
    finally:
        store.close()
    schedule = written.record.schedule
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
    for item in kept:
        log.warning(
            "schedule %s: %s",
            schedule.id,
            item,
            extra={"action": "cfn_compatibility_kept", "schedule": schedule.id, "property": item.property},
        )
    return Outcome(schedule.id, attributes(schedule, request.now), "\n".join(str(item) for item in kept))


OPERATIONS: dict[str, Callable[[Mapping[str, Any], OpenStore, Guard], Outcome]] = {
    "Create": create,
    "Update": update,
    "Delete": delete,
}


def endpoint_url() -> str | None:
    return os.environ.get(ENDPOINT_VARIABLE) or None
