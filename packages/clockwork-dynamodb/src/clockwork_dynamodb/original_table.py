"""The original aws-ecs-clockwork's table, read for a migration: every item, and what its worker saw.

The original's worker read its table with one ``Scan`` of at most 1,000 items every
minute and never asked for the next page. A table with more items than that page holds
(1,000 items, or fewer when DynamoDB's 1 MB page limit cuts earlier) had schedules the
original never fired. :func:`read` makes that same call once (``TableName`` and
``Limit=1000``, eventually consistent, as the worker did), to learn which items its page
holds, and then reads the whole table page after page with consistent reads.

The page is the one the worker's Scan returns today: which items fell past it may have
changed as the table grew (a Scan's order follows the hash of the keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from clockwork_dynamodb.calls import Calls, Item

#: The ``Limit`` of the original worker's one Scan.
WORKER_SCAN_LIMIT = 1000
#: Why the original never fired an item past that page (the migration's report says it).
BEYOND_FIRST_PAGE = "beyond its worker's first Scan page"


@attrs.frozen
class OriginalTable:
    """The items of the original's table, and the ids its worker's one Scan returned."""

    name: str
    items: tuple[Item, ...]
    worker_page: frozenset[str]

    def seen_by_worker(self, item: Mapping[str, Any]) -> bool:
        """Whether the original's worker's Scan returned ``item`` (so it could fire it)."""
        return item_id(item) in self.worker_page


def item_id(item: Mapping[str, Any]) -> str | None:
    """The item's ``id`` text (the table's hash key), None when it has none."""
    value = item.get("id")
    if isinstance(value, Mapping) and isinstance(value.get("S"), str):
        return str(value["S"])
    return None


def read(calls: Calls) -> OriginalTable:
    """Every item of the table ``calls`` names, and the ids of its worker's first Scan page.

    Raises :class:`~clockwork_dynamodb.calls.TableMissing` when there is no such table.
    """
    page = calls("Scan", Limit=WORKER_SCAN_LIMIT)
    seen = frozenset(found for found in map(item_id, page.get("Items", ())) if found is not None)
    items = tuple(calls.scan(ConsistentRead=True))
    return OriginalTable(name=calls.table, items=items, worker_page=seen)
