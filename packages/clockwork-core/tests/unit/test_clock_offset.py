"""ClockOffset: what a store's second-resolution stamps prove about this host's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clockwork_core.clock_offset import ZERO, ClockOffset
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def answer(offset: ClockOffset, *, store_at: datetime, true_offset: timedelta, latency: timedelta) -> None:
    """An answer the store stamped at ``store_at`` (its clock, which is right), to the second."""
    local = store_at + true_offset
    stamp = store_at.replace(microsecond=0)
    offset.observe(sent=local - latency / 2, received=local + latency / 2, stamp=stamp)


class TestClockOffset:
    def test_it_proves_nothing_before_any_answer(self) -> None:
        offset = ClockOffset()
        assert offset.bounds is None
        assert offset.proven() == ZERO

    def test_a_host_within_the_stamps_resolution_is_taken_to_be_right(self) -> None:
        offset = ClockOffset()
        answer(
            offset, store_at=T0 + timedelta(milliseconds=400), true_offset=timedelta(0), latency=timedelta(0)
        )
        assert offset.proven() == ZERO

    def test_answers_at_many_fractions_of_a_second_narrow_an_eight_second_lead(self) -> None:
        offset = ClockOffset()
        for n in range(40):
            at = T0 + timedelta(milliseconds=n * 1025)
            answer(offset, store_at=at, true_offset=timedelta(seconds=8), latency=timedelta(milliseconds=4))
        low, high = offset.bounds or (ZERO, ZERO)
        assert low <= timedelta(seconds=8) <= high
        assert high - low < timedelta(milliseconds=60)
        assert timedelta(seconds=7.94) < offset.proven() <= timedelta(seconds=8)

    def test_a_host_behind_is_proven_behind(self) -> None:
        offset = ClockOffset()
        for n in range(10):
            answer(
                offset,
                store_at=T0 + timedelta(milliseconds=n * 333),
                true_offset=timedelta(seconds=-5),
                latency=timedelta(milliseconds=2),
            )
        assert timedelta(seconds=-5) <= offset.proven() < timedelta(seconds=-4)

    def test_a_stepped_clock_starts_the_estimate_again(self) -> None:
        offset = ClockOffset()
        for n in range(10):
            answer(offset, store_at=T0 + n * SECOND / 3, true_offset=timedelta(seconds=8), latency=ZERO)
        # NTP steps the host's clock back into line.
        answer(offset, store_at=T0 + 4 * SECOND, true_offset=ZERO, latency=ZERO)
        assert offset.proven() == ZERO

    def test_answers_older_than_the_window_are_forgotten(self) -> None:
        offset = ClockOffset(window=timedelta(seconds=10))
        answer(offset, store_at=T0, true_offset=timedelta(seconds=3), latency=ZERO)
        answer(
            offset, store_at=T0 + 20 * SECOND, true_offset=timedelta(seconds=3), latency=timedelta(seconds=1)
        )
        low, high = offset.bounds or (ZERO, ZERO)
        assert high - low == timedelta(seconds=2)  # only the second, slower answer is left

    @settings(max_examples=200, derandomize=True, deadline=None)
    @given(
        true_ms=st.integers(min_value=-20_000, max_value=20_000),
        answers=st.lists(
            st.tuples(st.integers(min_value=0, max_value=120_000), st.integers(min_value=0, max_value=2_000)),
            min_size=1,
            max_size=30,
        ),
    )
    def test_the_bounds_always_hold_the_true_offset_and_the_proof_never_overshoots(
        self, true_ms: int, answers: list[tuple[int, int]]
    ) -> None:
        true = timedelta(milliseconds=true_ms)
        offset = ClockOffset()
        for at_ms, latency_ms in sorted(answers):
            answer(
                offset,
                store_at=T0 + timedelta(milliseconds=at_ms),
                true_offset=true,
                latency=timedelta(milliseconds=latency_ms),
            )
        low, high = offset.bounds or (ZERO, ZERO)
        assert low <= true <= high
        proven = offset.proven()
        assert abs(proven) <= abs(true)
        assert proven == ZERO or (proven > ZERO) == (true > ZERO)
