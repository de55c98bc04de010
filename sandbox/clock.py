"""The sandbox's notion of now: wall time plus an offset tests can advance."""

from __future__ import annotations

import time
from datetime import UTC, datetime

NEVER = "0001-01-01T00:00:00Z"


class Clock:
    """Wall-clock time that the control API can move forward (token and delta expiry)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, including any advance."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward (or back) in time."""
        self._offset += seconds

    @property
    def offset(self) -> float:
        """Seconds added to wall time so far."""
        return self._offset


def iso(ts: float, *, fraction: bool = False) -> str:
    """Graph's UTC timestamp format: 2024-05-01T12:00:00Z (optionally with fraction)."""
    moment = datetime.fromtimestamp(ts, UTC)
    if fraction:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    """Parse an ISO-8601 timestamp with Z or an offset; raises ValueError otherwise."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text}")
    return moment.timestamp()
