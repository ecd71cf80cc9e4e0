"""Shard ownership: workers divide the due index's shards with renewable leases.

Each worker holds about ``ceil(shards / live workers)`` shards and polls only those, so
workers rarely race for the same schedule (failed conditional writes are billed). The
per-fire compare-and-set stays the safety net: two workers that both believe they own a
shard still fire each instant once. A dead worker's leases expire after ``ttl`` and its
shards pass to the others.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from clockwork_core.store import Store

log = logging.getLogger(__name__)
PREFIX = "shard-"
#: Every worker also holds a presence lease, so that a worker holding no shard yet still
#: counts when the others work out their fair share (and they hand shards over to it).
PRESENCE = "worker-"


class ShardKeeper:
    def __init__(self, store: Store, owner: str, ttl: timedelta) -> None:
        self.store = store
        self.owner = owner
        self.ttl = ttl
        self._held: dict[int, datetime] = {}  # shard -> lease end
        self._reported: frozenset[int] = frozenset()
        self._present_until: datetime | None = None

    @property
    def held(self) -> frozenset[int]:
        return frozenset(self._held)

    def refresh(self, now: datetime) -> frozenset[int]:
        """Renew, release or take shards so that this worker holds its fair share."""
        # Forget leases that ran out while we were not looking (a long pause, a store outage).
        self._held = {s: until for s, until in self._held.items() if until > now}
        if self._present_until is None or self._present_until - now < self.ttl / 2:
            until = now + self.ttl
            if self.store.acquire_lease(f"{PRESENCE}{self.owner}", owner=self.owner, until=until, now=now):
                self._present_until = until
        holders = self.store.lease_holders(now=now)
        owners = {owner for name, owner in holders.items() if name.startswith((PREFIX, PRESENCE))}
        owners.add(self.owner)
        fair = math.ceil(self.store.shards / len(owners))
        for shard in sorted(self._held, reverse=True)[: max(0, len(self._held) - fair)]:
            self.store.release_lease(f"{PREFIX}{shard}", owner=self.owner)
            del self._held[shard]
            log.debug("released shard %d", shard, extra={"action": "shard_released", "shard": shard})
        for shard, until in list(self._held.items()):
            if until - now < self.ttl / 2:
                self._take(shard, now)
        free = [s for s in range(self.store.shards) if f"{PREFIX}{s}" not in holders and s not in self._held]
        before = self.held
        for shard in free[: max(0, fair - len(self._held))]:
            if self._take(shard, now):
                log.debug("took shard %d", shard, extra={"action": "shard_taken", "shard": shard})
        if self.held != before or self.held != self._reported:
            self._reported = self.held
            log.info(
                "holding %d of %d shards (%d workers)",
                len(self.held),
                self.store.shards,
                len(owners),
                extra={"action": "shards_held", "shards": sorted(self.held)},
            )
        return self.held

    def _take(self, shard: int, now: datetime) -> bool:
        until = now + self.ttl
        if self.store.acquire_lease(f"{PREFIX}{shard}", owner=self.owner, until=until, now=now):
            self._held[shard] = until
            return True
        self._held.pop(shard, None)
        return False

    def release_all(self) -> None:
        for shard in list(self._held):
            self.store.release_lease(f"{PREFIX}{shard}", owner=self.owner)
        self._held.clear()
        self.store.release_lease(f"{PRESENCE}{self.owner}", owner=self.owner)
        self._present_until = None
