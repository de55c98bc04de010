"""`appventory demo`: the whole product on a laptop, with no Azure, no Slack and no database server.

An in-process sandbox tenant stands in for Microsoft; the real admin-consent flow, MSAL, the Graph
client, the sync engine, insights and the web app run against it.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table

from appventory.localkey import LOCAL_KEY_PATH, ensure_local_key
from appventory.progress import LiveProgress, summary
from appventory.runtime import Runtime, open_runtime
from appventory.web import create_app
from sandbox.authcode import posted_form
from sandbox.config import SandboxConfig, TenantSpec
from sandbox.testing import running_sandbox
from sync_core import consent, insights, records
from sync_core.consent import ConsentError, ConsentResult, SignInRequired
from sync_core.insights.records import AppStatus
from sync_core.records import ActorType
from sync_core.settings import Settings, load_settings
from sync_core.store import organizations
from sync_core.store.db import migrate
from sync_core.sync.service import request_sync

log = logging.getLogger(__name__)
DEMO_DB = Path(".appventory") / "demo.sqlite3"
DEMO_ACTOR = records.Actor(ActorType.CLI, "demo", "demo")
# The sandbox compresses Graph's throttling windows this much, and our client follows suit,
# so the 30-day sign-in backfill takes seconds instead of minutes.
TIME_SCALE = 20


@dataclass(frozen=True)
class DemoOptions:
    port: int = 8000
    users: int = 400
    apps: int = 60
    sync_every: dt.timedelta = dt.timedelta(minutes=2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _settings(
    base_url: str, client_id: str, secret: str, options: DemoOptions, console: Console
) -> Settings:
    key, created = ensure_local_key()
    verb = "generated a new" if created else "using the"
    console.print(f"local mode: {verb} encryption key in {LOCAL_KEY_PATH} (git-ignored)")
    # Each demo starts from an empty inventory: the sandbox tenant is regenerated too.
    for leftover in DEMO_DB.parent.glob(DEMO_DB.name + "*"):
        leftover.unlink()
    DEMO_DB.parent.mkdir(parents=True, exist_ok=True)
    return load_settings(
        secret_key=key,
        database_url=f"sqlite://{DEMO_DB}",
        public_url=f"http://127.0.0.1:{options.port}",
        entra_client_id=client_id,
        entra_client_secret=secret,
        login_url=base_url,
        graph_url=base_url,
        graph_reports_period_seconds=10.2 / TIME_SCALE,
        sync_interval_minutes=options.sync_every.total_seconds() / 60,
        # The schedule looks for due tenants this often: the re-syncs keep the stated interval.
        schedule_tick_seconds=5,
    )


async def _consent(runtime: Runtime, organization_id, http: httpx.AsyncClient) -> ConsentResult:
    """The real round trip: admin consent, then the admin's sign-in (the sandbox's admin says
    yes and signs in at once)."""
    url = await consent.begin(
        config=runtime.consent_config(),
        organization_id=organization_id,
        actor=DEMO_ACTOR,
        now=dt.datetime.now(dt.UTC),
    )
    answer = await http.get(url, follow_redirects=False)
    consented = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
    step = await _step(runtime, consented)
    if isinstance(step, SignInRequired):
        form = posted_form((await http.get(step.url, follow_redirects=False)).text)
        if form is None:
            raise ConsentError("the sandbox did not complete the sign-in")
        step = await _step(runtime, form[1])
    if not isinstance(step, ConsentResult):
        raise ConsentError("the sandbox did not complete the sign-in")
    return step


async def _step(runtime: Runtime, params: dict[str, str]) -> ConsentResult | SignInRequired:
    return await consent.complete(
        config=runtime.consent_config(),
        params=params,
        now=dt.datetime.now(dt.UTC),
        check=lambda tenant: runtime.check_tenant(tenant, attempts=3),
        prove=runtime.admin_proof(),
    )


async def _insight_table(runtime: Runtime, organization_id) -> Table:
    now = dt.datetime.now(dt.UTC)
    settings = runtime.settings
    table = Table(title="what the inventory says", title_justify="left")
    table.add_column("insight")
    table.add_column("count", justify="right")
    for label, status in (
        ("apps in use", "in_use"),
        ("apps discovered, never used", "discovered"),
        ("apps inactive", "inactive"),
    ):
        count = await insights.count_apps(
            organization_id=organization_id,
            now=now,
            active_days=settings.active_days,
            status=AppStatus(status),
        )
        table.add_row(label, str(count))
    shadow = await insights.shadow_it(organization_id=organization_id, now=now)
    overlaps = await insights.overlaps(organization_id=organization_id, now=now)
    waste = await insights.license_waste(
        organization_id=organization_id, now=now, inactive_days=settings.inactive_days
    )
    table.add_row("shadow IT apps", str(len(shadow)))
    table.add_row("overlapping categories", str(len(overlaps)))
    table.add_row("unused seats", str(sum(w.inactive_seats for w in waste)))
    return table


CHURN = {
    "users_added": 2,
    "users_removed": 1,
    "users_changed": 3,
    "apps_added": 1,
    "consents_added": 2,
    "signins_added": 200,
}
LABELS = {
    "users": "users",
    "apps": "apps",
    "groups": "group members",
    "assignments": "assignments",
    "grants": "grants",
    "sign_ins": "sign-ins",
}


def resync_line(report: records.SyncReport) -> str:
    """One line per scheduled re-sync: when, how it ended, and what changed."""
    when = (report.finished_at or dt.datetime.now(dt.UTC)).astimezone()
    took = f" in {report.duration_seconds:.1f} s" if report.duration_seconds is not None else ""
    changes = []
    for entity in report.entities:
        label = LABELS.get(entity.name)
        counts = [
            f"{sign}{n}"
            for sign, n in (("+", entity.created), ("~", entity.updated), ("-", entity.removed))
            if n and label
        ]
        if counts:
            changes.append(f"{label} {' '.join(counts)}")
    what = ", ".join(changes) or "nothing changed"
    line = f"{when:%H:%M:%S} re-sync {report.status.value}{took}: {what}"
    return line + (f" ({report.hint})" if report.hint else "")


@dataclass
class Resyncs:
    """Told about every scheduled run: prints its line, then changes the sandbox tenant a
    little so the next one has something to find."""

    console: Console
    sandbox: Any

    async def sync_finished(self, *, report: records.SyncReport, events: Any) -> None:
        self.console.print(resync_line(report), soft_wrap=True)
        await self.sandbox.churn(**CHURN)


async def run_demo(options: DemoOptions, console: Console) -> None:
    """Everything, in one process, until interrupted."""
    config = SandboxConfig(
        tenants=[TenantSpec(users=options.users, apps=options.apps, seed=7, name="Contoso Demo")]
    )
    config.throttling.time_scale = TIME_SCALE
    async with running_sandbox(config) as sandbox:
        console.print(f"sandbox tenant {sandbox.tenant_id} (Contoso Demo) at {sandbox.base_url}")
        settings = _settings(
            sandbox.base_url, sandbox.client_id, sandbox.client_secret, options, console
        )
        await migrate(settings.database_url)
        async with open_runtime(settings) as runtime, httpx.AsyncClient() as http:
            org, token = await organizations.create_organization(name="Demo organization")
            console.print(f"organization id: {org.id}", soft_wrap=True)
            console.print(f"token: {token.secret}", soft_wrap=True)
            result = await _consent(runtime, org.id, http)
            granted = ", ".join(result.check.permissions)
            console.print(f"admin consent granted for {result.check.name}: {granted}")
            run, _ = await request_sync(organization_id=org.id, actor=DEMO_ACTOR, runner=None)
            with LiveProgress(console) as live:
                report = await runtime.require_engine().run(
                    run.id, observer=live.observe, on_wait=live.on_wait
                )
            console.print(summary(report))
            console.print(await _insight_table(runtime, org.id))
            await _serve(runtime, sandbox, options, token.secret, console)


async def _serve(
    runtime: Runtime,
    sandbox,
    options: DemoOptions,
    token: str,
    console: Console,
) -> None:
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime.settings, runtime=runtime),
            host="127.0.0.1",
            port=options.port,
            log_level="warning",
        )
    )
    url = f"http://127.0.0.1:{options.port}/graphql"
    # Lines meant for copy and paste are never wrapped, whatever the terminal's width.
    console.print(
        f"\nGraphiQL: {url}  (add the header Authorization: Bearer {token})", soft_wrap=True
    )
    console.print(
        f"try: curl -s {url} -H 'Authorization: Bearer {token}' -H 'Content-Type: "
        'application/json\' -d \'{"query":"{ organization { name connections { tenantName '
        "lastSyncAt } } }\"}'",
        soft_wrap=True,
    )
    minutes = options.sync_every.total_seconds() / 60
    console.print(
        f"the tenant changes a little after every sync, and the schedule syncs it "
        f"again every {minutes:g} minutes (one line each); Ctrl-C stops the demo",
        soft_wrap=True,
    )
    runtime.require_engine().listeners.append(Resyncs(console, sandbox))
    await sandbox.churn(**CHURN)
    await server.serve()
