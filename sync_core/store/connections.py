"""Connections: the Entra tenants an organization has connected."""

from __future__ import annotations

import datetime as dt
import uuid

from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.records import ConnectionStatus
from sync_core.store import activity, models
from sync_core.store.organizations import NotFound


def connection_record(row: models.Connection) -> records.Connection:
    """The record of a connection row."""
    return records.Connection(
        id=row.id,
        organization_id=row.organization_id,
        tenant_id=row.tenant_id,
        tenant_name=row.tenant_name,
        status=ConnectionStatus(row.status),
        permissions=tuple(row.permissions or ()),
        has_premium=row.has_premium,
        has_sign_in_data=row.has_sign_in_data,
        last_sync_at=row.last_sync_at,
        last_successful_sync_at=row.last_successful_sync_at,
        created_at=row.created_at,
    )


async def add_connection(
    *,
    organization_id: uuid.UUID,
    tenant_id: str,
    status: ConnectionStatus = ConnectionStatus.PENDING_CONSENT,
    tenant_name: str | None = None,
) -> records.Connection:
    """Register a tenant for an organization (or return the existing one)."""
    if not await models.Organization.exists(id=organization_id):
        raise NotFound(f"no organization {organization_id}")
    row, _ = await models.Connection.get_or_create(
        organization_id=organization_id,
        tenant_id=tenant_id.strip().lower(),
        defaults={"status": status, "tenant_name": tenant_name},
    )
    if row.removed_at is not None:  # connected again after a disconnect: same row, same history
        row.removed_at = None
        await row.save(update_fields=["removed_at"])
    return connection_record(row)


async def list_connections(*, organization_id: uuid.UUID) -> list[records.Connection]:
    """The organization's connections, oldest first."""
    rows = await models.Connection.filter(organization_id=organization_id).order_by("created_at")
    return [connection_record(row) for row in rows]


SYNC_STATE_FIELDS = frozenset(
    {
        "users_delta_link",
        "apps_delta_link",
        "groups_delta_link",
        "grants_delta_link",
        "sign_in_watermark",
        "assignments_refreshed_at",
        "sign_in_activity_refreshed_at",
        "last_sync_at",
        "last_successful_sync_at",
        "next_sync_at",
        "status",
        "permissions",
        "tenant_name",
        "has_premium",
        "has_sign_in_data",
    }
)


async def sync_state(*, connection_id: uuid.UUID) -> records.SyncState:
    """A connection's sync bookkeeping."""
    row = await models.Connection.get_or_none(id=connection_id)
    if row is None:
        raise NotFound(f"no connection {connection_id}")
    return records.SyncState(
        connection=connection_record(row),
        users_delta_link=row.users_delta_link,
        apps_delta_link=row.apps_delta_link,
        sign_in_watermark=row.sign_in_watermark,
        assignments_refreshed_at=row.assignments_refreshed_at,
        sign_in_activity_refreshed_at=row.sign_in_activity_refreshed_at,
        last_sync_at=row.last_sync_at,
        last_successful_sync_at=row.last_successful_sync_at,
        groups_delta_link=row.groups_delta_link,
        grants_delta_link=row.grants_delta_link,
    )


async def update(*, connection_id: uuid.UUID, **changes: object) -> None:
    """Change a connection's status or sync bookkeeping (only known fields)."""
    unknown = set(changes) - SYNC_STATE_FIELDS
    if unknown:
        raise ValueError(f"not connection sync fields: {sorted(unknown)}")
    if changes:
        await models.Connection.filter(id=connection_id).update(**changes)


async def find_connection(
    *, organization_id: uuid.UUID, tenant_id: str | None = None
) -> records.Connection:
    """The organization's connection to a tenant (the only one when no tenant is given)."""
    query = models.Connection.filter(organization_id=organization_id, removed_at=None)
    if tenant_id:
        query = query.filter(tenant_id=tenant_id.strip().lower())
    rows = await query.order_by("created_at")
    if not rows:
        what = f"tenant {tenant_id}" if tenant_id else "any tenant"
        raise NotFound(f"organization {organization_id} has no connection to {what}")
    if len(rows) > 1 and not tenant_id:
        tenants = ", ".join(row.tenant_id for row in rows)
        raise ValueError(f"several tenants are connected ({tenants}): choose one with --tenant")
    return connection_record(rows[0])


async def disconnect(
    *, organization_id: uuid.UUID, tenant_id: str, actor: records.Actor, now: dt.datetime
) -> records.Connection:
    """Stop syncing a tenant: disconnected and out of lookups; its inventory and history stay."""
    async with in_transaction():
        row = await models.Connection.get_or_none(
            organization_id=organization_id, tenant_id=tenant_id.strip().lower(), removed_at=None
        )
        if row is None:
            raise NotFound(f"no connection to tenant {tenant_id} in organization {organization_id}")
        row.status = ConnectionStatus.DISCONNECTED
        row.removed_at = now
        await row.save(update_fields=["status", "removed_at"])
        await activity.record(
            organization_id=organization_id,
            events=[
                activity.NewActivity(
                    kind="connection.disconnected",
                    actor=actor,
                    connection_id=row.id,
                    subject_type="connection",
                    subject_id=row.tenant_id,
                    subject_name=row.tenant_name,
                )
            ],
        )
    return connection_record(row)


async def other_organizations(*, tenant_id: str, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """Organizations other than this one that have the tenant connected now."""
    rows = (
        await models.Connection.filter(tenant_id=tenant_id.strip().lower(), removed_at=None)
        .exclude(organization_id=organization_id)
        .values_list("organization_id", flat=True)
    )
    return [uuid.UUID(str(org)) for org in rows]
