"""Who has access to one app, and the grants it holds: reads for the doors, scoped."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.functions import Max

from sync_core.records import AccessSource, StoredUser
from sync_core.store import models
from sync_core.store.paging import MAX_PAGE, Page
from sync_core.store.people import stored_user

USER_SOURCES = (AccessSource.ASSIGNMENT, AccessSource.GROUP_ASSIGNMENT, AccessSource.CONSENT)


@dataclass(frozen=True)
class AppUser:
    """A user with access to an app: how they got it and when they last used it."""

    user: StoredUser
    sources: tuple[AccessSource, ...]
    last_used_on: dt.date | None


@dataclass(frozen=True)
class AppGrant:
    """A delegated grant held by an app, with who consented."""

    consent_type: str
    scopes: tuple[str, ...]
    consented_by: StoredUser | None
    first_seen_at: dt.datetime


async def _app(organization_id: uuid.UUID, app_pk: int) -> models.Application | None:
    return await models.Application.get_or_none(
        id=app_pk, connection__organization_id=organization_id
    )


async def app_users_page(
    *, organization_id: uuid.UUID, app_pk: int, first: int, after: tuple | None = None
) -> Page[AppUser]:
    """Live users with access to the app, by Entra id (stable keyset)."""
    app = await _app(organization_id, app_pk)
    if app is None:
        return Page(items=[], keys=[], total=0, has_next=False)
    live_users = models.DirectoryUser.filter(connection_id=app.connection_id, removed_at=None)
    access = models.AppAccess.filter(
        connection_id=app.connection_id,
        app_entra_id=app.entra_id,
        principal_type="User",
        source__in=list(USER_SOURCES),
        removed_at=None,
        principal_entra_id__in=Subquery(live_users.values("entra_id")),
    )
    total = len(set(await access.values_list("principal_entra_id", flat=True)))
    window = access.filter(principal_entra_id__gt=after[0]) if after else access
    first = max(0, min(first, MAX_PAGE))
    ids = list(
        dict.fromkeys(
            await window.order_by("principal_entra_id")
            .limit((first + 1) * 3)
            .values_list("principal_entra_id", flat=True)
        )
    )[: first + 1]
    page_ids = ids[:first]
    items = await _app_users(app, page_ids)
    return Page(items=items, keys=[(i,) for i in page_ids], total=total, has_next=len(ids) > first)


async def _app_users(app: models.Application, entra_ids: list[str]) -> list[AppUser]:
    users = {
        row.entra_id: stored_user(row)
        for row in await models.DirectoryUser.filter(
            connection_id=app.connection_id, entra_id__in=entra_ids
        )
    }
    sources: dict[str, set[AccessSource]] = defaultdict(set)
    for user, source in await models.AppAccess.filter(
        connection_id=app.connection_id,
        app_entra_id=app.entra_id,
        principal_entra_id__in=entra_ids,
        removed_at=None,
    ).values_list("principal_entra_id", "source"):
        sources[user].add(AccessSource(source))
    last = dict(
        await models.UsageDaily.filter(
            connection_id=app.connection_id,
            app_id=app.app_id,
            user_entra_id__in=entra_ids,
            successes__gt=0,
        )
        .annotate(last=Max("day"))
        .group_by("user_entra_id")
        .values_list("user_entra_id", "last")
    )
    return [
        AppUser(user=users[e], sources=tuple(sorted(sources[e])), last_used_on=last.get(e))
        for e in entra_ids
        if e in users
    ]


async def app_grants(*, organization_id: uuid.UUID, app_pk: int) -> list[AppGrant]:
    """Live delegated grants the app holds, oldest first."""
    app = await _app(organization_id, app_pk)
    if app is None:
        return []
    grants = await models.PermissionGrant.filter(
        connection_id=app.connection_id, client_entra_id=app.entra_id, removed_at=None
    ).order_by("first_seen_at", "id")
    principals = [g.principal_entra_id for g in grants if g.principal_entra_id]
    users = {
        row.entra_id: stored_user(row)
        for row in await models.DirectoryUser.filter(
            connection_id=app.connection_id, entra_id__in=principals
        )
    }
    return [
        AppGrant(
            consent_type=g.consent_type,
            scopes=tuple(g.scopes.split()),
            consented_by=users.get(g.principal_entra_id or ""),
            first_seen_at=g.first_seen_at,
        )
        for g in grants
    ]
