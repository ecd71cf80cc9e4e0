"""The plugin registers the ``ecs`` launcher through the ``clockwork`` entry-point group."""

from __future__ import annotations

import pytest
from clockwork_core.launcher import Launcher
from clockwork_core.plugins import new_plugin_manager, open_launcher
from clockwork_ecs.launcher import EcsLauncher


def test_the_installed_plugin_provides_the_ecs_launcher() -> None:
    launcher = open_launcher("ecs", manager=new_plugin_manager(), region="eu-west-1")
    assert isinstance(launcher, EcsLauncher)
    assert isinstance(launcher, Launcher)
    assert (launcher.name, launcher.region) == ("ecs", "eu-west-1")
    launcher.close()


def test_the_run_task_rates_come_from_the_environment_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOCKWORK_ECS_RUN_TASK_RATES", "FARGATE=2/3")
    from_env = EcsLauncher()
    given = EcsLauncher(run_task_rates={"FARGATE": (5.0, 6)})
    assert from_env.buckets.get("eu-west-1", None, "FARGATE").burst == 3
    assert given.buckets.get("eu-west-1", None, "FARGATE").burst == 6
    assert from_env.buckets.get("eu-west-1", None, "EC2").burst == 100
