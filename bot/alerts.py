"""The Slack notifier: a SyncListener that finishes runs' messages and posts alerts.

Alerts go to each bound workspace's alert channel: a failed sync once per failure streak (and
a note when it recovers), and newly detected shadow IT (derive raises that once per app).
Posting is paced to one message per second per channel, Slack's guidance for
chat.postMessage; a 429 is retried after its Retry-After by the client's retry handler.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiolimiter import AsyncLimiter
from slack_sdk.errors import SlackApiError

from bot import progress
from bot.blocks import Message
from bot.messages import alerts as alert_messages
from bot.services import BotServices
from sync_core import records
from sync_core.insights.records import EventKind, InsightEvent
from sync_core.records import SyncStatus
from sync_core.store import connections, runs
from sync_core.store import slack as slack_store

log = logging.getLogger(__name__)


class ChannelPacer:
    """At most one message per `interval` seconds per channel, across concurrent senders."""

    def __init__(self, *, interval: float = 1.0) -> None:
        self.interval = interval
        self._limiters: dict[str, AsyncLimiter | contextlib.nullcontext[None]] = {}

    def _limiter(self, key: str) -> AsyncLimiter | contextlib.nullcontext[None]:
        if key not in self._limiters:
            # Slack's chat.postMessage allows about one message per second per channel.
            paced = AsyncLimiter(1, self.interval) if self.interval > 0 else None
            self._limiters[key] = paced or contextlib.nullcontext()
        return self._limiters[key]

    async def post(self, services: BotServices, *, team_id: str, channel: str, message: Message):
        async with self._limiter(f"{team_id}:{channel}"):
            token = await services.slack.token_for(team_id) or ""
            client = services.slack.client
            await client.chat_postMessage(token=token, channel=channel, **message)


class Alerts:
    """Registered on the sync engine: told about every finished run and its insight events."""

    def __init__(self, services: BotServices, *, pacer: ChannelPacer | None = None) -> None:
        self.services = services
        self.pacer = pacer or ChannelPacer()

    async def sync_finished(self, *, report: records.SyncReport, events: Sequence[Any]) -> None:
        """Finish the run's /sync messages, then alert the organization's channels."""
        state = await connections.sync_state(connection_id=report.connection_id)
        tenant = state.connection.tenant_name
        for message in await slack_store.sync_messages(run_id=report.id):
            if message.finished_at is None:
                try:
                    await progress.finish(
                        self.services,
                        report=report,
                        message=message,
                        events=events,
                        tenant_name=tenant,
                    )
                except SlackApiError as exc:
                    log.warning("could not finish sync message %s: %s", message.id, exc)
        outgoing = await self.alerts(report, events, tenant_name=tenant)
        if outgoing:
            await self.send(report, outgoing)

    async def alerts(
        self, report: records.SyncReport, events: Sequence[Any], *, tenant_name: str | None
    ) -> list[Message]:
        """What this run is worth telling the channel."""
        failed_before = await self._failed_before(report)
        found: list[Message] = []
        if report.status is SyncStatus.FAILED and not failed_before:
            found.append(alert_messages.sync_failed(report, tenant_name=tenant_name))
        elif report.status is not SyncStatus.FAILED and failed_before:
            found.append(alert_messages.sync_recovered(report, tenant_name=tenant_name))
        shadow = [
            e
            for e in events
            if isinstance(e, InsightEvent) and e.kind is EventKind.SHADOW_IT_DETECTED
        ]
        found += alert_messages.shadow_detected(shadow)
        return found

    async def _failed_before(self, report: records.SyncReport) -> bool:
        """Whether the run before this one (of the same tenant) failed: a streak continues."""
        recent = await runs.list_runs(
            organization_id=report.organization_id, connection_id=report.connection_id, limit=5
        )
        earlier = [r for r in recent if r.created_at < report.created_at and not r.is_active]
        return bool(earlier) and earlier[0].status is SyncStatus.FAILED

    async def send(self, report: records.SyncReport, outgoing: list[Message]) -> None:
        """Post to every alert channel of the organization's workspaces."""
        workspaces = await slack_store.workspaces_of(organization_id=report.organization_id)
        for workspace in workspaces:
            channel = workspace.alert_channel_id
            if not channel:
                continue
            for message in outgoing:
                try:
                    await self.pacer.post(
                        self.services, team_id=workspace.team_id, channel=channel, message=message
                    )
                except SlackApiError as exc:
                    log.warning(
                        "alert to %s/%s not delivered: %s",
                        workspace.team_id,
                        workspace.alert_channel_id,
                        exc.response.get("error"),
                    )
