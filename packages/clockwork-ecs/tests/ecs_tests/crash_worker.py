"""``clockwork run``, SIGKILLed at a chosen point of its first ECS launch.

``python crash_worker.py POINT -- <clockwork run arguments>``. POINT is
``before-run-task`` (the fire is claimed, RunTask not sent: "between claim and launch")
or ``after-run-task`` (ECS started the task; the worker dies before recording it).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from clockwork_ecs.launcher import EcsLauncher
from clockwork_worker.cli import main


def install(point: str) -> None:
    event = "before-call.ecs.RunTask" if point == "before-run-task" else "after-call.ecs.RunTask"
    original = EcsLauncher.client

    def client(self: EcsLauncher, region: str, endpoint: str | None) -> Any:
        made = original(self, region, endpoint)
        made.meta.events.register(event, die, unique_id="clockwork-crash")
        return made

    EcsLauncher.client = client  # type: ignore[method-assign]


def die(**_: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    install(sys.argv[1])
    sys.exit(main(sys.argv[3:]))
