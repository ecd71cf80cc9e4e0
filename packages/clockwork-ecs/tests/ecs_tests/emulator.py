"""moto's server on a loopback port, an ECS world inside it, and a fault injector at the client.

* :class:`MotoServer`: ``python -m moto.server`` in a process group of its own (the
  pattern of clockwork-dynamodb's ``emulators.py``), killed with its group at teardown.
* :class:`World` (from :mod:`clockwork_ecs.testing`): a cluster, a Fargate task definition with container-level ``memory``,
  two subnets of moto's default VPC and an explicit security group: what moto needs to
  run a Fargate task.
* :class:`Faults`: answers chosen ECS calls in-process, through botocore's
  ``before-call`` event, with what moto cannot produce (``failures[]``, throttling).
  Tests that use it say so in their docstring: those answers are ours, not ECS's.

moto's ECS, as these tests find it (5.2): its tasks have no ``createdAt`` (the server
runs through :func:`clockwork_ecs.testing.moto_command`, which adds it); ``ListTasks``
never pages (it ignores ``maxResults``); a task that its state manager moves to STOPPED
keeps ``desiredStatus`` RUNNING (only StopTask sets it); it ignores ``clientToken``; ``RunTask`` never
returns ``failures``; each ``DescribeTasks`` moves a task one state along
RUNNING → DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED (its state manager's
default for ``ecs::task``, set explicitly here), so a task stops after four looks; a
task's containers list only the task definition's first container, always with
``exitCode`` 0, and never a ``stopCode``; ``DescribeTasks`` reports no ``failures`` for
unknown tasks; ``StopTask`` of an unknown task is an HTTP 500; placement constraints
and strategy, ``propagateTags`` and ``enableExecuteCommand`` are accepted and dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from clockwork_ecs.testing import REGION, moto_command

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MotoServer:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        command = moto_command(self.port)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **FAKE_CREDENTIALS},
                start_new_session=True,
            )
        give_up = time.monotonic() + START_TIMEOUT
        while time.monotonic() < give_up and self.process.poll() is None:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"moto's server did not start; its log: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def set_task_progression(self, transition: Mapping[str, Any]) -> None:
        """How moto moves ECS tasks along their lifecycle (its state manager)."""
        body = json.dumps({"model_name": "ecs::task", "transition": dict(transition)}).encode()
        url = f"{self.endpoint}/moto-api/state-manager/set-transition"
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10):
            pass


Answer = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]


class Faults:
    """In-process fault injection at the boto3 client: ``before-call`` answers chosen operations.

    ``answer(operation, fn)``: ``fn(params)`` returns a parsed answer (``{"Error": ...}``
    with an HTTP status for an exception) or None to let the call through to moto.
    Every call seen is recorded in ``calls`` as (operation, params, monotonic time).
    """

    def __init__(self, client: ECSClient) -> None:
        self.calls: list[tuple[str, Mapping[str, Any], float]] = []
        self._answers: dict[str, Answer] = {}
        self._lock = threading.Lock()
        client.meta.events.register("before-call.ecs", self._before_call)

    def answer(self, operation: str, fn: Answer) -> None:
        self._answers[operation] = fn

    def count(self, operation: str) -> int:
        return sum(1 for name, _, _ in self.calls if name == operation)

    def _before_call(self, model: Any, params: Mapping[str, Any], **_: Any) -> Any:
        body = params.get("body") or b"{}"
        sent: Mapping[str, Any] = json.loads(body.decode() if isinstance(body, bytes) else body)
        with self._lock:
            self.calls.append((model.name, sent, time.monotonic()))
        fn = self._answers.get(model.name)
        parsed = fn(sent) if fn is not None else None
        if parsed is None:
            return None
        status = int(
            parsed.get("ResponseMetadata", {}).get("HTTPStatusCode", 400 if "Error" in parsed else 200)
        )
        return AWSResponse("http://fault-injector", status, HTTPHeaders(), None), {
            **parsed,
            "ResponseMetadata": {"HTTPStatusCode": status},
        }


def error(code: str, message: str, status: int = 400) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}


@contextlib.contextmanager
def running(server: MotoServer) -> Iterator[MotoServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
