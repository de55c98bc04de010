"""Who has access to each app of a page: keyset pages that read about as many rows as they return.

For DataLoaders: three statements whatever the number of apps or the page size. The first
resolves the apps within the caller's organization with their totals (counted by derive,
`app_figures.access_users`), the second their assigned groups; the third takes, for each app,
the next users after the cursor from the `app_access` unique index (connection, app, user,
source) in its own order and from each assigned group's members in the membership index's
order, then their sources, user rows and last use.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sync_core.records import AccessSource, StoredUser
from sync_core.store.app_access import STORED_SOURCES, AppUser
from sync_core.store.insights.sql import (
    as_bool,
    as_date,
    as_datetime,
    as_datetime_required,
    as_uuid,
    db_uuid,
    fetch,
    marks,
)
from sync_core.store.paging import MAX_PAGE, Page

APPS = """
SELECT a.id, a.connection_id, a.entra_id, COALESCE(f.access_users, 0) AS total
FROM application a
JOIN connection c ON c.id = a.connection_id
LEFT JOIN app_figures f ON f.application_id = a.id
WHERE c.organization_id = ? AND a.id IN ({ids})"""
# The groups assigned to each app of the page (their members reach the app).
GROUPS = """
SELECT a.id AS app, g.principal_entra_id AS grp
FROM application a CROSS JOIN app_access g
WHERE a.id IN ({ids}) AND g.connection_id = a.connection_id AND g.app_entra_id = a.entra_id
  AND g.principal_type = 'Group' AND g.source = 'assignment' AND g.removed_at IS NULL
ORDER BY a.id, g.principal_entra_id"""
# One app's next users after the cursor, merged from sides that each stop at the page size:
# the app's direct rows (assignments and consents) in the access index's order, and each
# assigned group's members in the membership index's order, each checked against the user
# index (still in the directory) as it goes. The first `first + 1` users of the union are
# among the first of each side. Merged before the cut, an app assigned to a 97k-member group
# had all of its members deduplicated and sorted for every page (SQLite: 2 s for 50 apps). A
# user has at most two direct rows (assignment, consent), hence twice the page there.
DIRECT = """SELECT * FROM (
    SELECT x.principal_entra_id FROM app_access x CROSS JOIN directory_user u
    WHERE x.connection_id = ? AND x.app_entra_id = ? AND x.principal_type = 'User'
      AND x.source IN ({sources}) AND x.removed_at IS NULL
      AND u.connection_id = x.connection_id AND u.entra_id = x.principal_entra_id
      AND u.removed_at IS NULL {after}
    ORDER BY x.principal_entra_id LIMIT ?
  ) d{n}"""
MEMBERS = """SELECT * FROM (
    SELECT m.member_entra_id FROM group_member m CROSS JOIN directory_user u
    WHERE m.connection_id = ? AND m.group_entra_id = ? AND m.removed_at IS NULL
      AND u.connection_id = m.connection_id AND u.entra_id = m.member_entra_id
      AND u.removed_at IS NULL {after}
    ORDER BY m.member_entra_id LIMIT ?
  ) g{n}_{k}"""
NEXT = """SELECT * FROM (
  SELECT DISTINCT CAST(? AS BIGINT) AS app, y.principal_entra_id FROM (
  {sides}
  ) y
  ORDER BY y.principal_entra_id LIMIT ?
) p{n}"""
ROWS = """WITH picked AS ({picked}),
held AS (
  SELECT p.app, p.principal_entra_id, x.source FROM picked p
  JOIN application a ON a.id = p.app
  JOIN app_access x ON x.connection_id = a.connection_id AND x.app_entra_id = a.entra_id
    AND x.principal_entra_id = p.principal_entra_id
  WHERE x.principal_type = 'User' AND x.source IN ({sources}) AND x.removed_at IS NULL
  UNION
  SELECT p.app, p.principal_entra_id, 'group_assignment' AS source FROM picked p
  JOIN application a ON a.id = p.app
  CROSS JOIN app_access g CROSS JOIN group_member m
  WHERE g.connection_id = a.connection_id AND g.app_entra_id = a.entra_id
    AND g.principal_type = 'Group' AND g.source = 'assignment' AND g.removed_at IS NULL
    AND m.connection_id = g.connection_id AND m.group_entra_id = g.principal_entra_id
    AND m.member_entra_id = p.principal_entra_id AND m.removed_at IS NULL
)
SELECT h.app, h.principal_entra_id, h.source, u.id AS user_pk, u.connection_id, u.display_name,
  u.mail, u.user_principal_name, u.job_title, u.department, u.account_enabled,
  u.last_sign_in_at, u.last_successful_sign_in_at, u.first_seen_at, u.removed_at,
  (SELECT MAX(d.day) FROM usage_daily d
   WHERE d.connection_id = a.connection_id AND d.app_id = a.app_id
     AND d.user_entra_id = h.principal_entra_id AND d.successes > 0) AS last_used_on
