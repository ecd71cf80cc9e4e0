"""PROVISIONAL: replaced by the full implementation shortly. Basic 5/6-field UTC only."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime

from croniter import croniter

from clockwork_core.errors import InvalidExpression
from clockwork_core.zones import get_zone


class CronExpression:
    def __init__(self, text: str, timezone: str = "UTC", seed: str | None = None) -> None:
        self.text = text
        self.timezone = timezone
        self.zone = get_zone(timezone)
        self.seed = seed
        if len(text.split()) not in (5, 6) or not croniter.is_valid(text):
            raise InvalidExpression(text, "invalid")

    @property
    def is_interval(self) -> bool:
        return True

    def next_after(self, instant: datetime) -> datetime | None:
        it = croniter(self.text, instant.astimezone(UTC))
        return it.get_next(datetime).astimezone(UTC)  # type: ignore[no-any-return]

    def iter_after(self, instant: datetime) -> Iterator[datetime]:
        current: datetime | None = instant
        while current is not None:
            current = self.next_after(current)
            if current is not None:
                yield current


@functools.lru_cache(maxsize=4096)
def parse_cron(text: str, timezone: str = "UTC", seed: str | None = None) -> CronExpression:
    return CronExpression(text, timezone, seed)
