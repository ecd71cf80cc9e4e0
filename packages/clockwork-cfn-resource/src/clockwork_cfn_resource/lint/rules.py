"""The cfn-lint rules for clockwork schedule resources: E9101, E9102, E9103, W9104.

Loaded by ``cfn-lint --append-rules clockwork_cfn_resource.lint`` (an import path), or by
giving cfn-lint this file's directory. In the directory form cfn-lint imports this file
as a top-level module and makes a rule of every class in it that derives from its
``CloudFormationLintRule``: so imports here are absolute, and there is no shared base
class (it would become a rule without an id).
"""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch  # type: ignore[import-untyped]

from clockwork_cfn_resource.lint.findings import findings

TAGS = ["clockwork", "resources", "custom-resource"]


def _matches(cfn: Any, kind: str) -> list[Any]:
    """cfn-lint's matches for the ``kind`` problems of the template's schedule resources."""
    return [
        RuleMatch(list(found.path), found.message) for found in findings(cfn.template) if found.kind == kind
    ]


class UnknownProperty(CloudFormationLintRule):  # type: ignore[misc]
    """A property clockwork does not know, most often a typo."""

    id = "E9101"
    shortdesc = "Unknown property of a clockwork schedule"
    description = (
        "A clockwork schedule resource (a custom resource with SchedulerDynamoDBTable or CronTime) "
        "has a property clockwork does not know; the message suggests the closest known one."
    )
    tags: ClassVar[list[str]] = TAGS

    def match(self, cfn: Any) -> list[Any]:
        return _matches(cfn, "unknown")


class MissingProperty(CloudFormationLintRule):  # type: ignore[misc]
    """A required property that is absent."""

    id = "E9102"
    shortdesc = "Required property of a clockwork schedule is missing"
    description = (
        "A clockwork schedule resource needs SchedulerDynamoDBTable, CronTime, "
        "TaskDefinitionArn and ECSClusterArn."
    )
    tags: ClassVar[list[str]] = TAGS

    def match(self, cfn: Any) -> list[Any]:
        return _matches(cfn, "missing")


class InvalidValue(CloudFormationLintRule):  # type: ignore[misc]
    """A value clockwork would refuse when the stack is deployed."""

    id = "E9103"
    shortdesc = "Invalid value of a clockwork schedule property"
    description = (
        "A clockwork schedule property has a value the custom resource would reject at deploy "
        "time: a cron expression, a time zone, a number out of range, an ECS setting of the wrong "
        "shape. Values that are still Ref or Fn:: functions are not judged."
    )
    tags: ClassVar[list[str]] = TAGS

    def match(self, cfn: Any) -> list[Any]:
        return _matches(cfn, "invalid")


class StrictOrCompatible(CloudFormationLintRule):  # type: ignore[misc]
    """A value a strict Update refuses (or reads otherwise) and compatibility mode keeps."""

    id = "W9104"
    shortdesc = "A clockwork schedule property that strict and compatibility mode judge differently"
    description = (
        "A value that a stack written for aws-ecs-clockwork may hold: a strict Update (and every "
        "Create) refuses it or reads it otherwise, while compatibility mode, on by default for "
        "schedules migrated from aws-ecs-clockwork, keeps it with a warning (a property clockwork "
        "does not know, a CronTime of fewer than 5 fields or with another meaning, a Name over "
        "255 characters); or a CronTime only compatibility mode refuses. A resource that says "
        "Compatibility: Strict gets errors instead."
    )
    tags: ClassVar[list[str]] = TAGS

    def match(self, cfn: Any) -> list[Any]:
        return _matches(cfn, "compatible")
