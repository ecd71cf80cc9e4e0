"""The cfn-lint rules, run as users run them: ``cfn-lint --append-rules clockwork_cfn_resource.lint``.

cfn-lint runs as a subprocess (its own console script: ``python -m cfnlint`` does not
exist) on the templates in ``templates/``; the parseable format gives one finding a line,
``file:line:column:end line:end column:rule:message``. cfn-lint takes seconds to start, so
each way of running it lints both templates at once, and the three ways run side by side.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from clockwork_cfn_resource import lint
from clockwork_cfn_resource.lint.findings import Finding, findings, schedule_resources
from clockwork_cfn_resource.properties import KNOWN
from clockwork_core.original_cron import compare

TEMPLATES = Path(__file__).parent / "templates"
#: The ways cfn-lint is run: with the rules named as a module, given as a directory, without them.
WAYS = {
    "module": ("--append-rules", "clockwork_cfn_resource.lint"),
    "directory": ("--append-rules", str(Path(lint.__file__).parent)),
    "alone": (),
}
Findings = list[tuple[str, int, str]]


@pytest.fixture(autouse=True)
def aws_environment() -> None:
    """Linting needs no AWS: this stands in for the package's fixture that starts moto."""


def cfn_lint_script() -> str:
    script = shutil.which("cfn-lint", path=sysconfig.get_path("scripts")) or shutil.which(
        "cfn-lint", path=str(Path(sys.executable).parent)
    )
    assert script, "cfn-lint is not installed next to this Python: install clockwork-cfn-resource[lint]"
    return script


