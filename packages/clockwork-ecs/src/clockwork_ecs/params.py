"""A schedule's ``ecs`` target parameters: checked once, turned into a ``RunTask`` request.

The structured parameters keep the ECS API's own shape, camelCase inside
(``network_configuration = {"awsvpcConfiguration": {"subnets": [...], ...}}``), so that
what a user reads in the ECS API reference is what they write. Top-level names are
snake_case. ``validate`` touches nothing remote; what only ECS can judge (does the
cluster exist?) fails the launch permanently, with ECS's own reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs
from clockwork_core.errors import InvalidValue

from clockwork_ecs.bucket import EC2, FARGATE
from clockwork_ecs.fire import TAG_PREFIX, check_started_by
from clockwork_ecs.handover import Handover, definition_parts, parse_handover

F = "target.params"
KNOWN = (
    "cluster",
    "task_definition",
    "count",
    "launch_type",
    "capacity_provider_strategy",
    "network_configuration",
    "platform_version",
    "placement_constraints",
    "placement_strategy",
    "overrides",
    "tags",
    "propagate_tags",
    "enable_execute_command",
    "group",
    "region",
    "endpoint_url",
    "started_by",
    "handover",
)
LAUNCH_TYPES = ("EC2", "FARGATE", "EXTERNAL")
PROPAGATE = ("TASK_DEFINITION", "SERVICE", "NONE")
#: ECS allows 50 tags a task; clockwork adds its own three.
MAX_USER_TAGS = 47
TASK_DEFINITION = re.compile(
    r"^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/)?[A-Za-z0-9_-]{1,255}(:\d+)?$"
)
CLUSTER = re.compile(r"^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/)?[A-Za-z0-9_-]{1,255}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@attrs.frozen
class EcsTarget:
    """Checked parameters: ``request`` holds RunTask's arguments other than the fire's own."""

    cluster: str
    task_definition: str
    request: Mapping[str, Any]
    region: str | None
    endpoint_url: str | None
    #: Every task's ``startedBy``; None: the fire's own (``clockwork-`` + its key).
    started_by: str | None = None
    handover: Handover | None = None

    @property
    def family(self) -> str:
        """The task definition's family, whichever way the target names it."""
        return definition_parts(self.task_definition)[0]

    @property
    def revision(self) -> int | None:
        """The task definition's revision; None for a family name (its latest ACTIVE one)."""
        return definition_parts(self.task_definition)[1]

    @property
    def kind(self) -> str:
        """Which of ECS's RunTask quotas this launch counts against (Fargate's when unsure)."""
        if "launchType" in self.request:
            return FARGATE if self.request["launchType"] == "FARGATE" else EC2
        strategy = self.request.get("capacityProviderStrategy")
        if strategy:
            fargate = all(str(item["capacityProvider"]).startswith("FARGATE") for item in strategy)
            return FARGATE if fargate else EC2
        return FARGATE


def parse_params(params: Mapping[str, Any]) -> EcsTarget:
    """Check ``params``; raise :class:`InvalidValue` naming ``target.params.<name>``."""
    if not isinstance(params, Mapping):
        raise InvalidValue(F, f"expected a mapping, got {type(params).__name__}")
    unknown = sorted(str(name) for name in params if name not in KNOWN)
    if unknown:
        raise InvalidValue(
            f"{F}.{unknown[0]}", f"unknown parameter (the ecs launcher knows {', '.join(KNOWN)})"
        )
    cluster = _text(params, "cluster", required=True)
    if not CLUSTER.fullmatch(cluster):
        raise InvalidValue(f"{F}.cluster", f"{cluster!r} is not a cluster name or ARN")
    task_definition = _text(params, "task_definition", required=True)
    if not TASK_DEFINITION.fullmatch(task_definition):
        raise InvalidValue(
            f"{F}.task_definition",
            f"{task_definition!r} is not a family name (the latest ACTIVE revision), family:revision or ARN",
        )
    request: dict[str, Any] = {"count": _count(params.get("count", 1))}
    for name, key, check in _OPTIONAL:
        if params.get(name) is not None:
            request[key] = check(f"{F}.{name}", params[name])
    if "launchType" in request and "capacityProviderStrategy" in request:
        raise InvalidValue(
            f"{F}.capacity_provider_strategy", "give launch_type or capacity_provider_strategy, not both"
        )
    return EcsTarget(cluster, task_definition, request, **_where_and_how(params, request))


