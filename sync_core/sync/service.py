"""Starting syncs: one active run per connection, executed by a runner."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Protocol

from sync_core import records
from sync_core.store import activity, connections, runs
from sync_core.sync.engine import SyncEngine

log = logging.getLogger(__name__)


class Runner(Protocol):
    """Executes queued runs somewhere: in this process, or through a job queue."""

    async def submit(self, run_id: uuid.UUID) -> None: ...


async def request_sync(
    *,
    organization_id: uuid.UUID,
    actor: records.Actor,
    runner: Runner | None,
    tenant_id: str | None = None,
    full: bool = False,
    trigger: str = "manual",
) -> tuple[records.SyncReport, bool]:
    """Queue a sync of one of the organization's tenants, or return the run already active.

    The bool is True when a new run was queued; the runner (if any) is handed only new runs.
    """
    connection = await connections.find_connection(
        organization_id=organization_id, tenant_id=tenant_id
    )
    run, queued = await runs.request_run(
        connection_id=connection.id, trigger=trigger, actor=actor, full=full
    )
    if queued:
        await activity.record(
            organization_id=organization_id,
            events=[
                activity.NewActivity(
                    kind="sync.requested",
                    actor=actor,
                    connection_id=connection.id,
                    subject_type="sync_run",
                    subject_id=str(run.id),
                    subject_name=connection.tenant_name or connection.tenant_id,
                    details={"full": full, "trigger": trigger},
                )
            ],
        )
        if runner is not None:
            await runner.submit(run.id)
    return run, queued


async def execute(
    engine: SyncEngine, run_id: uuid.UUID, *, take_over: bool = False
) -> records.SyncReport | None:
    """Claim and run (or resume) a queued run; None when it already ended or another process
    claimed it first (a late or duplicate job, `appventory sync` resuming it meanwhile)."""
    try:
        report = await engine.run(run_id, take_over=take_over)
    except runs.RunTaken as taken:
        log.info("sync %s: %s; nothing to do", run_id, taken)
        return None
    log.info("sync %s ended %s", run_id, report.status)
    return report


class InProcessRunner:
    """Runs syncs as tasks of this process (SQLite, the demo, the CLI)."""

    def __init__(self, engine: SyncEngine) -> None:
        self._engine = engine
        self._tasks: set[asyncio.Task] = set()

    async def submit(self, run_id: uuid.UUID) -> None:
        """Start the run in the background."""
        task = asyncio.create_task(self._run(run_id), name=f"sync-{run_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, run_id: uuid.UUID) -> None:
        try:
            await execute(self._engine, run_id)
        except Exception:
            log.exception("sync %s crashed; it resumes from its checkpoint next time", run_id)

    async def drain(self) -> None:
        """Wait for every submitted run (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Stop the runs still going before the process closes its clients (shutdown).

        A stopped run keeps its checkpoint, stays active and is released: the next executor
        may claim it at once (the schedule hands it again once it counts as stalled).
        """
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            log.info("stopping %d sync(s); they resume from their checkpoints", len(tasks))
            await asyncio.gather(*tasks, return_exceptions=True)
