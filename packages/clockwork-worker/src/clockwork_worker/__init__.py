"""The clockwork worker: fires schedules from a store through launchers, exactly once."""

from clockwork_worker.clock import Clock, SystemClock
from clockwork_worker.worker import Worker, WorkerSettings

__all__ = ["Clock", "SystemClock", "Worker", "WorkerSettings"]
