"""Continuous sync: which connections are due, back-off for failing ones, stalled runs resumed.

Rules are pure (time passed in); the loop that applies them lives with the runner that executes
runs (in process with SQLite, the job queue with PostgreSQL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sync_core import records
from sync_core.records import ActorType, SyncStatus
from sync_core.store import connections, runs
from sync_core.sync.service import Runner

log = logging.getLogger(__name__)
SCHEDULER = records.Actor(ActorType.SYSTEM, "scheduler", "schedule")
MAX_BACKOFF = dt.timedelta(hours=24)
# A run whose worker has not saved progress for this long is taken over and resumed.
STALLED_AFTER = runs.STALLED_AFTER


def next_attempt(*, finished_at: dt.datetime, interval: dt.timedelta, failures: int) -> dt.datetime:
    """When to sync again: one interval later, doubled per consecutive failure, capped at 24 h."""
    backoff = interval * (2 ** min(max(failures, 0), 16))
    return finished_at + min(backoff, max(MAX_BACKOFF, interval))


@dataclass
class Scheduler:
    """Queues due syncs and hands them (and stalled runs) to a runner."""

    runner: Runner
    interval: dt.timedelta
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    stalled_after: dt.timedelta = STALLED_AFTER

    async def sync_finished(self, *, report: records.SyncReport, events: Sequence[Any]) -> None:
        """After each run: book the next one (a SyncListener)."""
        failures = await runs.failure_streak(connection_id=report.connection_id)
        finished = report.finished_at or self.clock()
        when = next_attempt(finished_at=finished, interval=self.interval, failures=failures)
        await connections.update(connection_id=report.connection_id, next_sync_at=when)
        if report.status is SyncStatus.FAILED:
            log.info(
                "tenant %s failed %d time(s) in a row; next try %s",
                report.tenant_id,
                failures,
                when.isoformat(),
            )

    async def tick(self) -> list[uuid.UUID]:
        """Queue each due connection once and resubmit stalled runs; returns the runs handed."""
        now = self.clock()
        handed: list[uuid.UUID] = []
        # A connection whose booking got lost (its process died before booking) is due again
        # once the longest back-off has passed.
        overdue = now - max(MAX_BACKOFF, self.interval) - self.interval
        for connection_id in await runs.due_connections(now=now, overdue_before=overdue):
            run, queued = await runs.request_run(
                connection_id=connection_id, trigger="schedule", actor=SCHEDULER
            )
            if queued:
                await self.runner.submit(run.id)
                handed.append(run.id)
        # A run no worker reports on (its job lost, or its process gone without a job queue to
        # notice) goes back to the queue and is handed again; of processes ticking at once, one
        # requeues it, and of executors handed it, one claims it (`execute`).
        stalled_before = now - self.stalled_after
        for run_id in await runs.stale_runs(older_than=stalled_before):
            if not await runs.requeue_stalled(run_id=run_id, older_than=stalled_before, now=now):
                continue
            log.warning(
                "run %s stalled (no progress for %s): resuming it", run_id, self.stalled_after
            )
            await self.runner.submit(run_id)
            handed.append(run_id)
        return handed

    async def run_forever(self, *, every: float = 30.0) -> None:
        """Tick until cancelled; a failing tick is logged and retried at the next one."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(every)
