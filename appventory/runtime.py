"""The composition root: builds the store, clients and services once per process, from settings."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace

import aiohttp
import httpx

from appventory.obs.metrics import SyncMetrics
from appventory.worker import ProcrastinateRunner, build_app
from bot.alerts import Alerts
from bot.app import build_services
from bot.app import is_configured as slack_configured
from bot.services import BotServices
from sync_core.consent import ConsentConfig
from sync_core.crypto import Vault, parse_keys
from sync_core.graph import GraphClient, RetryPolicy, TokenProvider
from sync_core.insights.retention import SignInRetention
from sync_core.schedule import Scheduler
from sync_core.settings import Settings, SettingsError
from sync_core.store.db import Store, open_store
from sync_core.sync.context import SyncOptions
from sync_core.sync.engine import SyncEngine
from sync_core.sync.service import InProcessRunner, Runner
from sync_core.sync.tenant import AdminSignIn, TenantCheck, check_tenant

USER_AGENT = "AppVentory/0.1 (+read-only inventory sync)"


@dataclass(frozen=True)
class Runtime:
    """Everything a door needs, opened once and passed down."""

    settings: Settings
    store: Store
    vault: Vault
    http: httpx.AsyncClient
    tokens: TokenProvider | None
    engine: SyncEngine | None
    # In process (SQLite) or the PostgreSQL job queue; with it, the schedule that feeds it.
    runner: Runner | None
    scheduler: Scheduler | None = None
    # The Slack door's services (on one aiohttp session), when a Slack app is configured.
    slack: BotServices | None = None

    def require_engine(self) -> SyncEngine:
        """The sync engine, or a settings error naming what is missing."""
        if self.engine is None:
            missing = (
                "APPVENTORY_ENTRA_CLIENT_ID"
                if not self.settings.entra_client_id
                else ("APPVENTORY_ENTRA_CLIENT_SECRET")
            )
            raise SettingsError(f"{missing} is required to connect or sync a tenant but not set")
        return self.engine

    def consent_config(self) -> ConsentConfig:
        """Where admin consent happens and returns to."""
        self.require_engine()
        key = parse_keys(self.settings.secret_key.get_secret_value())[0]
        return ConsentConfig(
            login_url=self.settings.login_url,
            client_id=self.settings.entra_client_id or "",
            public_url=self.settings.public_url,
            signing_key=hashlib.sha256(b"appventory consent state\0" + key.encode()).digest(),
        )

    async def check_tenant(self, tenant_id: str, *, attempts: int = 1) -> TenantCheck:
        """Prove a tenant: a token works and /organization answers."""
        engine = self.require_engine()
        return await check_tenant(self.graph_for(tenant_id), engine.tokens, attempts=attempts)

    def graph_for(self, tenant_id: str) -> GraphClient:
        """A Graph client for one tenant, outside any sync run."""
        engine = self.require_engine()
        return GraphClient(
            self.http,
            tokens=engine.tokens,
            tenant_id=tenant_id,
            graph_url=engine.graph_url,
            policy=engine.policy,
        )

    def admin_proof(self) -> AdminSignIn:
        """Who signed in to a tenant, and whether they can grant its consent."""
        self.require_engine()
        if self.tokens is None:
            raise SettingsError("signing in to a tenant needs the Entra client id and secret")
        return AdminSignIn(
            tokens=self.tokens,
            client_id=self.settings.entra_client_id or "",
            graph_for=self.graph_for,
        )


def sync_options(settings: Settings) -> SyncOptions:
    """Sync tunables from settings."""
    return SyncOptions(
        full_refresh=dt.timedelta(hours=settings.full_refresh_hours),
        sign_in_backfill=dt.timedelta(days=settings.sign_in_backfill_days),
        sign_in_overlap=dt.timedelta(minutes=settings.sign_in_overlap_minutes),
        concurrency=settings.graph_concurrency,
        active_days=settings.active_days,
        inactive_days=settings.inactive_days,
    )


def retry_policy(settings: Settings) -> RetryPolicy:
    """How hard the Graph client retries and how fast it may go."""
    return RetryPolicy(
        max_attempts=settings.graph_max_attempts,
        max_concurrency=settings.graph_concurrency,
        reports_limit=settings.graph_reports_limit,
        reports_period=settings.graph_reports_period_seconds,
    )


def _tokens(settings: Settings) -> TokenProvider | None:
    if not (settings.entra_client_id and settings.entra_client_secret):
        return None
    return TokenProvider(
        settings.entra_client_id,
        client_secret=settings.entra_client_secret,
        login_url=settings.login_url,
    )


async def _with_slack(runtime: Runtime, stack: AsyncExitStack) -> Runtime:
    """Slack's services on one shared aiohttp session (closed with the runtime), and the
    notifier that posts alerts after every sync."""
    session = await stack.enter_async_context(aiohttp.ClientSession())
    services = build_services(
        runtime.settings,
        vault=runtime.vault,
        session=session,
        runner=runtime.runner,
        consent_config=runtime.consent_config,
        # A fresh admin consent can take a little while to reach the token endpoint.
        check_tenant=lambda tenant: runtime.check_tenant(tenant, attempts=4),
        admin_proof=runtime.admin_proof,
    )
    if runtime.engine is not None:
        runtime.engine.listeners.append(Alerts(services))
    return replace(runtime, slack=services)


async def _with_runner(runtime: Runtime, engine: SyncEngine, stack: AsyncExitStack) -> Runtime:
    """Who executes runs: the job queue on PostgreSQL, this process on SQLite; and the
    schedule, told about every finished run so it books the next one."""
    settings = runtime.settings
    runner: Runner
    if not settings.uses_job_queue:
        runner = InProcessRunner(engine)
    else:
        queue = await stack.enter_async_context(build_app(settings).open_async())
        runner = ProcrastinateRunner(queue)
    scheduler = Scheduler(
        runner=runner, interval=dt.timedelta(minutes=settings.sync_interval_minutes)
    )
    engine.listeners.append(scheduler)
    return replace(runtime, runner=runner, scheduler=scheduler)


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Open the store and clients, build services; close them all on exit."""
    tokens = _tokens(settings)
    timeout = httpx.Timeout(60.0, connect=10.0)
    limits = httpx.Limits(max_connections=settings.graph_concurrency * 4)
    try:
        async with (
            open_store(settings.database_url) as store,
            httpx.AsyncClient(
                timeout=timeout, limits=limits, headers={"User-Agent": USER_AGENT}
            ) as http,
        ):
            engine = None
            if tokens is not None:
                engine = SyncEngine(
                    http=http,
                    tokens=tokens,
                    graph_url=settings.graph_url,
                    policy=retry_policy(settings),
                    options=sync_options(settings),
                )
                engine.listeners.append(SyncMetrics())  # Prometheus: syncs, Graph requests, 429s
                engine.listeners.append(SignInRetention(keep_days=settings.sign_in_retention_days))
            runtime = Runtime(
                settings=settings,
                store=store,
                vault=settings.vault(),
                http=http,
                tokens=tokens,
                engine=engine,
                runner=None,
            )
            async with AsyncExitStack() as stack:
                if engine is not None:
                    runtime = await _with_runner(runtime, engine, stack)
                if slack_configured(settings):
                    runtime = await _with_slack(runtime, stack)
                if isinstance(runtime.runner, InProcessRunner):
                    # Registered last so it runs first: runs still going are stopped before
                    # the Slack session, the HTTP client and the store close under them.
                    stack.push_async_callback(runtime.runner.close)
                with store.activated():
                    yield runtime
    finally:
        if tokens is not None:
            tokens.close()
