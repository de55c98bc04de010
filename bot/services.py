"""What handlers may call besides sync_core: built once by the composition root, reached by
handlers through Bolt's context as `services`."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.access import Admins
from sync_core.consent import AdminProof, ConsentConfig
from sync_core.crypto import Vault
from sync_core.settings import Settings
from sync_core.store import slack as slack_store
from sync_core.sync.service import Runner
from sync_core.sync.tenant import TenantCheck

log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Background:
    """Tasks that outlive a request (watching a sync): referenced until done, cancelled on close."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task:
        """Run `work` in the background, logging a failure instead of losing it."""
        task = asyncio.create_task(self._guarded(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, Any], name: str) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %s failed", name)

    async def drain(self) -> None:
        """Wait for every task (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Cancel what is still running (shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class SlackClients:
    """The Web API client on one shared aiohttp session, and each workspace's bot token."""

    def __init__(self, *, settings: Settings, vault: Vault, client: AsyncWebClient) -> None:
        self.client = client
        self._vault = vault
        bot_token = settings.slack_bot_token
        self._single_token = bot_token.get_secret_value() if bot_token else None

    @property
    def session(self):
        return self.client.session

    async def token_for(self, team_id: str) -> str | None:
        """The bot token for a workspace: the configured one, or its latest OAuth install's."""
        if self._single_token:
            return self._single_token
        installed = await slack_store.latest_installation(vault=self._vault, team_id=team_id)
        return installed.bot_token if installed else None

    def webhook(self, url: str) -> AsyncWebhookClient:
        """A client for a response_url, on the shared session."""
        return AsyncWebhookClient(url=url, session=self.client.session)


class Workspaces:
    """Which organization a workspace belongs to. Read on every request, so it is cached and,
    once known, refreshed in the background: the ack path never waits for the database (on
    SQLite it would wait behind a sync's page write)."""

    def __init__(self, *, ttl: float = 30.0) -> None:
        self._ttl = ttl
        self._cache: dict[str, tuple[float, uuid.UUID | None]] = {}
        self._refreshing: dict[str, asyncio.Task] = {}

    async def organization_of(self, team_id: str | None) -> uuid.UUID | None:
        """The bound organization, or None when the workspace is not bound."""
        if not team_id:
            return None
        hit = self._cache.get(team_id)
        if hit is None:
            return await self._load(team_id)
        if time.monotonic() - hit[0] >= self._ttl and team_id not in self._refreshing:
            task = asyncio.create_task(self._load(team_id), name=f"binding-{team_id}")
            self._refreshing[team_id] = task
            task.add_done_callback(lambda _: self._refreshing.pop(team_id, None))
        return hit[1]

    async def _load(self, team_id: str) -> uuid.UUID | None:
        workspace = await slack_store.find_workspace(team_id=team_id)
        organization = workspace.organization_id if workspace else None
        self._cache[team_id] = (time.monotonic(), organization)
        return organization

    def forget(self, team_id: str) -> None:
        """Drop a cached binding (after a bind or an install in this process)."""
        self._cache.pop(team_id, None)


@dataclass
class BotServices:
    """Everything the Slack door needs from the process."""

    settings: Settings
    vault: Vault
    slack: SlackClients
    runner: Runner | None
    consent_config: Callable[[], ConsentConfig]
    check_tenant: Callable[[str], Awaitable[TenantCheck]]
    admin_proof: Callable[[], AdminProof]
    admins: Admins
    clock: Callable[[], dt.datetime] = utcnow
    workspaces: Workspaces = field(default_factory=Workspaces)
    background: Background = field(default_factory=Background)
    # Slack allows chat.update about once a second; every two is plenty for progress.
    progress_interval: float = 2.0
    # How long a watcher waits for the process that ran the sync to post its result.
    result_grace: float = 15.0

    @property
    def active_days(self) -> int:
        return self.settings.active_days

    @property
    def inactive_days(self) -> int:
        return self.settings.inactive_days

    def now(self) -> dt.datetime:
        return self.clock()
