"""A token bucket in front of ``RunTask``: a burst of fires drains at the rate ECS accepts.

ECS throttles ``RunTask`` per account and region with token buckets of its own (Fargate:
20 calls a second, burst and sustained; EC2: a burst of 100, then 40 a second). Calling
faster only earns ``ThrottlingException`` and retries; so each launch first takes a token
here, and a midnight burst of thousands of fires leaves at the highest accepted rate.

The bucket hands out tokens by reservation: a caller reserves the next free slot
(``now`` while tokens are left, else one ``1/rate`` after the previous reservation) and
sleeps until it. Reservations are made under a lock in the order callers arrive, so
fires leave in due order, never faster than ``rate`` once the burst is spent, and no
caller is forgotten. The clock and the sleep are injected, so tests control time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

import attrs
from clockwork_core.errors import InvalidValue

#: ECS's published ``RunTask`` rates, per launch kind: (calls per second, burst).
FARGATE = "FARGATE"
EC2 = "EC2"
DEFAULT_RATES: Mapping[str, tuple[float, int]] = {FARGATE: (20.0, 20), EC2: (40.0, 100)}
RATES_VARIABLE = "CLOCKWORK_ECS_RUN_TASK_RATES"


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; ``acquire`` waits its turn."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise InvalidValue("run_task_rates", f"a rate of {rate:g} calls a second must be positive")
        if burst < 1:
            raise InvalidValue("run_task_rates", f"a burst of {burst} must be at least 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # The instant at which the bucket is empty again if nobody takes more: tokens
        # available now = (now - _empty_at) * rate, capped at burst. Starts full.
        self._empty_at = clock() - burst / self.rate

    def reserve(self) -> float:
        """Take the next token; return how many seconds to wait before using it."""
        interval = 1.0 / self.rate
        with self._lock:
            now = self._clock()
            # A full bucket holds burst tokens: forget credit older than that.
            self._empty_at = max(self._empty_at, now - self.burst * interval)
            self._empty_at += interval
            return max(0.0, self._empty_at - now)

    def acquire(self) -> float:
        """Wait for a token; return the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold_off(self, seconds: float) -> None:
        """Hand out no token for ``seconds`` (ECS throttled us anyway: another client shares the quota)."""
        with self._lock:
            self._empty_at = max(self._empty_at, self._clock() + seconds)


def parse_rates(text: str) -> dict[str, tuple[float, int]]:
    """``"FARGATE=20/20,EC2=40/100"`` (rate/burst per kind) as a mapping; InvalidValue otherwise."""
    rates: dict[str, tuple[float, int]] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        kind, _, setting = part.partition("=")
        rate, _, burst = setting.partition("/")
        kind = kind.strip().upper()
        try:
            parsed = (float(rate), int(burst))
        except ValueError:
            parsed = (0.0, 0)
        if kind not in DEFAULT_RATES or parsed[0] <= 0 or parsed[1] < 1:
            raise InvalidValue(
                "run_task_rates",
                f"{part!r} is not KIND=RATE/BURST with KIND one of {', '.join(DEFAULT_RATES)} "
                "(such as 'FARGATE=20/20,EC2=40/100')",
            )
        rates[kind] = parsed
    return rates


@attrs.define
class Buckets:
    """One bucket per (region, endpoint, launch kind): ECS's own quotas are per account and region."""

    rates: Mapping[str, tuple[float, int]]
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _buckets: dict[tuple[str, str, str], TokenBucket] = attrs.field(factory=dict, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def get(self, region: str, endpoint: str | None, kind: str) -> TokenBucket:
        key = (region, endpoint or "", kind)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                rate, burst = self.rates.get(kind, DEFAULT_RATES[kind])
                bucket = TokenBucket(rate, burst, clock=self.clock, sleep=self.sleep)
                self._buckets[key] = bucket
            return bucket
