"""Without a job queue (SQLite): `serve` runs the schedule and the syncs, and stops them cleanly."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from appventory.runtime import open_runtime
from appventory.web import create_app
from sandbox.config import FaultSettings, SandboxConfig, TenantSpec
from sandbox.testing import RunningSandbox, running_sandbox
from sync_core import consent
from sync_core.crypto import generate_key
from sync_core.records import SyncStatus
from sync_core.settings import Settings
from sync_core.store import models, organizations
from sync_core.store.db import migrate
from tests.ops.conftest import TESTER, ground_truth, stored_inventory


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """One small tenant; request latency stretches a sync over a couple of seconds."""
    config = SandboxConfig(
        tenants=[TenantSpec(users=30, apps=12, seed=21, signins_per_user_per_day=1.0)],
        faults=FaultSettings(latency_ms=60),
    )
    config.throttling.time_scale = 1000
    async with running_sandbox(config) as sbx:
        yield sbx


async def _settings(tmp_path: Path, sandbox: RunningSandbox) -> Settings:
    settings = Settings(
        _env_file=None,
        secret_key=generate_key(),
        database_url=f"sqlite://{tmp_path / 'app.sqlite3'}",
        entra_client_id=sandbox.client_id,
        entra_client_secret=sandbox.client_secret,
        login_url=sandbox.base_url,
        graph_url=sandbox.base_url,
        graph_reports_period_seconds=0.0102,
        schedule_tick_seconds=1,
    )
    await migrate(settings.database_url)
    async with open_runtime(settings) as runtime:
        org, _ = await organizations.create_organization(name="Laptop IT")
        verified = await runtime.check_tenant(sandbox.tenant_id)
        await consent.record_connection(organization_id=org.id, actor=TESTER, verified=verified)
    return settings


async def _wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await predicate():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def _running_with_progress() -> models.SyncRun | None:
    run = await models.SyncRun.filter(status=SyncStatus.RUNNING).first()
    return run if run and run.checkpoint else None


async def test_serve_syncs_a_due_connection_and_stops_a_running_sync_cleanly(
    tmp_path, sandbox, caplog
):
    settings = await _settings(tmp_path, sandbox)
    app = create_app(settings)
    caplog.set_level(logging.WARNING)
    async with app.router.lifespan_context(app) as state:
        with state["runtime"].store.activated():
            # The connection is due (never synced): the in-process schedule starts it.
            run = await _wait_for(_running_with_progress, timeout=20, what="a scheduled sync")
    # The lifespan ended mid-run (Ctrl-C): the run was stopped before the clients closed.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]

    async with open_runtime(settings) as runtime:
        stopped = await models.SyncRun.get(id=run.id)
        assert stopped.trigger == "schedule"
        assert stopped.status == SyncStatus.RUNNING and stopped.checkpoint  # kept for resuming
        report = await runtime.require_engine().run(run.id)  # what the schedule does later
        assert report.status is SyncStatus.SUCCEEDED
        connection_id = report.connection_id
        assert await stored_inventory(connection_id) == await ground_truth(
            sandbox, sandbox.tenant_id
        )
