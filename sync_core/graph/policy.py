"""Retry, concurrency and rate-limit knobs for the Graph client, and the wait arithmetic."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client retries and how fast it may go; tests compress time through it."""

    max_attempts: int = 6
    base_backoff: float = 1.0
    max_backoff: float = 60.0
    # A Retry-After beyond this is clamped, so a broken header cannot stall a sync for hours.
    max_retry_after: float = 600.0
    max_concurrency: int = 4
    # Graph's identity reports (auditLogs, reports) allow 5 requests per 10 s per app and tenant.
    reports_limit: int = 5
    reports_period: float = 10.0
    sleep: Sleep = field(default=asyncio.sleep, repr=False)
    clock: Clock = field(default=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_concurrency < 1 or self.reports_limit < 1:
            raise ValueError("max_attempts, max_concurrency and reports_limit must be >= 1")
        if min(self.base_backoff, self.max_backoff, self.reports_period) < 0:
            raise ValueError("backoff and period values must not be negative")


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header: delta-seconds (fractional ok) or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        now = now or dt.datetime.now(dt.UTC)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def backoff_seconds(
    attempt: int, *, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with "equal jitter": between half and all of min(cap, base * 2^(n-1))."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + rand() * ceiling / 2
