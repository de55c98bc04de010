"""Evidence behind verdicts: who consented to what, who used an app unassigned, what fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sync_core.app_facts import AppFacts, Window
from sync_core.store.insights.sql import NOT_ASSIGNED, as_datetime, per_app


@dataclass(frozen=True, slots=True)
class Sample:
    """A user named in evidence for one app."""

    app: int
    user_entra_id: str
    user_name: str | None


CONSENT_SCOPES = """
SELECT g.connection_id, g.client_entra_id AS entra_id, g.scopes,
  COUNT(DISTINCT g.principal_entra_id) AS users, MIN(g.first_seen_at) AS first_seen_at
FROM permission_grant g
LEFT JOIN directory_user u
  ON u.connection_id = g.connection_id AND u.entra_id = g.principal_entra_id
WHERE g.consent_type = 'Principal' AND g.removed_at IS NULL AND u.removed_at IS NULL
  AND g.connection_id IN ({connections}) {apps}
GROUP BY g.connection_id, g.client_entra_id, g.scopes"""

CONSENTERS = """
SELECT connection_id, entra_id, user_entra_id, user_name FROM (
  SELECT g.connection_id, g.client_entra_id AS entra_id, g.principal_entra_id AS user_entra_id,
    MAX(COALESCE(u.display_name, u.user_principal_name)) AS user_name,
    ROW_NUMBER() OVER (PARTITION BY g.connection_id, g.client_entra_id
                       ORDER BY MIN(g.first_seen_at), g.principal_entra_id) AS nth
  FROM permission_grant g
  LEFT JOIN directory_user u
    ON u.connection_id = g.connection_id AND u.entra_id = g.principal_entra_id
  WHERE g.consent_type = 'Principal' AND g.removed_at IS NULL AND u.removed_at IS NULL
    AND g.connection_id IN ({connections}) {apps}
  GROUP BY g.connection_id, g.client_entra_id, g.principal_entra_id
) ranked WHERE nth <= ?"""

# The first users (by first use in the window) who used each app without being assigned, and
# how many did (`users`, on each row): derive takes both from this one pass over the window's
# usage, the costliest of its statements, rather than counting in `facts.UNASSIGNED` again.
# Both over one window definition, so the rows are sorted once.
UNASSIGNED_USERS = """
SELECT connection_id, app_id, user_entra_id, user_name, users FROM (
  SELECT d.connection_id, d.app_id, d.user_entra_id,
    MAX(COALESCE(u.display_name, u.user_principal_name)) AS user_name,
    ROW_NUMBER() OVER first_use AS nth,
    COUNT(*) OVER (first_use ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS users
  FROM usage_daily d
  JOIN application a
    ON a.connection_id = d.connection_id AND a.app_id = d.app_id AND a.removed_at IS NULL
  LEFT JOIN directory_user u
    ON u.connection_id = d.connection_id AND u.entra_id = d.user_entra_id
  WHERE d.day >= ? AND d.day <= ? AND d.successes > 0
    AND u.removed_at IS NULL
    AND d.connection_id IN ({connections}) {apps}{not_assigned}
  GROUP BY d.connection_id, d.app_id, d.user_entra_id
  WINDOW first_use AS (PARTITION BY d.connection_id, d.app_id
                       ORDER BY MIN(d.day), d.user_entra_id)
) ranked WHERE nth <= ?""".replace("{not_assigned}", NOT_ASSIGNED)

FAILURES = """
SELECT e.connection_id, e.app_id, e.error_code, MAX(e.failure_reason) AS reason,
  COUNT(*) AS sign_ins
FROM sign_in_event e
WHERE e.error_code <> 0 AND e.occurred_at >= ? AND e.user_entra_id IS NOT NULL
  AND e.connection_id IN ({connections}) {apps}
GROUP BY e.connection_id, e.app_id, e.error_code"""


async def consent_scopes(
    *, apps: Sequence[AppFacts]
) -> dict[int, list[tuple[tuple[str, ...], int, dt.datetime]]]:
    """Per app: each distinct scope set users consented to, how many users, first consent."""
    result: dict[int, list] = {}
    for app, row in await per_app(
        CONSENT_SCOPES, apps, attr="entra_id", column="g.client_entra_id"
    ):
        scopes = tuple(sorted(set((row["scopes"] or "").split())))
        entry = (scopes, int(row["users"]), as_datetime(row["first_seen_at"]))
        result.setdefault(app.id, []).append(entry)
    return result


async def consenters(*, apps: Sequence[AppFacts], limit: int) -> list[Sample]:
    """The first users (by consent time) who consented to each app."""
    rows = await per_app(
        CONSENTERS, apps, attr="entra_id", column="g.client_entra_id", after=[limit]
    )
    return [Sample(app.id, row["user_entra_id"], row["user_name"]) for app, row in rows]


@dataclass(frozen=True, slots=True)
class Unassigned:
    """Users who used apps within a window without being assigned: how many per app, and the
    first few of each."""

    counts: dict[int, int]
    sample: list[Sample]


async def unassigned(*, apps: Sequence[AppFacts], window: Window, limit: int) -> Unassigned:
    """Per app, how many users used it within the window without an assignment (direct or by
    group), and the first `limit` of them by first use."""
    rows = await per_app(
        UNASSIGNED_USERS,
        apps,
        attr="app_id",
        column="d.app_id",
        params=[window.start, window.end],
        after=[limit],
    )
    return Unassigned(
        counts={app.id: int(row["users"]) for app, row in rows},
        sample=[Sample(app.id, row["user_entra_id"], row["user_name"]) for app, row in rows],
    )


async def unassigned_users(*, apps: Sequence[AppFacts], window: Window, limit: int) -> list[Sample]:
    """The first users who used each app within the window without an assignment."""
    return (await unassigned(apps=apps, window=window, limit=limit)).sample


async def failures(
    *, apps: Sequence[AppFacts], since: dt.datetime
) -> dict[int, list[tuple[int, str | None, int]]]:
    """Per app: failed sign-ins since a time by error code, from the raw events kept."""
    result: dict[int, list] = {}
    for app, row in await per_app(FAILURES, apps, attr="app_id", column="e.app_id", params=[since]):
        entry = (int(row["error_code"]), row["reason"], int(row["sign_ins"]))
        result.setdefault(app.id, []).append(entry)
    return result
