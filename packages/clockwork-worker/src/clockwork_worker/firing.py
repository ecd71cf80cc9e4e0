"""One fire, start to finish: claim, launch at the instant, record, complete.

This is steps 2-5 of the firing protocol (DESIGN.md). The planner decides; this module
carries the decision out against the store and the launcher. Every write is ordered so
that a worker killed at any point leaves a state the next worker completes correctly:

1. decide (pure) from the record as polled;
2. claim: compare-and-set on (version, due_at), setting the lease and ``pending``;
3. record missed instants; launch at the planned time with the fire's idempotency key;
4. write the run (LAUNCHED, with handles);
5. complete: compare-and-set on the lease, advancing ``due_at`` and the cursor.

A worker dying after 2 leaves a lease that expires; the next claim sees ``pending`` and
repeats 3-5 with the same key, and the launcher returns the task it already started.

A worker that stops without dying (paused, starved, its clock stepped) must not act on
a claim it may have lost: just before the launch call it checks that its lease runs on
past the launch with a margin (``launch_margin``) and that the fire is not past its
starting deadline, and gives the fire up otherwise; and every run it writes carries the
claim as a fence (``Run.fence``), so a store refuses its writes once a newer claim has
recorded the run. Exactly once therefore does not rest on the launcher remembering keys.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs
from clockwork_core.errors import Conflict, LaunchError, PermanentLaunchError, UnknownPlugin
from clockwork_core.launcher import Launcher, LaunchRequest
from clockwork_core.model import Concurrency, Pending, Run, RunStatus, ScheduleRecord
from clockwork_core.planner import Action, Decision, Fire, Outcome, after_fire, decide, past_deadline
from clockwork_core.store import Store
from clockwork_core.zones import isoformat_z

from clockwork_worker.clock import Clock
from clockwork_worker.metrics import Metrics

log = logging.getLogger(__name__)
_NEVER = threading.Event()  # an in-flight fire is finished even during shutdown


@attrs.frozen
class FireContext:
    store: Store
    launchers: Mapping[str, Launcher]
    clock: Clock
    metrics: Metrics
    owner: str
    lease: timedelta
    #: A claim must still have this long to run at the launch call, or the fire is given up.
    launch_margin: timedelta
    #: Brings the runs a ``forbid`` or ``replace`` decision reads up to date first.
    refresh: Callable[[Sequence[Run]], list[Run]] = list


class ClaimLost(Exception):
    """The claim may be another worker's by now: stop acting on it, write nothing more."""


def fire(ctx: FireContext, record: ScheduleRecord) -> ScheduleRecord | None:
    """Carry out one due schedule; returns the completed record, or None if the claim was lost.

    Losing the claim race is normal: the fire is dropped.
    """
    schedule = record.schedule
    now = ctx.clock.now()
    as_of = max(now, record.due_at) if record.due_at else now
    active = _active_runs(ctx, record)
    decision = decide(record, now=as_of, active=active)
    pending = None
    if decision.fire is not None and decision.action is Action.LAUNCH:
        pending = Pending(decision.fire.instant, decision.fire.attempt, decision.fire.trigger)
    try:
        claimed = ctx.store.claim(
            record, owner=ctx.owner, lease_until=as_of + ctx.lease, pending=pending, now=now
        )
    except Conflict:
        ctx.metrics.claim_conflicts.inc()
        log.debug(
            "lost the claim on %s", schedule.id, extra={"action": "claim_lost", "schedule": schedule.id}
        )
        return None
    try:
        _record_missed(ctx, claimed, decision)
        outcome = _carry_out(ctx, claimed, decision, carried_over=record.pending is not None)
        completion = after_fire(claimed, decision, outcome, now=ctx.clock.now())
        if outcome is Outcome.RETRY and not completion.retrying and decision.fire is not None:
            error = "launch attempts exhausted"
            _put(ctx, _run(claimed, decision.fire, RunStatus.FAILED_TO_LAUNCH, error=error))
    except ClaimLost as lost:
        ctx.metrics.claims_given_up.inc()
        log.warning(
            "gave up the fire of %s: %s; the claim's next holder carries it out",
            schedule.id,
            lost,
            extra={"action": "claim_given_up", "schedule": schedule.id},
        )
        return None
    try:
        return ctx.store.complete(
            claimed,
            due_at=completion.due_at,
            cursor=completion.cursor,
            pending=completion.pending,
            manual=completion.manual,
            now=ctx.clock.now(),
        )
    except Conflict:
        log.warning(
            "lost the lease on %s before completing; the next worker repeats the fire",
            schedule.id,
            extra={"action": "lease_lost", "schedule": schedule.id},
        )
        return None


