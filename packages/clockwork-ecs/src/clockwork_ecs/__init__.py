"""Clockwork's ``ecs`` launcher: runs each fire as an Amazon ECS task, exactly once."""

from clockwork_ecs.bucket import TokenBucket
from clockwork_ecs.launcher import EcsLauncher

__all__ = ["EcsLauncher", "TokenBucket"]
