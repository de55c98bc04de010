"""Probes around one run: RSS sampled in a thread, event-loop lag, when each pass ran."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

from bench.harness.proc import proc_status
from sync_core.records import EntityReport, EntityStatus


class RssSampler:
    """Samples this process's VmRSS every `interval` s in a thread (growth within a run)."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    def __enter__(self) -> RssSampler:
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self._sample()

    def _sample(self) -> None:
        rss = proc_status("self").get("VmRSS")
        if rss is not None:
            self.samples.append((time.perf_counter() - self._t0, rss))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def summary(self) -> dict[str, Any]:
        if not self.samples:
            return {}
        values = [kb for _, kb in self.samples]
        step = max(1, len(self.samples) // 40)
        quarter = [values[round(q * (len(values) - 1))] for q in (0.25, 0.5, 0.75)]
        return {
            "start_mb": values[0] / 1024,
            "max_mb": max(values) / 1024,
            "end_mb": values[-1] / 1024,
            "q25_q50_q75_mb": [v / 1024 for v in quarter],
            "timeline": [(round(t, 2), round(kb / 1024, 1)) for t, kb in self.samples[::step]],
        }


class LoopLag:
    """How late a 50 ms sleep wakes up: the event loop blocked by CPU work (ours, in-loop)."""

    def __init__(self, tick: float = 0.05) -> None:
        self.tick = tick
        self.lags: list[float] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.tick)
            self.lags.append(time.perf_counter() - before - self.tick)

    def summary(self) -> dict[str, float]:
        if not self.lags:
            return {}
        ordered = sorted(self.lags)
        return {
            "p50_ms": ordered[len(ordered) // 2] * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
            "max_ms": ordered[-1] * 1000,
            # Time the loop was unavailable beyond 10 ms per tick: a rough share of blocking.
            "blocked_seconds": sum(lag for lag in self.lags if lag > 0.01),
        }


class PassTimer:
    """An engine observer: when each entity pass started and ended (s from the run's start)."""

    DONE = (EntityStatus.SUCCEEDED, EntityStatus.FAILED, EntityStatus.SKIPPED)

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}

    def __call__(self, entities: dict[str, EntityReport]) -> None:
        now = time.perf_counter() - self.t0
        for name, report in entities.items():
            if report.status is EntityStatus.RUNNING and name not in self.started:
                self.started[name] = now
            elif report.status in self.DONE and name not in self.ended:
                self.started.setdefault(name, now)
                self.ended[name] = now

    def window(self, name: str) -> tuple[float, float] | None:
        if name in self.started and name in self.ended:
            return self.started[name], self.ended[name]
        return None
