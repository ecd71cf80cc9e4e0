"""The worker's Prometheus metrics, in a registry of its own (several workers per test process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENESS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.fires = Counter(
            "clockwork_fires", "Fires decided, by action (launch, skip, miss).", ["action"], registry=r
        )
        self.lateness = Histogram(
            "clockwork_lateness_seconds",
            "Scheduler-added lateness: launch call time minus the planned launch time.",
            buckets=LATENESS_BUCKETS,
            registry=r,
        )
        self.claim_conflicts = Counter(
            "clockwork_claim_conflicts", "Claims lost to another worker (compare-and-set failed).", registry=r
        )
        self.claims_given_up = Counter(
            "clockwork_claims_given_up",
            "Fires given up because the claim was too close to its end, or lost, at the launch.",
            registry=r,
        )
        self.clock_offset = Gauge(
            "clockwork_clock_offset_seconds",
            "How far this worker's clock is proven ahead of the store's (negative: behind); 0 if unknown.",
            registry=r,
        )
        self.launch_failures = Counter(
            "clockwork_launch_failures",
            "Launch attempts that failed, by reason code.",
            ["reason"],
            registry=r,
        )
        self.runs = Counter("clockwork_runs", "Runs recorded, by status.", ["status"], registry=r)
        self.store_errors = Counter(
            "clockwork_store_errors", "Store calls that failed.", ["operation"], registry=r
        )
        self.loop_heartbeat = Gauge(
            "clockwork_loop_heartbeat_timestamp_seconds", "When the worker loop last went round.", registry=r
        )
        self.unreadable_records = Gauge(
            "clockwork_unreadable_records",
            "Stored records this worker could not decode and skips (see the record_unreadable log).",
            registry=r,
        )
        self.shards_held = Gauge("clockwork_shards_held", "Shards this worker holds a lease on.", registry=r)
        self.timer_heap = Gauge(
            "clockwork_timer_heap_size", "Schedules waiting in the timer heap.", registry=r
        )
