"""The clockwork stack (infra/template.yaml) and the example templates that use it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clockwork_dynamodb import schema
from clockwork_ecs.fire import KEY_TAG, TAG_PREFIX
from clockwork_ecs.handover import ADOPTED_TAG
from clockwork_worker.http import is_loopback, parse_address

from .templates import EXAMPLES, TEMPLATE, Template, load, policy_problems, widened

CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def worker_statement(template: Template, sid: str) -> dict[str, Any]:
    for policy in template["Resources"]["WorkerTaskRole"]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if statement.get("Sid") == sid:
                found: dict[str, Any] = statement
                return found
    raise AssertionError(f"no statement {sid}")


@pytest.mark.parametrize("path", [TEMPLATE, *EXAMPLES], ids=lambda p: p.name)
def test_cfn_lint_with_clockworks_own_rules_finds_nothing(path: Path) -> None:
    result = subprocess.run(
        [str(CFN_LINT), "--append-rules", "clockwork_cfn_resource.lint", "-t", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_examples_include_both_templates() -> None:
    assert {p.name for p in EXAMPLES} >= {"original.yaml", "features.yaml"}


def test_the_table_is_the_schemas_table() -> None:
    table = load(TEMPLATE)["Resources"]["Table"]
    wanted = schema.create_table_request("unused")
    props = table["Properties"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert "TableName" not in props
    assert props["BillingMode"] == wanted["BillingMode"]
    assert props["KeySchema"] == wanted["KeySchema"]
    assert props["AttributeDefinitions"] == wanted["AttributeDefinitions"]
    assert props["GlobalSecondaryIndexes"] == wanted["GlobalSecondaryIndexes"]


def test_the_table_expires_run_history_is_recoverable_encrypted_and_retained() -> None:
    table = load(TEMPLATE)["Resources"]["Table"]
    props = table["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": schema.TTL_ATTRIBUTE, "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_function_runs_the_handler_on_arm64_python_3_13_from_the_packaged_zip() -> None:
    props = load(TEMPLATE)["Resources"]["Function"]["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "clockwork_cfn_resource.handler.handler"
    assert props["Code"] == "../dist/clockwork-cfn-resource-lambda.zip"
    assert props["Timeout"] >= 60


def test_the_worker_reads_the_table_through_its_store_url_and_serves_healthz() -> None:
    resources = load(TEMPLATE)["Resources"]
    container = resources["WorkerTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["DYNAMO_TABLE"] == {"Ref": "Table"}
    assert env["CLOCKWORK_STORE"] == {"Fn::Sub": "dynamodb://${Table}?region=${AWS::Region}"}
    assert env["CLOCKWORK_LAUNCHER"] == "ecs"
    assert env["CLOCKWORK_LOG_FORMAT"] == "json"
    port = env["CLOCKWORK_HTTP"].rsplit(":", 1)[1]
    check = container["HealthCheck"]["Command"]
    assert check[:3] == ["CMD", "python", "-c"]
    assert f"127.0.0.1:{port}/healthz" in check[3]
    assert resources["WorkerService"]["Properties"]["DesiredCount"] == 2


def test_the_worker_serves_healthz_and_metrics_on_loopback_only() -> None:
    """The container's health check runs inside it: no port is mapped, nothing listens beyond loopback."""
    container = load(TEMPLATE)["Resources"]["WorkerTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    host, _ = parse_address(env["CLOCKWORK_HTTP"])
    assert is_loopback(host), f"CLOCKWORK_HTTP listens on {host}"
    assert "PortMappings" not in container


def test_the_alarms_read_the_workers_json_log_lines() -> None:
    resources = load(TEMPLATE)["Resources"]
    assert '$.action = "launch_failed"' in resources["LaunchFailureMetric"]["Properties"]["FilterPattern"]
    lateness = resources["LatenessMetric"]["Properties"]
    assert '$.action = "launched"' in lateness["FilterPattern"]
    assert lateness["MetricTransformations"][0]["MetricValue"] == "$.lateness_ms"


def test_the_stack_exports_the_originals_output_names() -> None:
    outputs = load(TEMPLATE)["Outputs"]
    assert outputs["TokenArn"]["Value"] == {"Fn::GetAtt": ["Function", "Arn"]}
    assert outputs["SchedulerDynamoDBTable"]["Value"] == {"Ref": "Table"}
    for name in ("TokenArn", "SchedulerDynamoDBTable"):
        assert outputs[name]["Export"]["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_each_example_takes_token_and_table_from_the_stacks_exports(path: Path) -> None:
    schedules = [
        r["Properties"]
        for r in load(path)["Resources"].values()
        if r["Type"] == "AWS::CloudFormation::CustomResource" or r["Type"].startswith("Custom::")
    ]
    assert schedules
    for props in schedules:
        for name in ("TokenArn", "SchedulerDynamoDBTable"):
            key = "ServiceToken" if name == "TokenArn" else name
            assert props[key] == {"Fn::ImportValue": {"Fn::Sub": f"${{ClockworkStackName}}-{name}"}}


def test_the_original_example_keeps_the_original_schedule() -> None:
    props = load(EXAMPLES[[p.name for p in EXAMPLES].index("original.yaml")])["Resources"][
        "DoAccuralsScheduledJob"
    ]["Properties"]
    assert props["Name"] == "Do Accruals Nightly Processing"
    assert props["CronTime"] == "*/2 * * * *"
    assert props["Region"] == {"Ref": "AWS::Region"}


def test_every_iam_policy_grants_only_what_the_parameters_allow() -> None:
    assert policy_problems(load(TEMPLATE)) == []


def test_a_handover_may_tag_existing_tasks_with_clockworks_keys_only_and_only_when_asked() -> None:
    template = load(TEMPLATE)
    policy = template["Resources"]["WorkerHandoverPolicy"]
    assert policy["Condition"] == "HandsOver"
    assert template["Parameters"]["HandoverFromOriginal"]["Default"] == "false"
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Condition"]["ForAllValues:StringLike"]["aws:TagKeys"] == [f"{TAG_PREFIX}*"]
    assert ADOPTED_TAG.startswith(TAG_PREFIX)
    assert KEY_TAG.startswith(TAG_PREFIX)


def _set(sid: str, key: str, value: Any) -> Callable[[Template], None]:
    def change(template: Template) -> None:
        worker_statement(template, sid)[key] = value

    return change


def _table_action(template: Template) -> None:
    policy = template["Resources"]["FunctionRole"]["Properties"]["Policies"][0]
    policy["PolicyDocument"]["Statement"][0]["Action"].append("dynamodb:*")


def _table_resource(template: Template) -> None:
    policy = template["Resources"]["FunctionRole"]["Properties"]["Policies"][0]
    policy["PolicyDocument"]["Statement"][0]["Resource"] = {
        "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"
    }


def _handover_condition(condition: dict[str, Any]) -> Callable[[Template], None]:
    def change(template: Template) -> None:
        statement = template["Resources"]["WorkerHandoverPolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ][0]
        statement["Condition"] = condition

    return change


WIDENINGS: dict[str, Callable[[Template], None]] = {
    "any task definition": _set("RunTask", "Resource", "arn:aws:ecs:*:*:task-definition/*"),
    "run task in any cluster": _set("RunTask", "Condition", {}),
    "tasks of any cluster": _set(
        "TrackTasks", "Resource", {"Fn::Sub": "arn:aws:ecs:${AWS::Region}:${AWS::AccountId}:task/*"}
    ),
    "tagging outside RunTask": _set("TagAtLaunch", "Condition", {}),
    "a handover tagging any key": _handover_condition({}),
    "a handover tagging keys beyond clockwork's": _handover_condition(
        {"ForAllValues:StringLike": {"aws:TagKeys": ["*"]}}
    ),
    "pass any role": _set("PassTaskRoles", "Resource", "*"),
    "pass a role to any service": _set("PassTaskRoles", "Condition", {}),
    "an action wildcard": _set("TrackTasks", "Action", ["ecs:Describe*"]),
    "Resource star on a scoped action": _set("FindLaunchedTasks", "Resource", "*"),
    "a table wildcard action": _table_action,
    "every table": _table_resource,
}


@pytest.mark.parametrize("name", WIDENINGS)
def test_the_policy_checker_catches_a_widened_copy_of_the_template(name: str) -> None:
    template = load(TEMPLATE)
    assert policy_problems(widened(template, WIDENINGS[name])) != []
    assert policy_problems(template) == []


@pytest.mark.slow
def test_the_package_session_writes_the_zip_and_a_template_that_names_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(TEMPLATE.parent / "package.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    written = (tmp_path / "clockwork.yaml").read_text().splitlines()
    original = TEMPLATE.read_text().splitlines()
    changed = [(a, b) for a, b in zip(original, written, strict=True) if a != b]
    assert changed == [
        (
            "      Code: ../dist/clockwork-cfn-resource-lambda.zip",
            "      Code: clockwork-cfn-resource-lambda.zip",
        )
    ]
    assert (tmp_path / "clockwork-cfn-resource-lambda.zip").stat().st_size > 100_000
