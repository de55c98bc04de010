"""`appventory connect` and `appventory sync`: tenants from the command line."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from appventory.progress import LiveProgress, summary
from appventory.runtime import Runtime
from sync_core import consent, records
from sync_core.graph import TenantNotFound, TokenError, TokenServiceUnavailable
from sync_core.records import ActorType, SyncStatus
from sync_core.store import runs
from sync_core.sync import hints
from sync_core.sync.service import request_sync
from sync_core.sync.tenant import PERMISSION_MEANINGS

CLI_ACTOR = records.Actor(ActorType.CLI, "cli", "command line")
# A run whose worker has not reported for this long is taken over and resumed.
STALE_AFTER = dt.timedelta(minutes=5)
EXIT_FAILED, EXIT_PARTIAL = 1, 3


class CommandFailed(Exception):
    """A command that reached Microsoft and failed; carries the hint and exit code."""

    def __init__(self, message: str, *, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _permission_lines(granted: tuple[str, ...], missing: tuple[str, ...]) -> list[str]:
    lines = [f"  granted  {p:<22} {PERMISSION_MEANINGS.get(p, '')}" for p in granted]
    lines += [f"  MISSING  {p:<22} {PERMISSION_MEANINGS.get(p, '')}" for p in missing]
    return lines


_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def connect_hint(error: TokenError, *, login_url: str) -> str:
    """What to do when a first connect fails (sync-time hints assume a working connection)."""
    match error:
        case TokenServiceUnavailable():
            return (
                f"check APPVENTORY_LOGIN_URL ({login_url}) and that this machine can reach "
                "it (proxy, firewall, DNS)"
            )
        case TenantNotFound():
            return (
                "check the tenant id: Entra admin center > Overview > Tenant ID (the sandbox "
                "prints its own)"
            )
    return hints.for_error(error)


async def _connect(runtime: Runtime, org: uuid.UUID, tenant: str) -> consent.ConsentResult:
    if not (_GUID.match(tenant) or _DOMAIN.match(tenant)):
        raise ValueError(
            f"{tenant!r} is not a tenant id: give its GUID (Entra admin center > Overview > "
            "Tenant ID) or a domain such as contoso.onmicrosoft.com"
        )
    try:
        verified = await runtime.check_tenant(tenant)
    except TokenError as exc:
        hint = connect_hint(exc, login_url=runtime.settings.login_url)
        raise CommandFailed(f"{exc}\nhint: {hint}") from None
    return await consent.record_connection(organization_id=org, actor=CLI_ACTOR, verified=verified)


async def _sync(
    runtime: Runtime, org: uuid.UUID, tenant: str | None, full: bool, console: Console
) -> records.SyncReport:
    engine = runtime.require_engine()
    run, queued = await request_sync(
        organization_id=org, tenant_id=tenant, actor=CLI_ACTOR, runner=None, full=full
    )
    if not queued:
        stale = dt.datetime.now(dt.UTC) - STALE_AFTER
        if run.id not in await runs.stale_runs(older_than=stale) and run.started_at:
            raise CommandFailed(
                f"run {run.id} is already {run.status.value} for tenant {run.tenant_id} "
                f"since {run.started_at:%Y-%m-%d %H:%M:%S} UTC"
            )
        console.print(f"resuming run {run.id} from its checkpoint")
    with LiveProgress(console) as live:
        return await engine.run(run.id, observer=live.observe, on_wait=live.on_wait)


def register(app: typer.Typer, *, settings: Callable[..., Any], with_runtime: Callable) -> None:
    """Add the tenant commands to the CLI."""

    @app.command("connect")
    def connect_command(
        org: Annotated[uuid.UUID, typer.Option("--org", help="Organization id.")],
        tenant: Annotated[str, typer.Option("--tenant", help="Entra tenant id (GUID).")],
    ) -> None:
        """Connect a tenant whose admin consented in the Entra admin center."""
        result = with_runtime(settings(), lambda rt: _connect(rt, org, tenant))
        check = result.check
        typer.echo(f"connected tenant {check.tenant_id} ({check.name or 'name unavailable'})")
        typer.echo(f"connection id: {result.connection.id}")
        typer.echo("permissions:")
        for line in _permission_lines(check.permissions, check.missing):
            typer.echo(line)
        if check.missing:
            typer.echo(f"hint: {hints.missing_permission('')}")

    @app.command("sync")
    def sync_command(
        org: Annotated[uuid.UUID, typer.Option("--org", help="Organization id.")],
        tenant: Annotated[str | None, typer.Option("--tenant", help="Tenant, if several.")] = None,
        full: Annotated[bool, typer.Option("--full", help="Re-read everything.")] = False,
    ) -> None:
        """Sync a connected tenant now, with live progress and a summary."""
        console = Console()
        if not console.is_terminal:
            # Piped output (logs, CI): wide enough that no count is cut off.
            console = Console(width=120)
        report = with_runtime(settings(), lambda rt: _sync(rt, org, tenant, full, console))
        console.print(summary(report))
        if report.status is SyncStatus.FAILED:
            raise typer.Exit(EXIT_FAILED)
        if report.status is SyncStatus.PARTIAL:
            raise typer.Exit(EXIT_PARTIAL)
