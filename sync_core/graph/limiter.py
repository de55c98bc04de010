"""A sliding-window rate limiter: at most N requests in any window of P seconds."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from sync_core.graph.policy import Clock, Sleep

# Why not aiolimiter.AsyncLimiter: it is a leaky bucket (capacity N, leaking N/P per second), so
# after a burst of 5 it lets the 6th call through 2 s later and up to ~9 calls into one 10 s
# window, which is exactly what provokes 429s from Graph's "5 requests per 10 seconds" reports
# limit. A window log never exceeds N requests in any P-second window.


class _Stamp:
    """When a request counts: its start while in flight, its answer once answered."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


class WindowLimiter:
    """Spaces callers so no more than `limit` requests fall within any `period` seconds."""

    def __init__(self, limit: int, *, period: float, clock: Clock, sleep: Sleep) -> None:
        self._limit = limit
        self._period = period
        self._clock = clock
        self._sleep = sleep
        self._stamps: list[_Stamp] = []
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def slot(
        self, *, before_wait: Callable[[float], None] | None = None
    ) -> AsyncIterator[float]:
        """Hold a slot around one request; yields the seconds spent waiting for it.

        Graph counts a request when it reaches Graph, somewhere between our send and its
        answer, and our send can be late (a busy event loop, a token refresh). A window counted
        from the start would then undercut Graph's and earn a 429; counted from the answer it
        never can, for the price of one round trip per window.
        """
        stamp, waited = await self._take(before_wait)
        try:
            yield waited
        finally:
            stamp.at = self._clock()
            if stamp not in self._stamps:  # dropped while in flight for longer than a window
                self._stamps.append(stamp)

    async def _take(self, before_wait: Callable[[float], None] | None) -> tuple[_Stamp, float]:
        waited = 0.0
        async with self._lock:  # FIFO: waiters queue here and are served in order
            while True:
                now = self._clock()
                self._stamps = [s for s in self._stamps if s.at > now - self._period]
                if len(self._stamps) < self._limit:
                    stamp = _Stamp(now)
                    self._stamps.append(stamp)
                    return stamp, waited
                times = sorted(s.at for s in self._stamps)
                delay = times[len(times) - self._limit] + self._period - now
                if before_wait:
                    before_wait(delay)
                await self._sleep(delay)
                waited += delay
