"""Who may act: connecting, disconnecting, alert settings and stage changes are for workspace
admins and owners, or members of a configured user group."""

from __future__ import annotations

import re

from slack_sdk.web.async_client import AsyncWebClient

from sync_core import records
from sync_core.records import ActorType

_GROUP_ID = re.compile(r"^S[A-Z0-9]{6,}$")


class Refused(Exception):
    """The person may not do this; the message says why and who can."""


def actor(body: dict) -> records.Actor:
    """The Slack user behind a request, as the activity trail records them."""
    user = body.get("user") or {}
    user_id = body.get("user_id") or user.get("id")
    name = body.get("user_name") or user.get("username") or user.get("name")
    return records.Actor(ActorType.SLACK_USER, user_id, name)


class Admins:
    """Decides whether a Slack user may change things (users.info, usergroups.users.list)."""

    def __init__(self, *, group: str | None) -> None:
        self.group = (group or "").strip().lstrip("@") or None
        self._group_ids: dict[str, str] = {}

    def who(self) -> str:
        """The people who may act, in words."""
        extra = f" and members of @{self.group}" if self.group else ""
        return f"workspace admins and owners{extra}"

    async def require(self, client: AsyncWebClient, *, user_id: str, team_id: str, what: str):
        """Return when the user may do `what`; raise Refused otherwise."""
        if await self.is_admin(client, user_id=user_id, team_id=team_id):
            return
        raise Refused(
            f"Only {self.who()} can {what}. Ask one of them, or an operator can set "
            "APPVENTORY_SLACK_ADMIN_GROUP to a user group of the people who run AppVentory."
        )

    async def is_admin(self, client: AsyncWebClient, *, user_id: str, team_id: str) -> bool:
        """Whether the user is an admin or owner, or in the configured group."""
        user = (await client.users_info(user=user_id))["user"]
        if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
            return True
        group = await self._group_id(client, team_id=team_id)
        if group is None:
            return False
        members = await client.usergroups_users_list(usergroup=group)
        return user_id in (members.get("users") or [])

    async def _group_id(self, client: AsyncWebClient, *, team_id: str) -> str | None:
        if self.group is None:
            return None
        if _GROUP_ID.match(self.group):
            return self.group
        key = f"{team_id}:{self.group}"
        if key not in self._group_ids:
            groups = (await client.usergroups_list()).get("usergroups") or []
            found = next((g["id"] for g in groups if g.get("handle") == self.group), None)
            if found is None:
                return None
            self._group_ids[key] = found
        return self._group_ids[key]
