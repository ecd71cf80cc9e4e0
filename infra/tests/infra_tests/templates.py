"""Helpers for the infra tests: load a template, evaluate its intrinsics, check its IAM policies.

The policy checker evaluates each policy with sample parameter values (two families, two
clusters, two roles) and then asks, for every action and every resource it is granted on,
whether the parameters allow that resource: ECS task definitions only of the named
families, tasks only in the named clusters, DynamoDB only the table and its indexes,
PassRole only the named roles and only to ECS tasks.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]
from clockwork_dynamodb import schema

INFRA = Path(__file__).resolve().parents[2]
TEMPLATE = INFRA / "template.yaml"
EXAMPLES = sorted((INFRA / "examples").glob("*.yaml"))

PARTITION, REGION, ACCOUNT = "aws", "eu-west-1", "123456789012"
FAMILIES = ["fam-a", "fam-b"]
CLUSTERS = [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/c-one", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/c-two"]
ROLES = [f"arn:aws:iam::{ACCOUNT}:role/job-task", f"arn:aws:iam::{ACCOUNT}:role/job-exec"]
REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/clockwork"
SAMPLE_PARAMETERS: dict[str, Any] = {
    "TaskDefinitionFamilies": FAMILIES,
    "TargetClusterArns": CLUSTERS,
    "TaskRoleArns": ROLES,
    "WorkerImageRepositoryArn": REPOSITORY,
    "AlarmTopicArn": "",
    "WorkerClusterArn": "",
}
#: Actions to which the IAM service authorization reference gives no resource type: "*" only.
RESOURCELESS = frozenset({"ecs:DescribeTaskDefinition", "ecr:GetAuthorizationToken"})
#: The worker's region and account as IAM policy variables (used where a Join needs them).
POLICY_VARIABLES = {"${aws:RequestedRegion}": REGION, "${aws:PrincipalAccount}": ACCOUNT}

Template = dict[str, Any]
_NO_VALUE = object()


def load(path: Path) -> Template:
    """A template as plain data (cfn-lint's loader: it knows !Ref, !GetAtt, !Sub ...)."""
    data: Template = json.loads(json.dumps(cfn_yaml.load(str(path))))
    return data


# --- intrinsics ------------------------------------------------------------------------------


def resource_arn(template: Template, name: str) -> str:
    kind = template["Resources"][name]["Type"]
    arns = {
        "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
        "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
    }
    return arns.get(kind, f"arn:aws:{kind.split('::')[1].lower()}:{REGION}:{ACCOUNT}:{name}")


class Evaluator:
    """Resolves a template's intrinsic functions for the sample parameters."""

    def __init__(self, template: Template, parameters: Mapping[str, Any]) -> None:
        self.template = template
        self.parameters = {
            "AWS::Partition": PARTITION,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": "clockwork",
            **{k: v.get("Default") for k, v in template.get("Parameters", {}).items()},
            **parameters,
        }

    def condition(self, name: str) -> bool:
        return bool(self.value(self.template["Conditions"][name]))

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        return name  # a resource's Ref: its name stands for its physical id

    def value(self, node: Any) -> Any:  # noqa: PLR0911, PLR0912
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) != 1:
            return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not _NO_VALUE}
        ((key, arg),) = node.items()
        if key == "Ref":
            return self.ref(arg)
        if key == "Fn::GetAtt":
            name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return resource_arn(self.template, name) if attribute == "Arn" else f"{name}.{attribute}"
        if key == "Fn::Sub":
            text, names = (arg, {}) if isinstance(arg, str) else (arg[0], self.value(arg[1]))
            return self._sub(text, names)
        if key == "Fn::Join":
            return str(arg[0]).join(str(v) for v in self.value(arg[1]))
        if key == "Fn::Split":
            return str(self.value(arg[1])).split(arg[0])
        if key == "Fn::Select":
            return self.value(arg[1])[int(self.value(arg[0]))]
        if key == "Fn::If":
            return self.value(arg[1] if self.condition(arg[0]) else arg[2])
        if key == "Fn::Equals":
            return self.value(arg[0]) == self.value(arg[1])
        if key == "Fn::Not":
            return not self.value(arg[0])
        if key == "Condition":
            return self.condition(arg)
        return {key: self.value(arg)}

    def _sub(self, text: str, names: Mapping[str, Any]) -> str:
        out, rest = [], text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            out.append(before)
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in names:
                out.append(str(names[name]))
            elif "." in name:
                out.append(str(self.value({"Fn::GetAtt": name.split(".", 1)})))
            else:
                out.append(str(self.ref(name)))
        return "".join(out) + rest


# --- the policy checker ----------------------------------------------------------------------


