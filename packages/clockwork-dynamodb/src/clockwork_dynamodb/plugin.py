"""The plugin: the ``dynamodb://`` store, ``clockwork dynamodb ...`` commands, capacity metrics.

Registered through the ``clockwork`` entry-point group (see ``pyproject.toml``).
"""

from __future__ import annotations

from typing import Any

from clockwork_core.plugins import StoreFactory, hookimpl

from clockwork_dynamodb.capacity import METER, CapacityCollector
from clockwork_dynamodb.location import open_dynamodb_store


@hookimpl
def clockwork_stores() -> dict[str, StoreFactory]:
    factory: StoreFactory = open_dynamodb_store
    return {"dynamodb": factory}


@hookimpl
def clockwork_add_commands(subparsers: Any) -> None:
    from clockwork_dynamodb import cli

    cli.add_commands(subparsers)


@hookimpl
def clockwork_metrics(registry: Any) -> None:
    """Consumed capacity of every DynamoDB store this process opened (a Prometheus registry)."""
    registry.register(CapacityCollector(METER))
