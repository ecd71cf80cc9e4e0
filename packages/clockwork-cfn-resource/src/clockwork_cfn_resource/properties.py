"""A schedule resource's properties: checked one by one, turned into a clockwork Schedule.

CloudFormation sends every scalar as a string (``"true"``, ``"300"``), so each property
has a converter that accepts the string and the plain JSON value alike. Nested ECS
structures are written as in CloudFormation's own ECS resources (PascalCase:
``NetworkConfiguration.AwsvpcConfiguration.Subnets``); ECS's camelCase is accepted too.

Ranges and formats are not repeated here: each property is checked by the model class
or the ECS parameter parser that owns it, one property at a time, so that every problem
is reported (not only the first) and each names its property: ``RetryPolicy.Attempts:
0 is out of range 1-20``. :func:`check` is what the cfn-lint rules use; with
``intrinsics=True`` a value that is still a ``Ref`` or ``Fn::`` function is not judged.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import attrs
from clockwork_core import nesting
from clockwork_core.cron import parse_cron
from clockwork_core.errors import InvalidExpression, InvalidValue
from clockwork_core.model import Policies, RetryPolicy, Schedule, Target
from clockwork_core.zones import get_zone
from clockwork_dynamodb.location import TABLE_NAME
from clockwork_ecs.params import CLUSTER, REGION, parse_params

Path = tuple[str | int, ...]

#: The original aws-ecs-clockwork's properties, first; then clockwork's own.
REQUIRED = ("SchedulerDynamoDBTable", "CronTime", "TaskDefinitionArn", "ECSClusterArn")
ORIGINAL = (
    "ServiceToken",
    "SchedulerDynamoDBTable",
    "Region",
    "Name",
    "CronTime",
    "TaskDefinitionArn",
    "ECSClusterArn",
)
SCHEDULE = ("Description", "TimeZone", "Enabled", "StartTime", "EndTime", "Compatibility")
POLICIES = (
    "ConcurrencyPolicy",
    "MissedFirePolicy",
    "MaxCatchUp",
    "StartingDeadlineSeconds",
    "JitterSeconds",
    "RetryPolicy",
    "TimeoutSeconds",
)
#: ECS RunTask options: the property and the ``ecs`` launcher's parameter it fills.
ECS = {
    "Count": "count",
    "LaunchType": "launch_type",
    "CapacityProviderStrategy": "capacity_provider_strategy",
    "NetworkConfiguration": "network_configuration",
    "PlatformVersion": "platform_version",
    "PlacementConstraints": "placement_constraints",
    "PlacementStrategy": "placement_strategy",
    "Overrides": "overrides",
    "Group": "group",
    "Tags": "tags",
    "PropagateTags": "propagate_tags",
    "EnableExecuteCommand": "enable_execute_command",
}
KNOWN = (*ORIGINAL, *SCHEDULE, *POLICIES, *ECS)
RETRY_KEYS = {
    "Attempts": "attempts",
    "BackoffSeconds": "backoff",
    "Multiplier": "multiplier",
    "MaxBackoffSeconds": "max_backoff",
}
CHOICES = {
    "ConcurrencyPolicy": ("Allow", "Forbid", "Replace"),
    "MissedFirePolicy": ("Latest", "All", "Skip"),
}
#: What the model calls a field, and the property that sets it.
MODEL_FIELDS = {
    "expression": ("CronTime",),
    "timezone": ("TimeZone",),
    "name": ("Name",),
    "description": ("Description",),
    "enabled": ("Enabled",),
    "start": ("StartTime",),
    "end": ("EndTime",),
    "policies.concurrency": ("ConcurrencyPolicy",),
    "policies.missed_fires": ("MissedFirePolicy",),
    "policies.max_catch_up": ("MaxCatchUp",),
    "policies.starting_deadline": ("StartingDeadlineSeconds",),
    "policies.jitter": ("JitterSeconds",),
    "policies.timeout": ("TimeoutSeconds",),
    **{f"policies.retry.{field}": ("RetryPolicy", key) for key, field in RETRY_KEYS.items()},
}
_INDEX = re.compile(r"\[(\d+)\]")


@attrs.frozen
class Problem:
    """One property that is wrong, where it is (``("RetryPolicy", "Attempts")``) and why.

    ``kind`` is ``unknown`` (no such property), ``missing`` (a required one is absent) or
    ``invalid`` (the value is wrong).
    """

    path: Path
    message: str
    kind: str = "invalid"

    @property
    def property(self) -> str:
        return render(self.path)

    def __str__(self) -> str:
        return f"{self.property}: {self.message}"


class InvalidProperties(InvalidValue):
    """Every problem found in a resource's properties; the message lists them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            self.problems[0].property if self.problems else "Properties",
            "; ".join(str(problem) for problem in self.problems),
        )
        self.args = ("; ".join(str(problem) for problem in self.problems),)

    def __str__(self) -> str:
        return str(self.args[0])


