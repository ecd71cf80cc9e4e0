"""Taking over from the original aws-ecs-clockwork's workers: no instant doubled, none lost.

While the original's workers still run, they fire every instant of every schedule with
``RunTask(taskDefinition, cluster, count=1, startedBy="ecs-aws-clockwork")`` and nothing
else (no tags, no token), and nobody can stop them at an exact instant. A schedule whose
target has ``handover = {"until": ..., "grace_seconds": 5, "started_by": ...}`` therefore
fires each instant before ``until`` like this:

1. wait until instant + grace (the original fires at the instant; its task is listed by then);
2. list the task definition's family in the cluster, RUNNING and STOPPED, every page,
   and describe the tasks with their tags. A task tagged with this fire's key is this
   fire's (a retry, or a worker recovering a dead one's claim): that is the launch;
3. else the original's tasks that may be this fire's: ``startedBy`` is the handover's,
   the same task definition (family and revision; a family-only target matches any
   revision), ``createdAt`` within [instant - 1 s, instant + grace], no fire-key tag yet;
   nearest the instant first, ties in an order of the fire's own;
4. claim the first: check it is still untagged, tag it with the fire's key (and
   ``clockwork:adopted-from``, so its record shows that the original started it), wait
   :data:`SETTLE`, read the tag back. Still ours: the task is the launch's result and is
   tracked like any other. Overwritten (another schedule of the same task definition
   claimed it at the same moment): the next candidate;
5. no candidate left: launch as usual (RunTask, the fire's marks), at instant + grace.

Fires at or after ``until``, and manual triggers (the original knows none), launch on
time with no lookup.

What remains possible, and why it is small:

* The original starts its task later than instant + grace (a worker that lagged that
  long): clockwork launches too, and the instant runs twice. A grace of a few seconds
  covers the original's own lateness (it fires from a timer, within milliseconds).
* Two schedules share a task definition and fire at the same instant: both see the
  same tasks of the original. ECS has no conditional tag, so a claim is a tag read back
  after :data:`SETTLE`, and candidates are tried in an order of each fire's own, so two
  fires mostly start with different tasks. Both keep one task only if one's
  check-and-tag took longer than the settle time while the other tagged and read back
  in between (ECS calls slower than half a second). Then both runs track that task and
  the original's other one is tracked by none: nothing doubled or lost, unless the
  original had started only one of the two (then one schedule's instant is lost).
* A grace longer than the time between two instants of a schedule lets an instant whose
  own task the original never started take the next instant's: keep the grace below the
  schedule's interval (the original's schedules run at most every minute, usually).

The wait happens inside the fire's claim, after the worker checked its lease: the lease
ends at least ``--lease`` after the instant, so a grace of at most ``lease - margin``
minus the lookups keeps the launch inside it. With the worker's defaults (a 30 s lease,
a margin of a third) that is 20 s; :data:`MAX_GRACE` is 10, and a shorter ``--lease``
must stay at least 1.5 x (grace + 5) s.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs
from botocore.exceptions import BotoCoreError, ClientError
from clockwork_core.errors import InvalidValue
from clockwork_core.launcher import LaunchRequest
from clockwork_core.model import Trigger

from clockwork_ecs import tasks
from clockwork_ecs.errors import exception_error
from clockwork_ecs.fire import KEY_TAG, TAG_PREFIX, check_started_by, fire_tags

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient
    from mypy_boto3_ecs.type_defs import TagTypeDef

    from clockwork_ecs.params import EcsTarget

log = logging.getLogger(__name__)

#: The ``startedBy`` of every task the original aws-ecs-clockwork's workers start.
ORIGINAL_STARTED_BY = "ecs-aws-clockwork"
KEYS = ("until", "grace_seconds", "started_by")
DEFAULT_GRACE = 5
#: See the module's documentation: the wait must fit in the claim's lease.
MAX_GRACE = 10
#: How much earlier than the instant the original's task may have been created (clocks).
EARLY = timedelta(seconds=1)
#: How long a claim's tag is left before it is read back (see the module's documentation).
SETTLE = 0.5
ADOPTED_TAG = f"{TAG_PREFIX}adopted-from"
_EXAMPLE = "2026-12-08T10:00:00Z"


@attrs.frozen
class Handover:
    """Fires before ``until`` may have been started by the original's workers: take theirs over."""

    until: datetime
    grace: timedelta = timedelta(seconds=DEFAULT_GRACE)
    started_by: str = ORIGINAL_STARTED_BY

    def covers(self, instant: datetime, trigger: Trigger) -> bool:
        """Whether the original's workers fired this too (they know no manual triggers)."""
        return trigger is Trigger.SCHEDULE and instant < self.until


