"""A worker's launch, SIGKILLed at a chosen point: ``python crash_child.py POINT REQUEST_JSON``.

POINT is ``before-run-task`` (claimed, nothing sent yet) or ``after-run-task`` (ECS started
the task; its answer never reaches the store).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime
from typing import Any

from clockwork_core.launcher import LaunchRequest
from clockwork_ecs.launcher import EcsLauncher


def die(**_: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(point: str, text: str) -> None:
    fields = json.loads(text)
    request = LaunchRequest(**{**fields, "instant": datetime.fromisoformat(fields["instant"])})
    launcher = EcsLauncher()
    client = launcher.client(request.params["region"], request.params["endpoint_url"])
    event = "before-call.ecs.RunTask" if point == "before-run-task" else "after-call.ecs.RunTask"
    client.meta.events.register(event, die)
    launcher.launch(request)
    sys.exit("the launch was not interrupted")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
