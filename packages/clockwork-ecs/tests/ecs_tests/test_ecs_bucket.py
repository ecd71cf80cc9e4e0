"""The token bucket: burst, then one token per 1/rate, handed out in arrival order."""

from __future__ import annotations

import threading
import time

import pytest
from clockwork_core.errors import InvalidValue
from clockwork_ecs.bucket import DEFAULT_RATES, EC2, FARGATE, Buckets, TokenBucket, parse_rates


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class TestTokenBucket:
    def test_it_gives_the_burst_at_once_then_one_token_per_interval(self) -> None:
        fake = FakeTime()
        bucket = TokenBucket(10.0, 3, clock=fake.clock, sleep=fake.sleep)
        waits = [bucket.reserve() for _ in range(6)]
        assert waits == pytest.approx([0, 0, 0, 0.1, 0.2, 0.3])

    def test_it_refills_at_its_rate_up_to_its_burst(self) -> None:
        fake = FakeTime()
        bucket = TokenBucket(10.0, 3, clock=fake.clock, sleep=fake.sleep)
        for _ in range(3):
            bucket.reserve()
        fake.now += 60  # far more than the burst's worth
        assert [bucket.reserve() for _ in range(4)] == pytest.approx([0, 0, 0, 0.1])

    def test_acquire_sleeps_until_its_turn(self) -> None:
        fake = FakeTime()
        bucket = TokenBucket(4.0, 1, clock=fake.clock, sleep=fake.sleep)
        for _ in range(9):
            bucket.acquire()
        assert fake.now == pytest.approx(1002.0)  # 8 intervals of 0.25 s after the first

    def test_hold_off_hands_out_nothing_for_a_while(self) -> None:
        fake = FakeTime()
        bucket = TokenBucket(10.0, 5, clock=fake.clock, sleep=fake.sleep)
        bucket.hold_off(2.0)
        assert bucket.reserve() == pytest.approx(2.1)

    def test_it_serves_waiting_callers_in_arrival_order(self) -> None:
        """Whoever reserves first is served first: tokens 20 ms apart, served in reservation order."""
        bucket = TokenBucket(50.0, 1)
        reserved: list[int] = []
        served: list[int] = []
        lock = threading.Lock()

        def take(index: int) -> None:
            with lock:
                wait = bucket.reserve()
                reserved.append(index)
            time.sleep(wait)
            with lock:
                served.append(index)

        threads = [threading.Thread(target=take, args=(index,)) for index in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert served == reserved
        assert sorted(served) == list(range(12))

    def test_it_drains_at_its_setting_measured(self) -> None:
        """200 tokens at 100/s (burst 1) from 8 threads take 199 intervals: 1.99 s."""
        bucket = TokenBucket(100.0, 1)
        taken: list[float] = []
        lock = threading.Lock()

        def take(n: int) -> None:
            for _ in range(n):
                bucket.acquire()
                with lock:
                    taken.append(time.monotonic())

        threads = [threading.Thread(target=take, args=(25,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        taken.sort()
        rate = (len(taken) - 1) / (taken[-1] - taken[0])
        assert 90.0 <= rate <= 101.0
        # and no window of 50 tokens faster than the setting (0.5 s), less 30 ms of thread wake-up
        assert min(b - a for a, b in zip(taken, taken[50:], strict=False)) >= 0.47

    @pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
    def test_it_rejects_a_setting_that_never_gives_a_token(self, rate: float, burst: int) -> None:
        with pytest.raises(InvalidValue):
            TokenBucket(rate, burst)


class TestRates:
    def test_the_defaults_are_ecs_published_run_task_rates(self) -> None:
        assert DEFAULT_RATES == {FARGATE: (20.0, 20), EC2: (40.0, 100)}

    def test_a_rates_text_sets_rate_and_burst_per_launch_kind(self) -> None:
        assert parse_rates("fargate=5/10, EC2=1.5/3") == {FARGATE: (5.0, 10), EC2: (1.5, 3)}
        assert parse_rates("") == {}

    @pytest.mark.parametrize("text", ["FARGATE=20", "LAMBDA=1/1", "EC2=0/5", "EC2=x/y"])
    def test_a_bad_rates_text_is_refused_naming_the_setting(self, text: str) -> None:
        with pytest.raises(InvalidValue) as caught:
            parse_rates(text)
        assert caught.value.field == "run_task_rates"

    def test_one_bucket_is_shared_per_region_endpoint_and_kind(self) -> None:
        buckets = Buckets(DEFAULT_RATES)
        assert buckets.get("eu-west-1", None, FARGATE) is buckets.get("eu-west-1", None, FARGATE)
        assert buckets.get("eu-west-1", None, FARGATE) is not buckets.get("eu-west-1", None, EC2)
        assert buckets.get("eu-west-1", None, FARGATE) is not buckets.get("us-east-1", None, FARGATE)
        assert buckets.get("eu-west-1", None, EC2).burst == 100
