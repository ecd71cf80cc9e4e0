"""What the processes of a store race run. Imports no pytest, so that they start fast.

Each contender opens the store from its URL and races for the same stale records (and
the same lease names) as every other; what it won goes back on a queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clockwork_core.codec import record_from_data
from clockwork_core.errors import Conflict
from clockwork_core.model import Pending, ScheduleRecord
from clockwork_core.plugins import open_store
from clockwork_core.store import Store
from clockwork_core.testing.support import T0, at

#: Contenders meet at a barrier before every this many attempts, so that they collide.
CHUNK = 10


def try_claim(store: Store, record: ScheduleRecord, owner: str) -> bool:
    """Claim ``record`` for ``owner``: True if this claim won."""
    try:
        store.claim(record, owner=owner, lease_until=at(30), pending=Pending(T0), now=T0)
    except Conflict:
        return False
    return True


def try_lease(store: Store, name: str, owner: str) -> bool:
    return store.acquire_lease(name, owner=owner, until=at(30), now=T0)


def contend(
    url: str,
    records: Sequence[dict[str, Any]],
    leases: Sequence[str],
    owner: str,
    *,
    barrier: Any,
    results: Any,
) -> None:
    """A child process: open the store, race for every record, then for every lease.

    ``records`` are the same records (codec data) in every child. Puts
    ``(owner, records won, leases won, error or None)`` on ``results``.
    """
    claims: list[str] = []
    held: list[str] = []
    try:
        store = open_store(url)
        try:
            for n, data in enumerate(records):
                if n % CHUNK == 0:
                    barrier.wait()
                if try_claim(store, record_from_data(data), owner):
                    claims.append(data["schedule"]["id"])
            for n, name in enumerate(leases):
                if n % CHUNK == 0:
                    barrier.wait()
                if try_lease(store, name, owner):
                    held.append(name)
        finally:
            store.close()
    except BaseException as exc:
        barrier.abort()  # the others stop waiting for this one
        results.put((owner, claims, held, f"{type(exc).__name__}: {exc}"))
    else:
        results.put((owner, claims, held, None))