def _where_and_how(params: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The target's region, endpoint, ``started_by`` and ``handover``, checked."""
    region = params.get("region")
    if region is not None and (not isinstance(region, str) or not REGION.fullmatch(region)):
        raise InvalidValue(f"{F}.region", f"{region!r} is not an AWS region such as 'eu-west-1'")
    endpoint = params.get("endpoint_url")
    if endpoint is not None and (
        not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https")
    ):
        raise InvalidValue(f"{F}.endpoint_url", f"{endpoint!r} is not an http(s) URL")
    started_by = params.get("started_by")
    if started_by is not None:
        started_by = check_started_by(f"{F}.started_by", started_by)
    handover = params.get("handover")
    if handover is not None:
        handover = parse_handover(f"{F}.handover", handover)
        if request["count"] != 1:
            raise InvalidValue(f"{F}.handover", "needs count 1 (the original started one task a fire)")
    return {"region": region, "endpoint_url": endpoint, "started_by": started_by, "handover": handover}


# --- checks: each takes the field's dotted name and the value, returns ECS's shape ---------


def _text(params: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    value = params.get(name)
    if value is None and required:
        raise InvalidValue(f"{F}.{name}", "is required")
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{F}.{name}", f"expected non-empty text, got {value!r}")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
        raise InvalidValue(f"{F}.count", f"{value!r}: ECS starts 1 to 10 tasks per RunTask")
    return value


def _string(field: str, value: object, limit: int = 255) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidValue(field, f"expected text of 1-{limit} characters, got {value!r}")
    return value


def _choice(choices: Sequence[str]) -> Callable[[str, object], str]:
    def check(field: str, value: object) -> str:
        if value not in choices:
            raise InvalidValue(field, f"{value!r} is not one of {', '.join(choices)}")
        return str(value)

    return check


def _flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(field, f"expected true or false, got {value!r}")
    return value


def _whole(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValue(field, f"{value!r} is not a whole number from {low} to {high}")
    return value


def _object(
    field: str, value: object, allowed: Sequence[str], required: Sequence[str] = ()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidValue(field, f"expected a mapping (ECS's camelCase shape), got {_kind(value)}")
    for key in value:
        if key not in allowed:
            raise InvalidValue(f"{field}.{key}", f"unknown key (known here: {', '.join(allowed)})")
    for key in required:
        if key not in value:
            raise InvalidValue(f"{field}.{key}", "is required")
    return value


def _items(field: str, value: object, limit: int) -> Sequence[Any]:
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= limit:
        raise InvalidValue(field, f"expected a list of 1-{limit} items, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    """What a structure is, never what it holds: it may hold an environment, and so secrets."""
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} items"
    return type(value).__name__


def _strings(field: str, value: object, limit: int) -> list[str]:
    return [_string(f"{field}[{i}]", item) for i, item in enumerate(_items(field, value, limit))]


def _capacity_provider_strategy(field: str, value: object) -> list[dict[str, Any]]:
    strategy = []
    for i, item in enumerate(_items(field, value, 20)):
        here = f"{field}[{i}]"
        entry = _object(here, item, ("capacityProvider", "weight", "base"), ("capacityProvider",))
        checked: dict[str, Any] = {
            "capacityProvider": _string(f"{here}.capacityProvider", entry["capacityProvider"])
        }
        if "weight" in entry:
            checked["weight"] = _whole(f"{here}.weight", entry["weight"], 0, 1000)
        if "base" in entry:
            checked["base"] = _whole(f"{here}.base", entry["base"], 0, 100000)
        strategy.append(checked)
    return strategy


def _network_configuration(field: str, value: object) -> dict[str, Any]:
    outer = _object(field, value, ("awsvpcConfiguration",), ("awsvpcConfiguration",))
    here = f"{field}.awsvpcConfiguration"
    vpc = _object(
        here, outer["awsvpcConfiguration"], ("subnets", "securityGroups", "assignPublicIp"), ("subnets",)
    )
    checked: dict[str, Any] = {"subnets": _strings(f"{here}.subnets", vpc["subnets"], 16)}
    if "securityGroups" in vpc:
        checked["securityGroups"] = _strings(f"{here}.securityGroups", vpc["securityGroups"], 5)
    if "assignPublicIp" in vpc:
        checked["assignPublicIp"] = _choice(("ENABLED", "DISABLED"))(
            f"{here}.assignPublicIp", vpc["assignPublicIp"]
        )
    return {"awsvpcConfiguration": checked}


def _placement_constraints(field: str, value: object) -> list[dict[str, str]]:
    constraints = []
    for i, item in enumerate(_items(field, value, 10)):
        entry = _object(f"{field}[{i}]", item, ("type", "expression"), ("type",))
        checked = {"type": _choice(("distinctInstance", "memberOf"))(f"{field}[{i}].type", entry["type"])}
        if "expression" in entry:
            checked["expression"] = _string(f"{field}[{i}].expression", entry["expression"], 2000)
        constraints.append(checked)
    return constraints


def _placement_strategy(field: str, value: object) -> list[dict[str, str]]:
    strategies = []
    for i, item in enumerate(_items(field, value, 5)):
        entry = _object(f"{field}[{i}]", item, ("type", "field"), ("type",))
        checked = {"type": _choice(("random", "spread", "binpack"))(f"{field}[{i}].type", entry["type"])}
        if "field" in entry:
            checked["field"] = _string(f"{field}[{i}].field", entry["field"])
        strategies.append(checked)
    return strategies


_CONTAINER_KEYS = ("name", "command", "environment", "cpu", "memory", "memoryReservation")


def _overrides(field: str, value: object) -> dict[str, Any]:
    allowed = ("containerOverrides", "taskRoleArn", "executionRoleArn", "cpu", "memory")
    outer = _object(field, value, allowed)
    checked: dict[str, Any] = {}
    for key in ("taskRoleArn", "executionRoleArn", "cpu", "memory"):
        if key in outer:
            checked[key] = _string(f"{field}.{key}", outer[key], 2048)
    if "containerOverrides" in outer:
        containers = []
        for i, item in enumerate(_items(f"{field}.containerOverrides", outer["containerOverrides"], 100)):
            here = f"{field}.containerOverrides[{i}]"
            entry = _object(here, item, _CONTAINER_KEYS, ("name",))
            container: dict[str, Any] = {"name": _string(f"{here}.name", entry["name"])}
            if "command" in entry:
                container["command"] = [
                    _string(f"{here}.command[{j}]", arg, 8192)
                    for j, arg in enumerate(_items(f"{here}.command", entry["command"], 1000))
                ]
            if "environment" in entry:
                container["environment"] = _environment(f"{here}.environment", entry["environment"])
            for key in ("cpu", "memory", "memoryReservation"):
                if key in entry:
                    container[key] = _whole(f"{here}.{key}", entry[key], 0, 10_000_000)
            containers.append(container)
        checked["containerOverrides"] = containers
    return checked


def _environment(field: str, value: object) -> list[dict[str, str]]:
    """``[{"name": ..., "value": ...}]`` as ECS has it, or a plain mapping of names to text."""
    pairs: list[tuple[object, object]] = []
    if isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        for i, item in enumerate(_items(field, value, 1000)):
            entry = _object(f"{field}[{i}]", item, ("name", "value"), ("name", "value"))
            pairs.append((entry["name"], entry["value"]))
    return [{"name": _string(field, name), "value": _text_value(f"{field}.{name}", v)} for name, v in pairs]


def _text_value(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidValue(field, f"expected text, got {_kind(value)}")
    return value


def _tags(field: str, value: object) -> list[dict[str, str]]:
    if not isinstance(value, Mapping) or len(value) > MAX_USER_TAGS:
        raise InvalidValue(
            field, f"expected a mapping of at most {MAX_USER_TAGS} keys to text values, got {value!r}"
        )
    tags = []
    for name, text in value.items():
        key = _string(f"{field}.{name}", name, 128)
        if key.lower().startswith(("aws:", TAG_PREFIX)):
            raise InvalidValue(f"{field}.{key}", f"the prefixes 'aws:' and {TAG_PREFIX!r} are reserved")
        if not isinstance(text, str) or len(text) > 256:
            raise InvalidValue(f"{field}.{key}", f"expected text of at most 256 characters, got {text!r}")
        tags.append({"key": key, "value": text})
    return tags


_OPTIONAL: tuple[tuple[str, str, Callable[[str, Any], Any]], ...] = (
    ("launch_type", "launchType", _choice(LAUNCH_TYPES)),
    ("capacity_provider_strategy", "capacityProviderStrategy", _capacity_provider_strategy),
    ("network_configuration", "networkConfiguration", _network_configuration),
    ("platform_version", "platformVersion", _string),
    ("placement_constraints", "placementConstraints", _placement_constraints),
    ("placement_strategy", "placementStrategy", _placement_strategy),
    ("overrides", "overrides", _overrides),
    ("tags", "tags", _tags),
    ("propagate_tags", "propagateTags", _choice(PROPAGATE)),
    ("enable_execute_command", "enableExecuteCommand", _flag),
    ("group", "group", _string),
)
