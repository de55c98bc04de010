"""The delegated grants each app of a page holds, with who consented, as keyset pages.

For DataLoaders: two statements whatever the number of apps or the page size. The first
resolves the apps within the caller's organization and counts their live grants; the second
takes, for each app, the next grants after the cursor from the (connection, client) index, then
their consenting users. Admin consent (`AllPrincipals`) sorts before user consents (`Principal`),
then by the grant's Entra id. A popular app holds a grant per consenting user (tens of
thousands in a large tenant), so pages replace the whole list the field used to return.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync_core.records import StoredUser
from sync_core.store.app_access import AppGrant
from sync_core.store.app_users import user_of
from sync_core.store.insights.sql import as_datetime_required, db_uuid, fetch, marks
from sync_core.store.paging import MAX_PAGE, Page

APPS = """
SELECT a.id, a.connection_id, a.entra_id,
  (SELECT COUNT(*) FROM permission_grant g
   WHERE g.connection_id = a.connection_id AND g.client_entra_id = a.entra_id
     AND g.removed_at IS NULL) AS total
FROM application a
JOIN connection c ON c.id = a.connection_id
WHERE c.organization_id = ? AND a.id IN ({ids})"""
# One app's next grants after the cursor (a page's worth of index rows).
NEXT = """SELECT * FROM (
  SELECT CAST(? AS BIGINT) AS app, g.id AS grant_pk, g.consent_type, g.entra_id
  FROM permission_grant g
  WHERE g.connection_id = ? AND g.client_entra_id = ? AND g.removed_at IS NULL {after}
  ORDER BY g.consent_type, g.entra_id LIMIT ?
) p{n}"""
AFTER = "AND (g.consent_type > ? OR (g.consent_type = ? AND g.entra_id > ?))"
ROWS = """WITH picked AS ({picked})
SELECT p.app, g.consent_type, g.entra_id AS grant_entra_id, g.scopes, g.first_seen_at,
  u.id AS user_pk, u.connection_id, u.entra_id, u.display_name, u.mail, u.user_principal_name,
  u.job_title, u.department, u.account_enabled, u.last_sign_in_at,
  u.last_successful_sign_in_at, u.first_seen_at AS user_first_seen_at, u.removed_at
FROM picked p
JOIN permission_grant g ON g.id = p.grant_pk
LEFT JOIN directory_user u
  ON u.connection_id = g.connection_id AND u.entra_id = g.principal_entra_id
ORDER BY p.app, g.consent_type, g.entra_id"""


def _user(row: dict[str, Any]) -> StoredUser | None:
    if row["user_pk"] is None:
        return None
    return user_of(row, entra_id="entra_id", first_seen="user_first_seen_at")


def _picked(apps: list[dict[str, Any]], first: int, after: tuple | None) -> tuple[str, list]:
    parts, params = [], []
    for n, app in enumerate(apps):
        parts.append(NEXT.format(after=AFTER if after else "", n=n))
        cut = [after[0], after[0], after[1]] if after else []
        params += [int(app["id"]), app["connection_id"], app["entra_id"], *cut, first + 1]
    return " UNION ALL ".join(parts), params


async def app_grants_pages(
    *, organization_id: uuid.UUID, app_pks: Sequence[int], first: int, after: tuple | None = None
) -> dict[int, Page[AppGrant]]:
    """Live grants of each app after the cursor (consent type, grant id); other
    organizations' apps get an empty page."""
    pks, first = sorted(set(app_pks)), max(0, min(first, MAX_PAGE))
    pages = {pk: Page[AppGrant](items=[], keys=[], total=0, has_next=False) for pk in pks}
    if not pks:
        return pages
    apps = await fetch(APPS.format(ids=marks(pks)), [db_uuid(organization_id), *pks])
    if not apps:
        return pages
    picked, params = _picked(apps, first, after)
    found: dict[int, list[tuple[tuple, AppGrant]]] = defaultdict(list)
    for row in await fetch(ROWS.format(picked=picked), params):
        grant = AppGrant(
            consent_type=row["consent_type"],
            scopes=tuple((row["scopes"] or "").split()),
            consented_by=_user(row),
            first_seen_at=as_datetime_required(row["first_seen_at"]),
        )
        found[int(row["app"])].append(((row["consent_type"], row["grant_entra_id"]), grant))
    for app in apps:
        pk, listed = int(app["id"]), found[int(app["id"])]
        pages[pk] = Page(
            items=[grant for _, grant in listed[:first]],
            keys=[key for key, _ in listed[:first]],
            total=int(app["total"]),
            has_next=len(listed) > first,
        )
    return pages


@dataclass(frozen=True, slots=True)
class ScopeConsent:
    """One live grant, reduced to what a summary of scopes needs."""

    consent_type: str
    scopes: tuple[str, ...]
    user_entra_id: str | None  # the consenting user, when the directory knows them


SCOPES = """
SELECT g.consent_type, g.scopes, u.entra_id AS user_entra_id
FROM application a
JOIN connection c ON c.id = a.connection_id
JOIN permission_grant g ON g.connection_id = a.connection_id AND g.client_entra_id = a.entra_id
LEFT JOIN directory_user u
  ON u.connection_id = g.connection_id AND u.entra_id = g.principal_entra_id
WHERE c.organization_id = ? AND a.id = ? AND g.removed_at IS NULL"""


async def scope_consents(*, organization_id: uuid.UUID, app_pk: int) -> list[ScopeConsent]:
    """Every live grant of one app as (consent type, scopes, user): one statement and plain
    tuples, as a popular app holds a grant per consenting user."""
    rows = await fetch(SCOPES, [db_uuid(organization_id), app_pk])
    return [
        ScopeConsent(r["consent_type"], tuple((r["scopes"] or "").split()), r["user_entra_id"])
        for r in rows
    ]
