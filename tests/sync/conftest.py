"""A sandbox tenant and the real runtime (MSAL, httpx, engine, store) pointed at it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from appventory.runtime import Runtime, open_runtime
from sandbox.config import FaultSettings, SandboxConfig, TenantSpec
from sandbox.testing import RunningSandbox, running_sandbox
from sync_core import consent, records
from sync_core.crypto import generate_key
from sync_core.graph import RetryPolicy
from sync_core.records import ActorType
from sync_core.settings import Settings
from sync_core.store import models, organizations
from sync_core.sync.service import request_sync

TESTER = records.Actor(ActorType.CLI, "pytest", "test suite")


@dataclass
class Tenant:
    """One connected sandbox tenant and the runtime that syncs it."""

    sandbox: RunningSandbox
    runtime: Runtime
    organization_id: uuid.UUID
    connection_id: uuid.UUID

    async def sync(self, *, full: bool = False, **run_options: Any) -> records.SyncReport:
        run, _ = await request_sync(
            organization_id=self.organization_id, actor=TESTER, runner=None, full=full
        )
        return await self.runtime.require_engine().run(run.id, **run_options)

    async def truth(self) -> dict[str, Any]:
        return await self.sandbox.ground_truth()

    async def stored(self) -> dict[str, int]:
        live = {"connection_id": self.connection_id, "removed_at": None}
        return {
            "users": await models.DirectoryUser.filter(**live).count(),
            "apps": await models.Application.filter(**live).count(),
            "grants": await models.PermissionGrant.filter(**live).count(),
            "user_consents": await models.PermissionGrant.filter(
                **live, consent_type="Principal"
            ).count(),
            "sign_ins": await models.SignInEvent.filter(connection_id=self.connection_id).count(),
        }


def sandbox_config(**tenant: Any) -> SandboxConfig:
    spec = {"users": 60, "apps": 20, "signins_per_user_per_day": 2.0, "seed": 11, **tenant}
    config = SandboxConfig(
        tenants=[TenantSpec(**spec)],
        faults=FaultSettings(retry_after_seconds=0.05, seed=5),
    )
    # Compress every window: the reports limiter allows 5 requests per 10 ms here.
    config.throttling.time_scale = 1000
    return config


@pytest.fixture
def tenant_spec() -> dict[str, Any]:
    """Override in a test module to change the sandbox tenant."""
    return {}


@pytest.fixture
async def tenant(database_url: str, tenant_spec: dict[str, Any]) -> AsyncIterator[Tenant]:
    async with running_sandbox(sandbox_config(**tenant_spec)) as sandbox:
        settings = Settings(
            _env_file=None,
            secret_key=generate_key(),
            database_url=database_url,
            entra_client_id=sandbox.client_id,
            entra_client_secret=sandbox.client_secret,
            login_url=sandbox.base_url,
            graph_url=sandbox.base_url,
        )
        async with open_runtime(settings) as runtime:
            runtime.require_engine().policy = RetryPolicy(
                max_attempts=8,
                base_backoff=0.01,
                max_backoff=0.1,
                reports_limit=5,
                reports_period=0.01,
            )
            org, _ = await organizations.create_organization(name="Contoso IT")
            verified = await runtime.check_tenant(sandbox.tenant_id)
            result = await consent.record_connection(
                organization_id=org.id, actor=TESTER, verified=verified
            )
            yield Tenant(sandbox, runtime, org.id, result.connection.id)