def _active_runs(ctx: FireContext, record: ScheduleRecord) -> list[Run]:
    """The schedule's runs still going, as their launcher sees them now (forbid, replace).

    A run's record says LAUNCHED or RUNNING until a tracker notices it ended; the decision
    must not wait for that, so the runs on record as active are asked about first.
    """
    if record.schedule.policies.concurrency is Concurrency.ALLOW:
        return []
    on_record = [run for run in ctx.store.runs(record.id, limit=10) if run.status.is_active]
    return [run for run in ctx.refresh(on_record) if run.status.is_active]


def _record_missed(ctx: FireContext, record: ScheduleRecord, decision: Decision) -> None:
    for instant in decision.missed:
        _put(
            ctx,
            Run(
                schedule_id=record.id,
                instant=instant,
                status=RunStatus.MISSED,
                updated_at=ctx.clock.now(),
                fence=record.version,
            ),
        )
    if decision.more_missed:
        log.warning(
            "%s missed more instants than are recorded",
            record.id,
            extra={"action": "missed_many", "schedule": record.id},
        )


def _carry_out(
    ctx: FireContext, record: ScheduleRecord, decision: Decision, *, carried_over: bool
) -> Outcome:
    fire_ = decision.fire
    if fire_ is None or decision.action is Action.NOTHING:
        return Outcome.DONE
    ctx.metrics.fires.labels(decision.action.value).inc()
    if decision.action is Action.SKIP:
        _put(ctx, _run(record, fire_, RunStatus.SKIPPED, error="the previous run is still running"))
        return Outcome.DONE
    if decision.action is Action.MISS:
        _put(ctx, _run(record, fire_, RunStatus.MISSED, error="later than the starting deadline"))
        return Outcome.DONE
    return _launch(ctx, record, decision, fire_, carried_over=carried_over)


