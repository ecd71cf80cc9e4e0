"""Items: schedules and runs as DynamoDB attribute values, and back.

Definitions, pending fires and runs are JSON text in the forms of
:mod:`clockwork_core.codec`; the attributes that queries and conditions use (versions,
times, shards, the lease) are attributes of their own. Times are epoch milliseconds.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from clockwork_core import codec
from clockwork_core.model import Pending, Run, Schedule, ScheduleRecord
from clockwork_core.store import shard_of
from clockwork_core.stores.memory import definition_json
from clockwork_core.unreadable import DECODING_ERRORS, Unreadable, readable
from clockwork_core.zones import from_ms, to_ms

from clockwork_dynamodb.schema import (
    ENTITY,
    PK,
    RUN_PREFIX,
    SCHEDULE_ENTITY,
    SK,
    TTL_ATTRIBUTE,
    run_key,
    schedule_key,
)

Item = dict[str, Any]


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def s(text: str) -> dict[str, str]:
    return {"S": text}


def ms(value: datetime) -> dict[str, str]:
    return n(to_ms(value))


def number(item: Mapping[str, Any], name: str) -> int | None:
    value = item.get(name)
    return None if value is None else int(value["N"])


def text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value["S"])


def time(item: Mapping[str, Any], name: str) -> datetime | None:
    value = number(item, name)
    return None if value is None else from_ms(value)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def pending_text(pending: Pending | None) -> str | None:
    return None if pending is None else _json(codec.pending_to_data(pending))


# --- schedules --------------------------------------------------------------------------


def new_schedule_item(
    schedule: Schedule,
    *,
    shards: int,
    due_at: datetime | None,
    cursor: datetime | None,
    now: datetime,
    token: str,
) -> Item:
    """A new schedule's item: version 1, no lease, no pending fire, no manual triggers."""
    item: Item = {
        **schedule_key(schedule.id),
        ENTITY: s(SCHEDULE_ENTITY),
        "definition": s(definition_json(schedule)),
        "version": n(1),
        "manual": {"L": []},
        "updated_at": ms(now),
        "write_token": s(token),
    }
    if due_at is not None:
        item.update(due_at=ms(due_at), due_shard=n(shard_of(schedule.id, shards)))
    if cursor is not None:
        item["cursor"] = ms(cursor)
    return item


def record_from_item(item: Mapping[str, Any]) -> ScheduleRecord:
    pending = text(item, "pending")
    return ScheduleRecord(
        schedule=codec.schedule_from_json(item["definition"]["S"]),
        version=int(item["version"]["N"]),
        due_at=time(item, "due_at"),
        cursor=time(item, "cursor"),
        lease_owner=text(item, "lease_owner"),
        pending=codec.pending_from_data(None if pending is None else json.loads(pending)),
        manual=tuple(from_ms(int(value["N"])) for value in item.get("manual", {}).get("L", ())),
        updated_at=time(item, "updated_at"),
    )


def schedule_id_of(item: Mapping[str, Any]) -> str:
    """The id of the schedule an item (the schedule's or one of its runs') belongs to."""
    return str(item[PK]["S"]).removeprefix("S#")


def record_of(unreadable: Unreadable, item: Mapping[str, Any]) -> ScheduleRecord:
    """The record of ``item``; RecordUnreadable (kept in ``unreadable``) if it cannot be decoded."""
    version = None
    with contextlib.suppress(*DECODING_ERRORS):
        version = number(item, "version")
    return unreadable.decoded(lambda: record_from_item(item), schedule_id_of(item), version=version)


def readable_records(unreadable: Unreadable, found: Iterable[Mapping[str, Any]]) -> list[ScheduleRecord]:
    """The records of the items that decode; the others are reported in ``unreadable``."""
    return readable(lambda item: record_of(unreadable, item), found)


def manual_list(item: Mapping[str, Any]) -> list[int]:
    return [int(value["N"]) for value in item.get("manual", {}).get("L", ())]


# --- runs -------------------------------------------------------------------------------


def run_item(run: Run, *, shards: int, retention: timedelta) -> Item:
    """A run's item; an active run carries the keys of the ``active`` index."""
    updated_ms = None if run.updated_at is None else to_ms(run.updated_at)
    newest = max(run.instant, run.updated_at or run.instant)
    item: Item = {
        **run_key(run.schedule_id, run.run_id),
        "data": s(_json(codec.run_to_data(run))),
        "status": s(run.status.value),
        "instant": ms(run.instant),
        TTL_ATTRIBUTE: n(int((newest + retention).timestamp())),
    }
    if updated_ms is not None:
        item["updated_at"] = n(updated_ms)
    if run.fence is not None:
        item["fence"] = n(run.fence)
    if run.status.is_active:
        # A run never updated counts as the oldest: it sorts first.
        item.update(active_shard=n(shard_of(run.schedule_id, shards)), active_at=n(updated_ms or 0))
    return item


def run_from_item(item: Mapping[str, Any]) -> Run:
    return codec.run_from_data(json.loads(item["data"]["S"]))


def run_of(unreadable: Unreadable, item: Mapping[str, Any]) -> Run:
    """The run of ``item``; RecordUnreadable (kept in ``unreadable``) if it cannot be decoded."""
    run_id = str(item[SK]["S"]).removeprefix(RUN_PREFIX)
    return unreadable.decoded(lambda: run_from_item(item), schedule_id_of(item), run_id=run_id)


def readable_runs(unreadable: Unreadable, found: Iterable[Mapping[str, Any]]) -> list[Run]:
    return readable(lambda item: run_of(unreadable, item), found)


def run_order(item: Mapping[str, Any]) -> tuple[int, str, str]:
    """How active runs sort: oldest update first, then schedule and run."""
    return (number(item, "active_at") or 0, item[PK]["S"], item[SK]["S"])
