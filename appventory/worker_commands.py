"""`appventory worker`: the process that runs sync jobs and the schedule on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import typer

from appventory import logs
from appventory.obs.metrics import serve_worker_metrics
from appventory.runtime import open_runtime
from appventory.worker import (
    SHUTDOWN_GRACE_SECONDS,
    ProcrastinateRunner,
    queue_tables_exist,
    requires_postgres,
)
from sync_core.settings import Settings, SettingsError
from sync_core.store.db import StoreUnavailable


async def run_worker(settings: Settings) -> None:
    """Run jobs and the schedule until SIGINT/SIGTERM (running jobs then get a grace period)."""
    requires_postgres(settings)
    async with open_runtime(settings) as runtime:
        runner = runtime.runner
        if not isinstance(runner, ProcrastinateRunner):
            raise SettingsError(
                "APPVENTORY_ENTRA_CLIENT_ID and APPVENTORY_ENTRA_CLIENT_SECRET are required "
                "to run sync jobs but not set"
            )
        if not await queue_tables_exist(runner.app):
            raise StoreUnavailable("the job queue's tables are missing: run `appventory migrate`")
        stall = settings.worker_stall_seconds
        await runner.app.run_worker_async(
            name=f"appventory-worker-{os.getpid()}",
            concurrency=settings.worker_concurrency,
            additional_context={"runtime": runtime},
            # Several heartbeats per stall window, so one slow beat is not taken for death.
            update_heartbeat_interval=stall / 4,
            stalled_worker_timeout=stall,
            shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS,
        )


def register(app: typer.Typer, *, settings: Callable[..., Any]) -> None:
    """Add the worker command to the CLI."""

    @app.command("worker")
    def worker_command() -> None:
        """Run sync jobs and the schedule (PostgreSQL; as many as you like)."""
        current = settings()
        requires_postgres(current)
        logs.configure(current)  # JSON lines on stdout, secrets redacted
        serve_worker_metrics(current)  # /metrics on APPVENTORY_METRICS_PORT, if set
        typer.echo(f"AppVentory worker {os.getpid()} starting", err=True)
        asyncio.run(run_worker(current))
