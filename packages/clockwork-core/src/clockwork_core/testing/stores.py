"""The store conformance kit: one test per clause of the :class:`~clockwork_core.store.Store` contract.

A store plugin subclasses :class:`StoreConformance` in its own tests and says how to open
its store; every clause then runs against it::

    from clockwork_core.testing import StoreConformance

    class TestRedisStore(StoreConformance):
        list_size = 3000  # more than two pages of SCAN

        @pytest.fixture
        def store_url(self, redis_server: str) -> str:
            return f"redis://{redis_server}/0?prefix=test-{uuid.uuid4().hex}"

By default the ``store`` fixture opens ``store_url`` with
:func:`~clockwork_core.plugins.open_store` (so the plugin must be installed) and closes it
after the test; each test needs a new, empty store. A store that cannot be reopened from
another process (``memory://``) overrides ``store`` instead and leaves ``store_url`` None:
the process races are then skipped, saying why.

The plugin also says how to damage a record underneath its store
(:meth:`~clockwork_core.testing.store_base.StoreKit.spoil_schedule`, ``spoil_run``), so
that the kit can check that one unreadable record is skipped and reported::

        def spoil_schedule(self, store: Store, schedule_id: str, definition: str) -> None:
            redis.Redis(...).hset(f"test:schedule:{schedule_id}", "definition", definition)
"""

from __future__ import annotations

from clockwork_core.testing.store_completion import CompletionClauses
from clockwork_core.testing.store_firing import DueClauses
from clockwork_core.testing.store_races import RaceClauses
from clockwork_core.testing.store_runs import LeaseClauses, RunClauses, TimeClauses
from clockwork_core.testing.store_schedules import ScheduleClauses
from clockwork_core.testing.store_unreadable import UnreadableClauses


class StoreConformance(
    ScheduleClauses,
    DueClauses,
    CompletionClauses,
    RunClauses,
    LeaseClauses,
    TimeClauses,
    UnreadableClauses,
    RaceClauses,
):
    """Every clause of the Store contract, as tests. Subclass it as ``Test<YourStore>``.

    Override the ``store_url`` fixture (a URL that opens the same store again, in this
    process or another), or the ``store`` fixture (yield a new, empty store; close it
    afterwards), and implement ``spoil_schedule`` and ``spoil_run``. Tune with the class attributes of
    :class:`~clockwork_core.testing.store_base.StoreKit`: ``list_size``, ``race_rounds``,
    ``race_threads``, ``race_processes``, ``race_records``, ``race_timeout``.
    """
