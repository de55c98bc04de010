"""A sandbox tenant synced into a fresh store by the real runtime, for read benchmarks.

The sandbox runs in its own process (bench/harness/sandbox.py); the runtime (MSAL, httpx, the
engine, the store) runs a full sync, then, with `churn`, posts about 1% churn and runs a delta
sync. Each sync ends with the engine's own insights derive step, exactly as in production.
Used by bench/graphql.py (`--tenant synced`, the default).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appventory.runtime import open_runtime
from bench.harness.sandbox import Control, SandboxProcess
from sync_core import consent, records
from sync_core.crypto import generate_key
from sync_core.settings import Settings
from sync_core.store import models, organizations
from sync_core.sync.service import request_sync

ACTOR = records.Actor(records.ActorType.CLI, "bench", "bench.graphql")
CLIENT_REPORTS_PERIOD = 10.2  # our client's reports window at real time (Settings default)
# The app with most users given access (directly, through a group, or by consent).
BUSIEST_APP = """
SELECT a.id, COUNT(*) AS users FROM application a
JOIN app_access x ON x.connection_id = a.connection_id AND x.app_entra_id = a.entra_id
WHERE x.removed_at IS NULL AND x.principal_type = 'User' AND a.removed_at IS NULL
GROUP BY a.id ORDER BY COUNT(*) DESC, a.id LIMIT 1"""


@dataclass(frozen=True)
class SandboxParams:
    """The sandbox's command line (bench.harness.sandbox.TenantParams)."""

    users: int
    apps: int
    signins_per_user_per_day: float
    days: int = 30
    seed: int = 7
    latency_ms: float = 5.0
    latency_sigma: float = 0.0
    time_scale: float = 100.0
    empty_page_rate: float = 0.02


@dataclass
class Synced:
    """The synced tenant: its organization, an API token, the busiest app, and sync timings."""

    organization_id: uuid.UUID
    token: str
    busiest_app: int
    busiest_app_users: int
    syncs: list[dict[str, Any]] = field(default_factory=list)


async def _sync(runtime, organization_id: uuid.UUID, *, label: str, full: bool) -> dict[str, Any]:
    run, _ = await request_sync(
        organization_id=organization_id, actor=ACTOR, runner=None, full=full, trigger="bench"
    )
    started = time.perf_counter()
    report = await runtime.require_engine().run(run.id)
    wall = time.perf_counter() - started
    sync_seconds = report.duration_seconds or wall
    entry = {
        "label": label,
        "status": report.status.value,
        "wall_seconds": round(wall, 1),
        "sync_seconds": round(sync_seconds, 1),
        # What follows the run row's end: mostly the insights derive step.
        "after_run_seconds": round(wall - sync_seconds, 1),
        "requests": report.requests,
    }
    print(
        f"  {label} sync: {report.status.value}, {wall:.1f} s wall ({sync_seconds:.1f} s sync, "
        f"{wall - sync_seconds:.1f} s after the run: insights derive), {report.requests:,} requests"
    )
    return entry


def _churn(params: SandboxParams, percent: float = 1.0) -> dict[str, int]:
    share = percent / 100

    def part(total: float, fraction: float) -> int:
        return max(1, round(total * share * fraction))

    return {
        "users_added": part(params.users, 1 / 3),
        "users_removed": part(params.users, 1 / 3),
        "users_changed": part(params.users, 1 / 3),
        "apps_added": part(params.apps, 1 / 2),
        "apps_removed": part(params.apps, 1 / 2),
        "consents_added": part(params.users, 1 / 10),
        "signins_added": part(params.users * params.signins_per_user_per_day, 1),
    }


async def sync_tenant(
    database_url: str, params: SandboxParams, workdir: Path, *, churn: bool = True
) -> Synced:
    """Start the sandbox, connect its tenant, sync it (full, then delta after churn)."""
    sandbox = SandboxProcess(params, workdir)
    sandbox.start()
    control = Control(sandbox.base_url, sandbox.tenant_id)
    print(
        f"  sandbox up in {sandbox.startup_seconds:.0f} s: {sandbox.tenant['users']:,} users, "
        f"{sandbox.tenant['signins_generated']:,} sign-ins"
    )
    try:
        settings = Settings(
            _env_file=None,
            secret_key=generate_key(),
            database_url=database_url,
            entra_client_id=sandbox.info["client_id"],
            entra_client_secret=sandbox.info["client_secret"],
            login_url=sandbox.base_url,
            graph_url=sandbox.base_url,
            graph_concurrency=8,
            graph_reports_period_seconds=CLIENT_REPORTS_PERIOD / params.time_scale,
        )
        async with open_runtime(settings) as runtime:
            org, _ = await organizations.create_organization(name="Bench Org")
            verified = await runtime.check_tenant(sandbox.tenant_id)
            await consent.record_connection(organization_id=org.id, actor=ACTOR, verified=verified)
            syncs = [await _sync(runtime, org.id, label="full", full=True)]
            if churn:
                await control.churn(**_churn(params))
                syncs.append(await _sync(runtime, org.id, label="delta", full=False))
            token = await organizations.create_token(organization_id=org.id)
            db = models.Application._meta.db
            [busiest] = await db.execute_query_dict(BUSIEST_APP)
    finally:
        await control.close()
        sandbox.stop()
    return Synced(org.id, token.secret, int(busiest["id"]), int(busiest["users"]), syncs)