@attrs.frozen
class Declaration:
    """What a resource declares: where its schedule lives, and the schedule."""

    table: str
    region: str | None
    schedule: Schedule


def render(path: Path) -> str:
    """``("NetworkConfiguration", "AwsvpcConfiguration", "Subnets", 0)`` as the user reads it."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def is_intrinsic(value: object) -> bool:
    """A ``{"Ref": ...}`` or ``{"Fn::...": ...}`` left unresolved (as cfn-lint sees a template)."""
    return (
        isinstance(value, Mapping)
        and len(value) == 1
        and isinstance(key := next(iter(value)), str)
        and (key == "Ref" or key.startswith("Fn::") or key == "Condition")
    )


def _holds_intrinsic(value: object) -> bool:
    if is_intrinsic(value):
        return True
    if isinstance(value, Mapping):
        return any(_holds_intrinsic(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_intrinsic(item) for item in value)
    return False


def check(properties: object, *, intrinsics: bool = False) -> list[Problem]:
    """Every problem in ``properties``; with ``intrinsics``, unresolved functions are skipped."""
    try:
        parse(properties, schedule_id="check", intrinsics=intrinsics)
    except InvalidProperties as exc:
        return list(exc.problems)
    return []


def parse(
    properties: object,
    *,
    schedule_id: str,
    default_name: str = "",
    origin: Mapping[str, str] | None = None,
    intrinsics: bool = False,
) -> Declaration:
    """The declaration ``properties`` make for schedule ``schedule_id``.

    Raises :class:`InvalidProperties` listing every problem. ``default_name`` names a
    schedule that has no ``Name`` (the logical id).
    """
    if not isinstance(properties, Mapping):
        raise InvalidProperties([Problem((), f"expected a mapping of properties, got {_shown(properties)}")])
    reader = _Reader(properties, intrinsics)
    reader.unknown_names()
    for name in REQUIRED:
        if name not in properties or properties[name] is None:
            reader.problem((name,), "is required", "missing")
    table = reader.get("SchedulerDynamoDBTable", _table)
    region = reader.get("Region", _region)
    zone = reader.get("TimeZone", _zone) or "UTC"
    expression = reader.get("CronTime", _text(1000))
    if expression is not None:
        reader.attempt(("CronTime",), lambda: parse_cron(expression, zone, schedule_id))
    fields: dict[str, Any] = {
        "name": reader.get("Name", _text(255)),
        "description": reader.get("Description", _text(1024)),
        "enabled": reader.get("Enabled", _boolean),
        "start": reader.get("StartTime", _instant(zone)),
        "end": reader.get("EndTime", _instant(zone)),
    }
    fields = {key: value for key, value in fields.items() if value is not None}
    base = Schedule(id="check", expression="* * * * *", target=Target("ecs"))
    for field, value in fields.items():
        if field not in ("start", "end"):
            reader.attempt(MODEL_FIELDS[field], partial(attrs.evolve, base, **{field: value}))
    policies = _policies(reader)
    params = _ecs_params(reader)
    # What needs several properties at once (EndTime after StartTime). A property that is
    # wrong, or that cfn-lint cannot resolve, stands in as a placeholder.
    schedule = reader.attempt(
        (),
        partial(
            Schedule,
            id=schedule_id,
            expression=expression if "CronTime" not in reader.skipped else base.expression,
            target=Target("ecs", params) if not reader.problems else base.target,
            timezone=zone,
            policies=policies,
            origin=origin or {},
            **{"name": default_name, **fields},
        ),
    )
    if reader.problems or not isinstance(schedule, Schedule):
        raise InvalidProperties(reader.problems)
    return Declaration(table or "", region, schedule)


# --- the reader: each property once, problems collected --------------------------------------


class _Reader:
    def __init__(self, properties: Mapping[str, Any], intrinsics: bool) -> None:
        self.properties = properties
        self.intrinsics = intrinsics
        self.problems: list[Problem] = []
        #: Properties not judged: unresolved functions (cfn-lint), or already wrong.
        self.skipped: set[str] = set()

    def problem(self, path: Path, message: str, kind: str = "invalid") -> None:
        self.problems.append(Problem(path, message, kind))
        if path:
            self.skipped.add(str(path[0]))

    def unknown_names(self) -> None:
        for name in self.properties:
            if name in KNOWN:
                continue
            hint = difflib.get_close_matches(str(name), KNOWN, n=1, cutoff=0.6)
            maybe = f"did you mean {hint[0]!r}? " if hint else ""
            self.problem(
                (str(name),), f"unknown property; {maybe}known properties: {', '.join(KNOWN)}", "unknown"
            )

    def get(self, name: str, convert: Callable[[Path, object], Any]) -> Any:
        """The converted value of property ``name``; None if absent, skipped or wrong."""
        value = self.properties.get(name)
        if value is None:
            return None
        if nesting.deeper_than(value):  # before anything walks it by recursion
            self.problem((name,), nesting.TOO_DEEP)
            return None
        if self.intrinsics and _holds_intrinsic(value):
            self.skipped.add(name)
            return None
        try:
            return convert((name,), value)
        except _Wrong as exc:
            self.problem(exc.path, exc.message, exc.kind)
            return None

    def attempt(self, path: Path, build: Callable[[], Any]) -> Any:
        """``build()``; an InvalidValue it raises becomes a problem of ``path`` (or of the
        property its field names)."""
        try:
            return build()
        except InvalidExpression as exc:
            self.problem(_property_of(exc.field, path), str(exc))
            return None
        except InvalidValue as exc:
            reason = exc.reason
            for name, param in ECS.items():  # "give launch_type or ...": ECS's words, ours here
                reason = re.sub(rf"\b{param}\b", name, reason) if "_" in param else reason
            self.problem(_property_of(exc.field, path), reason)
            return None


class _Wrong(Exception):
    def __init__(self, path: Path, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.kind = kind


def _property_of(field: str, fallback: Path) -> Path:
    """The property path of a model field (``policies.retry.attempts``) or an ECS parameter
    (``target.params.network_configuration.awsvpcConfiguration.subnets[0]``)."""
    if field in MODEL_FIELDS:
        return MODEL_FIELDS[field]
    if field.startswith("target.params."):
        # Below these, keys are the user's own (tag keys, variable names): kept as written.
        verbatim = ("tags", "environment")
        parts = _INDEX.sub(r".[\1]", field.removeprefix("target.params.")).split(".")
        by_param = {
            "cluster": "ECSClusterArn",
            "task_definition": "TaskDefinitionArn",
            **{param: name for name, param in ECS.items()},
        }
        path: list[str | int] = []
        for i, part in enumerate(parts):
            if part.startswith("["):
                path.append(int(part[1:-1]))
            elif i == 0:
                path.append(by_param.get(part, part))
            elif parts[i - 1] in verbatim:
                path.append(part)
            else:
                path.append(part[:1].upper() + part[1:])
        return tuple(path)
    return fallback


# --- converters: (path, value) -> value, raising _Wrong ---------------------------------------


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 4, 80, 80, 40


def _shown(value: object) -> str:
    """``value`` as a short repr: reprlib's stops at a few levels, where repr() would recurse
    through every one (and fail for values nested a few thousand deep)."""
    text = _REPR.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _string(path: Path, value: object) -> str:
    if isinstance(value, str):
        return value
    raise _Wrong(path, f"expected text, got {_shown(value)}")


def _text(limit: int) -> Callable[[Path, object], str]:
    def convert(path: Path, value: object) -> str:
        text = _string(path, value)
        if len(text) > limit:
            raise _Wrong(path, f"is {len(text)} characters long; the limit is {limit}")
        return text

    return convert


def _table(path: Path, value: object) -> str:
    text = _string(path, value)
    if not TABLE_NAME.fullmatch(text):
        raise _Wrong(path, f"{_shown(text)} is not a DynamoDB table name (3-255 letters, digits, _ . -)")
    return text


def _region(path: Path, value: object) -> str:
    text = _string(path, value)
    if not REGION.fullmatch(text):
        raise _Wrong(path, f"{_shown(text)} is not an AWS region such as 'eu-west-1'")
    return text


def _zone(path: Path, value: object) -> str:
    text = _string(path, value)
    try:
        get_zone(text)
    except InvalidValue as exc:
        raise _Wrong(path, exc.reason) from None
    return text


def _boolean(path: Path, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Wrong(path, f"expected true or false, got {_shown(value)}")


def _whole(path: Path, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,30}\s*", value):
        return int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e30:
        return int(value)
    raise _Wrong(path, f"expected a whole number, got {_shown(value)}")


def _number(path: Path, value: object) -> float:
    if (isinstance(value, int | float) and not isinstance(value, bool)) or (
        isinstance(value, str)
        and re.fullmatch(r"\s*[+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})\s*", value)
    ):
        try:
            number = float(value)
        except OverflowError:  # an int beyond any float
            raise _Wrong(path, f"expected a number, got {_shown(value)}") from None
    else:
        raise _Wrong(path, f"expected a number, got {_shown(value)}")
    if not math.isfinite(number):
        raise _Wrong(path, f"expected a number, got {_shown(value)}")
    return number


def _seconds(path: Path, value: object) -> timedelta:
    seconds = _whole(path, value)
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise _Wrong(path, f"{_shown(seconds)} seconds is far too long") from None


def _instant(zone: str) -> Callable[[Path, object], datetime]:
    def convert(path: Path, value: object) -> datetime:
        text = _string(path, value).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise _Wrong(
                path, f"{_shown(text)} is not an ISO 8601 time such as '2026-12-01T09:00:00Z'"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=get_zone(zone))
        return moment

    return convert


def _choice(name: str) -> Callable[[Path, object], str]:
    def convert(path: Path, value: object) -> str:
        text = _string(path, value)
        for choice in CHOICES[name]:
            if text.strip().lower() == choice.lower():
                return choice.lower()
        raise _Wrong(path, f"{_shown(text)} is not one of {', '.join(CHOICES[name])}")

    return convert


# --- policies ---------------------------------------------------------------------------------


def _policies(reader: _Reader) -> Policies:
    values: dict[str, Any] = {
        "concurrency": reader.get("ConcurrencyPolicy", _choice("ConcurrencyPolicy")),
        "missed_fires": reader.get("MissedFirePolicy", _choice("MissedFirePolicy")),
        "max_catch_up": reader.get("MaxCatchUp", _whole),
        "starting_deadline": reader.get("StartingDeadlineSeconds", _seconds),
        "jitter": reader.get("JitterSeconds", _seconds),
        "timeout": reader.get("TimeoutSeconds", _seconds),
    }
    values = {
        field: value
        for field, value in values.items()
        if value is not None
        and reader.attempt(MODEL_FIELDS[f"policies.{field}"], partial(Policies, **{field: value})) is not None
    }
    retry = reader.get("RetryPolicy", _retry_fields)
    judged = [
        reader.attempt(MODEL_FIELDS[f"policies.retry.{field}"], partial(RetryPolicy, **{field: value}))
        for field, value in (retry or {}).items()
    ]
    if retry is not None and all(outcome is not None for outcome in judged):
        defaults = RetryPolicy()
        if "max_backoff" not in retry and "backoff" in retry:
            retry["max_backoff"] = max(defaults.max_backoff, retry["backoff"])
        built = reader.attempt(("RetryPolicy",), lambda: RetryPolicy(**retry))
        if built is not None:
            values["retry"] = built
    policies = reader.attempt(("ConcurrencyPolicy",), lambda: Policies(**values))
    return policies if isinstance(policies, Policies) else Policies()


def _retry_fields(path: Path, value: object) -> dict[str, Any]:
    entry = _mapping(path, value, tuple(RETRY_KEYS))
    fields: dict[str, Any] = {}
    for key, item in entry.items():
        here = (*path, key)
        if key == "Attempts":
            fields["attempts"] = _whole(here, item)
        elif key == "Multiplier":
            fields["multiplier"] = _number(here, item)
        else:
            fields[RETRY_KEYS[key]] = _seconds(here, item)
    return fields


# --- ECS parameters ---------------------------------------------------------------------------


def _ecs_params(reader: _Reader) -> dict[str, Any]:
    """The ``ecs`` launcher's parameters; each property checked alone by ECS's own parser."""
    cluster = reader.get("ECSClusterArn", _string)
    task_definition = reader.get("TaskDefinitionArn", _string)
    params: dict[str, Any] = {"cluster": "default", "task_definition": "family"}
    if cluster is not None:
        params["cluster"] = cluster
        if (found := re.match(r"^arn:aws[a-z-]*:ecs:([a-z0-9-]+):", cluster)) and CLUSTER.fullmatch(cluster):
            params["region"] = found.group(1)
    if task_definition is not None:
        params["task_definition"] = task_definition
    placeholder = {"cluster": "default", "task_definition": "family"}
    for name, param in (("ECSClusterArn", "cluster"), ("TaskDefinitionArn", "task_definition")):
        if param in params:
            reader.attempt((name,), partial(parse_params, {**placeholder, param: params[param]}))
    for name, param in ECS.items():
        value = reader.get(name, _ECS_CONVERTERS[name])
        if value is None:
            continue
        reader.attempt((name,), partial(parse_params, {**placeholder, param: value}))
        params[param] = value
    if not reader.problems:
        reader.attempt(("LaunchType",), lambda: parse_params(params))
    return params


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def _mapping(path: Path, value: object, allowed: Sequence[str]) -> dict[str, Any]:
    """A mapping whose keys are ``allowed`` (PascalCase), or their camelCase forms."""
    if not isinstance(value, Mapping):
        raise _Wrong(path, f"expected a mapping, got {_shown(value)}")
    found: dict[str, Any] = {}
    for key, item in value.items():
        name = next((known for known in allowed if str(key) in (known, _camel(known))), None)
        if name is None:
            hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            maybe = f"did you mean {hint[0]!r}? " if hint else ""
            raise _Wrong(
                (*path, str(key)), f"unknown key; {maybe}known here: {', '.join(allowed)}", "unknown"
            )
        found[name] = item
    return found


def _list(path: Path, value: object) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _Wrong(path, f"expected a list, got {_shown(value)}")
    return list(value)


def _shape(path: Path, value: object, fields: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` as ECS's camelCase mapping; ``fields`` says how to convert each key."""
    entry = _mapping(path, value, tuple(fields))
    return {_camel(key): fields[key]((*path, key), item) for key, item in entry.items()}


