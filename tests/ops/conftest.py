"""Real processes on PostgreSQL: `appventory worker` and `appventory serve` against a sandbox.

The sandbox (several small tenants) runs in the test's event loop, so the test only ever waits
with `await`. Each cluster gets a database of its own on the test PostgreSQL server (Tortoise's
tables and the job queue's), dropped afterwards.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from appventory.runtime import Runtime, open_runtime
from appventory.worker import apply_queue_schema
from sandbox.config import FaultSettings, SandboxConfig, TenantSpec
from sandbox.testing import RunningSandbox, running_sandbox
from sync_core import consent, records
from sync_core.crypto import generate_key
from sync_core.records import ActorType
from sync_core.settings import Settings
from sync_core.store import connections, models, organizations
from sync_core.store.db import migrate

APPVENTORY = str(Path(sys.executable).parent / "appventory")
TESTER = records.Actor(ActorType.CLI, "pytest", "ops tests")
TENANTS = 5
# The sandbox compresses Graph's throttling windows this much; the processes follow suit.
TIME_SCALE = 1000


def _pg(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of one query on the cluster's database (the job queue's tables)."""
    conn = await asyncpg.connect(_pg(url))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


@pytest.fixture
def ops_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server (migrated by the cluster fixture)."""
    name = f"appventory_ops_{uuid.uuid4().hex[:10]}"
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(_pg(admin))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sandbox_config(tenants: int = TENANTS, *, latency_ms: float = 40.0) -> SandboxConfig:
    """Small premium tenants; request latency makes a sync last a few seconds."""
    specs = [
        TenantSpec(
            name=f"Tenant {n}", seed=100 + n, users=30, apps=12, signins_per_user_per_day=1.0
        )
        for n in range(tenants)
    ]
    config = SandboxConfig(
        tenants=specs, faults=FaultSettings(latency_ms=latency_ms, retry_after_seconds=0.05)
    )
    config.throttling.time_scale = TIME_SCALE
    return config


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """A sandbox, a database, and the `appventory` processes started against them."""

    sandbox: RunningSandbox
    database_url: str
    settings: Settings
    workdir: Path
    organization_id: uuid.UUID | None = None
    token: str = ""
    connections: dict[str, uuid.UUID] = field(default_factory=dict)
    processes: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    web_url: str = ""
    runtime: Runtime | None = None

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every process: the same settings as the test's."""
        s = self.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith(("APPVENTORY_", "SLACK_"))}
        env.update(
            APPVENTORY_DATABASE_URL=self.database_url,
            APPVENTORY_SECRET_KEY=s.secret_key.get_secret_value(),
            APPVENTORY_ENTRA_CLIENT_ID=s.entra_client_id or "",
            APPVENTORY_ENTRA_CLIENT_SECRET=self.sandbox.client_secret,
            APPVENTORY_LOGIN_URL=s.login_url,
            APPVENTORY_GRAPH_URL=s.graph_url,
            APPVENTORY_GRAPH_REPORTS_PERIOD_SECONDS=str(s.graph_reports_period_seconds),
            APPVENTORY_SYNC_INTERVAL_MINUTES=str(s.sync_interval_minutes),
            APPVENTORY_SCHEDULE_TICK_SECONDS=str(s.schedule_tick_seconds),
            APPVENTORY_WORKER_STALL_SECONDS=str(s.worker_stall_seconds),
            APPVENTORY_LOG_FORMAT="console",
            **extra,
        )
        return env

    async def cli(self, *args: str) -> str:
        """Run one `appventory` command to its end; its output (fails the test on an error)."""
        proc = await asyncio.create_subprocess_exec(
            APPVENTORY,
            *args,
            env=self.env(),
            cwd=self.workdir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0, out.decode()
        return out.decode()

    async def start(self, name: str, *args: str) -> asyncio.subprocess.Process:
        """Start a long-running `appventory` process; its output goes to NAME.log."""
        with (self.workdir / f"{name}.log").open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                APPVENTORY,
                *args,
                env=self.env(),
                cwd=self.workdir,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.processes[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    async def start_web(self) -> None:
        """`appventory serve` on a free port, once /readyz answers."""
        port = _free_port()
        await self.start("web", "serve", "--port", str(port))
        self.web_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                try:
                    if (await http.get(f"{self.web_url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert self.processes["web"].returncode is None, self.log("web")
                await asyncio.sleep(0.1)
        raise AssertionError("the web process never became ready:\n" + self.log("web"))

    async def start_workers(self, count: int) -> None:
        """`appventory worker` processes, once each registered with the job queue."""
        for n in range(count):
            await self.start(f"worker{n}", "worker")
        for _ in range(300):
            rows = await query(self.database_url, "SELECT count(*) AS n FROM procrastinate_workers")
            if rows[0]["n"] >= count:
                return
            for name, proc in self.processes.items():
                assert proc.returncode is None, self.log(name)
            await asyncio.sleep(0.1)
        raise AssertionError("workers never registered")

    async def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, no goodbye to the job queue."""
        proc = self.processes[name]
        proc.send_signal(signal.SIGKILL)
        await proc.wait()

    async def stop(self) -> None:
        """SIGTERM every process still running (SIGKILL after 25 s)."""
        for proc in self.processes.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes.values():
            try:
                await asyncio.wait_for(proc.wait(), timeout=25)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    async def graphql(self, http: httpx.AsyncClient, query_text: str) -> dict[str, Any]:
        """One GraphQL request to the web process with the organization's API token."""
        answer = await http.post(
            f"{self.web_url}/graphql",
            json={"query": query_text},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert not body.get("errors"), body
        return body["data"]


async def connect_tenants(cluster: Cluster, *, due: bool) -> None:
    """An organization with an API token and every sandbox tenant connected (admin consented).

    Not due: each connection counts as synced a moment ago, so only explicit requests sync it.
    """
    org, token = await organizations.create_organization(name="Ops test")
    cluster.organization_id, cluster.token = org.id, token.secret
    for spec in cluster.sandbox.config.tenants:
        verified = await cluster.runtime.check_tenant(spec.tenant_id)
        result = await consent.record_connection(
            organization_id=org.id, actor=TESTER, verified=verified
        )
        cluster.connections[spec.tenant_id] = result.connection.id
        if not due:
            later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
            await connections.update(connection_id=result.connection.id, next_sync_at=later)


@pytest.fixture
def cluster_settings() -> dict[str, Any]:
    """Override in a module: settings of the processes (and the sandbox's tenant count)."""
    return {}


@pytest.fixture
async def cluster(
    ops_database: str, tmp_path: Path, cluster_settings: dict[str, Any]
) -> AsyncIterator[Cluster]:
    """A migrated database, a running sandbox and connected tenants; processes come later."""
    options = dict(cluster_settings)
    tenants = options.pop("tenants", TENANTS)
    async with running_sandbox(sandbox_config(tenants)) as sandbox:
        settings = Settings(
            _env_file=None,
            secret_key=generate_key(),
            database_url=ops_database,
            entra_client_id=sandbox.client_id,
            entra_client_secret=sandbox.client_secret,
            login_url=sandbox.base_url,
            graph_url=sandbox.base_url,
            graph_reports_period_seconds=10.2 / TIME_SCALE,
            schedule_tick_seconds=1,
            worker_stall_seconds=3,
            **options,
        )
        cluster = Cluster(sandbox, ops_database, settings, tmp_path)
        # What `appventory migrate` does (the scale-out test runs that command too).
        await migrate(ops_database)
        assert await apply_queue_schema(settings)
        try:
            # The test's own runtime: it connects the tenants and reads the store.
            async with open_runtime(settings) as runtime:
                cluster.runtime = runtime
                yield cluster
        finally:
            await cluster.stop()


async def stored_inventory(connection_id: uuid.UUID) -> dict[str, int]:
    """What the store holds for a connection, in the ground truth's terms."""
    live = {"connection_id": connection_id, "removed_at": None}
    return {
        "users": await models.DirectoryUser.filter(**live).count(),
        "apps": await models.Application.filter(**live).count(),
        "grants": await models.PermissionGrant.filter(**live).count(),
        "user_consents": await models.PermissionGrant.filter(
            **live, consent_type="Principal"
        ).count(),
        "sign_ins": await models.SignInEvent.filter(connection_id=connection_id).count(),
    }


async def ground_truth(sandbox: RunningSandbox, tenant_id: str) -> dict[str, int]:
    """The same counts from the sandbox's ground truth."""
    truth = await sandbox.ground_truth(tenant_id)
    return {
        "users": truth["users"],
        "apps": truth["service_principals"]["total"],
        "grants": truth["delegated_grants"]["total"],
        "user_consents": truth["delegated_grants"]["principal"],
        "sign_ins": truth["sign_ins"],
    }
