"""/connect: consent links, connections and their permissions, disconnecting, alert channel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot import blocks
from bot.blocks import escape
from sync_core import records
from sync_core.records import ConnectionStatus
from sync_core.sync import hints
from sync_core.sync.tenant import PERMISSION_MEANINGS, TenantCheck

STATUS = {
    ConnectionStatus.CONNECTED: ":large_green_circle: connected",
    ConnectionStatus.PENDING_CONSENT: ":hourglass: waiting for admin consent",
    ConnectionStatus.NEEDS_CONSENT: ":red_circle: needs admin consent again",
    ConnectionStatus.ERROR: ":red_circle: error",
    ConnectionStatus.DISCONNECTED: ":white_circle: disconnected (history kept)",
}


def tenant_name(connection: records.Connection) -> str:
    return escape(connection.tenant_name or connection.tenant_id)


def permission_lines(granted: Sequence[str], missing: Sequence[str]) -> str:
    """Each permission with what AppVentory reads with it."""
    lines = [f":white_check_mark: `{p}`  {PERMISSION_MEANINGS.get(p, '')}" for p in granted]
    lines += [f":x: `{p}` missing  {PERMISSION_MEANINGS.get(p, '')}" for p in missing]
    return "\n".join(lines)


def missing_of(connection: records.Connection) -> tuple[str, ...]:
    return tuple(p for p in hints.REQUIRED_PERMISSIONS if p not in connection.permissions)


def consent_link(url: str, *, tenant: records.Connection | None = None) -> blocks.Message:
    """The button to Microsoft's admin consent (new tenant, or refresh of an existing one)."""
    what = (
        f"Re-grant admin consent for *{tenant_name(tenant)}*"
        if tenant
        else ("*Connect a Microsoft 365 tenant*")
    )
    text = (
        f"{what}\nAn Entra *Global Administrator* (or Privileged Role Administrator) opens the "
        "link and grants AppVentory *read-only* access. AppVentory never changes the tenant."
    )
    needed = permission_lines(hints.REQUIRED_PERMISSIONS, ())
    body = [
        blocks.section(text),
        blocks.section(f"It asks for:\n{needed}"),
        blocks.actions(
            blocks.button(
                "Grant admin consent", action_id="consent_open", url=url, style="primary"
            ),
        ),
        blocks.context("The link works once, for 10 minutes. The result is posted here."),
    ]
    return blocks.message("Grant AppVentory admin consent", body, response_type="ephemeral")


def _connection(connection: records.Connection, *, now: dt.datetime) -> list:
    missing = missing_of(connection) if connection.status != ConnectionStatus.DISCONNECTED else ()
    title = (
        f"*{tenant_name(connection)}*  `{connection.tenant_id}`\n"
        f"{STATUS.get(connection.status, connection.status.value)}"
    )
    facts = [
        title,
        permission_lines(connection.permissions, missing) or "_no permissions recorded yet_",
    ]
    sync = (
        f"Last sync {blocks.when(connection.last_sync_at, now=now)} · last successful "
        f"{blocks.when(connection.last_successful_sync_at, now=now)}"
    )
    tips = ["`/connect refresh` re-grants consent"] if missing else []
    return [blocks.section("\n".join(facts)), blocks.context(sync, *tips)]


def status(connections: Sequence[records.Connection], *, now: dt.datetime) -> blocks.Message:
    """Each connection with its status, permissions and last sync."""
    if not connections:
        text = "No Microsoft 365 tenant is connected yet. `/connect` connects one."
        return blocks.message(text, [blocks.section(text)], response_type="ephemeral")
    body: list = [blocks.header("Connected tenants")]
    for connection in connections[:15]:
        body += [*_connection(connection, now=now), blocks.divider()]
    if len(connections) > 15:
        body.append(blocks.context(f"and {len(connections) - 15} more"))
    return blocks.message(
        f"{blocks.count(len(connections), 'tenant')}", body, response_type="ephemeral"
    )


def connected(check: TenantCheck, *, actor: records.Actor, run_started: bool) -> blocks.Message:
    """The message after a completed consent: tenant, permissions and what they mean."""
    name = escape(check.name or check.tenant_id)
    lines = [f":white_check_mark: <@{actor.id}> connected *{name}*  `{check.tenant_id}`"]
    body = [
        blocks.section(lines[0]),
        blocks.section("*Permissions*\n" + permission_lines(check.permissions, check.missing)),
    ]
    if check.missing:
        body.append(blocks.context(f":warning: {escape(hints.missing_permission(''))}"))
    if run_started:
        body.append(blocks.context(":arrows_counterclockwise: First sync started."))
    return blocks.message(f"Connected {name}", body)


def choose_to_remove(connections: Sequence[records.Connection]) -> blocks.Message:
    """One Disconnect button per tenant, each behind a confirmation."""
    body: list = [blocks.section("Which tenant should AppVentory stop syncing?")]
    for connection in connections[:20]:
        name = tenant_name(connection)
        body.append(
            blocks.section(
                f"*{name}*  `{connection.tenant_id}`",
                accessory=blocks.button(
                    "Disconnect",
                    action_id="connection_remove",
                    value=connection.tenant_id,
                    style="danger",
                    confirm=(
                        "Disconnect tenant?",
                        f"AppVentory stops syncing {name}. Its inventory and history stay; "
                        "/connect connects it again.",
                        "Disconnect",
                    ),
                ),
            )
        )
    return blocks.message("Choose a tenant to disconnect", body, response_type="ephemeral")


def disconnected(connection: records.Connection, *, actor: records.Actor) -> blocks.Message:
    text = (
        f":electric_plug: <@{actor.id}> disconnected *{tenant_name(connection)}*. AppVentory "
        "stopped syncing it; its inventory and history are kept. `/connect` connects it again."
    )
    return blocks.message(text, [blocks.section(text)], response_type="ephemeral")


def alert_channel_set(*, channel_id: str, actor: records.Actor) -> blocks.Message:
    text = (
        f":loudspeaker: <@{actor.id}> chose this channel for AppVentory alerts: failed syncs "
        "(once per failure streak) and newly detected shadow IT."
    )
    return blocks.message(text, [blocks.section(text)])


def alert_channel_saved(*, channel_id: str, posted: bool) -> blocks.Message:
    if posted:
        text = f":white_check_mark: Alerts go to <#{channel_id}> from now on."
    else:
        text = (
            f":white_check_mark: Alerts go to <#{channel_id}> from now on, but I cannot post "
            f"there yet: invite me with `/invite @AppVentory` in <#{channel_id}>."
        )
    return blocks.message(text, [blocks.section(text)], response_type="ephemeral")


def choose_channel() -> blocks.Message:
    text = "Name the channel: `/connect channel #it-alerts` (or run `/connect channel` in it)."
    return blocks.message(text, [blocks.section(text)], response_type="ephemeral")
