"""The apps each user of a page can use: keyset pages by app name, one statement per batch.

A user reaches an app by direct assignment or consent (one `app_access` row each) or through a
group assigned to it (the user's memberships joined to the groups' assignments). The page is
the user's apps by (stored sort name, id), the same order as the organization's apps list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sync_core.store.app_access import STORED_SOURCES
from sync_core.store.insights.sql import db_uuid, fetch, marks
from sync_core.store.paging import MAX_PAGE, Page

# The users are materialized first: joined from `connection`, SQLite (without statistics)
# scanned every access row of the tenant. Group access goes from the user's memberships to the
# groups' assignments (both through their indexes; CROSS JOIN keeps that order on SQLite), not
# through the `group_access` view: SQLite built the whole view (a row per app and member,
# millions at 100k users) for it. Apps without stored figures (before the first derive) are
# not listed, as in the apps list.
LINKS = """
WITH users AS MATERIALIZED (
  SELECT u.id, u.connection_id, u.entra_id, u.removed_at
  FROM directory_user u JOIN connection c ON c.id = u.connection_id
  WHERE c.organization_id = ? AND u.id IN ({users})
),
links AS (
  SELECT u.id AS user_pk, x.connection_id, x.app_entra_id
  FROM users u
  JOIN app_access x ON x.connection_id = u.connection_id AND x.principal_entra_id = u.entra_id
  WHERE x.principal_type = 'User' AND x.source IN ({sources}) AND x.removed_at IS NULL
  UNION
  SELECT u.id AS user_pk, g.connection_id, g.app_entra_id
  FROM users u
  CROSS JOIN group_member m
  CROSS JOIN app_access g
  WHERE m.connection_id = u.connection_id AND m.member_entra_id = u.entra_id
    AND g.connection_id = m.connection_id AND g.principal_entra_id = m.group_entra_id
    AND u.removed_at IS NULL AND m.removed_at IS NULL AND g.source = 'assignment'
    AND g.principal_type = 'Group' AND g.removed_at IS NULL
),
apps AS (
  SELECT l.user_pk, a.id AS app, f.sort_name
  FROM links l
  JOIN application a ON a.connection_id = l.connection_id AND a.entra_id = l.app_entra_id
  JOIN app_figures f ON f.application_id = a.id
  WHERE a.removed_at IS NULL
)"""
# Each user's total, and next `first + 1` apps after the cursor, numbered in the database so
# that a user with hundreds of apps sends back one page of them, in one pass over the links:
# `later` marks the apps after the cursor (all of them without one), and each user's first app
# comes back in any case, to carry the total of a user whose page is empty.
PAGES = """,
marked AS (
  SELECT user_pk, app, sort_name, {later} AS later FROM apps
),
ranked AS (
  SELECT user_pk, app, sort_name, later,
    COUNT(*) OVER (PARTITION BY user_pk) AS total,
    ROW_NUMBER() OVER (PARTITION BY user_pk ORDER BY sort_name, app) AS nth,
    SUM(later) OVER (PARTITION BY user_pk ORDER BY sort_name, app ROWS UNBOUNDED PRECEDING)
      AS nth_later
  FROM marked
)
SELECT user_pk, app, sort_name, later, total FROM ranked
WHERE nth = 1 OR (later = 1 AND nth_later <= ?)
ORDER BY user_pk, nth"""


async def user_apps_pages(
    *,
    organization_id: uuid.UUID,
    user_pks: Sequence[int],
    first: int,
    after: tuple[str, int] | None = None,
) -> dict[int, Page[int]]:
    """Our ids of each user's live apps, a page by (sort name, id) after `after`; users of
    other organizations get an empty page."""
    first = max(0, min(first, MAX_PAGE))
    pks = sorted(set(user_pks))
    found: dict[int, list[tuple[str, int]]] = {pk: [] for pk in pks}
    if not pks:
        return {}
    sources = [s.value for s in STORED_SOURCES]
    later = "CASE WHEN (sort_name, app) > (?, ?) THEN 1 ELSE 0 END" if after else "1"
    sql = (LINKS + PAGES).format(users=marks(pks), sources=marks(sources), later=later)
    params = [db_uuid(organization_id), *pks, *sources, *(after or ()), first + 1]
    totals: dict[int, int] = {}
    for row in await fetch(sql, params):
        user = int(row["user_pk"])
        totals[user] = int(row["total"])
        if int(row["later"]):
            found[user].append((row["sort_name"], int(row["app"])))
    return {
        pk: Page(
            items=[app for _, app in keys[:first]],
            keys=keys[:first],
            total=totals.get(pk, 0),
            has_next=len(keys) > first,
        )
        for pk, keys in found.items()
    }
