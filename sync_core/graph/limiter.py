"""A sliding-window rate limiter: at most N request starts in any window of P seconds."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from sync_core.graph.policy import Clock, Sleep

# Why not aiolimiter.AsyncLimiter: it is a leaky bucket (capacity N, leaking N/P per second), so
# after a burst of 5 it lets the 6th call through 2 s later and up to ~9 calls into one 10 s
# window, which is exactly what provokes 429s from Graph's "5 requests per 10 seconds" reports
# limit. A window log never exceeds N starts in any P-second window.


class WindowLimiter:
    """Spaces callers so no more than `limit` start within any `period` seconds."""

    def __init__(self, limit: int, *, period: float, clock: Clock, sleep: Sleep) -> None:
        self._limit = limit
        self._period = period
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self, *, before_wait: Callable[[float], None] | None = None) -> float:
        """Wait for a slot and take it; returns the seconds spent waiting."""
        waited = 0.0
        async with self._lock:  # FIFO: waiters queue here and are served in order
            while True:
                now = self._clock()
                while self._starts and self._starts[0] <= now - self._period:
                    self._starts.popleft()
                if len(self._starts) < self._limit:
                    self._starts.append(now)
                    return waited
                delay = self._starts[0] + self._period - now
                if before_wait:
                    before_wait(delay)
                await self._sleep(delay)
                waited += delay