def _launch(
    ctx: FireContext, record: ScheduleRecord, decision: Decision, fire_: Fire, *, carried_over: bool
) -> Outcome:
    schedule = record.schedule
    try:
        launcher = ctx.launchers[schedule.target.launcher]
    except KeyError:
        error = str(UnknownPlugin("launcher", schedule.target.launcher, ctx.launchers))
        _put(ctx, _run(record, fire_, RunStatus.FAILED_TO_LAUNCH, error=error))
        ctx.metrics.launch_failures.labels("unknown_launcher").inc()
        return Outcome.DONE
    if decision.stop:
        _check_claim(ctx, record, ctx.clock.now())
    for previous in decision.stop:
        _stop_previous(ctx, launcher, record, previous, fire_)
    run = _run(record, fire_, RunStatus.PENDING)
    request = LaunchRequest(
        schedule_id=schedule.id,
        instant=fire_.instant,
        run_id=run.run_id,
        key=run.key,
        attempt=fire_.attempt,
        params=schedule.target.params,
        trigger=fire_.trigger,
        # Only a fire carried over in ``pending`` (a retry, or a dead worker's claim) can
        # have been launched before; a fresh claim is its fire's first launch.
        may_have_started=carried_over,
    )
    ctx.clock.wait_until(fire_.launch_at, _NEVER)
    started = ctx.clock.now()
    _check_claim(ctx, record, started)
    if past_deadline(schedule, fire_, started):
        late = (started - fire_.launch_at).total_seconds()
        _put(
            ctx,
            _run(record, fire_, RunStatus.MISSED, error=f"later than the starting deadline ({late:.1f} s)"),
        )
        return Outcome.DONE
    try:
        launched = launcher.launch(request)
    except LaunchError as exc:
        ctx.metrics.launch_failures.labels(exc.code).inc()
        permanent = isinstance(exc, PermanentLaunchError) or not exc.transient
        log.warning(
            "launch of %s at %s failed (%s): %s",
            schedule.id,
            isoformat_z(fire_.instant),
            "permanent" if permanent else f"transient, attempt {fire_.attempt}",
            exc.reason,
            extra={"action": "launch_failed", "schedule": schedule.id, "code": exc.code},
        )
        if permanent:
            _put(ctx, _run(record, fire_, RunStatus.FAILED_TO_LAUNCH, error=exc.reason))
            return Outcome.DONE
        _put(ctx, _run(record, fire_, RunStatus.PENDING, error=f"attempt {fire_.attempt}: {exc.reason}"))
        return Outcome.RETRY
    ctx.metrics.lateness.observe(max(0.0, (started - fire_.launch_at).total_seconds()))
    _put(ctx, attrs.evolve(run, status=RunStatus.LAUNCHED, launched_at=started, handles=launched.handles))
    log.info(
        "launched %s for %s",
        schedule.id,
        isoformat_z(fire_.instant),
        extra={
            "action": "launched",
            "schedule": schedule.id,
            "instant": isoformat_z(fire_.instant),
            "lateness_ms": round((started - fire_.launch_at).total_seconds() * 1000, 3),
            "handles": list(launched.handles),
        },
    )
    return Outcome.DONE


def _check_claim(ctx: FireContext, record: ScheduleRecord, now: datetime) -> None:
    """Raise :class:`ClaimLost` unless the claim runs past ``now`` by the launch margin.

    ``record.due_at`` is the end of the lease the claim took. A worker resumed after a
    pause (or starved of CPU) finds it too close or gone, and must not launch: another
    worker may hold the schedule by now.
    """
    assert record.due_at is not None, "a claimed record has a lease end"
    left = record.due_at - now
    if left < ctx.launch_margin:
        seconds = left.total_seconds()
        when = f"ends in {seconds:.1f} s" if seconds >= 0 else f"ended {-seconds:.1f} s ago"
        raise ClaimLost(f"its lease {when} at the launch (margin {ctx.launch_margin.total_seconds():g} s)")


def _stop_previous(
    ctx: FireContext, launcher: Launcher, record: ScheduleRecord, previous: Run, fire_: Fire
) -> None:
    reason = f"replaced by the fire at {isoformat_z(fire_.instant)}"
    for handle in previous.handles:
        try:
            launcher.stop(handle, reason=reason)
        except LaunchError as exc:
            log.warning("could not stop %s: %s", handle, exc.reason, extra={"action": "stop_failed"})
    _put(ctx, attrs.evolve(previous, stop_reason=reason, updated_at=ctx.clock.now(), fence=record.version))


def _run(record: ScheduleRecord, fire_: Fire, status: RunStatus, *, error: str | None = None) -> Run:
    return Run(
        schedule_id=record.id,
        instant=fire_.instant,
        status=status,
        trigger=fire_.trigger,
        launcher=record.schedule.target.launcher,
        attempts=fire_.attempt,
        error=error,
        fence=record.version,
    )


def _put(ctx: FireContext, run: Run) -> None:
    now = ctx.clock.now()
    finished = run.finished_at or (now if run.status.is_terminal else None)
    run = attrs.evolve(run, updated_at=now, finished_at=finished)
    try:
        ctx.store.put_run(run)
    except Conflict as exc:
        raise ClaimLost(f"a newer claim has recorded run {run.run_id}") from exc
    ctx.metrics.runs.labels(run.status.value).inc()