FROM held h
JOIN application a ON a.id = h.app
JOIN directory_user u ON u.connection_id = a.connection_id AND u.entra_id = h.principal_entra_id
ORDER BY h.app, h.principal_entra_id"""


def user_of(row: dict[str, Any], *, entra_id: str, first_seen: str) -> StoredUser:
    """A user read by raw SQL (`user_pk` and the user's columns; the Entra id and first-seen
    columns under the names given, as joins rename them)."""
    return StoredUser(
        id=int(row["user_pk"]),
        connection_id=as_uuid(row["connection_id"]),
        entra_id=row[entra_id],
        display_name=row["display_name"],
        mail=row["mail"],
        user_principal_name=row["user_principal_name"],
        job_title=row["job_title"],
        department=row["department"],
        account_enabled=as_bool(row["account_enabled"]),
        last_sign_in_at=as_datetime(row["last_sign_in_at"]),
        last_successful_sign_in_at=as_datetime(row["last_successful_sign_in_at"]),
        first_seen_at=as_datetime_required(row[first_seen]),
        removed_at=as_datetime(row["removed_at"]),
    )


def _picked(
    apps: list[dict[str, Any]], groups: dict[int, list[str]], first: int, after: tuple | None
) -> tuple[str, list]:
    sources = [s.value for s in STORED_SOURCES]
    cursor, size = list(after[:1]) if after else [], first + 1
    parts, params = [], []
    for n, app in enumerate(apps):
        pk, conn, entra = int(app["id"]), app["connection_id"], app["entra_id"]
        cut = "AND x.principal_entra_id > ?" if after else ""
        sides = [DIRECT.format(sources=marks(sources), after=cut, n=n)]
        side_params = [conn, entra, *sources, *cursor, 2 * size]
        for k, group in enumerate(groups.get(pk, [])):
            cut = "AND m.member_entra_id > ?" if after else ""
            sides.append(MEMBERS.format(after=cut, n=n, k=k))
            side_params += [conn, group, *cursor, size]
        parts.append(NEXT.format(sides="\n  UNION\n  ".join(sides), n=n))
        params += [pk, *side_params, size]
    return " UNION ALL ".join(parts), params


async def _groups(apps: list[dict[str, Any]]) -> dict[int, list[str]]:
    """The groups assigned to each app (the apps already scoped to the caller)."""
    ids = [int(a["id"]) for a in apps]
    found: dict[int, list[str]] = defaultdict(list)
    for row in await fetch(GROUPS.format(ids=marks(ids)), ids):
        found[int(row["app"])].append(row["grp"])
    return found


async def app_users_pages(
    *, organization_id: uuid.UUID, app_pks: Sequence[int], first: int, after: tuple | None = None
) -> dict[int, Page[AppUser]]:
    """Live users with access to each app, by Entra id (stable keyset); other organizations'
    apps get an empty page."""
    pks, first = sorted(set(app_pks)), max(0, min(first, MAX_PAGE))
    pages = {pk: Page[AppUser](items=[], keys=[], total=0, has_next=False) for pk in pks}
    if not pks:
        return pages
    apps = await fetch(APPS.format(ids=marks(pks)), [db_uuid(organization_id), *pks])
    if not apps:
        return pages
    picked, params = _picked(apps, await _groups(apps), first, after)
    sources = [s.value for s in STORED_SOURCES]
    rows = await fetch(ROWS.format(picked=picked, sources=marks(sources)), [*params, *sources])
    found: dict[int, dict[str, AppUser]] = defaultdict(dict)
    for row in rows:
        app, entra_id = int(row["app"]), row["principal_entra_id"]
        earlier = found[app].get(entra_id)
        sources_of = {*(earlier.sources if earlier else ()), AccessSource(row["source"])}
        found[app][entra_id] = AppUser(
            user=user_of(row, entra_id="principal_entra_id", first_seen="first_seen_at"),
            sources=tuple(sorted(sources_of)),
            last_used_on=as_date(row["last_used_on"]),
        )
    for app_row in apps:
        pk, listed = int(app_row["id"]), list(found[int(app_row["id"])].values())
        pages[pk] = Page(
            items=listed[:first],
            keys=[(u.user.entra_id,) for u in listed[:first]],
            total=int(app_row["total"]),
            has_next=len(listed) > first,
        )
    return pages
