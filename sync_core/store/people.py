"""Reading the user inventory, scoped to an organization."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from tortoise.expressions import Q

from sync_core import records
from sync_core.store import models
from sync_core.store.columns import column
from sync_core.store.paging import Page, keyset

USER_ORDER = ("display_name", "id")


def stored_user(row: models.DirectoryUser) -> records.StoredUser:
    """The record of a user row."""
    return records.StoredUser(
        id=row.id,
        connection_id=row.connection_id,
        entra_id=row.entra_id,
        display_name=row.display_name,
        mail=row.mail,
        user_principal_name=row.user_principal_name,
        job_title=row.job_title,
        department=row.department,
        account_enabled=row.account_enabled,
        last_sign_in_at=row.last_sign_in_at,
        last_successful_sign_in_at=row.last_successful_sign_in_at,
        first_seen_at=row.first_seen_at,
        removed_at=row.removed_at,
    )


async def users_page(
    *,
    organization_id: uuid.UUID,
    first: int,
    after: Sequence | None = None,
    tenant_id: str | None = None,
    department: str | None = None,
    search: str | None = None,
    active_since: dt.datetime | None = None,
    active: bool | None = None,
) -> Page[records.StoredUser]:
    """Live users by name; `active` compares the last successful sign-in with `active_since`."""
    if search and "\x00" in search:
        # Taken literally, it matches no one: no stored name holds NUL (PostgreSQL refuses it),
        # while SQLite's LIKE stops reading the pattern there and would match everyone.
        return Page(items=[], keys=[], total=0, has_next=False)
    tenants = models.Connection.filter(organization_id=organization_id)
    if tenant_id:
        tenants = tenants.filter(tenant_id=tenant_id.lower())
    scope = await column(tenants.order_by("id"), "id")
    # By connection id rather than joined from `connection`: with one tenant (the usual case)
    # the page is read in order off the (connection, display name, id) index, not sorted.
    query = models.DirectoryUser.filter(removed_at=None)
    query = (
        query.filter(connection_id=scope[0])
        if len(scope) == 1
        else query.filter(connection_id__in=scope)
    )
    if department is not None:
        query = query.filter(department=department)
    if search:
        query = query.filter(
            Q(display_name__icontains=search)
            | Q(mail__icontains=search)
            | Q(user_principal_name__icontains=search)
        )
    if active is not None and active_since is not None:
        recent = Q(last_successful_sign_in_at__gte=active_since)
        query = query.filter(recent if active else ~recent | Q(last_successful_sign_in_at=None))
    return await keyset(query, order=USER_ORDER, first=first, after=after, record=stored_user)


async def get_user(*, organization_id: uuid.UUID, user_id: int) -> records.StoredUser | None:
    """One user of the organization (also a removed one, for history), or None."""
    row = await models.DirectoryUser.get_or_none(
        id=user_id, connection__organization_id=organization_id
    )
    return stored_user(row) if row else None


async def users_by_entra_id(
    *, connection_ids: Sequence[uuid.UUID], entra_ids: Sequence[str]
) -> dict[tuple[uuid.UUID, str], records.StoredUser]:
    """Users keyed by (connection, Entra id): one query for a DataLoader batch."""
    rows = await models.DirectoryUser.filter(
        connection_id__in=list(set(connection_ids)), entra_id__in=list(set(entra_ids))
    )
    return {(row.connection_id, row.entra_id): stored_user(row) for row in rows}