def policies(template: Template) -> Iterator[tuple[str, Any]]:
    """(where, policy document) for every permission policy in the template (unevaluated)."""
    for name, resource in template.get("Resources", {}).items():
        kind, props = resource.get("Type"), resource.get("Properties", {})
        if kind == "AWS::IAM::Role":
            for index, policy in enumerate(props.get("Policies", [])):
                yield f"{name}.Policies[{index}]", policy
            if props.get("ManagedPolicyArns"):
                yield f"{name}.ManagedPolicyArns", {"ManagedPolicyArns": props["ManagedPolicyArns"]}
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            yield name, props


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed_resources(template: Template, action: str) -> set[str] | None:
    """What the parameters allow ``action`` on (None: no rule for this action)."""
    tables = [n for n, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    groups = [n for n, r in template["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup"]
    names = [arn.rsplit("/", 1)[1] for arn in CLUSTERS]
    service = action.split(":", 1)[0]
    if service == "dynamodb":
        arns = [resource_arn(template, t) for t in tables]
        return {*arns, *(f"{arn}/index/{index.name}" for arn in arns for index in schema.INDEXES)}
    if service == "logs":
        return {resource_arn(template, g) for g in groups}
    per_action = {
        "ecs:RunTask": {
            f"arn:{p}:ecs:{REGION}:{ACCOUNT}:task-definition/{f}:*"
            for f in FAMILIES
            for p in (PARTITION, "*")
        },
        "ecs:TagResource": {f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{n}/*" for n in names},
        "ecs:DescribeTasks": {f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{n}/*" for n in names},
        "ecs:StopTask": {f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{n}/*" for n in names},
        "ecs:ListTasks": {f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/{n}/*" for n in names},
        "iam:PassRole": set(ROLES),
        "ecr:BatchCheckLayerAvailability": {REPOSITORY},
        "ecr:BatchGetImage": {REPOSITORY},
        "ecr:GetDownloadUrlForLayer": {REPOSITORY},
    }
    if action in RESOURCELESS:
        return {"*"}
    return per_action.get(action)


#: Conditions an action's statement must carry: one of the alternatives, each a mapping of
#: key -> the values it must be limited to.
REQUIRED_CONDITIONS: dict[str, list[dict[str, list[str]]]] = {
    "ecs:RunTask": [{"ecs:cluster": CLUSTERS}],
    "ecs:ListTasks": [{"ecs:cluster": CLUSTERS}],
    # Tags at launch only, or (a handover's) clockwork's own tag keys on an existing task.
    "ecs:TagResource": [{"ecs:CreateAction": ["RunTask"]}, {"aws:TagKeys": ["clockwork:*"]}],
    "iam:PassRole": [{"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}],
}


def _condition_values(condition: Mapping[str, Any], key: str) -> list[str] | None:
    for operator in ("StringEquals", "ArnEquals", "ForAllValues:StringLike"):
        if key in condition.get(operator, {}):
            return sorted(_listed(condition[operator][key]))
    return None


def _variables(text: str) -> str:
    for variable, value in POLICY_VARIABLES.items():
        text = text.replace(variable, value)
    return text


def statement_problems(where: str, statement: Mapping[str, Any], template: Template) -> list[str]:
    found: list[str] = []
    if statement.get("Effect") != "Allow":
        return found
    if "NotAction" in statement or "NotResource" in statement:
        return [f"{where}: NotAction/NotResource grant more than they name"]
    actions = [str(a) for a in _listed(statement.get("Action", []))]
    resources = [_variables(str(r)) for r in _listed(statement.get("Resource", []))]
    condition = statement.get("Condition", {})
    for action in actions:
        if "*" in action:
            found.append(f"{where}: action {action!r} has a wildcard")
            continue
        allowed = allowed_resources(template, action)
        if allowed is None:
            found.append(f"{where}: no rule says which resources {action!r} may have")
            continue
        for resource in resources:
            if resource == "*" and action not in RESOURCELESS:
                found.append(f"{where}: {action} on Resource '*'")
            elif resource not in allowed:
                found.append(f"{where}: {action} on {resource!r}, wider than the parameters allow")
        alternatives = REQUIRED_CONDITIONS.get(action, [])
        if alternatives and not any(
            all(_condition_values(condition, key) == sorted(values) for key, values in required.items())
            for required in alternatives
        ):
            wanted = " or ".join(
                ", ".join(f"{key} = {values}" for key, values in required.items())
                for required in alternatives
            )
            found.append(f"{where}: {action} without the condition {wanted}")
    return found


def policy_problems(template: Template, parameters: Mapping[str, Any] = SAMPLE_PARAMETERS) -> list[str]:
    """Every way the template's IAM policies grant more than their parameters allow."""
    evaluate = Evaluator(template, parameters)
    found = []
    for where, raw in policies(template):
        if "ManagedPolicyArns" in raw:
            found.append(f"{where}: managed policies cannot be checked here")
            continue
        policy = evaluate.value(raw)
        document = policy.get("PolicyDocument", {}) if isinstance(policy, dict) else {}
        for index, statement in enumerate(_listed(document.get("Statement", []))):
            found.extend(statement_problems(f"{where}.Statement[{index}]", statement, template))
    return found


def widened(template: Template, change: Callable[[Template], None]) -> Template:
    """A deep copy of ``template`` with ``change`` applied."""
    copied = copy.deepcopy(template)
    change(copied)
    return copied
