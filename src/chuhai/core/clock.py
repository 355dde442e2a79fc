"""The one clock. Services ask it for the time so tests and simulations can move days in seconds.

All times are timezone-aware UTC; display code converts to the market's zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def as_utc(value: datetime) -> datetime:
    """Stored datetimes come back naive from SQLite; they are UTC by convention."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