def _each(convert: Callable[[Path, object], Any]) -> Callable[[Path, object], list[Any]]:
    def each(path: Path, value: object) -> list[Any]:
        return [convert((*path, i), item) for i, item in enumerate(_list(path, value))]

    return each


def _keep(_path: Path, value: object) -> object:
    return value


def _strings(path: Path, value: object) -> list[str]:
    return [_string((*path, i), item) for i, item in enumerate(_list(path, value))]


def _capacity_provider_strategy(path: Path, value: object) -> list[dict[str, Any]]:
    fields = {"CapacityProvider": _string, "Weight": _whole, "Base": _whole}
    return _each(lambda p, item: _shape(p, item, fields))(path, value)


def _network_configuration(path: Path, value: object) -> dict[str, Any]:
    vpc = {"Subnets": _strings, "SecurityGroups": _strings, "AssignPublicIp": _string}
    return _shape(path, value, {"AwsvpcConfiguration": lambda p, v: _shape(p, v, vpc)})


def _placement(key: str) -> Callable[[Path, object], list[dict[str, Any]]]:
    fields = {"Type": _string, key: _string}
    return _each(lambda p, item: _shape(p, item, fields))


def _environment(path: Path, value: object) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _string((*path, str(key)), item) for key, item in value.items()}
    pair = {"Name": _string, "Value": _string}
    return _each(lambda p, item: _shape(p, item, pair))(path, value)


