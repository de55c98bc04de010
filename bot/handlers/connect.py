"""/connect: admin consent links, status, refresh, disconnect and the alert channel."""

from __future__ import annotations

import re
import uuid

from slack_sdk.errors import SlackApiError

from bot.invocation import Invocation
from bot.messages import connect as messages
from sync_core import consent, records
from sync_core.records import ConnectionStatus
from sync_core.store import connections
from sync_core.store import slack as slack_store

# With `should_escape: true` Slack sends a channel as <#C0123|name>.
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(\|[^>]*)?>$")


async def live(organization_id: uuid.UUID) -> list[records.Connection]:
    """The organization's connections that are not disconnected."""
    found = await connections.list_connections(organization_id=organization_id)
    return [c for c in found if c.status is not ConnectionStatus.DISCONNECTED]


def pick(found: list[records.Connection], tenant: str | None) -> records.Connection:
    """The tenant named (by id or name), or the only one; a ValueError says which exist."""
    wanted = (tenant or "").casefold()
    chosen = [c for c in found if wanted in (c.tenant_id, (c.tenant_name or "").casefold())]
    if tenant and len(chosen) == 1:
        return chosen[0]
    if not tenant and len(found) == 1:
        return found[0]
    if not found:
        raise ValueError("No Microsoft 365 tenant is connected: `/connect` connects one.")
    names = ", ".join(f"{c.tenant_name or c.tenant_id} ({c.tenant_id})" for c in found)
    raise ValueError(f"Name the tenant: one of {names}.")


async def link(inv: Invocation, *, tenant: records.Connection | None = None) -> str:
    """A fresh admin-consent URL bound to this person and where they asked."""
    return await consent.begin(
        config=inv.services.consent_config(),
        organization_id=inv.organization_id,
        actor=inv.actor,
        now=inv.now(),
        tenant_hint=tenant.tenant_id if tenant else "organizations",
        context=inv.where(),
    )


async def connect(inv: Invocation) -> None:
    """/connect: the consent button when nothing is connected, else the status."""
    if found := await live(inv.organization_id):
        await inv.respond(**messages.status(found, now=inv.now()))
        return
    await inv.require_admin("connect a tenant")
    await add(inv)


async def add(inv: Invocation) -> None:
    """/connect add: the consent button for another tenant."""
    await inv.respond(**messages.consent_link(await link(inv)))


async def status(inv: Invocation) -> None:
    """/connect status."""
    found = await connections.list_connections(organization_id=inv.organization_id)
    await inv.respond(**messages.status(found, now=inv.now()))


async def refresh(inv: Invocation) -> None:
    """/connect refresh [tenant]: a new consent link to refresh permissions."""
    tenant = pick(await live(inv.organization_id), " ".join(inv.args) or None)
    await inv.respond(**messages.consent_link(await link(inv, tenant=tenant), tenant=tenant))


async def remove(inv: Invocation) -> None:
    """/connect remove [tenant]: Disconnect buttons, each behind a confirmation."""
    found = await live(inv.organization_id)
    if inv.args:
        found = [pick(found, " ".join(inv.args))]
    if not found:
        raise ValueError("No tenant is connected.")
    await inv.respond(**messages.choose_to_remove(found))


async def channel(inv: Invocation) -> None:
    """/connect channel [#channel]: post alerts there (the current channel by default)."""
    named = _CHANNEL.match(inv.args[0]) if inv.args else None
    if inv.args and not named:
        await inv.respond(**messages.choose_channel())
        return
    target = named.group(1) if named else inv.channel_id or ""
    await slack_store.set_alert_channel(
        organization_id=inv.organization_id,
        team_id=inv.team_id,
        channel_id=target,
        actor=inv.actor,
    )
    note = messages.alert_channel_set(channel_id=target, actor=inv.actor)
    try:
        await inv.client.chat_postMessage(channel=target, **note)
        posted = True
    except SlackApiError:  # a private channel the bot is not in
        posted = False
    await inv.respond(**messages.alert_channel_saved(channel_id=target, posted=posted))
