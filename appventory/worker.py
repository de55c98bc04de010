"""The PostgreSQL job queue (procrastinate): sync jobs, the schedule, dead workers' jobs retried.

Web processes only defer jobs (ProcrastinateRunner); `appventory worker` processes run them.
PostgreSQL and procrastinate give every guarantee here: a job's `lock` (one per connection) lets
only one job of a connection run at a time, its `queueing_lock` keeps one waiting job per run,
and periodic jobs are deferred once per tick across all workers. A worker that dies mid-run stops
sending heartbeats; a live worker then retries its jobs, and the engine resumes the run from its
checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Any

import procrastinate
from procrastinate import exceptions as queue_errors

from sync_core.settings import Settings, SettingsError
from sync_core.store import runs
from sync_core.sync.service import execute

log = logging.getLogger(__name__)

SYNC_TASK = "appventory.sync_run"
SCHEDULE_TASK = "appventory.schedule"
RECOVER_TASK = "appventory.retry_stalled_jobs"
CLEANUP_TASK = "appventory.remove_old_jobs"
# A job cancelled by a worker's shutdown (SIGTERM, Ctrl-C) goes back to the queue at once; any
# other crash stays failed (the run is resumed by the schedule once it counts as stalled).
# procrastinate annotates Exception subclasses, but its check is isinstance(exception, tuple(...)),
# which works for CancelledError (a BaseException), what a shutdown raises into a job.
RETRY_ON_SHUTDOWN = procrastinate.RetryStrategy(
    retry_exceptions=[asyncio.CancelledError, queue_errors.JobAborted]  # type: ignore[list-item]
)
# Heroku and Kubernetes kill a process 30 s after SIGTERM; runs resume from their checkpoints.
SHUTDOWN_GRACE_SECONDS = 20.0
# Finished jobs (and their events) are kept this long, for `procrastinate` inspection.
KEEP_JOBS_HOURS = 72


def requires_postgres(settings: Settings) -> None:
    """Refuse in one line where there is no job queue: syncs then run inside `serve`."""
    if settings.is_sqlite:
        raise SettingsError(
            "appventory worker needs PostgreSQL (APPVENTORY_DATABASE_URL=postgres://...); "
            "with SQLite, `appventory serve` runs the syncs and the schedule itself"
        )
    if not settings.uses_job_queue:
        raise SettingsError(
            "APPVENTORY_SYNC_RUNNER is in_process: `appventory serve` runs the syncs and the "
            "schedule itself, so there is no job queue for a worker"
        )


def schedule_cron(tick_seconds: int) -> str:
    """The cron of the schedule tick; a sixth column counts seconds (procrastinate)."""
    return "* * * * *" if tick_seconds == 60 else f"* * * * * */{tick_seconds}"


def build_app(settings: Settings, *, pool_size: int | None = None) -> procrastinate.App:
    """A procrastinate app on the settings' database with our tasks (not opened yet)."""
    # A worker holds one connection to LISTEN, one per running job, a few for heartbeats and
    # periodic deferrals; a web process only defers and opens few of these.
    size = pool_size or settings.worker_concurrency + 4
    connector = procrastinate.PsycopgConnector(
        conninfo=settings.database_url, min_size=1, max_size=size
    )
    app = procrastinate.App(connector=connector)
    app.task(name=SYNC_TASK, pass_context=True, retry=RETRY_ON_SHUTDOWN)(run_sync)
    cron = schedule_cron(settings.schedule_tick_seconds)
    for name, func in ((SCHEDULE_TASK, schedule_tick), (RECOVER_TASK, retry_stalled_jobs)):
        # The queueing lock keeps one tick waiting at most when every slot is busy with syncs.
        task = app.task(name=name, pass_context=True, queueing_lock=name)(func)
        app.periodic(cron=cron, periodic_id=name)(task)
    cleanup = app.task(name=CLEANUP_TASK, pass_context=True, queueing_lock=CLEANUP_TASK)(
        remove_old_jobs
    )
    app.periodic(cron="17 * * * *", periodic_id=CLEANUP_TASK)(cleanup)
    return app


class ProcrastinateRunner:
    """Hands runs to the job queue; a worker process executes them."""

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app

    async def submit(self, run_id: uuid.UUID) -> None:
        """Defer the run's job, locked to its connection; a job already waiting is enough."""
        report, _, _ = await runs.load(run_id=run_id)
        deferrer = self.app.configure_task(
            SYNC_TASK, lock=f"connection:{report.connection_id}", queueing_lock=f"run:{run_id}"
        )
        try:
            job_id = await deferrer.defer_async(run_id=str(run_id))
        except queue_errors.AlreadyEnqueued:
            log.info("sync %s already waits in the queue", run_id)
            return
        log.info("sync %s queued as job %s", run_id, job_id)


def _runtime(context: procrastinate.JobContext) -> Any:
    return context.additional_context["runtime"]


async def run_sync(context: procrastinate.JobContext, run_id: str) -> None:
    """Job: run (or resume) one sync run."""
    runtime = _runtime(context)
    log.info("worker %s runs sync %s (job %s)", os.getpid(), run_id, context.job.id)
    # A retried job (its worker died or was stopped) takes over the run its first attempt
    # held; the job's connection lock means no other job runs it meanwhile.
    take_over = context.job.attempts > 0
    with runtime.store.activated():
        await execute(runtime.require_engine(), uuid.UUID(run_id), take_over=take_over)


async def schedule_tick(context: procrastinate.JobContext, timestamp: int) -> None:
    """Periodic job: queue the connections that are due, hand stalled runs again."""
    runtime = _runtime(context)
    with runtime.store.activated():
        await runtime.scheduler.tick()


async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Periodic job: jobs of workers that stopped sending heartbeats go back to the queue."""
    silent_for = _runtime(context).settings.worker_stall_seconds
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=silent_for):
        log.warning("job %s (%s) lost its worker: retrying it", job.id, job.call_string)
        await manager.retry_job(job)


async def remove_old_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Periodic job: forget finished jobs after a few days (the runs table keeps the history)."""
    await context.app.job_manager.delete_old_jobs(
        nb_hours=KEEP_JOBS_HOURS, include_failed=True, include_aborted=True
    )


async def queue_tables_exist(app: procrastinate.App) -> bool:
    row = await app.connector.execute_query_one_async(
        "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
    )
    return bool(row["present"])


async def apply_queue_schema(settings: Settings) -> bool:
    """Create the job queue's tables on PostgreSQL unless they exist; True when created."""
    if settings.is_sqlite:
        return False
    app = build_app(settings, pool_size=1)
    async with app.open_async():
        if await queue_tables_exist(app):
            return False
        await app.schema_manager.apply_schema_async()
    return True
