"""Tortoise models. Only `sync_core.store` imports this module.

Tenancy: every row belongs to one Organization, directly or through its Connection.
Inventory rows are keyed by (connection, Entra object id), the upsert target, and refer to
other directory objects by Entra id rather than by foreign key: Graph hands us assignments,
grants and sign-ins whose users or apps may not be stored yet (or were hard-deleted), and a
sync must never fail on that ordering.
"""

from __future__ import annotations

import uuid
from typing import Any

from tortoise import fields
from tortoise.models import Model

from sync_core.records import (
    AccessSource,
    ActorType,
    AppStage,
    ConnectionStatus,
    SyncStatus,
)

ENTRA_ID = 64  # Entra object ids are GUIDs; grant ids are longer base64url strings.


class Organization(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organization"


class ApiToken(Model):
    id = fields.UUIDField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="api_tokens", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    name = fields.CharField(max_length=200, default="")
    prefix = fields.CharField(max_length=16)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class Connection(Model):
    id = fields.UUIDField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="connections", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    tenant_id = fields.CharField(max_length=64)
    tenant_name = fields.CharField(max_length=256, null=True)
    status = fields.CharEnumField(ConnectionStatus, max_length=32)
    permissions: fields.JSONField[list[str]] = fields.JSONField(default=list)
    has_premium = fields.BooleanField(null=True)
    has_sign_in_data = fields.BooleanField(default=False)
    users_delta_link = fields.TextField(null=True)
    apps_delta_link = fields.TextField(null=True)
    groups_delta_link = fields.TextField(null=True)
    grants_delta_link = fields.TextField(null=True)
    sign_in_watermark = fields.DatetimeField(null=True)
    # Assignments and signInActivity have no delta: they are refreshed in full when stale.
    assignments_refreshed_at = fields.DatetimeField(null=True)
    sign_in_activity_refreshed_at = fields.DatetimeField(null=True)
    sync_interval_minutes = fields.IntField(default=60)
    next_sync_at = fields.DatetimeField(null=True)
    last_sync_at = fields.DatetimeField(null=True)
    last_successful_sync_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "connection"
        unique_together = (("organization", "tenant_id"),)


class SlackWorkspace(Model):
    id = fields.UUIDField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="slack_workspaces", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    team_id = fields.CharField(max_length=32, unique=True)
    team_name = fields.CharField(max_length=256, null=True)
    bot_user_id = fields.CharField(max_length=32, null=True)
    bot_token_encrypted = fields.TextField(null=True)
    alert_channel_id = fields.CharField(max_length=32, null=True)
    installed_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "slack_workspace"


class SyncRun(Model):
    id = fields.UUIDField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="sync_runs", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="sync_runs", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    status = fields.CharEnumField(SyncStatus, max_length=16, default=SyncStatus.QUEUED)
    # Set to the connection id while queued or running, NULL after: the unique constraint lets
    # the database itself refuse a second active run of one connection.
    active_key = fields.CharField(max_length=64, null=True, unique=True)
    heartbeat_at = fields.DatetimeField(null=True)
    trigger = fields.CharField(max_length=32, default="manual")
    actor_type = fields.CharEnumField(ActorType, max_length=16, default=ActorType.SYSTEM)
    actor_id = fields.CharField(max_length=128, null=True)
    full = fields.BooleanField(default=False)
    entities: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    checkpoint: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    requests = fields.IntField(default=0)
    throttled = fields.IntField(default=0)
    seconds_waited = fields.FloatField(default=0.0)
    error_code = fields.CharField(max_length=128, null=True)
    error_message = fields.TextField(null=True)
    hint = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sync_run"
        indexes = (("connection_id", "created_at"),)


class ConsentRequest(Model):
    """A pending admin-consent round trip: the server-side half of the signed `state`."""

    id = fields.UUIDField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="consent_requests", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    state_hash = fields.CharField(max_length=64, unique=True)
    actor_type = fields.CharEnumField(ActorType, max_length=16)
    actor_id = fields.CharField(max_length=128, null=True)
    actor_name = fields.CharField(max_length=256, null=True)
    context: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # The tenant this request may connect: named up front (refresh, re-grant) or proven by
    # Microsoft's consent redirect before the admin sign-in step.
    tenant_id = fields.CharField(max_length=64, null=True)
    # MSAL's auth-code flow (PKCE verifier, nonce) for the admin sign-in step; null before it.
    signin_flow: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "consent_request"


class Activity(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="activities", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    connection: fields.ForeignKeyNullableRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="activities", null=True, on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID | None
    kind = fields.CharField(max_length=64)
    actor_type = fields.CharEnumField(ActorType, max_length=16)
    actor_id = fields.CharField(max_length=128, null=True)
    actor_name = fields.CharField(max_length=256, null=True)
    subject_type = fields.CharField(max_length=32, null=True)
    subject_id = fields.CharField(max_length=128, null=True)
    subject_name = fields.CharField(max_length=512, null=True)
    details: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activity"
        # The trail's page order (newest first by id, migration 0014), and time filters.
        indexes = (("organization_id", "created_at"), ("organization_id", "id"))


class DirectoryUser(Model):
    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="users", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    entra_id = fields.CharField(max_length=ENTRA_ID)
    display_name = fields.CharField(max_length=256, null=True)
    mail = fields.CharField(max_length=320, null=True)
    user_principal_name = fields.CharField(max_length=320, null=True)
    job_title = fields.CharField(max_length=256, null=True)
    department = fields.CharField(max_length=256, null=True)
    account_enabled = fields.BooleanField(null=True)
    entra_created_at = fields.DatetimeField(null=True)
    last_sign_in_at = fields.DatetimeField(null=True)
    last_successful_sign_in_at = fields.DatetimeField(null=True)
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "directory_user"
        unique_together = (("connection", "entra_id"),)
        # Migration 0013: the users list in its order, counted (also by a search of names,
        # mail and UPN) off the index; PostgreSQL's page order comes from a partial index of
        # live users in plain SQL there (ix_directory_user_live). The department and active
        # filters' totals. Whether a user is still in the directory (joins by Entra id).
        indexes = (
            (
                "connection_id",
                "removed_at",
                "display_name",
                "id",
                "mail",
                "user_principal_name",
            ),
            ("connection_id", "department", "removed_at", "last_successful_sign_in_at"),
            ("connection_id", "entra_id", "removed_at"),
        )


class Application(Model):
    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="applications", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    entra_id = fields.CharField(max_length=ENTRA_ID)
    app_id = fields.CharField(max_length=ENTRA_ID, db_index=True)
    display_name = fields.CharField(max_length=512)
    publisher_name = fields.CharField(max_length=512, null=True)
    owner_tenant_id = fields.CharField(max_length=64, null=True)
    principal_type = fields.CharField(max_length=32, null=True)
    tags: fields.JSONField[list[str]] = fields.JSONField(default=list)
    account_enabled = fields.BooleanField(null=True)
    verified_publisher = fields.CharField(max_length=512, null=True)
    homepage = fields.CharField(max_length=1024, null=True)
    sign_in_audience = fields.CharField(max_length=64, null=True)
    # Our own state, set by people; a sync never writes these.
    stage = fields.CharEnumField(AppStage, max_length=16, null=True)
    category_override = fields.CharField(max_length=128, null=True)
    seat_cost_amount = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    seat_cost_currency = fields.CharField(max_length=3, null=True)
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "application"
        unique_together = (("connection", "entra_id"),)


class AppAccess(Model):
    """A principal's access to an app, with how it came about."""

    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="app_access", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    app_entra_id = fields.CharField(max_length=ENTRA_ID)
    principal_entra_id = fields.CharField(max_length=ENTRA_ID)
    principal_type = fields.CharField(max_length=32, default="User")
    source = fields.CharEnumField(AccessSource, max_length=16)
    source_entra_id = fields.CharField(max_length=128, null=True)
    app_role_id = fields.CharField(max_length=ENTRA_ID, null=True)
    granted_at = fields.DatetimeField(null=True)
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "app_access"
        unique_together = (("connection", "app_entra_id", "principal_entra_id", "source"),)
        indexes = (("connection_id", "principal_entra_id"),)


class GroupMember(Model):
    """A direct member user of a group, from the groups delta.

    Stored once per group, not per app the group is assigned to: who reaches an app through a
    group is the group's assignment joined to these rows (the `group_access` view).
    """

    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="group_members", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    group_entra_id = fields.CharField(max_length=ENTRA_ID)
    member_entra_id = fields.CharField(max_length=ENTRA_ID)
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "group_member"
        unique_together = (("connection", "group_entra_id", "member_entra_id"),)
        indexes = (("connection_id", "member_entra_id"),)


class PermissionGrant(Model):
    """A delegated OAuth2 permission grant (admin or user consent)."""

    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="grants", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    entra_id = fields.CharField(max_length=128)
    client_entra_id = fields.CharField(max_length=ENTRA_ID)
    resource_entra_id = fields.CharField(max_length=ENTRA_ID)
    consent_type = fields.CharField(max_length=32)
    principal_entra_id = fields.CharField(max_length=ENTRA_ID, null=True)
    scopes = fields.TextField(default="")
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "permission_grant"
        unique_together = (("connection", "entra_id"),)
        # An app's grants in the order App.permissions pages them (admin consent first).
        indexes = (("connection_id", "client_entra_id", "consent_type", "entra_id"),)


class SignInEvent(Model):
    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="sign_ins", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    entra_id = fields.CharField(max_length=ENTRA_ID)
    occurred_at = fields.DatetimeField()
    user_entra_id = fields.CharField(max_length=ENTRA_ID, null=True)
    user_principal_name = fields.CharField(max_length=320, null=True)
    app_id = fields.CharField(max_length=ENTRA_ID, null=True)
    app_display_name = fields.CharField(max_length=512, null=True)
    resource_id = fields.CharField(max_length=ENTRA_ID, null=True)
    error_code = fields.IntField(default=0)
    failure_reason = fields.TextField(null=True)
    client_app_used = fields.CharField(max_length=128, null=True)
    ip_address = fields.CharField(max_length=64, null=True)
    city = fields.CharField(max_length=128, null=True)
    country = fields.CharField(max_length=8, null=True)
    is_interactive = fields.BooleanField(default=True)

    class Meta:
        table = "sign_in_event"
        unique_together = (("connection", "entra_id"),)
        indexes = (("connection_id", "app_id", "occurred_at"),)


class UsageDaily(Model):
    """Sign-ins per app, user and day: kept after raw events age out of Entra and of our store."""

    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="usage", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    app_id = fields.CharField(max_length=ENTRA_ID)
    user_entra_id = fields.CharField(max_length=ENTRA_ID)
    day = fields.DateField()
    successes = fields.IntField(default=0)
    failures = fields.IntField(default=0)

    class Meta:
        table = "usage_daily"
        unique_together = (("connection", "app_id", "user_entra_id", "day"),)
        # A user's daily activity across apps (User.loginActivity) reads by user, not by app.
        indexes = (("connection_id", "user_entra_id", "day"),)
