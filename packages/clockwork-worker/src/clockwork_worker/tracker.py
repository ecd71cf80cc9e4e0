"""Run tracking: follow launched runs to their end, and stop the ones past their timeout.

Runs in LAUNCHED or RUNNING are observed in batches through their launcher's
``describe`` until they stop; exit codes and stop reasons go into the run record. A run
still going after its schedule's timeout is stopped and recorded TIMED_OUT. Any worker
tracks the runs of the shards it holds; trackers racing on one run write the same thing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

import attrs
from clockwork_core.errors import ClockworkError, Conflict, LaunchError, RecordUnreadable, ScheduleNotFound
from clockwork_core.launcher import Launcher, Observation, Phase
from clockwork_core.model import Run, RunStatus
from clockwork_core.store import Store
from clockwork_core.zones import isoformat_z

from clockwork_worker.metrics import Metrics

log = logging.getLogger(__name__)


class Tracker:
    def __init__(self, store: Store, launchers: Mapping[str, Launcher], metrics: Metrics) -> None:
        self.store = store
        self.launchers = launchers
        self.metrics = metrics

    def track(self, now: datetime, shards: Collection[int] | None) -> int:
        """One pass over the active runs of ``shards``; returns how many runs changed."""
        by_launcher: dict[str, list[Run]] = defaultdict(list)
        for run in self.store.active_runs(shards=shards):
            by_launcher[run.launcher].append(run)
        changed = 0
        for name, runs in by_launcher.items():
            launcher = self.launchers.get(name)
            if launcher is None:
                continue  # another worker, with that launcher installed, tracks these
            changed += self._track_with(launcher, runs, now)
        return changed

    def refresh(self, runs: Sequence[Run], now: datetime) -> list[Run]:
        """``runs`` as their launchers see them now; the ones that ended are recorded so.

        For decisions that depend on whether a run is still going (``forbid``,
        ``replace``): a record says LAUNCHED or RUNNING until a tracking pass notices the
        end, which may be seconds later. A run whose launcher is not installed here, or
        that cannot be described now, is returned as it is.
        """
        current = {(run.schedule_id, run.run_id): run for run in runs}
        by_launcher: dict[str, list[Run]] = defaultdict(list)
        for run in runs:
            by_launcher[run.launcher].append(run)
        for name, group in by_launcher.items():
            launcher = self.launchers.get(name)
            if launcher is not None:
                for updated in self._observe(launcher, group, now, enforce_timeouts=False):
                    current[(updated.schedule_id, updated.run_id)] = updated
        return list(current.values())

    def _track_with(self, launcher: Launcher, runs: Sequence[Run], now: datetime) -> int:
        return len(self._observe(launcher, runs, now, enforce_timeouts=True))

    def _observe(
        self, launcher: Launcher, runs: Sequence[Run], now: datetime, *, enforce_timeouts: bool
    ) -> list[Run]:
        """Describe ``runs`` in one call and record what changed; returns the changed runs."""
        handles = [h for run in runs for h in run.handles]
        try:
            seen = {o.handle: o for o in launcher.describe(handles)} if handles else {}
        except LaunchError as exc:
            log.warning("describe failed: %s", exc.reason, extra={"action": "describe_failed"})
            return []
        changed = []
        for run in runs:
            observations = [seen.get(h, Observation(h, Phase.UNKNOWN)) for h in run.handles]
            updated = self._updated(run, observations, now)
            if updated is None and enforce_timeouts:
                updated = self._enforce_timeout(launcher, run, now)
            if updated is not None and updated != run:
                try:
                    self.store.put_run(updated)
                except Conflict:
                    continue  # a newer claim rewrote the run meanwhile: the next pass reads it
                if updated.status.is_terminal:
                    self.metrics.runs.labels(updated.status.value).inc()
                    # Not the job's output: it may hold anything (`clockwork history` has it).
                    log.info(
                        "run of %s for %s ended %s%s",
                        run.schedule_id,
                        isoformat_z(run.instant),
                        updated.status.value,
                        f" ({updated.stop_reason})" if updated.stop_reason else "",
                        extra={
                            "action": "run_finished",
                            "schedule": run.schedule_id,
                            "status": updated.status.value,
                            "exit_codes": dict(updated.exit_codes),
                        },
                    )
                changed.append(updated)
        return changed

    def _updated(self, run: Run, observations: Sequence[Observation], now: datetime) -> Run | None:
        """The run as the observations show it, or None while it is still running."""
        if not observations:
            return attrs.evolve(run, status=RunStatus.FAILED, error="the run has no handles", updated_at=now)
        if any(o.phase is Phase.RUNNING for o in observations):
            if run.status is RunStatus.LAUNCHED:
                return attrs.evolve(run, status=RunStatus.RUNNING, updated_at=now)
            return None
        exit_codes: dict[str, int | None] = {}
        for o in observations:
            exit_codes.update(o.exit_codes)
        reasons = [o.stop_reason for o in observations if o.stop_reason]
        if any(o.phase is Phase.UNKNOWN for o in observations):
            reasons.append("the launcher no longer knows this run")
        status = RunStatus.SUCCEEDED
        if any(o.phase is not Phase.SUCCEEDED for o in observations):
            status = RunStatus.TIMED_OUT if self._timed_out(run, now) else RunStatus.FAILED
        outputs = [o.output for o in observations if o.output]
        return attrs.evolve(
            run,
            status=status,
            exit_codes=exit_codes,
            stop_reason="; ".join(reasons) or run.stop_reason,
            output=outputs[-1] if outputs else run.output,
            finished_at=now,
            updated_at=now,
        )

    def _timed_out(self, run: Run, now: datetime) -> bool:
        timeout = self._timeout_of(run)
        return timeout is not None and run.launched_at is not None and now - run.launched_at >= timeout

    def _timeout_of(self, run: Run) -> timedelta | None:
        try:
            return self.store.get(run.schedule_id).schedule.policies.timeout
        except (ScheduleNotFound, RecordUnreadable):  # an unreadable schedule is reported by the poll
            return None

    def _enforce_timeout(self, launcher: Launcher, run: Run, now: datetime) -> Run | None:
        if not self._timed_out(run, now) or run.stop_reason:
            return None
        reason = f"timed out after {self._timeout_of(run)}"
        for handle in run.handles:
            try:
                launcher.stop(handle, reason=reason)
            except ClockworkError as exc:
                log.warning("could not stop %s: %s", handle, exc, extra={"action": "stop_failed"})
        log.info(
            "stopping %s for %s: %s",
            run.schedule_id,
            isoformat_z(run.instant),
            reason,
            extra={"action": "timeout", "schedule": run.schedule_id},
        )
        return attrs.evolve(run, stop_reason=reason, updated_at=now)
