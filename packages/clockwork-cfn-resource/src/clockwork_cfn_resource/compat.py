"""Compatibility with the original aws-ecs-clockwork: what its stacks declared, kept.

The original's function checked one property, ``CronTime`` (with cron-parser 0.7.1),
stored four others as given and ignored the rest, so stacks written for it hold values
clockwork's strict checks refuse. A schedule that came from the original (migrated, or
adopted since: :func:`clockwork_cfn_resource.adoption.is_original`) has its properties
read in compatibility mode, unless it says ``Compatibility: Strict``:

* a property clockwork does not know (``Comment``) is ignored, as the original did;
* a ``CronTime`` the original read otherwise than clockwork (fewer than 5 fields, ``""``,
  7 fields, ``5/15``, a trailing space, doubled spaces) is stored in clockwork's syntax
  with the original's meaning; the text stays in the origin's ``cron_time``. A meaning
  the migration chose (the origin's ``meaning``: ``clockwork``) is kept. A ``CronTime``
  the original's own Lambda refused never ran there, so clockwork's own check decides
  (``0 2 L * *`` is clockwork's; ``0 25 * * *`` is refused);
* a ``Name`` over 255 characters is stored cut to 255; the whole name stays in the
  origin's ``name``;
* a ``TaskDefinitionArn`` or ``ECSClusterArn`` that is no ECS name or ARN is kept as
  written: each fire then fails (and is recorded), as the original's did.

Each of these is a :class:`Kept`: one line in the response's Reason and a warning in the
log. Clockwork's own properties are checked as always. A new resource is strict, unless
it says ``Compatibility: Original``.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from clockwork_core.cron import parse_cron
from clockwork_core.errors import ClockworkError
from clockwork_core.model import Target
from clockwork_core.original_cron import OriginalRefused, compare, lambda_refusal
from clockwork_ecs.params import CLUSTER, TASK_DEFINITION

from clockwork_cfn_resource import adoption
from clockwork_cfn_resource.properties import (
    KNOWN,
    Declaration,
    InvalidProperties,
    Path,
    Problem,
    is_intrinsic,
    parse,
    render,
)

PROPERTY = "Compatibility"
ORIGINAL_NAME = "aws-ecs-clockwork"
#: How close an unknown name must be to a known one to be taken for its typo.
TYPO_CUTOFF = 0.8
#: The longest Name clockwork stores.
NAME_LIMIT = 255
#: The original's two ECS properties: the ``ecs`` parameter, its check, and a stand-in that passes it.
ECS_NAMES = {
    "TaskDefinitionArn": (adoption.ECS_PARAMS["TaskDefinitionArn"], TASK_DEFINITION, "family"),
    "ECSClusterArn": (adoption.ECS_PARAMS["ECSClusterArn"], CLUSTER, "default"),
}
#: The meanings a migration (or this module) records it kept, in the origin's ``meaning``.
ORIGINAL_MEANING, CLOCKWORK_MEANING = "original", "clockwork"
#: The instant fires are shown from when there is no request (cfn-lint).
_LINT_NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Mode(enum.Enum):
    STRICT = "Strict"
    ORIGINAL = "Original"


@attrs.frozen
class Kept:
    """One value strict mode refuses (or reads otherwise) that compatibility keeps: where it
    is, why strict refuses it (empty when it only reads it otherwise), and what was kept."""

    path: Path
    refused: str
    kept: str

    @property
    def property(self) -> str:
        """The property as the user reads it (an unknown name of any length shown cut short)."""
        text = render(self.path)
        return text if len(text) <= 100 else text[:97] + "..."

    def __str__(self) -> str:
        return f"{self.property}: {self.kept}"


@attrs.frozen
class Compatible:
    """A declaration and what compatibility kept to make it (empty in strict mode)."""

    declaration: Declaration
    kept: tuple[Kept, ...] = ()


@attrs.frozen
class Relaxed:
    """Properties with what compatibility keeps taken out: the properties strict mode then
    accepts, the ``ecs`` parameters and origin keys to put back, and what was kept."""

    properties: dict[str, Any]
    params: dict[str, str] = attrs.field(factory=dict)
    origin: dict[str, str] = attrs.field(factory=dict)
    kept: list[Kept] = attrs.field(factory=list)
    #: What even compatibility refuses (a CronTime the original refused).
    problems: list[Problem] = attrs.field(factory=list)


def mode_of(properties: object, origin: Mapping[str, str]) -> Mode:
    """``Compatibility`` if given, else Original for a schedule that came from the original."""
    given = properties.get(PROPERTY) if isinstance(properties, Mapping) else None
    if given is None:
        return Mode.ORIGINAL if adoption.is_original(origin) else Mode.STRICT
    for mode in Mode:
        if isinstance(given, str) and given.strip().lower() == mode.value.lower():
            return mode
    shown = repr(given)[:80]
    raise InvalidProperties([Problem((PROPERTY,), f"{shown} is not one of Original, Strict")])


def declare(
    properties: object,
    *,
    schedule_id: str,
    default_name: str,
    origin: Mapping[str, str],
    now: datetime,
) -> Compatible:
    """The declaration ``properties`` make, in the mode the schedule's ``origin`` and the
    ``Compatibility`` property say; InvalidProperties listing what even that mode refuses."""
    origin = {key: value for key, value in origin.items() if key not in adoption.TEXT_KEYS}
    mode = mode_of(properties, origin)
    if mode is Mode.STRICT or not isinstance(properties, Mapping):
        return Compatible(
            parse(properties, schedule_id=schedule_id, default_name=default_name, origin=origin)
        )
    relaxed = relax(properties, schedule_id=schedule_id, origin=origin, now=now)
    try:
        declaration = parse(
            relaxed.properties,
            schedule_id=schedule_id,
            default_name=default_name,
            origin={**origin, **relaxed.origin},
        )
    except InvalidProperties as exc:
        raise InvalidProperties([*relaxed.problems, *exc.problems]) from None
    if relaxed.problems:
        raise InvalidProperties(relaxed.problems)
    if relaxed.params:
        schedule = declaration.schedule
        params = {**schedule.target.params, **relaxed.params}
        declaration = attrs.evolve(
            declaration, schedule=attrs.evolve(schedule, target=Target(schedule.target.launcher, params))
        )
    return Compatible(declaration, tuple(relaxed.kept))


def relax(
    properties: Mapping[str, Any],
    *,
    schedule_id: str,
    origin: Mapping[str, str],
    now: datetime | None,
    intrinsics: bool = False,
) -> Relaxed:
    """What compatibility keeps of ``properties``; with ``intrinsics``, values that are
    still ``Ref`` or ``Fn::`` functions are left alone (cfn-lint's view)."""
    relaxed = Relaxed(
        {name: value for name, value in properties.items() if name in KNOWN and name != PROPERTY}
    )
    for name in properties:
        if name not in KNOWN and name != PROPERTY:
            hint = typo_of(str(name))
            maybe = f" (did you mean {hint!r}?)" if hint else ""
            relaxed.kept.append(
                Kept(
                    (str(name),),
                    "unknown property",
                    f"ignored: not a clockwork property{maybe}; {ORIGINAL_NAME} ignored it too",
                )
            )
    cron_time = relaxed.properties.get("CronTime")
    if isinstance(cron_time, str):
        _cron(relaxed, cron_time, schedule_id=schedule_id, origin=origin, now=now or _LINT_NOW)
    _name(relaxed)
    for name in ECS_NAMES:
        _ecs(relaxed, name, intrinsics)
    return relaxed


def typo_of(name: str) -> str | None:
    """The known property ``name`` is most likely a typo of (``TimeZon``: ``TimeZone``), if any."""
    found = difflib.get_close_matches(name, KNOWN, n=1, cutoff=TYPO_CUTOFF)
    return found[0] if found else None


def _cron(relaxed: Relaxed, text: str, *, schedule_id: str, origin: Mapping[str, str], now: datetime) -> None:
    """The CronTime as the original read it: its meaning in clockwork's syntax, unless the
    migration chose clockwork's (and clockwork reads the text)."""
    refusal = lambda_refusal(text)
    if refusal is not None:
        # The original never stored it, so there is no meaning of its own to keep: a text
        # clockwork reads (a new feature, such as `L`) is clockwork's; clockwork's own check
        # says what is wrong with any other.
        return
    try:
        meaning = compare(text, now=now, schedule_id=schedule_id)
    except OriginalRefused as exc:
        if _clockwork_error(text, schedule_id) is None:
            relaxed.kept.append(
                Kept(
                    ("CronTime",),
                    "",
                    f"{text!r}: {ORIGINAL_NAME}'s worker never fired it ({exc.reason}); "
                    "read as clockwork reads it",
                )
            )
        return  # otherwise clockwork's own check says what is wrong
    if meaning is None:
        return
    relaxed.origin[adoption.CRON_TIME_KEY] = text
    if origin.get(adoption.MEANING_KEY) == CLOCKWORK_MEANING and meaning.clockwork_error is None:
        relaxed.origin[adoption.MEANING_KEY] = CLOCKWORK_MEANING
        relaxed.kept.append(
            Kept(
                ("CronTime",),
                "",
                f"{text!r} read as clockwork reads it, as the migration chose ({meaning.why})",
            )
        )
        return
    relaxed.properties["CronTime"] = meaning.translation
    relaxed.origin[adoption.MEANING_KEY] = ORIGINAL_MEANING
    relaxed.kept.append(
        Kept(
            ("CronTime",),
            meaning.clockwork_error or "",
            f"{text!r} kept with {ORIGINAL_NAME}'s meaning, stored as {meaning.translation!r} ({meaning.why})",
        )
    )


def _clockwork_error(text: str, schedule_id: str) -> str | None:
    try:
        parse_cron(text, "UTC", schedule_id)
    except ClockworkError as exc:
        return str(exc)
    return None


def _name(relaxed: Relaxed) -> None:
    name = relaxed.properties.get("Name")
    if not isinstance(name, str) or len(name) <= NAME_LIMIT:
        return
    relaxed.properties["Name"] = name[:NAME_LIMIT]
    relaxed.origin[adoption.NAME_KEY] = name
    relaxed.kept.append(
        Kept(
            ("Name",),
            f"is {len(name)} characters long; the limit is {NAME_LIMIT}",
            f"{len(name)} characters: stored cut to the first {NAME_LIMIT}; the whole name is kept in "
            "the schedule's origin",
        )
    )


def _ecs(relaxed: Relaxed, name: str, intrinsics: bool) -> None:
    value = relaxed.properties.get(name)
    param, pattern, stand_in = ECS_NAMES[name]
    if not isinstance(value, str) or pattern.fullmatch(value) or (intrinsics and is_intrinsic(value)):
        return
    relaxed.properties[name] = stand_in
    relaxed.params[param] = value
    relaxed.kept.append(
        Kept(
            (name,),
            f"{value[:80]!r} is no ECS name or ARN",
            f"{value[:80]!r} kept as written, though it is no ECS name or ARN: each fire will fail "
            f"(and be recorded), as {ORIGINAL_NAME}'s did",
        )
    )
