"""Slack workspaces bound to organizations, OAuth installs and states, and sync messages.

Bot tokens are encrypted with the vault before they reach the database; records returned to
the Slack door carry them decrypted but never show them in a repr.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.crypto import Vault
from sync_core.store import activity, models, slack_invites, slack_models
from sync_core.store.organizations import NotFound


@dataclass(frozen=True, slots=True)
class Workspace:
    """A Slack workspace and the organization it belongs to."""

    team_id: str
    organization_id: uuid.UUID
    team_name: str | None
    alert_channel_id: str | None


@dataclass(frozen=True, slots=True)
class Installation:
    """The bot of one OAuth install (tokens in clear here, encrypted at rest)."""

    team_id: str | None
    bot_id: str
    bot_user_id: str
    bot_token: str = field(repr=False)
    installed_at: dt.datetime
    enterprise_id: str | None = None
    is_enterprise_install: bool = False
    app_id: str | None = None
    team_name: str | None = None
    bot_scopes: tuple[str, ...] = ()
    bot_refresh_token: str | None = field(default=None, repr=False)
    bot_token_expires_at: dt.datetime | None = None
    installer_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class SyncMessage:
    """Where a sync's Slack message is: a channel message, or an ephemeral reply's URL."""

    id: int
    run_id: uuid.UUID
    team_id: str
    channel_id: str | None
    ts: str | None
    response_url: str | None = field(repr=False)
    finished_at: dt.datetime | None


def _workspace(row: models.SlackWorkspace) -> Workspace:
    return Workspace(
        team_id=row.team_id,
        organization_id=row.organization_id,
        team_name=row.team_name,
        alert_channel_id=row.alert_channel_id,
    )


def _event(kind: str, workspace: Workspace, actor: records.Actor, **details: object):
    return activity.NewActivity(
        kind=kind,
        actor=actor,
        subject_type="slack_workspace",
        subject_id=workspace.team_id,
        subject_name=workspace.team_name,
        details={k: v for k, v in details.items() if v is not None},
    )


async def find_workspace(*, team_id: str) -> Workspace | None:
    """The workspace's binding, or None when no organization claimed it."""
    row = await models.SlackWorkspace.get_or_none(team_id=team_id)
    return _workspace(row) if row else None


async def workspaces_of(*, organization_id: uuid.UUID) -> list[Workspace]:
    """The organization's workspaces, oldest first."""
    rows = await models.SlackWorkspace.filter(organization_id=organization_id).order_by(
        "installed_at"
    )
    return [_workspace(row) for row in rows]


async def bind_workspace(
    *, team_id: str, organization_id: uuid.UUID, actor: records.Actor, team_name: str | None = None
) -> tuple[Workspace, uuid.UUID | None]:
    """Bind a workspace to an organization; returns it and the organization it left, if any."""
    if not await models.Organization.exists(id=organization_id):
        raise NotFound(f"no organization {organization_id}")
    async with in_transaction():
        row = await models.SlackWorkspace.get_or_none(team_id=team_id)
        previous = row.organization_id if row else None
        if row is None:
            row = await models.SlackWorkspace.create(
                team_id=team_id, organization_id=organization_id, team_name=team_name
            )
        else:
            row.organization_id = organization_id
            row.team_name = team_name or row.team_name
            if previous != organization_id:
                row.alert_channel_id = None  # a channel of the old organization's choosing
            await row.save()
        bound = _workspace(row)
        await activity.record(
            organization_id=organization_id,
            events=[_event("slack.bound", bound, actor, previous=previous and str(previous))],
        )
    return bound, (previous if previous != organization_id else None)


async def set_alert_channel(
    *, organization_id: uuid.UUID, team_id: str, channel_id: str, actor: records.Actor
) -> Workspace:
    """Post the organization's alerts to this channel of the workspace."""
    async with in_transaction():
        updated = await models.SlackWorkspace.filter(
            team_id=team_id, organization_id=organization_id
        ).update(alert_channel_id=channel_id)
        if not updated:
            raise NotFound(f"workspace {team_id} is not bound to organization {organization_id}")
        workspace = _workspace(await models.SlackWorkspace.get(team_id=team_id))
        await activity.record(
            organization_id=organization_id,
            events=[_event("slack.alert_channel_set", workspace, actor, channel=channel_id)],
        )
    return workspace