def parse_handover(field: str, value: object) -> Handover:
    """``{"until": ISO 8601 UTC, "grace_seconds": 1-10, "started_by": text}``; InvalidValue naming the key."""
    if not isinstance(value, Mapping):
        raise InvalidValue(
            field, f'expected a mapping such as {{"until": "{_EXAMPLE}"}}, got {type(value).__name__}'
        )
    for key in value:
        if key not in KEYS:
            raise InvalidValue(f"{field}.{key}", f"unknown key (known here: {', '.join(KEYS)})")
    if "until" not in value:
        raise InvalidValue(f"{field}.until", "is required")
    until = _utc_instant(f"{field}.until", value["until"])
    grace = value.get("grace_seconds", DEFAULT_GRACE)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 1 <= grace <= MAX_GRACE:
        raise InvalidValue(
            f"{field}.grace_seconds",
            f"{grace!r} is not a whole number of seconds from 1 to {MAX_GRACE}: a fire waits this long "
            f"inside its claim, so the worker's --lease must be at least 1.5 x (grace_seconds + 5) s "
            f"(the default 30 s allows {MAX_GRACE})",
        )
    started_by = check_started_by(f"{field}.started_by", value.get("started_by", ORIGINAL_STARTED_BY))
    return Handover(until, timedelta(seconds=grace), started_by)


def _utc_instant(field: str, value: object) -> datetime:
    parsed = None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or parsed.utcoffset() != timedelta(0):
        raise InvalidValue(field, f"{value!r} is not an ISO 8601 UTC instant such as {_EXAMPLE}")
    return parsed.astimezone(UTC)


def definition_parts(text: str) -> tuple[str, int | None]:
    """A task definition's family and revision (None for a family name), from a name or an ARN."""
    family, _, revision = text.rpartition("/")[2].partition(":")
    return family, int(revision) if revision.isdigit() else None


# --- the lookup and the claim ------------------------------------------------------------


def take_over(
    client: ECSClient,
    target: EcsTarget,
    request: LaunchRequest,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> list[str]:
    """The fire's task: its own (a retry), else the original's, claimed; [] when it must launch."""
    handover = target.handover
    assert handover is not None
    assert handover.covers(request.instant, request.trigger)
    wait = (request.instant + handover.grace - now()).total_seconds()
    if wait > 0:
        sleep(wait)
    arns = tasks.list_arns(client, target.cluster, family=target.family)
    seen = tasks.describe(client, target.cluster, arns, tags=True) if arns else {}
    own = [arn for arn, task in seen.items() if tasks.tag(task, KEY_TAG) == request.key]
    if own:
        return own
    for arn in candidates(seen, target, request):
        if _claim(client, target, request, arn, sleep):
            log.info(
                "%s at %s: took over %s, which the original's worker started",
                request.schedule_id,
                request.environment["CLOCKWORK_FIRE_TIME"],
                arn,
                extra={"action": "ecs_taken_over", "schedule": request.schedule_id},
            )
            return [arn]
    return []


def candidates(seen: Mapping[str, tasks.Task], target: EcsTarget, request: LaunchRequest) -> list[str]:
    """The original's tasks among ``seen`` that may be this fire's, the likeliest first."""
    handover = target.handover
    assert handover is not None
    low, high = request.instant - EARLY, request.instant + handover.grace
    ranked = []
    for arn, task in seen.items():
        created = task.get("createdAt")
        if (
            task.get("startedBy") == handover.started_by
            and tasks.tag(task, KEY_TAG) is None
            and _same_definition(str(task.get("taskDefinitionArn", "")), target)
            and isinstance(created, datetime)
            and low <= created <= high
        ):
            away = int(abs((created - request.instant).total_seconds()))
            ranked.append((away, hashlib.sha256(f"{request.key}\n{arn}".encode()).hexdigest(), arn))
    return [arn for _, _, arn in sorted(ranked)]


def _same_definition(arn: str, target: EcsTarget) -> bool:
    family, revision = definition_parts(arn)
    return family == target.family and target.revision in (None, revision)


def _claim(
    client: ECSClient, target: EcsTarget, request: LaunchRequest, arn: str, sleep: Callable[[float], None]
) -> bool:
    """Tag the original's task with the fire's key; True if the tag is still ours once settled."""
    assert target.handover is not None
    task = tasks.describe(client, target.cluster, [arn], tags=True).get(arn)
    if task is None or tasks.tag(task, KEY_TAG) is not None:
        return False  # gone, or another fire claimed it since the listing
    pairs = [*fire_tags(request), {"key": ADOPTED_TAG, "value": target.handover.started_by}]
    marks: list[TagTypeDef] = [{"key": pair["key"], "value": pair["value"]} for pair in pairs]
    try:
        client.tag_resource(resourceArn=arn, tags=marks)
    except (ClientError, BotoCoreError) as exc:
        raise exception_error(exc, "TagResource") from exc
    sleep(SETTLE)
    task = tasks.describe(client, target.cluster, [arn], tags=True).get(arn)
    return task is not None and tasks.tag(task, KEY_TAG) == request.key
