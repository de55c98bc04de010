"""Slack install links that invite one new workspace into an existing organization.

An invite is a random token shown once to the operator and stored here by hash. It is usable
until it expires, and only once: the first install that completes with it uses it (one
conditional UPDATE, so two installs racing on one link cannot both pass).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from enum import StrEnum

from sync_core.store import models, slack_models
from sync_core.store.organizations import NotFound


class InviteStatus(StrEnum):
    """Whether an install link can still bring a workspace into its organization."""

    USABLE = "usable"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Invite:
    """An install link that lets one new workspace join an organization."""

    id: uuid.UUID
    organization_id: uuid.UUID
    expires_at: dt.datetime
    used_at: dt.datetime | None = None
    used_by_team_id: str | None = None

    def status(self, *, now: dt.datetime) -> InviteStatus:
        """Used (by the first install that completed with it), expired, or usable."""
        if self.used_at is not None:
            return InviteStatus.USED
        return InviteStatus.EXPIRED if self.expires_at <= now else InviteStatus.USABLE


class InviteUnusable(Exception):
    """An install completed with an invite that another install used first, or that expired."""

    def __init__(self, status: InviteStatus) -> None:
        super().__init__(f"the invite is {status}")
        self.status = status


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invite(row: slack_models.SlackInvite) -> Invite:
    return Invite(
        id=row.id,
        organization_id=row.organization_id,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by_team_id=row.used_by_team_id,
    )


async def create(*, token: str, organization_id: uuid.UUID, expires_at: dt.datetime) -> Invite:
    """Remember an install link's token (by hash) until it is used or expires."""
    if not await models.Organization.exists(id=organization_id):
        raise NotFound(f"no organization {organization_id}")
    row = await slack_models.SlackInvite.create(
        token_hash=_hash(token), organization_id=organization_id, expires_at=expires_at
    )
    return _invite(row)


async def find(*, token: str) -> Invite | None:
    """The invite of an install link's token; None for a token never issued."""
    row = await slack_models.SlackInvite.get_or_none(token_hash=_hash(token))
    return _invite(row) if row else None


async def use(*, invite_id: uuid.UUID, team_id: str, now: dt.datetime) -> uuid.UUID:
    """Use an invite for this workspace: its organization, or InviteUnusable if it was used
    before or has expired. Call it in the transaction that binds the workspace."""
    used = await slack_models.SlackInvite.filter(
        id=invite_id, used_at=None, expires_at__gt=now
    ).update(used_at=now, used_by_team_id=team_id)
    row = await slack_models.SlackInvite.get_or_none(id=invite_id)
    if not used or row is None:
        expired = row is not None and row.used_at is None
        raise InviteUnusable(InviteStatus.EXPIRED if expired else InviteStatus.USED)
    return row.organization_id
