"""A zone's UTC-offset transitions, found by probing the zone (no private zoneinfo API).

The cron layer walks the UTC timeline as a sequence of segments of constant offset; this
module finds where one segment ends. Transitions are found per UTC year by probing the
offset every few hours and bisecting to the second, and are cached per zone and year.
"""

from __future__ import annotations

import bisect
import functools
import threading
from datetime import UTC, datetime, timedelta, tzinfo

import attrs

#: No zone changes its offset twice within this step (real transitions are months apart).
_PROBE = 6 * 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@attrs.frozen
class Transition:
    """At ``instant`` the zone's offset changes from ``before`` to ``after``."""

    instant: datetime
    before: timedelta
    after: timedelta


class Timeline:
    """Offsets and transitions of one zone."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._years: dict[int, list[Transition]] = {}
        self._instants: dict[int, list[datetime]] = {}
        self._lock = threading.Lock()

    def offset_at(self, instant: datetime) -> timedelta:
        offset = instant.astimezone(self.zone).utcoffset()
        assert offset is not None
        return offset

    def _offset_ts(self, ts: int) -> timedelta:
        offset = datetime.fromtimestamp(ts, self.zone).utcoffset()
        assert offset is not None
        return offset

    def transitions_in(self, year: int) -> list[Transition]:
        """The transitions within UTC year ``year``, in order."""
        with self._lock:
            found = self._years.get(year)
            if found is None:
                found = self._years[year] = self._probe_year(year)
                self._instants[year] = [t.instant for t in found]
            return found

    def _probe_year(self, year: int) -> list[Transition]:
        start = int((datetime(year, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds())
        end = int((datetime(year + 1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds())
        found: list[Transition] = []
        ts, offset = start, self._offset_ts(start)
        while ts < end:
            nxt = min(ts + _PROBE, end)
            nxt_offset = self._offset_ts(nxt)
            if nxt_offset != offset:
                low, high = ts, nxt  # offset(low) == offset, offset(high) != offset
                while high - low > 1:
                    mid = (low + high) // 2
                    if self._offset_ts(mid) == offset:
                        low = mid
                    else:
                        high = mid
                if high < end:  # a change exactly at ``end`` belongs to the next year
                    found.append(Transition(_EPOCH + timedelta(seconds=high), offset, self._offset_ts(high)))
            ts, offset = nxt, nxt_offset
        return found

    def next_transition(self, after: datetime, *, horizon_years: int = 3) -> Transition | None:
        """The first transition strictly after ``after``, looking ``horizon_years`` ahead."""
        for year in range(after.year, after.year + horizon_years + 1):
            found = self.transitions_in(year)
            index = bisect.bisect_right(self._instants[year], after)
            if index < len(found):
                return found[index]
        return None

    def last_transition(self, at_or_before: datetime, *, within: timedelta) -> Transition | None:
        """The latest transition in ``(at_or_before - within, at_or_before]``, if any."""
        earliest = at_or_before - within
        for year in (at_or_before.year, at_or_before.year - 1):
            for transition in reversed(self.transitions_in(year)):
                if earliest < transition.instant <= at_or_before:
                    return transition
                if transition.instant <= earliest:
                    return None
            if datetime(year, 1, 1, tzinfo=UTC) <= earliest:
                return None
        return None


@functools.lru_cache(maxsize=512)
def timeline_of(zone: tzinfo) -> Timeline:
    return Timeline(zone)
