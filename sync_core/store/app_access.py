"""Who has access to one app, and the grants it holds: reads for the doors, scoped."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.functions import Max

from sync_core.records import AccessSource, StoredUser
from sync_core.store import models, people
from sync_core.store.columns import column
from sync_core.store.insights.sql import as_date, db_uuid, fetch, marks
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
    ids: list[str] = list(
        dict.fromkeys(
            await column(
                window.order_by("principal_entra_id").limit((first + 1) * 3), "principal_entra_id"
            )
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


# Batched reads for DataLoaders: one statement each, whatever the number of apps or page size.
# DENSE_RANK numbers an app's distinct users by Entra id (the keyset order), so one query cuts
# "the first N users after the cursor" for every app at once; last use is looked up only for the
# rows that survive the cut. Window functions need SQLite >= 3.25, as PostgreSQL has them.
# The requested apps are materialized first: joined from `connection`, SQLite (without
# statistics) scanned every access row of the tenant, 40x slower on a 5k-user tenant.
SCOPED_APPS = """
WITH apps AS MATERIALIZED (
  SELECT a.id, a.app_id, a.connection_id, a.entra_id
  FROM application a JOIN connection c ON c.id = a.connection_id
  WHERE c.organization_id = ? AND a.id IN ({apps})
)"""

APP_USER_ROWS = """{scope}
SELECT r.app, r.user_pk, r.principal_entra_id, r.source,
  (SELECT MAX(d.day) FROM usage_daily d
   WHERE d.connection_id = r.connection_id AND d.app_id = r.app_id
     AND d.user_entra_id = r.principal_entra_id AND d.successes > 0) AS last_used_on
FROM (
  SELECT a.id AS app, a.app_id, x.connection_id, x.principal_entra_id, x.source, u.id AS user_pk,
    DENSE_RANK() OVER (PARTITION BY a.id ORDER BY x.principal_entra_id) AS n
  FROM apps a
  JOIN app_access x ON x.connection_id = a.connection_id AND x.app_entra_id = a.entra_id
  JOIN directory_user u ON u.connection_id = x.connection_id AND u.entra_id = x.principal_entra_id
  WHERE x.principal_type = 'User' AND x.source IN ({sources}) AND x.removed_at IS NULL
    AND u.removed_at IS NULL {after}
) r
WHERE r.n <= ?
ORDER BY r.app, r.principal_entra_id"""

APP_USER_TOTALS = """{scope}
SELECT a.id AS app, COUNT(DISTINCT x.principal_entra_id) AS total
FROM apps a
JOIN app_access x ON x.connection_id = a.connection_id AND x.app_entra_id = a.entra_id
JOIN directory_user u ON u.connection_id = x.connection_id AND u.entra_id = x.principal_entra_id
WHERE x.principal_type = 'User' AND x.source IN ({sources}) AND x.removed_at IS NULL
  AND u.removed_at IS NULL
GROUP BY a.id"""


def _users_sql(template: str, app_pks: list[int], after: tuple | None) -> str:
    return template.replace("{scope}", SCOPED_APPS).format(
        apps=marks(app_pks),
        sources=marks(USER_SOURCES),
        after="AND x.principal_entra_id > ?" if after else "",
    )


async def app_users_pages(
    *,
    organization_id: uuid.UUID,
    app_pks: Sequence[int],
    first: int,
    after: tuple | None = None,
) -> dict[int, Page[AppUser]]:
    """`app_users_page` for many apps in three statements; other organizations' apps are empty."""
    pks, first = sorted(set(app_pks)), max(0, min(first, MAX_PAGE))
    pages = {pk: Page[AppUser](items=[], keys=[], total=0, has_next=False) for pk in pks}
    if not pks:
        return pages
    scope = [db_uuid(organization_id), *pks, *(s.value for s in USER_SOURCES)]
    totals = {
        int(r["app"]): int(r["total"])
        for r in await fetch(_users_sql(APP_USER_TOTALS, pks, None), scope)
    }
    rows = await fetch(
        _users_sql(APP_USER_ROWS, pks, after), [*scope, *(after[:1] if after else ()), first + 1]
    )
    users = await _users_by_pk({int(r["user_pk"]) for r in rows})
    for pk, found in _group_app_users(rows, users).items():
        listed = list(found.values())
        pages[pk] = Page(
            items=listed[:first],
            keys=[(u.user.entra_id,) for u in listed[:first]],
            total=totals.get(pk, 0),
            has_next=len(listed) > first,
        )
    return pages