_CONTAINER = {
    "Name": _string,
    "Command": _strings,
    "Environment": _environment,
    "Cpu": _whole,
    "Memory": _whole,
    "MemoryReservation": _whole,
}


def _overrides(path: Path, value: object) -> dict[str, Any]:
    fields = {
        "ContainerOverrides": _each(lambda p, item: _shape(p, item, _CONTAINER)),
        "TaskRoleArn": _string,
        "ExecutionRoleArn": _string,
        "Cpu": _string,
        "Memory": _string,
    }
    return _shape(path, value, fields)


def _tags(path: Path, value: object) -> dict[str, str]:
    """CloudFormation's ``[{Key, Value}]`` list, or a mapping of keys to text."""
    if isinstance(value, Mapping):
        return {str(key): _string((*path, str(key)), item) for key, item in value.items()}
    tags: dict[str, str] = {}
    for i, item in enumerate(_list(path, value)):
        entry = _mapping((*path, i), item, ("Key", "Value"))
        if "Key" not in entry or "Value" not in entry:
            raise _Wrong((*path, i), "a tag needs a Key and a Value")
        tags[_string((*path, i, "Key"), entry["Key"])] = _string((*path, i, "Value"), entry["Value"])
    return tags


def _choice_of(choices: Sequence[str]) -> Callable[[Path, object], str]:
    def convert(path: Path, value: object) -> str:
        text = _string(path, value).strip()
        return next((choice for choice in choices if choice.lower() == text.lower()), text)

    return convert


_ECS_CONVERTERS: dict[str, Callable[[Path, object], Any]] = {
    "Count": _whole,
    "LaunchType": _choice_of(("EC2", "FARGATE", "EXTERNAL")),
    "CapacityProviderStrategy": _capacity_provider_strategy,
    "NetworkConfiguration": _network_configuration,
    "PlatformVersion": _string,
    "PlacementConstraints": _placement("Expression"),
    "PlacementStrategy": _placement("Field"),
    "Overrides": _overrides,
    "Group": _string,
    "Tags": _tags,
    "PropagateTags": _choice_of(("TASK_DEFINITION", "SERVICE", "NONE")),
    "EnableExecuteCommand": _boolean,
}
