"""Tortoise models of the Slack door's own state. Only `sync_core.store` imports this module.

The binding of a workspace to an organization (and its alert channel) is `slack_workspace` in
`models`; these tables hold what Slack's OAuth install and the bot's messages need to persist
across processes and deploys.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from sync_core.store.models import Organization, SyncRun


class SlackInstallation(Model):
    """One OAuth install of the bot into a workspace (the latest row per team is the live one)."""

    id = fields.BigIntField(primary_key=True)
    team_id = fields.CharField(max_length=32, null=True)
    enterprise_id = fields.CharField(max_length=32, null=True)
    is_enterprise_install = fields.BooleanField(default=False)
    app_id = fields.CharField(max_length=32, null=True)
    bot_id = fields.CharField(max_length=32)
    bot_user_id = fields.CharField(max_length=32)
    bot_scopes = fields.TextField(default="")
    # Encrypted with the vault (APPVENTORY_SECRET_KEY); never stored in clear.
    bot_token_encrypted = fields.TextField()
    bot_refresh_token_encrypted = fields.TextField(null=True)
    bot_token_expires_at = fields.DatetimeField(null=True)
    installer_user_id = fields.CharField(max_length=32, null=True)
    installed_at = fields.DatetimeField()

    class Meta:
        table = "slack_installation"
        indexes = (("team_id", "installed_at"), ("enterprise_id", "installed_at"))


class SlackInvite(Model):
    """An install link that lets one new workspace join an organization: single use, expiring."""

    id = fields.UUIDField(primary_key=True)
    # SHA-256 of the link's random token; the token itself is only ever shown to the operator.
    token_hash = fields.CharField(max_length=64, unique=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="slack_invites", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by_team_id = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "slack_invite"


class SlackOAuthState(Model):
    """The server-side half of the OAuth state of an install: single use, expiring."""

    id = fields.UUIDField(primary_key=True)
    state_hash = fields.CharField(max_length=64, unique=True)
    # Set when the install started from an invite link; the invite is used when it completes.
    invite: fields.ForeignKeyNullableRelation[SlackInvite] = fields.ForeignKeyField(
        "appventory.SlackInvite", related_name="oauth_states", null=True, on_delete=fields.CASCADE
    )
    invite_id: uuid.UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "slack_oauth_state"


class SlackSyncMessage(Model):
    """Where the Slack message of a sync lives, so whichever process ends the run can finish it."""

    id = fields.BigIntField(primary_key=True)
    sync_run: fields.ForeignKeyRelation[SyncRun] = fields.ForeignKeyField(
        "appventory.SyncRun", related_name="slack_messages", on_delete=fields.CASCADE
    )
    sync_run_id: uuid.UUID
    team_id = fields.CharField(max_length=32)
    channel_id = fields.CharField(max_length=32, null=True)
    ts = fields.CharField(max_length=32, null=True)
    # An ephemeral reply can only be replaced through its response_url (30 minutes, 5 uses).
    response_url = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "slack_sync_message"
        indexes = (("sync_run_id",),)


class SlackSeenRequest(Model):
    """A signed Slack request already accepted: a second delivery of it is a replay.

    Shared by every web process through the database; the unique key makes the check one
    INSERT. Rows are useless once Slack's five-minute timestamp window has passed.
    """

    id = fields.BigIntField(primary_key=True)
    # SHA-256 of the request's timestamp and signature (the signature covers the body).
    key = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "slack_seen_request"