@pytest.fixture(scope="module")
def linted() -> dict[str, dict[str, Findings]]:
    """For each way of running cfn-lint, each template's findings: (rule, line, message)."""
    names = ("bad.yaml", "good.yaml", "original.yaml")
    script = cfn_lint_script()
    processes = {
        way: subprocess.Popen(
            [script, "--format", "parseable", *options, "-t", *names],
            cwd=TEMPLATES,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for way, options in WAYS.items()
    }
    results: dict[str, dict[str, Findings]] = {}
    try:
        for way, process in processes.items():
            stdout, stderr = process.communicate(timeout=120)
            assert stderr == ""
            found: dict[str, Findings] = {name: [] for name in names}
            for line in stdout.splitlines():
                filename, number, _column, _end_line, _end_column, rule, message = line.split(":", 6)
                found[filename].append((rule, int(number), message))
            # cfn-lint's exit status: 2 for errors, 4 for warnings, both bits for both.
            rules = {rule[:1] for name in names for rule, _, _ in found[name]}
            assert process.returncode == (2 if "E" in rules else 0) | (4 if "W" in rules else 0), stdout
            results[way] = found
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


KNOWN_NAMES = ", ".join(KNOWN)
BAD_FINDINGS = [
    ("E9101", 31, f"TimeZon: unknown property; did you mean 'TimeZone'? known properties: {KNOWN_NAMES}"),
    ("E9102", 37, "CronTime is required"),
    ("E9103", 48, "CronTime: '0 25 * * *': hour 25 is out of range 0-23"),
    (
        "E9103",
        49,
        "TimeZone: unknown time zone 'Mars/Olympus_Mons' (use an IANA name such as 'Europe/Berlin')",
    ),
    ("E9103", 50, "ConcurrencyPolicy: 'Sometimes' is not one of Allow, Forbid, Replace"),
    ("E9103", 52, "RetryPolicy.Attempts: 0 is out of range 1-20"),
    ("E9103", 59, "NetworkConfiguration.AwsvpcConfiguration.Subnets[1]: expected text, got 42"),
]


def _why(text: str) -> str:
    """original_cron's words for why the original read ``text`` otherwise."""
    meaning = compare(text, now=datetime(2026, 1, 1, tzinfo=UTC), schedule_id="check")
    assert meaning is not None
    return meaning.why


COMPATIBILITY = "compatibility mode (schedules from aws-ecs-clockwork)"
ORIGINAL_FINDINGS = [
    (
        "W9104",
        17,
        f"Comment: a strict Update refuses it (unknown property); in {COMPATIBILITY}: ignored: not a "
        "clockwork property; aws-ecs-clockwork ignored it too",
    ),
    (
        "W9104",
        18,
        "CronTime: a strict Update refuses it ('*/2 * * *': has 4 fields; cron needs 5 (minute hour "
        "day-of-month month day-of-week) or 6 (seconds first): did you mean '*/2 * * * *'?); in "
        f"{COMPATIBILITY}: '*/2 * * *' kept with aws-ecs-clockwork's meaning, stored as '* */2 * * *' "
        f"({_why('*/2 * * *')})",
    ),
    (
        "W9104",
        28,
        f"CronTime: a strict Update reads it as clockwork does; in {COMPATIBILITY}: '5/15 * * * *' kept "
        f"with aws-ecs-clockwork's meaning, stored as '5 * * * *' ({_why('5/15 * * * *')})",
    ),
    ("E9101", 49, f"Comment: unknown property; did you mean 'Count'? known properties: {KNOWN_NAMES}"),
]


@pytest.mark.slow
class TestCfnLintWithTheClockworkRules:
    def test_it_reports_each_mistake_of_bad_yaml_on_its_own_line(
        self, linted: dict[str, dict[str, Findings]]
    ) -> None:
        assert linted["module"]["bad.yaml"] == BAD_FINDINGS

    def test_it_reports_a_typo_with_the_known_names(self, linted: dict[str, dict[str, Findings]]) -> None:
        rule, line, message = linted["module"]["bad.yaml"][0]
        assert (rule, line) == ("E9101", 31)
        assert message.startswith("TimeZon: unknown property; did you mean 'TimeZone'? known properties: ")
        assert "CronTime" in message

    def test_it_finds_nothing_in_good_yaml(self, linted: dict[str, dict[str, Findings]]) -> None:
        assert linted["module"]["good.yaml"] == []

    def test_it_warns_of_what_a_strict_update_refuses_in_a_stack_written_for_the_original(
        self, linted: dict[str, dict[str, Findings]]
    ) -> None:
        assert linted["module"]["original.yaml"] == ORIGINAL_FINDINGS

    def test_it_loads_the_same_rules_from_their_directory(
        self, linted: dict[str, dict[str, Findings]]
    ) -> None:
        assert linted["directory"] == linted["module"]


@pytest.mark.slow
class TestCfnLintAlone:
    def test_it_finds_none_of_the_mistakes_in_bad_yaml(self, linted: dict[str, dict[str, Findings]]) -> None:
        assert not [rule for rule, _, _ in linted["alone"]["bad.yaml"] if rule.startswith("E91")]
        assert linted["alone"]["bad.yaml"] == []

    def test_it_finds_nothing_in_good_yaml_either(self, linted: dict[str, dict[str, Findings]]) -> None:
        assert linted["alone"]["good.yaml"] == []

    def test_it_finds_nothing_in_original_yaml(self, linted: dict[str, dict[str, Findings]]) -> None:
        assert linted["alone"]["original.yaml"] == []


# --- in-process: which resources are schedules, where findings point -------------------------

REQUIRED: dict[str, Any] = {
    "SchedulerDynamoDBTable": "clockwork-schedules",
    "CronTime": "0 3 * * *",
    "TaskDefinitionArn": "nightly",
    "ECSClusterArn": "default",
}


def template(resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


def schedule(properties: Any, kind: str = "Custom::ClockworkSchedule") -> dict[str, Any]:
    return {"Type": kind, "Properties": properties}


class TestScheduleResources:
    def test_a_custom_resource_with_a_cron_time_or_a_table_is_a_schedule(self) -> None:
        found = schedule_resources(
            template(
                {
                    "ByCron": schedule({"CronTime": "* * * * *"}),
                    "ByTable": schedule(
                        {"SchedulerDynamoDBTable": "t-1"}, "AWS::CloudFormation::CustomResource"
                    ),
                }
            )
        )
        assert [name for name, _ in found] == ["ByCron", "ByTable"]

    def test_another_custom_resource_is_not_a_schedule(self) -> None:
        assert list(schedule_resources(template({"Other": schedule({"TimeZon": "x"})}))) == []

    def test_a_resource_of_an_aws_type_is_not_a_schedule(self) -> None:
        resources = {"Rule": schedule(REQUIRED, "AWS::Events::Rule")}
        assert list(schedule_resources(template(resources))) == []

    @pytest.mark.parametrize(
        "properties",
        [
            {"Fn::If": ["Nightly", REQUIRED, {"Ref": "AWS::NoValue"}]},
            "not a mapping",
            None,
        ],
    )
    def test_properties_that_are_a_function_or_not_a_mapping_are_left_alone(self, properties: Any) -> None:
        assert list(findings(template({"Schedule": schedule(properties)}))) == []

    def test_a_template_without_resources_has_no_schedules(self) -> None:
        assert list(schedule_resources({"Resources": "nope"})) == []
        assert list(schedule_resources({})) == []


class TestFindingPaths:
    def test_a_missing_property_is_reported_at_the_properties(self) -> None:
        properties = {key: value for key, value in REQUIRED.items() if key != "CronTime"}
        assert list(findings(template({"Job": schedule(properties)}))) == [
            Finding("missing", ("Resources", "Job", "Properties"), "CronTime is required")
        ]

    def test_a_nested_value_is_reported_at_its_own_path(self) -> None:
        properties = {**REQUIRED, "RetryPolicy": {"Attempts": 0}}
        assert list(findings(template({"Job": schedule(properties)}))) == [
            Finding(
                "invalid",
                ("Resources", "Job", "Properties", "RetryPolicy", "Attempts"),
                "RetryPolicy.Attempts: 0 is out of range 1-20",
            )
        ]

    def test_a_camel_case_key_is_located_as_the_template_spells_it(self) -> None:
        network = {"awsvpcConfiguration": {"subnets": ["subnet-1", 7]}}
        properties = {**REQUIRED, "NetworkConfiguration": network}
        [found] = findings(template({"Job": schedule(properties)}))
        assert found.path == (
            "Resources",
            "Job",
            "Properties",
            "NetworkConfiguration",
            "awsvpcConfiguration",
            "subnets",
            1,
        )

    def test_a_value_given_as_a_function_is_not_judged(self) -> None:
        properties = {**REQUIRED, "TimeZone": {"Ref": "Zone"}, "CronTime": {"Fn::Sub": "0 ${Hour} * * *"}}
        assert list(findings(template({"Job": schedule(properties)}))) == []


class TestStrictOrCompatible:
    """What strict and compatibility mode judge differently (W9104), for a resource that does
    not say which it is, and for one that does."""

    def _found(self, **properties: Any) -> list[tuple[str, str]]:
        found = findings(template({"Job": schedule({**REQUIRED, **properties})}))
        return [(finding.kind, finding.message) for finding in found]

    def test_an_unknown_name_is_a_warning_unless_it_is_a_typo(self) -> None:
        assert self._found(Comment="x", TimeZon="Europe/Paris") == [
            (
                "unknown",
                f"TimeZon: unknown property; did you mean 'TimeZone'? known properties: {KNOWN_NAMES}",
            ),
            (
                "compatible",
                "Comment: a strict Update refuses it (unknown property); in compatibility mode (schedules "
                "from aws-ecs-clockwork): ignored: not a clockwork property; aws-ecs-clockwork ignored it too",
            ),
        ]

    def test_a_value_both_modes_refuse_is_an_error_only(self) -> None:
        assert self._found(CronTime="0 25 * * *") == [
            ("invalid", "CronTime: '0 25 * * *': hour 25 is out of range 0-23")
        ]

    def test_a_long_name_and_an_unchecked_task_definition_are_warnings(self) -> None:
        found = self._found(Name="n" * 256, TaskDefinitionArn="arn:aws:ecs:eu-west-1:1:task-definition/x")
        assert [kind for kind, _ in found] == ["compatible", "compatible"]
        assert found[0][1].startswith(
            "Name: a strict Update refuses it (is 256 characters long; the limit is 255)"
        )
        assert found[1][1].startswith(
            "TaskDefinitionArn: a strict Update refuses it ('arn:aws:ecs:eu-west-1:1:task-definition/x' is no "
            "ECS name or ARN)"
        )

    def test_compatibility_strict_makes_them_errors(self) -> None:
        assert [kind for kind, _ in self._found(Compatibility="Strict", Comment="x", CronTime="")] == [
            "unknown",
            "invalid",
        ]

    def test_compatibility_original_makes_them_notes_and_clockworks_refusals_errors(self) -> None:
        assert self._found(Compatibility="Original", Comment="x") == [
            (
                "compatible",
                "Comment: in compatibility mode, ignored: not a clockwork property; aws-ecs-clockwork ignored it too",
            )
        ]
        assert self._found(Compatibility="Original", CronTime="0 2 L * *") == []
        [(kind, text)] = self._found(Compatibility="Original", CronTime="0 25 * * *")
        assert (kind, text.split(":")[0]) == ("invalid", "CronTime")

    def test_a_compatibility_that_is_neither_is_an_error(self) -> None:
        assert self._found(Compatibility="Lenient") == [
            ("invalid", "Compatibility: 'Lenient' is not one of Original, Strict")
        ]

    def test_values_given_as_functions_are_not_judged(self) -> None:
        assert self._found(CronTime={"Ref": "Cron"}, Name={"Fn::Sub": "${AWS::StackName}"}) == []
