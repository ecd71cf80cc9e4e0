"""Finding tasks in a cluster: ``ListTasks`` (every page, RUNNING and STOPPED) and ``DescribeTasks``.

ECS refuses ``startedBy`` together with any other filter but the cluster and the desired
status ("cannot specify startedBy with other arguments"), so a listing names either a
``startedBy`` value or a task definition family, never both; whatever else must match
is compared on what ``DescribeTasks`` answers. Stopped tasks stay listed for at least
an hour after they stop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from clockwork_ecs.errors import error_code, exception_error

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient

DESCRIBE_BATCH = 100
DESIRED_STATUSES: tuple[Literal["RUNNING"], Literal["STOPPED"]] = ("RUNNING", "STOPPED")

Task = Mapping[str, Any]


def list_arns(
    client: ECSClient, cluster: str, *, started_by: str | None = None, family: str | None = None
) -> list[str]:
    """The ARNs of the cluster's tasks by one filter, running or stopped, every page, in order."""
    assert (started_by is None) != (family is None), "ECS takes startedBy or family, not both"
    arns: dict[str, None] = {}  # a task can move from RUNNING to STOPPED between two pages
    try:
        for status in DESIRED_STATUSES:
            paginator = client.get_paginator("list_tasks")
            if started_by is not None:
                pages = paginator.paginate(cluster=cluster, desiredStatus=status, startedBy=started_by)
            else:
                pages = paginator.paginate(cluster=cluster, desiredStatus=status, family=str(family))
            for page in pages:
                arns.update(dict.fromkeys(page.get("taskArns", [])))
    except (ClientError, BotoCoreError) as exc:
        raise exception_error(exc, "ListTasks") from exc
    return list(arns)


def describe(client: ECSClient, cluster: str, arns: Sequence[str], *, tags: bool = False) -> dict[str, Task]:
    """DescribeTasks, 100 at a time; tasks ECS does not know are left out."""
    found: dict[str, Task] = {}
    for start in range(0, len(arns), DESCRIBE_BATCH):
        batch = list(arns[start : start + DESCRIBE_BATCH])
        try:
            answer = client.describe_tasks(cluster=cluster, tasks=batch, include=["TAGS"] if tags else [])
        except ClientError as exc:
            if error_code(exc) == "ClusterNotFoundException":
                return found
            raise exception_error(exc, "DescribeTasks") from exc
        except BotoCoreError as exc:
            raise exception_error(exc, "DescribeTasks") from exc
        for task in answer.get("tasks", []):
            if task.get("taskArn") in batch:
                found[str(task["taskArn"])] = task
    return found


def tag(task: Task, key: str) -> str | None:
    """The value of the task's tag ``key`` (DescribeTasks with ``include=["TAGS"]``), or None."""
    return next((str(t.get("value")) for t in task.get("tags", ()) if t.get("key") == key), None)
