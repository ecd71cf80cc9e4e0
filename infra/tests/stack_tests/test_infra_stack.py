"""The clockwork stack and the original example, created as stacks in moto's CloudFormation.

As far as moto (5.x) goes: it creates stacks (Create only; no Update or Delete here) over
HTTP from a separate ``moto.server`` process, and what it cannot do is pinned down here:

* Of the clockwork stack's 14 unconditional resources it creates 10: the table, both log groups, the
  three roles, the function, the cluster, the task definition and the service.
  ``AWS::Logs::MetricFilter`` and ``AWS::CloudWatch::Alarm`` have no moto model: moto logs
  "No Moto CloudFormation support" and skips them (the stack still reaches
  CREATE_COMPLETE; ``describe_stack_resources`` lists them without a logical id).
* ``Fn::If`` yielding ``AWS::NoValue`` inside a list leaves a ``None`` in it: the worker
  execution role's optional ``image`` policy would make moto's IAM model fail (HTTP 500),
  so the stack is created with ``WorkerImageRepositoryArn`` set (the policy is present).
* moto's ``AWS::Lambda::Function`` takes Code, Handler, Role, Runtime, Description,
  MemorySize, Timeout ...; it drops ``Architectures`` (reporting its default, x86_64)
  and ``LoggingConfig``.
* Custom resources: moto answers only ``Custom::*`` types. For those it sends the Create
  event to the function through ``LambdaFunction.invoke``, which needs Docker (none here:
  the invocation fails inside the server and the resource waits, CREATE_IN_PROGRESS), and
  it takes the answer PUT to ``/cloudformation_<region>/cfnresponse?stack=<id>``, where
  Status SUCCESS completes the resource and the stack. The event it built is not exposed.
  ``AWS::CloudFormation::CustomResource`` (the original example's type) has no moto model
  at all: it is skipped like the alarms, and nothing is invoked.

So the custom resource is answered in-process: the test resolves the properties from
what moto created (the exports, the task definition, the cluster), sends our handler the
Create event CloudFormation would send, with the moto table as its DynamoDB
(``CLOCKWORK_DYNAMODB_ENDPOINT_URL``), and checks the schedule in the table; with the type
renamed ``Custom::...``, the handler's answer goes to moto, which completes the stack.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import importlib.util
import json
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import boto3
import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.testing import ResponseServer
from clockwork_dynamodb import schema
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import FAKE_CREDENTIALS, Emulator, moto_server

INFRA = Path(__file__).resolve().parents[2]
TEMPLATE = INFRA / "template.yaml"
ORIGINAL = INFRA / "examples" / "original.yaml"
BUILDER = INFRA / "lambda_zip.py"
REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "clockwork"
BUCKET = "clockwork-packages"
PARAMETERS = {
    "WorkerImage": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/clockwork:1",
    # moto cannot create the role when Fn::If gives AWS::NoValue in its Policies list.
    "WorkerImageRepositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/clockwork",
    "Subnets": "subnet-0a1b2c3d,subnet-4e5f6a7b",
    "SecurityGroups": "sg-0a1b2c3d",
    "TargetClusterArns": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/jobs",
    "TaskDefinitionFamilies": "do-accruals",
    "TaskRoleArns": f"arn:aws:iam::{ACCOUNT}:role/job-task",
}
#: The clockwork stack's resource types that moto's CloudFormation has no model for.
UNSUPPORTED = frozenset({"AWS::Logs::MetricFilter", "AWS::CloudWatch::Alarm"})

Template = dict[str, Any]


def load(path: Path) -> Template:
    """A template as plain data (cfn-lint's loader knows the short forms: !Ref, !Sub ...)."""
    data: Template = json.loads(json.dumps(cfn_yaml.load(str(path))))
    return data


def packaged(template: Template, bucket: str, key: str) -> Template:
    """What ``aws cloudformation package`` makes of the template: the local Code path uploaded."""
    copied = copy.deepcopy(template)
    for resource in copied["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and isinstance(properties.get("Code"), str):
            properties["Code"] = {"S3Bucket": bucket, "S3Key": key}
    return copied


def build_zip(out_dir: Path) -> Path:
    spec = importlib.util.spec_from_file_location("lambda_zip", BUILDER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built: Path = module.build(out_dir)
    return built


def client(server: Emulator, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
    )


def create_stack(server: Emulator, name: str, template: Template, parameters: Mapping[str, str]) -> Any:
    cloudformation = client(server, "cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    return cloudformation.describe_stacks(StackName=name)["Stacks"][0]


def created(server: Emulator, stack: str) -> dict[str, dict[str, Any]]:
    """The stack's resources by logical id (moto lists skipped ones without an id)."""
    listed = client(server, "cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    return {r["LogicalResourceId"]: r for r in listed if "LogicalResourceId" in r}


def outputs(stack: Mapping[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


@attrs.frozen
class Deployed:
    server: Emulator
    template: Template
    package: Path
    stack: dict[str, Any]
    seconds: float


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """The Lambda zip built, uploaded to moto's S3, and the packaged template created."""
    package = build_zip(tmp_path_factory.mktemp("dist"))
    server = moto_server(tmp_path_factory.mktemp("moto") / "moto.log").start()
    try:
        s3 = client(server, "s3")
        s3.create_bucket(Bucket=BUCKET)
        # Named as `aws cloudformation package` names uploads: the file's MD5.
        key = f"{hashlib.md5(package.read_bytes()).hexdigest()}.zip"
        s3.upload_file(str(package), BUCKET, key)
        template = packaged(load(TEMPLATE), BUCKET, key)
        started = time.monotonic()
        stack = create_stack(server, STACK, template, PARAMETERS)
        yield Deployed(server, template, package, stack, time.monotonic() - started)
    finally:
        server.stop()


# --- the clockwork stack ---------------------------------------------------------------------


def test_the_package_step_rewrites_only_the_functions_code() -> None:
    template = load(TEMPLATE)
    rewritten = packaged(template, "bucket", "key.zip")
    assert (
        template["Resources"]["Function"]["Properties"]["Code"] == "../dist/clockwork-cfn-resource-lambda.zip"
    )
    assert rewritten["Resources"]["Function"]["Properties"]["Code"] == {
        "S3Bucket": "bucket",
        "S3Key": "key.zip",
    }
    rewritten["Resources"]["Function"]["Properties"]["Code"] = template["Resources"]["Function"][
        "Properties"
    ]["Code"]
    assert rewritten == template


@pytest.mark.slow
def test_the_stack_is_created_but_for_the_types_moto_lacks(deployed: Deployed) -> None:
    assert deployed.stack["StackStatus"] == "CREATE_COMPLETE"
    resources = deployed.template["Resources"]
    skipped = {name for name, r in resources.items() if r["Type"] in UNSUPPORTED}
    assert skipped == {"LaunchFailureMetric", "LatenessMetric", "LaunchFailureAlarm", "LatenessAlarm"}
    made = created(deployed.server, STACK)
    # WorkerHandoverPolicy exists only with HandoverFromOriginal=true (the default is false).
    assert resources["WorkerHandoverPolicy"]["Condition"] == "HandsOver"
    assert set(made) == set(resources) - skipped - {"WorkerHandoverPolicy"}
    assert {name: r["ResourceType"] for name, r in made.items()} == {
        name: resources[name]["Type"] for name in made
    }
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in made.values())


@pytest.mark.slow
def test_the_table_has_clockworks_schema(deployed: Deployed) -> None:
    table = created(deployed.server, STACK)["Table"]["PhysicalResourceId"]
    described = client(deployed.server, "dynamodb").describe_table(TableName=table)["Table"]
    assert schema.problems(described) == []
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


@pytest.mark.slow
def test_the_function_runs_the_uploaded_package(deployed: Deployed) -> None:
    declared = deployed.template["Resources"]["Function"]["Properties"]
    name = created(deployed.server, STACK)["Function"]["PhysicalResourceId"]
    function = client(deployed.server, "lambda").get_function(FunctionName=name)["Configuration"]
    assert (function["Handler"], function["Runtime"]) == (declared["Handler"], declared["Runtime"])
    assert (declared["Handler"], declared["Runtime"]) == (
        "clockwork_cfn_resource.handler.handler",
        "python3.13",
    )
    assert (function["Timeout"], function["MemorySize"]) == (declared["Timeout"], declared["MemorySize"])
    digest = base64.b64encode(hashlib.sha256(deployed.package.read_bytes()).digest()).decode()
    assert (function["CodeSize"], function["CodeSha256"]) == (deployed.package.stat().st_size, digest)
    role = created(deployed.server, STACK)["FunctionRole"]["PhysicalResourceId"]
    assert function["Role"] == f"arn:aws:iam::{ACCOUNT}:role/{role}"
    # moto's CloudFormation drops Architectures (its default is x86_64): the template's is checked.
    assert declared["Architectures"] == ["arm64"]
    assert function["Architectures"] in (["arm64"], ["x86_64"])


@pytest.mark.slow
def test_the_outputs_resolve_and_are_exported(deployed: Deployed) -> None:
    made = created(deployed.server, STACK)
    function = client(deployed.server, "lambda").get_function(
        FunctionName=made["Function"]["PhysicalResourceId"]
    )["Configuration"]
    found = outputs(deployed.stack)
    assert found["TokenArn"] == function["FunctionArn"]
    assert found["SchedulerDynamoDBTable"] == made["Table"]["PhysicalResourceId"]
    assert made["WorkerService"]["PhysicalResourceId"].endswith("/" + found["WorkerService"])
    exports = client(deployed.server, "cloudformation").list_exports()["Exports"]
    assert {e["Name"]: e["Value"] for e in exports if e["ExportingStackId"] == deployed.stack["StackId"]} == {
        f"{STACK}-TokenArn": found["TokenArn"],
        f"{STACK}-SchedulerDynamoDBTable": found["SchedulerDynamoDBTable"],
    }


# --- the original example, answered in-process --------------------------------------------------


@pytest.fixture
def handler_environment(deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The function's environment, its DynamoDB being moto's (where the stack made the table)."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", deployed.server.endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def resolved_properties(server: Emulator, stack: str, template: Template, logical_id: str) -> dict[str, Any]:
    """The custom resource's properties as CloudFormation resolves them, from what moto made."""
    exports = {e["Name"]: e["Value"] for e in client(server, "cloudformation").list_exports()["Exports"]}
    made = created(server, stack)
    parameters = {k: v.get("Default") for k, v in template.get("Parameters", {}).items()}

    def value(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((function, argument),) = node.items()
            if function == "Fn::ImportValue":
                return exports[value(argument)]
            if function == "Fn::Sub":
                text = str(argument)
                for name, given in parameters.items():
                    text = text.replace("${" + name + "}", str(given))
                return text
            if function == "Ref":
                return REGION if argument == "AWS::Region" else made[argument]["PhysicalResourceId"]
            if function == "Fn::GetAtt":
                resource, attribute = argument
                assert template["Resources"][resource]["Type"] == "AWS::ECS::Cluster"
                assert attribute == "Arn"
                name = made[resource]["PhysicalResourceId"]
                return client(server, "ecs").describe_clusters(clusters=[name])["clusters"][0]["clusterArn"]
        return node

    properties = template["Resources"][logical_id]["Properties"]
    return {key: value(node) for key, node in properties.items()}


def create_event(
    stack: Mapping[str, Any], logical_id: str, kind: str, properties: Mapping[str, Any], url: str
) -> dict[str, Any]:
    return {
        "RequestType": "Create",
        "ServiceToken": properties["ServiceToken"],
        "ResponseURL": url,
        "StackId": stack["StackId"],
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "ResourceProperties": dict(properties),
    }


def scheduled(deployed: Deployed, physical_id: str) -> Any:
    table = outputs(deployed.stack)["SchedulerDynamoDBTable"]
    store = DynamoDBStore(client(deployed.server, "dynamodb"), table)
    try:
        return store.get(physical_id).schedule
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.usefixtures("handler_environment")
def test_the_original_example_creates_its_schedule(deployed: Deployed) -> None:
    example = load(ORIGINAL)
    job = example["Resources"]["DoAccuralsScheduledJob"]
    assert job["Type"] == "AWS::CloudFormation::CustomResource"
    stack = create_stack(deployed.server, "orders", example, {})
    # moto resolved the ImportValues (else the stack would have failed), created the cluster
    # and the task definition, and skipped the custom resource: it has no model for its type.
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert set(created(deployed.server, "orders")) == {"ECSCluster", "DoAccrualsTaskDefinition"}

    properties = resolved_properties(deployed.server, "orders", example, "DoAccuralsScheduledJob")
    assert properties["ServiceToken"] == outputs(deployed.stack)["TokenArn"]
    assert properties["SchedulerDynamoDBTable"] == outputs(deployed.stack)["SchedulerDynamoDBTable"]
    assert properties["TaskDefinitionArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/do-accruals:1"
    assert properties["ECSClusterArn"].startswith(
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/orders-ECSCluster-"
    )

    recorder = ResponseServer()
    try:
        sent = create_event(stack, "DoAccuralsScheduledJob", job["Type"], properties, recorder.url())
        document = handler(sent, None)
        received = recorder.wait(1)
    finally:
        recorder.close()
    assert document["Status"] == "SUCCESS", document.get("Reason")
    assert [r.document for r in received] == [document]
    schedule = scheduled(deployed, document["PhysicalResourceId"])
    assert schedule.expression == "*/2 * * * *"
    assert schedule.name == "Do Accruals Nightly Processing"


@pytest.mark.slow
@pytest.mark.usefixtures("handler_environment")
def test_as_a_custom_type_moto_completes_the_stack_on_the_handlers_answer(deployed: Deployed) -> None:
    example = load(ORIGINAL)
    example["Resources"]["DoAccuralsScheduledJob"]["Type"] = "Custom::ClockworkSchedule"
    stack = create_stack(deployed.server, "orders-custom", example, {})
    # moto tried to invoke the function (it needs Docker) and waits for an answer.
    assert stack["StackStatus"] == "CREATE_IN_PROGRESS"
    waiting = created(deployed.server, "orders-custom")["DoAccuralsScheduledJob"]
    assert waiting["ResourceStatus"] == "CREATE_IN_PROGRESS"

    properties = resolved_properties(deployed.server, "orders-custom", example, "DoAccuralsScheduledJob")
    url = f"{deployed.server.endpoint}/cloudformation_{REGION}/cfnresponse?stack={stack['StackId']}"
    sent = create_event(stack, "DoAccuralsScheduledJob", "Custom::ClockworkSchedule", properties, url)
    document = handler(sent, None)

    assert document["Status"] == "SUCCESS", document.get("Reason")
    described = client(deployed.server, "cloudformation").describe_stacks(StackName="orders-custom")[
        "Stacks"
    ][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert scheduled(deployed, document["PhysicalResourceId"]).expression == "*/2 * * * *"
