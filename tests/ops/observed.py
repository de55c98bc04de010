"""Shared by the metrics and log tests: the real web app on a connected sandbox tenant, the
process's log output captured, and /metrics read the way Prometheus reads it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from appventory import logs
from appventory.runtime import Runtime
from appventory.web import create_app
from sandbox.config import FaultSettings, SandboxConfig, TenantSpec
from sandbox.testing import RunningSandbox, running_sandbox
from sync_core import consent, records
from sync_core.crypto import generate_key
from sync_core.records import ActorType
from sync_core.settings import Settings
from sync_core.store import organizations
from sync_core.store.db import migrate
from tests.support import asgi_with_state

TESTER = records.Actor(ActorType.CLI, "pytest", "test suite")


@contextmanager
def captured_logs(settings: Settings) -> Iterator[io.StringIO]:
    """The process's logging configured as `serve` does, into a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    uvicorn_loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    saved_uvicorn = [(lg, list(lg.handlers), lg.propagate, lg.level) for lg in uvicorn_loggers]
    buffer = io.StringIO()
    logs.configure(settings, stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for lg, handlers, propagate, level in saved_uvicorn:
            lg.handlers[:] = handlers
            lg.propagate = propagate
            lg.setLevel(level)


def json_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    """Every line written, parsed (each must be one JSON object)."""
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def sample(exposition: str, name: str, **labels: str) -> float:
    """One sample's value from a /metrics body, 0 when absent (a counter not yet incremented)."""
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


@dataclass
class WebTenant:
    """The web app, serving an organization with one connected sandbox tenant."""

    client: httpx.AsyncClient
    runtime: Runtime
    sandbox: RunningSandbox
    token: str

    async def graphql(self, query: str) -> dict[str, Any]:
        answer = await self.client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {self.token}"}
        )
        body = answer.json()
        assert "errors" not in body, body
        return body["data"]


def sandbox_config() -> SandboxConfig:
    config = SandboxConfig(
        tenants=[TenantSpec(users=40, apps=12, signins_per_user_per_day=1.0, seed=3)],
        # Some 429s, so the throttling counter has something to count.
        faults=FaultSettings(rate_429=0.05, retry_after_seconds=0.02, seed=7),
    )
    config.throttling.time_scale = 1000  # Graph's reports limit, in milliseconds here
    return config


@asynccontextmanager
async def web_tenant(tmp_path: Path, **overrides: Any) -> AsyncIterator[WebTenant]:
    """A SQLite inventory (syncs run in the web process) with a sandbox tenant connected."""
    async with running_sandbox(sandbox_config()) as sandbox:
        settings = Settings(
            _env_file=None,
            secret_key=generate_key(),
            database_url=f"sqlite://{tmp_path / 'web.sqlite3'}",
            entra_client_id=sandbox.client_id,
            entra_client_secret=sandbox.client_secret,
            login_url=sandbox.base_url,
            graph_url=sandbox.base_url,
            graph_max_attempts=10,
            graph_reports_period_seconds=0.01,
            **overrides,
        )
        await migrate(settings.database_url)
        app = create_app(settings)
        async with app.router.lifespan_context(app) as state:
            runtime: Runtime = state["runtime"]
            org, token = await organizations.create_organization(name="Fabrikam IT")
            verified = await runtime.check_tenant(sandbox.tenant_id)
            await consent.record_connection(organization_id=org.id, actor=TESTER, verified=verified)
            transport = httpx.ASGITransport(app=asgi_with_state(app, state))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield WebTenant(client, runtime, sandbox, token.secret)
