"""Faults against the runner `appventory serve` uses (in process), on SQLite and PostgreSQL.

Each run under a 429 storm, 503s or a permission removed mid-run ends (succeeded, or partial
with a hint), the store answers the next request, and the next clean sync equals the truth.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from appventory.runtime import Runtime, open_runtime
from appventory.web import create_app
from sandbox.config import DEFAULT_ROLES, FaultSettings, SandboxConfig, TenantSpec
from sandbox.testing import RunningSandbox, running_sandbox
from sync_core import consent, records
from sync_core.crypto import generate_key
from sync_core.graph import RetryPolicy
from sync_core.records import SyncStatus
from sync_core.settings import Settings, SyncRunner
from sync_core.store import connections, models, organizations, runs
from sync_core.sync.service import InProcessRunner, request_sync
from tests.ops.conftest import TESTER, ground_truth, stored_inventory
from tests.sync.test_full_and_delta import _assigned_users_per_app

# Every read of an assigned group's members fails until retries run out, so the assignments
# pass (whose reads run concurrently) always meets the fault, whatever the random draws.
MEMBERS_FAULTS = 60
WITHOUT_DIRECTORY = ["User.Read.All", "Application.Read.All", "AuditLog.Read.All"]
# Time is compressed: Retry-After 50 ms, back-offs of 10 ms, the reports limiter in 10 ms.
FAST = RetryPolicy(
    max_attempts=6, base_backoff=0.01, max_backoff=0.1, reports_limit=5, reports_period=0.01
)


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """One small tenant; a little latency lets a test act while a run is under way."""
    config = SandboxConfig(
        tenants=[TenantSpec(users=40, apps=14, seed=11, signins_per_user_per_day=1.0)],
        faults=FaultSettings(latency_ms=15, retry_after_seconds=0.05, seed=5),
    )
    config.throttling.time_scale = 1000
    async with running_sandbox(config) as sbx:
        yield sbx


async def _connect(database_url: str, sandbox: RunningSandbox) -> tuple[Settings, uuid.UUID]:
    """Settings of a `serve` that runs syncs itself, and a connected tenant not yet due."""
    settings = Settings(
        _env_file=None,
        secret_key=generate_key(),
        database_url=database_url,
        entra_client_id=sandbox.client_id,
        entra_client_secret=sandbox.client_secret,
        login_url=sandbox.base_url,
        graph_url=sandbox.base_url,
        sync_runner=SyncRunner.IN_PROCESS,
        schedule_tick_seconds=1,
    )
    async with open_runtime(settings) as runtime:
        org, _ = await organizations.create_organization(name="Faulty IT")
        verified = await runtime.check_tenant(sandbox.tenant_id)
        result = await consent.record_connection(
            organization_id=org.id, actor=TESTER, verified=verified
        )
        # Not due: the test starts each run itself, as startSync does.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        await connections.update(connection_id=result.connection.id, next_sync_at=later)
    return settings, org.id


async def _start_faults(sandbox: RunningSandbox, fault: str) -> None:
    if fault == "429-storm":
        await sandbox.set_faults(rate_429=0.5)
        await sandbox.script_faults(*[{"kind": "429", "path": "/members"}] * MEMBERS_FAULTS)
    elif fault == "503s":
        await sandbox.set_faults(rate_503=0.3)
        await sandbox.script_faults(*[{"kind": "503", "path": "/members"}] * MEMBERS_FAULTS)


async def _wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await predicate():
            return result
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def _remove_permission_once_apps_are_read(sandbox: RunningSandbox, run_id: uuid.UUID):
    """Directory.Read.All withdrawn as the assignments pass starts (the next token lacks it)."""

    async def apps_done() -> bool:
        checkpoint = await runs.checkpoint(run_id=run_id)
        return bool(checkpoint.get("apps", {}).get("done"))

    await _wait_for(apps_done, timeout=20, what="the apps pass")
    await sandbox.set_state(granted_roles=WITHOUT_DIRECTORY, expire_tokens=True)


async def _sync(
    runtime: Runtime, org: uuid.UUID, *, sandbox: RunningSandbox, fault: str | None = None
) -> records.SyncReport:
    """A run queued and executed by serve's runner, to its end (or the test's timeout)."""
    run, queued = await request_sync(organization_id=org, actor=TESTER, runner=runtime.runner)
    assert queued
    if fault == "permission-removed":
        await _remove_permission_once_apps_are_read(sandbox, run.id)
    assert isinstance(runtime.runner, InProcessRunner)
    await asyncio.wait_for(runtime.runner.drain(), timeout=30)
    report, _, _ = await runs.load(run_id=run.id)
    return report


async def _assert_inventory_equals_truth(sandbox: RunningSandbox, connection_id: uuid.UUID):
    assert await stored_inventory(connection_id) == await ground_truth(sandbox, sandbox.tenant_id)
    truth = await sandbox.ground_truth()
    expected = {
        a["servicePrincipalId"]: a["assigned_users"]
        for a in truth["apps"]
        if a["assigned_users"] and a["kind"] in ("third_party", "tenant_own")
    }
    assert await _assigned_users_per_app(connection_id) == expected


@pytest.mark.parametrize("fault", ["429-storm", "503s", "permission-removed"])
async def test_every_run_under_faults_ends_and_the_next_clean_sync_equals_truth(
    database_url, sandbox, fault
):
    settings, org = await _connect(database_url, sandbox)
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        runtime: Runtime = state["runtime"]
        runtime.require_engine().policy = FAST
        with runtime.store.activated():
            await _start_faults(sandbox, fault)
            report = await _sync(runtime, org, sandbox=sandbox, fault=fault)

            assert not report.is_active, report
            assert report.finished_at is not None
            assert report.status in (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL), report
            if report.status is SyncStatus.PARTIAL:
                assert report.hint and report.error_code, report
            # The store answers the next request (`/readyz` pings it; GraphQL reads runs).
            await asyncio.wait_for(runtime.store.ping(), timeout=5)
            listed = await asyncio.wait_for(runs.list_runs(organization_id=org), timeout=5)
            assert [r.status for r in listed] == [report.status]

            await sandbox.set_faults(reset=True)
            # The sandbox expires tokens by the second: a second expiry within the same second
            # would keep the tokens issued after the first (those lacking the permission).
            await sandbox.advance_clock(1)
            await sandbox.set_state(granted_roles=list(DEFAULT_ROLES), expire_tokens=True)
            clean = await _sync(runtime, org, sandbox=sandbox)

            assert clean.status is SyncStatus.SUCCEEDED, clean
            await _assert_inventory_equals_truth(sandbox, clean.connection_id)
            assert await models.SyncRun.filter(active_key__isnull=False).count() == 0
