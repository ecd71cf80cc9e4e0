"""Where a resource's schedule lives: the table its properties name, or the clockwork table
that holds what was migrated from it.

A stack written for the original aws-ecs-clockwork names the original's table in
``SchedulerDynamoDBTable``, and keeps naming it after ``clockwork dynamodb migrate`` has
copied that table's schedules into a clockwork table (CloudFormation cannot point a
resource at another function, so the original's function runs clockwork's handler). The
function's ``CLOCKWORK_MIGRATED_TABLES`` says where they went::

    CLOCKWORK_MIGRATED_TABLES=SchedulerTable=clockwork-Table-1A2B3C
    CLOCKWORK_MIGRATED_TABLES=OrdersScheduler=clockwork-Table-1A2B3C,BillingScheduler=clockwork-Table-1A2B3C

Each entry is ``ORIGINAL=CLOCKWORK``: a request naming ``ORIGINAL`` is served from the
clockwork table ``CLOCKWORK`` in the region the request names (``Region``, else the
function's), and touches there only schedules whose origin says they came from
``ORIGINAL`` (see :mod:`clockwork_cfn_resource.adoption`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs
from clockwork_core.errors import InvalidValue
from clockwork_dynamodb.location import TABLE_NAME

from clockwork_cfn_resource.properties import InvalidProperties, check

MIGRATED_VARIABLE = "CLOCKWORK_MIGRATED_TABLES"
#: The properties that say where a schedule is.
PLACE = ("SchedulerDynamoDBTable", "Region")
#: Stand-ins for the other required properties, so that ``check`` judges the place alone.
_REST = {"CronTime": "* * * * *", "TaskDefinitionArn": "family", "ECSClusterArn": "default"}


@attrs.frozen
class Place:
    """The table a resource names, and the clockwork table (and region) its schedule is in.

    ``original`` is the table named when that is an original's table whose schedules were
    migrated (the request is served from ``table``); None when the two are the same.
    """

    named: str
    table: str
    region: str | None

    @property
    def original(self) -> str | None:
        return self.named if self.named != self.table else None

    @property
    def store(self) -> tuple[str, str | None]:
        """What tells two places apart: the same store, whichever table was named."""
        return (self.table, self.region)

    def describe(self) -> str:
        """``'clockwork-x'``, or ``'clockwork-x' (migrated from 'Original')``."""
        if self.original is None:
            return repr(self.table)
        return f"{self.table!r} (which holds the schedules migrated from {self.original!r})"


def migrated_tables(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The original tables and the clockwork table each was migrated into.

    InvalidValue naming the variable and the entry at fault.
    """
    text = (os.environ if environ is None else environ).get(MIGRATED_VARIABLE, "")
    found: dict[str, str] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        original, sep, target = (side.strip() for side in entry.partition("="))
        if not sep or not TABLE_NAME.fullmatch(original) or not TABLE_NAME.fullmatch(target):
            raise InvalidValue(
                MIGRATED_VARIABLE,
                f"{entry[:300]!r} is not ORIGINAL=CLOCKWORK (two DynamoDB table names: 3-255 letters, "
                "digits, _ . -)",
            )
        if original == target:
            raise InvalidValue(MIGRATED_VARIABLE, f"{entry!r} names the same table twice")
        if found.get(original, target) != target:
            raise InvalidValue(
                MIGRATED_VARIABLE, f"{original!r} is named twice, for {found[original]!r} and {target!r}"
            )
        found[original] = target
    for original, target in found.items():
        if target in found:
            raise InvalidValue(
                MIGRATED_VARIABLE,
                f"{target!r} is a clockwork table (migrated into from {original!r}) and an original too",
            )
    return found


def default_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def place_of(properties: object) -> Place:
    """The place ``properties`` name; InvalidProperties when the table or the region is wrong
    (with the same messages as the rest of the properties), InvalidValue when the function's
    variable is."""
    if not isinstance(properties, Mapping):
        raise InvalidProperties(check(properties))
    given = {name: properties[name] for name in PLACE if properties.get(name) is not None}
    problems = check({**_REST, **given})
    if problems:
        raise InvalidProperties(problems)
    named = str(given["SchedulerDynamoDBTable"])
    region = given.get("Region")
    return Place(named, migrated_tables().get(named, named), str(region) if region else default_region())


def raw_place(properties: object) -> Place | None:
    """The place ``properties`` name as given, None when they name none that can be used
    (old properties are not judged: they were CloudFormation's last ones, right or wrong)."""
    try:
        return place_of(properties)
    except InvalidProperties:
        return None
