"""A sync's one Slack message: posted when the run starts, redrawn while it runs, and finished
with the result by whichever process ends the run (it knows the run's insight events).

Progress comes from the run row, which the engine saves after every page, so it works whether
the run executes in this process or in a worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.messages import sync as sync_messages
from bot.messages.sync import SyncOutcome
from bot.services import BotServices, SlackClients
from sync_core import insights, records
from sync_core.insights.records import EventKind
from sync_core.records import SyncStatus
from sync_core.store import activity, runs
from sync_core.store import slack as slack_store

log = logging.getLogger(__name__)
TRAIL_LIMIT = 5000
# A response_url takes 5 posts in 30 minutes: the start, two redraws, the result, one spare.
REPLY_REDRAWS = 2
REPLY_REDRAW_SECONDS = 20.0


async def show(
    slack: SlackClients, message: slack_store.SyncMessage, content: blocks.Message, *, token: str
) -> None:
    """Redraw a run's message in place (chat.update, or replace through the response_url)."""
    if message.ts and message.channel_id:
        await slack.client.chat_update(
            token=token, channel=message.channel_id, ts=message.ts, **content
        )
        return
    if message.response_url:
        reply = {k: v for k, v in content.items() if k != "response_type"}
        response = await slack.webhook(message.response_url).send_dict(
            {**reply, "replace_original": True, "response_type": "ephemeral"}
        )
        if response.status_code != 200:
            log.warning("response_url refused a redraw: %s %s", response.status_code, response.body)


async def post(
    services: BotServices,
    *,
    report: records.SyncReport,
    team_id: str,
    channel_id: str | None,
    response_url: str | None,
    tenant_name: str | None,
) -> slack_store.SyncMessage:
    """Post a run's message to the channel, or reply privately when the bot cannot post there."""
    slack = services.slack
    token = await slack.token_for(team_id) or ""
    content = sync_messages.progress(report, now=services.now(), tenant_name=tenant_name)
    if channel_id:
        try:
            posted = await slack.client.chat_postMessage(token=token, channel=channel_id, **content)
            return await slack_store.remember_sync_message(
                run_id=report.id, team_id=team_id, channel_id=posted["channel"], ts=posted["ts"]
            )
        except SlackApiError as exc:  # not_in_channel, channel_not_found, a DM with someone
            log.info("cannot post sync progress in %s: %s", channel_id, exc.response.get("error"))
    if not response_url:
        raise ValueError("nowhere to show the sync: no channel and no response_url")
    await slack.webhook(response_url).send_dict({**content, "response_type": "ephemeral"})
    return await slack_store.remember_sync_message(
        run_id=report.id, team_id=team_id, response_url=response_url
    )


async def watch(
    services: BotServices,
    *,
    organization_id: uuid.UUID,
    message: slack_store.SyncMessage,
    tenant_name: str | None,
) -> None:
    """Redraw the message while the run is active; then finish it if nobody else did."""
    slack, token = services.slack, await services.slack.token_for(message.team_id) or ""
    redraws, last_at = 0, time.monotonic()
    while True:
        await asyncio.sleep(services.progress_interval)
        report = await runs.get_run(organization_id=organization_id, run_id=message.run_id)
        if not report.is_active:
            break
        due = time.monotonic() - last_at >= REPLY_REDRAW_SECONDS
        if message.ts or (redraws < REPLY_REDRAWS and due):
            content = sync_messages.progress(report, now=services.now(), tenant_name=tenant_name)
            try:
                await show(slack, message, content, token=token)
            except SlackApiError as exc:  # deleted message, revoked token: keep watching
                log.info("cannot redraw sync %s: %s", message.run_id, exc.response.get("error"))
            redraws, last_at = redraws + 1, time.monotonic()
    if await _finished_elsewhere(services, message):
        return
    await finish(services, report=report, message=message, events=None, tenant_name=tenant_name)


async def _finished_elsewhere(services: BotServices, message: slack_store.SyncMessage) -> bool:
    """Wait a little for the process that ran the sync to post the result with its events."""
    deadline = time.monotonic() + services.result_grace
    while time.monotonic() < deadline:
        mine = [
            m for m in await slack_store.sync_messages(run_id=message.run_id) if m.id == message.id
        ]
        if mine and mine[0].finished_at is not None:
            return True
        await asyncio.sleep(min(0.25, services.result_grace))
    return False


async def finish(
    services: BotServices,
    *,
    report: records.SyncReport,
    message: slack_store.SyncMessage,
    events: Sequence[Any] | None,
    tenant_name: str | None,
) -> bool:
    """Show the result in a run's message, once (the first caller wins)."""
    if not await slack_store.finish_sync_message(message_id=message.id, now=services.now()):
        return False
    found = await outcome(services, report=report, events=events)
    content = sync_messages.result(report, found, tenant_name=tenant_name)
    token = await services.slack.token_for(message.team_id) or ""
    await show(services.slack, message, content, token=token)
    return True


async def outcome(
    services: BotServices, *, report: records.SyncReport, events: Sequence[Any] | None
) -> SyncOutcome:
    """New apps (from the trail), shadow IT (from the run's events, else the trail), problems."""
    since = report.started_at or report.created_at
    kinds = ["app.discovered"] + ([] if events is not None else [EventKind.SHADOW_IT_DETECTED])
    trail = await activity.list_activities(
        organization_id=report.organization_id,
        connection_id=report.connection_id,
        kinds=kinds,
        since=since,
        limit=TRAIL_LIMIT,
    )
    discovered = [e.subject_name or "?" for e in trail if e.kind == "app.discovered"]
    if events is None:
        shadow = [e.subject_name or "?" for e in trail if e.kind == EventKind.SHADOW_IT_DETECTED]
    else:
        shadow = [e.app_name for e in events if e.kind == EventKind.SHADOW_IT_DETECTED]
    problematic = None
    if report.status is not SyncStatus.FAILED:
        problems = await insights.problematic_apps(
            organization_id=report.organization_id,
            now=services.now(),
            connection_id=report.connection_id,
            active_days=services.active_days,
        )
        problematic = len({p.app.id for p in problems})
    return SyncOutcome(
        new_apps=tuple(reversed(discovered))[:10],
        new_apps_total=len(discovered),
        shadow_it=tuple(shadow),
        problematic_apps=problematic,
    )
