"""Connections: the Entra tenants an organization has connected."""

from __future__ import annotations

import uuid

from sync_core import records
from sync_core.records import ConnectionStatus
from sync_core.store import models
from sync_core.store.organizations import NotFound


def connection_record(row: models.Connection) -> records.Connection:
    """The record of a connection row."""
    return records.Connection(
        id=row.id,
        organization_id=row.organization_id,  # type: ignore[attr-defined]
        tenant_id=row.tenant_id,
        tenant_name=row.tenant_name,
        status=ConnectionStatus(row.status),
        permissions=tuple(row.permissions or ()),
        has_premium=row.has_premium,
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
    return connection_record(row)


async def list_connections(*, organization_id: uuid.UUID) -> list[records.Connection]:
    """The organization's connections, oldest first."""
    rows = await models.Connection.filter(organization_id=organization_id).order_by("created_at")
    return [connection_record(row) for row in rows]
