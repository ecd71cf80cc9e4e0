"""ECS on moto's server, for tests: a cluster and a Fargate task definition moto can run.

moto runs a Fargate task only with container-level ``memory`` and a security group, in a
subnet of its default VPC; :func:`build_world` makes all of that, with unique names.

moto's ECS tasks have no ``createdAt`` (ECS gives every task one, and the handover from
the original's workers matches on it): :func:`moto_command` runs moto's server with
tasks that record it (``python -m clockwork_ecs.testing -H HOST -p PORT``). Only the
emulator changes; clients talk to it over HTTP as they would to ECS.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import boto3

from clockwork_ecs.launcher import default_client

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_ecs.client import ECSClient

REGION = "us-east-1"


@attrs.frozen
class World:
    """An ECS cluster with what a Fargate task needs, in moto."""

    endpoint: str
    cluster: str
    cluster_arn: str
    family: str
    task_definition_arn: str
    container: str
    subnets: tuple[str, ...]
    security_group: str

    def ecs(self) -> ECSClient:
        return default_client(REGION, self.endpoint)

    def params(self, **changes: Any) -> dict[str, Any]:
        """Target params that run a Fargate task of the world's family."""
        params: dict[str, Any] = {
            "cluster": self.cluster,
            "task_definition": self.family,
            "launch_type": "FARGATE",
            "network_configuration": {
                "awsvpcConfiguration": {"subnets": [self.subnets[0]], "securityGroups": [self.security_group]}
            },
            "region": REGION,
            "endpoint_url": self.endpoint,
        }
        params.update(changes)
        return params


def build_world(endpoint: str) -> World:
    ecs = default_client(REGION, endpoint)
    ec2: EC2Client = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    suffix = uuid.uuid4().hex[:8]
    group = ec2.create_security_group(
        GroupName=f"clockwork-{suffix}", Description="clockwork tests", VpcId=vpc
    )
    cluster = f"clockwork-{suffix}"
    cluster_arn = ecs.create_cluster(clusterName=cluster)["cluster"]["clusterArn"]
    family = f"job-{suffix}"
    definition = ecs.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "main", "image": "busybox", "memory": 512, "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    return World(
        endpoint=endpoint,
        cluster=cluster,
        cluster_arn=cluster_arn,
        family=family,
        task_definition_arn=definition,
        container="main",
        subnets=tuple(s["SubnetId"] for s in subnets[:2]),
        security_group=group["GroupId"],
    )


def moto_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The command that runs moto's server, its ECS tasks with a ``createdAt``, on ``host:port``."""
    return [sys.executable, "-m", "clockwork_ecs.testing", "-H", host, "-p", str(port)]


def serve_moto(argv: Sequence[str]) -> None:
    """moto's server (its own command line), with ``createdAt`` set on each ECS task it starts."""
    from moto.core.utils import utcnow
    from moto.ecs import models
    from moto.server import main

    started = models.Task.__init__

    def start(task: models.Task, *args: Any, **kwargs: Any) -> None:
        started(task, *args, **kwargs)
        vars(task)["created_at"] = utcnow()  # answered as createdAt (moto maps snake_case names)

    models.Task.__init__ = start  # type: ignore[method-assign,assignment]
    main(list(argv))


if __name__ == "__main__":
    serve_moto(sys.argv[1:])