async def _users_by_pk(pks: set[int]) -> dict[int, StoredUser]:
    if not pks:
        return {}
    return {row.id: stored_user(row) for row in await models.DirectoryUser.filter(id__in=pks)}


def _group_app_users(
    rows: list[dict], users: dict[int, StoredUser]
) -> dict[int, dict[str, AppUser]]:
    """Rows (one per app, user and source) as each app's users in keyset order."""
    sources: dict[tuple[int, str], set[AccessSource]] = defaultdict(set)
    for r in rows:
        sources[(int(r["app"]), r["principal_entra_id"])].add(AccessSource(r["source"]))
    grouped: dict[int, dict[str, AppUser]] = defaultdict(dict)
    for r in rows:
        app, entra_id = int(r["app"]), r["principal_entra_id"]
        grouped[app][entra_id] = AppUser(
            user=users[int(r["user_pk"])],
            sources=tuple(sorted(sources[(app, entra_id)])),
            last_used_on=as_date(r["last_used_on"]),
        )
    return grouped


async def app_grants_by_app(
    *, organization_id: uuid.UUID, app_pks: Sequence[int]
) -> dict[int, list[AppGrant]]:
    """`app_grants` for many apps in three statements; other organizations' apps get []."""
    result: dict[int, list[AppGrant]] = {pk: [] for pk in app_pks}
    apps = await models.Application.filter(
        id__in=list(result), connection__organization_id=organization_id
    ).values_list("id", "connection_id", "entra_id")
    if not apps:
        return result
    by_client = {(str(conn), entra): pk for pk, conn, entra in apps}
    grants = await models.PermissionGrant.filter(
        connection_id__in=list({conn for _, conn, _ in apps}),
        client_entra_id__in=list({entra for _, _, entra in apps}),
        removed_at=None,
    ).order_by("first_seen_at", "id")
    principals = await people.users_by_entra_id(
        connection_ids=[g.connection_id for g in grants],
        entra_ids=[g.principal_entra_id for g in grants if g.principal_entra_id],
    )
    for g in grants:
        pk = by_client.get((str(g.connection_id), g.client_entra_id))
        if pk is None:  # a grant of another app of the same connections
            continue
        result[pk].append(
            AppGrant(
                consent_type=g.consent_type,
                scopes=tuple(g.scopes.split()),
                consented_by=principals.get((g.connection_id, g.principal_entra_id or "")),
                first_seen_at=g.first_seen_at,
            )
        )
    return result


# The users are materialized first, for the reason given at SCOPED_APPS.
USER_APPS = """
WITH users AS MATERIALIZED (
  SELECT u.id, u.connection_id, u.entra_id
  FROM directory_user u JOIN connection c ON c.id = u.connection_id
  WHERE c.organization_id = ? AND u.id IN ({users})
)
SELECT DISTINCT u.id AS user_pk, a.id AS app
FROM users u
JOIN app_access x ON x.connection_id = u.connection_id AND x.principal_entra_id = u.entra_id
JOIN application a ON a.connection_id = x.connection_id AND a.entra_id = x.app_entra_id
WHERE x.principal_type = 'User' AND x.source IN ({sources}) AND x.removed_at IS NULL
  AND a.removed_at IS NULL"""


async def apps_of_users(
    *, organization_id: uuid.UUID, user_pks: Sequence[int]
) -> dict[int, list[int]]:
    """Our ids of the live apps each user can use (assignment, group or consent), one read."""
    result: dict[int, list[int]] = {pk: [] for pk in user_pks}
    if not result:
        return result
    sql = USER_APPS.format(users=marks(list(result)), sources=marks(USER_SOURCES))
    params = [db_uuid(organization_id), *result, *(s.value for s in USER_SOURCES)]
    for r in await fetch(sql, params):
        result[int(r["user_pk"])].append(int(r["app"]))
    return result
