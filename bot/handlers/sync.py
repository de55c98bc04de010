"""/sync: start a run and show it in one message; /sync history."""

from __future__ import annotations

import uuid

from bot import progress
from bot.handlers.connect import live, pick
from bot.invocation import Invocation
from bot.messages import sync as messages
from bot.services import BotServices
from sync_core import records
from sync_core.settings import SettingsError
from sync_core.store import connections, runs
from sync_core.sync.service import request_sync


async def start(
    services: BotServices,
    *,
    organization_id: uuid.UUID,
    actor: records.Actor,
    tenant: records.Connection,
    team_id: str,
    channel_id: str | None,
    response_url: str | None,
    respond,
    full: bool = False,
    trigger: str = "slack",
) -> records.SyncReport:
    """Queue a run (or find the active one) and show it in a message that updates itself."""
    if services.runner is None:
        raise SettingsError("APPVENTORY_ENTRA_CLIENT_ID and _SECRET are needed to sync")
    run, queued = await request_sync(
        organization_id=organization_id,
        actor=actor,
        runner=services.runner,
        tenant_id=tenant.tenant_id,
        full=full,
        trigger=trigger,
    )
    if not queued:
        await respond(
            **messages.already_running(run, now=services.now(), tenant_name=tenant.tenant_name)
        )
        return run
    message = await progress.post(
        services,
        report=run,
        team_id=team_id,
        channel_id=channel_id,
        response_url=response_url,
        tenant_name=tenant.tenant_name,
    )
    services.background.spawn(
        progress.watch(
            services,
            organization_id=organization_id,
            message=message,
            tenant_name=tenant.tenant_name,
        ),
        name=f"watch-sync-{run.id}",
    )
    return run


async def sync(inv: Invocation) -> None:
    """/sync [tenant] [full]."""
    words = [w for w in inv.args if w.lower() != "full"]
    found = await live(inv.organization_id)
    if len(found) > 1 and not words:
        await inv.respond(**messages.choose_tenant(found))
        return
    await start(
        inv.services,
        organization_id=inv.organization_id,
        actor=inv.actor,
        tenant=pick(found, " ".join(words) or None),
        team_id=inv.team_id,
        channel_id=inv.channel_id,
        response_url=inv.response_url,
        respond=inv.respond,
        full=len(words) < len(inv.args),
    )


async def history(inv: Invocation) -> None:
    """/sync history: recent runs with status and hints."""
    reports = await runs.list_runs(organization_id=inv.organization_id, limit=10)
    names = {
        c.tenant_id: c.tenant_name
        for c in await connections.list_connections(organization_id=inv.organization_id)
    }
    await inv.respond(**messages.history(reports, now=inv.now(), tenant_names=names))
