"""Store clauses: races. Of concurrent claims on one record, exactly one wins.

The thread races share one store object. The process races open the store again in
child processes (the "spawn" start method: nothing is inherited but what is passed), from
the plugin's ``store_url``, and hand every child the same stale records as codec data.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from clockwork_core.codec import record_to_data
from clockwork_core.store import Store
from clockwork_core.testing.contenders import contend, try_claim, try_lease
from clockwork_core.testing.store_base import StoreKit
from clockwork_core.testing.support import T0


def _winners(outcomes: Sequence[tuple[str, list[str]]]) -> dict[str, list[str]]:
    by_item: dict[str, list[str]] = defaultdict(list)
    for owner, won in outcomes:
        for item in won:
            by_item[item].append(owner)
    return by_item


class RaceClauses(StoreKit):
    def _race_threads(self, items: Sequence[Any], attempt: Any) -> dict[str, list[str]]:
        """Every thread attempts every item, meeting at a barrier before each."""
        barrier = threading.Barrier(self.race_threads, timeout=60)

        def contender(index: int) -> tuple[str, list[str]]:
            owner, won = f"thread-{index}", []
            for item in items:
                barrier.wait()
                if attempt(item, owner):
                    won.append(item if isinstance(item, str) else item.id)
            return owner, won

        with ThreadPoolExecutor(self.race_threads) as pool:
            return _winners(list(pool.map(contender, range(self.race_threads))))

    def test_exactly_one_of_many_threads_wins_each_claim(self, store: Store) -> None:
        records = [self.create(store, f"race-{n:03d}") for n in range(self.race_rounds)]

        winners = self._race_threads(records, lambda record, owner: try_claim(store, record, owner))
        for record in records:
            assert len(winners[record.id]) == 1, f"{record.id} claimed by {winners[record.id]}"
            assert store.get(record.id).lease_owner == winners[record.id][0]

    def test_exactly_one_of_many_threads_acquires_each_lease(self, store: Store) -> None:
        names = [f"race-lease-{n:03d}" for n in range(self.race_rounds)]
        winners = self._race_threads(names, lambda name, owner: try_lease(store, name, owner))
        holders = store.lease_holders(now=T0)
        for name in names:
            assert len(winners[name]) == 1, f"{name} acquired by {winners[name]}"
            assert holders[name] == winners[name][0]

    def test_exactly_one_of_many_processes_wins_each_claim_and_each_lease(
        self, store: Store, store_url: str | None
    ) -> None:
        if store_url is None:
            pytest.skip(
                "no store_url: the store cannot be reopened in another process "
                "(override the store_url fixture to run the process races)"
            )
        records = [self.create(store, f"race-{n:03d}") for n in range(self.race_records)]
        names = [f"race-lease-{n:03d}" for n in range(self.race_records)]
        outcomes = self._race_processes(store_url, [record_to_data(r) for r in records], names)
        claims = _winners([(owner, won) for owner, won, _held in outcomes])
        for record in records:
            assert len(claims[record.id]) == 1, f"{record.id} claimed by {claims[record.id]}"
            assert store.get(record.id).lease_owner == claims[record.id][0]
        leases = _winners([(owner, held) for owner, _won, held in outcomes])
        holders = store.lease_holders(now=T0)
        for name in names:
            assert len(leases[name]) == 1, f"{name} acquired by {leases[name]}"
            assert holders[name] == leases[name][0]

    def _race_processes(
        self, store_url: str, records: Sequence[dict[str, Any]], leases: Sequence[str]
    ) -> list[tuple[str, list[str], list[str]]]:
        """Start the contenders (spawned: they inherit nothing) and collect what each won."""
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(self.race_processes, timeout=self.race_timeout)
        results = context.Queue()
        processes = [
            context.Process(
                target=contend,
                args=(store_url, records, leases, f"process-{n}"),
                kwargs={"barrier": barrier, "results": results},
                daemon=True,
            )
            for n in range(self.race_processes)
        ]
        for process in processes:
            process.start()
        try:
            outcomes = [results.get(timeout=self.race_timeout) for _ in processes]
        finally:
            for process in processes:
                process.join(timeout=10)
                if process.is_alive():
                    process.kill()
                    process.join()
                process.close()
            results.close()
            results.join_thread()
        errors = [f"{owner}: {error}" for owner, _won, _held, error in outcomes if error]
        assert not errors, f"contenders failed: {errors}"
        return [(owner, won, held) for owner, won, held, _error in outcomes]
