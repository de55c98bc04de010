"""What a slash command's handler receives: its arguments, who asked, where, and services."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.services import BotServices
from sync_core import records


@dataclass(frozen=True)
class Invocation:
    """One slash command, already acknowledged."""

    args: list[str]
    command: dict[str, Any]
    services: BotServices
    organization_id: uuid.UUID
    actor: records.Actor
    client: AsyncWebClient
    respond: Any

    @property
    def team_id(self) -> str:
        return self.command.get("team_id", "")

    @property
    def channel_id(self) -> str | None:
        return self.command.get("channel_id")

    @property
    def response_url(self) -> str | None:
        return self.command.get("response_url")

    def now(self) -> dt.datetime:
        return self.services.now()

    def where(self) -> dict[str, Any]:
        """Where to answer later (bound to a consent state, for the callback's message)."""
        return {
            "team_id": self.team_id,
            "channel_id": self.channel_id,
            "user_id": self.actor.id,
            "response_url": self.response_url,
        }

    async def require_admin(self, what: str) -> None:
        """Refuse (raise Refused) unless the person may do `what`."""
        await self.services.admins.require(
            self.client, user_id=self.actor.id or "", team_id=self.team_id, what=what
        )
