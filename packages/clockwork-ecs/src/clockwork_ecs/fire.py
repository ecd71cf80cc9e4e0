"""What a fire adds to a RunTask request: its marks (``startedBy``, tags, ``clientToken``) and environment.

All three marks derive from the fire's key (:func:`clockwork_core.model.fire_key`: 32 hex
characters of a hash of schedule id, instant and trigger), so every worker and every
retry of one fire computes the same ones:

* ``clientToken = "clockwork-" + key`` (42 of the 64 characters ECS allows): ECS starts
  no second task for a token it has seen (for min(24 h, task lifetime + 1 h)).
* ``startedBy = "clockwork-" + key[:26]`` (36 characters, ECS's limit): ``ListTasks``
  can filter on it, so a retry finds the task it already started. A target's own
  ``started_by`` (the original's ``ecs-aws-clockwork``, so that users' ListTasks filters
  and EventBridge rules keep matching) replaces it; the key stays in the token and tags.
* tag ``clockwork:fire-key = key``: the whole key, which confirms what ``startedBy``
  (a 104-bit prefix) found; plus ``clockwork:schedule-id`` and ``clockwork:fire-time``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from clockwork_core.errors import InvalidValue
from clockwork_core.launcher import LaunchRequest

if TYPE_CHECKING:
    from clockwork_ecs.params import EcsTarget

PREFIX = "clockwork-"
#: Tag keys with this prefix are clockwork's own (a target's tags may not use it).
TAG_PREFIX = "clockwork:"
KEY_TAG = f"{TAG_PREFIX}fire-key"
STARTED_BY_LIMIT = 36
#: What ECS allows in ``startedBy``: up to 36 letters, digits, hyphens, slashes and underscores.
STARTED_BY = re.compile(r"^[A-Za-z0-9_/-]{1,36}$")


def client_token(key: str) -> str:
    return (PREFIX + key)[:64]


def started_by(key: str) -> str:
    return (PREFIX + key)[:STARTED_BY_LIMIT]


def check_started_by(field: str, value: object) -> str:
    """A ``startedBy`` of the user's, as ECS accepts it; InvalidValue naming ``field`` otherwise."""
    if not isinstance(value, str) or not STARTED_BY.fullmatch(value):
        raise InvalidValue(
            field, f"{value!r} is not 1-36 letters, digits, '-', '/' or '_' (ECS's rule for startedBy)"
        )
    return value


def fire_tags(request: LaunchRequest) -> list[dict[str, str]]:
    environment = request.environment
    return [
        {"key": KEY_TAG, "value": request.key},
        {"key": f"{TAG_PREFIX}schedule-id", "value": request.schedule_id[:256]},
        {"key": f"{TAG_PREFIX}fire-time", "value": environment["CLOCKWORK_FIRE_TIME"]},
    ]


def run_task_request(target: EcsTarget, request: LaunchRequest, containers: Sequence[str]) -> dict[str, Any]:
    """RunTask's arguments for this fire: the target's, the fire's marks, the environment.

    Every container of the task definition (``containers``) receives the fire's
    ``CLOCKWORK_*`` variables, merged over the user's overrides (ours win).
    """
    kwargs: dict[str, Any] = {
        **target.request,
        "cluster": target.cluster,
        "taskDefinition": target.task_definition,
        "startedBy": target.started_by or started_by(request.key),
        "clientToken": client_token(request.key),
        "tags": [*target.request.get("tags", ()), *fire_tags(request)],
        "overrides": with_environment(target.request.get("overrides", {}), containers, request.environment),
    }
    return kwargs


def with_environment(
    overrides: Mapping[str, Any], containers: Sequence[str], environment: Mapping[str, str]
) -> dict[str, Any]:
    by_name = {str(c["name"]): dict(c) for c in overrides.get("containerOverrides", ())}
    for name in containers:
        by_name.setdefault(name, {"name": name})
    for container in by_name.values():
        merged = {e["name"]: e["value"] for e in container.get("environment", ())}
        merged.update(environment)
        container["environment"] = [{"name": k, "value": v} for k, v in merged.items()]
    return {**overrides, "containerOverrides": list(by_name.values())}