async def install(
    *,
    vault: Vault,
    installation: Installation,
    invite_id: uuid.UUID | None = None,
    alert_channel_id: str | None = None,
) -> tuple[Workspace, bool]:
    """Store an OAuth install and bind its workspace: to the organization it already belongs
    to, else to the one its invite names, else to a new one named after it.

    The invite is used by this install (at its `installed_at`) even if the workspace was bound
    already; one used before or expired raises `InviteUnusable`, and nothing is stored.
    Returns the workspace and whether a new organization was created.
    """
    team_id = installation.team_id or installation.enterprise_id or ""
    actor = records.Actor(records.ActorType.SLACK_USER, installation.installer_user_id)
    async with in_transaction():
        invited = None
        if invite_id is not None:
            invited = await slack_invites.use(
                invite_id=invite_id, team_id=team_id, now=installation.installed_at
            )
        await slack_models.SlackInstallation.create(
            team_id=installation.team_id,
            enterprise_id=installation.enterprise_id,
            is_enterprise_install=installation.is_enterprise_install,
            app_id=installation.app_id,
            bot_id=installation.bot_id,
            bot_user_id=installation.bot_user_id,
            bot_scopes=",".join(installation.bot_scopes),
            bot_token_encrypted=vault.encrypt(installation.bot_token),
            bot_refresh_token_encrypted=(
                vault.encrypt(installation.bot_refresh_token)
                if installation.bot_refresh_token
                else None
            ),
            bot_token_expires_at=installation.bot_token_expires_at,
            installer_user_id=installation.installer_user_id,
            installed_at=installation.installed_at,
        )
        row = await models.SlackWorkspace.get_or_none(team_id=team_id)
        created = False
        if row is None:
            organization_id = invited
            if organization_id is None:
                name = installation.team_name or f"Slack workspace {team_id}"
                organization_id = (await models.Organization.create(name=name)).id
                created = True
            row = await models.SlackWorkspace.create(
                team_id=team_id, organization_id=organization_id, team_name=installation.team_name
            )
        row.bot_user_id = installation.bot_user_id
        row.team_name = installation.team_name or row.team_name
        row.alert_channel_id = row.alert_channel_id or alert_channel_id
        await row.save()
        workspace = _workspace(row)
        await activity.record(
            organization_id=workspace.organization_id,
            events=[_event("slack.installed", workspace, actor, channel=alert_channel_id)],
        )
    return workspace, created


def _installation(vault: Vault, row: slack_models.SlackInstallation) -> Installation:
    refresh = row.bot_refresh_token_encrypted
    return Installation(
        team_id=row.team_id,
        enterprise_id=row.enterprise_id,
        is_enterprise_install=row.is_enterprise_install,
        app_id=row.app_id,
        bot_id=row.bot_id,
        bot_user_id=row.bot_user_id,
        bot_scopes=tuple(s for s in row.bot_scopes.split(",") if s),
        bot_token=vault.decrypt(row.bot_token_encrypted),
        bot_refresh_token=vault.decrypt(refresh) if refresh else None,
        bot_token_expires_at=row.bot_token_expires_at,
        installer_user_id=row.installer_user_id,
        installed_at=row.installed_at,
    )


async def latest_installation(
    *,
    vault: Vault,
    team_id: str | None,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
) -> Installation | None:
    """The live install for a workspace (or an org-wide install), or None."""
    query = slack_models.SlackInstallation.filter(enterprise_id=enterprise_id)
    if not is_enterprise_install:
        query = query.filter(team_id=team_id)
    row = await query.order_by("-installed_at", "-id").first()
    return _installation(vault, row) if row else None


async def delete_installations(*, team_id: str | None, enterprise_id: str | None = None) -> int:
    """Forget a workspace's installs (uninstalled or tokens revoked); its binding stays."""
    query = slack_models.SlackInstallation.filter(enterprise_id=enterprise_id)
    if team_id is not None:
        query = query.filter(team_id=team_id)
    return await query.delete()


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


async def issue_oauth_state(
    *, state: str, expires_at: dt.datetime, invite_id: uuid.UUID | None = None
) -> None:
    """Remember an install's `state` (by hash), and the invite it started from, until it is used
    or expires."""
    await slack_models.SlackOAuthState.create(
        state_hash=_state_hash(state), invite_id=invite_id, expires_at=expires_at
    )


async def consume_oauth_state(*, state: str, now: dt.datetime) -> bool:
    """Use a state once; False when unknown, already used or expired."""
    used = await slack_models.SlackOAuthState.filter(
        state_hash=_state_hash(state), used_at=None, expires_at__gt=now
    ).update(used_at=now)
    return used == 1


async def oauth_state_invite(*, state: str) -> uuid.UUID | None:
    """The invite an install state started from, if any."""
    row = await slack_models.SlackOAuthState.get_or_none(state_hash=_state_hash(state))
    return row.invite_id if row else None


def _message(row: slack_models.SlackSyncMessage) -> SyncMessage:
    return SyncMessage(
        id=row.id,
        run_id=row.sync_run_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        ts=row.ts,
        response_url=row.response_url,
        finished_at=row.finished_at,
    )


async def remember_sync_message(
    *,
    run_id: uuid.UUID,
    team_id: str,
    channel_id: str | None = None,
    ts: str | None = None,
    response_url: str | None = None,
) -> SyncMessage:
    """Record where a run's message was posted."""
    row = await slack_models.SlackSyncMessage.create(
        sync_run_id=run_id,
        team_id=team_id,
        channel_id=channel_id,
        ts=ts,
        response_url=response_url,
    )
    return _message(row)


async def sync_messages(*, run_id: uuid.UUID) -> list[SyncMessage]:
    """The messages that show a run."""
    rows = await slack_models.SlackSyncMessage.filter(sync_run_id=run_id).order_by("id")
    return [_message(row) for row in rows]


async def finish_sync_message(*, message_id: int, now: dt.datetime) -> bool:
    """Claim the right to render a run's result in a message: True for exactly one caller."""
    claimed = await slack_models.SlackSyncMessage.filter(id=message_id, finished_at=None).update(
        finished_at=now
    )
    return claimed == 1
