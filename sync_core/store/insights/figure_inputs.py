"""The set-based reads derive runs over one tenant to compute the figures it stores.

Each is one grouped statement over the tenant (a few more for exact last-use times), never one
per app or per user; rows come back already counted, so a tenant's seats (millions at 100k
users) are judged in the database rather than turned into Python objects.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sync_core.store.insights.sql import (
    LISTED_APPS,
    as_datetime_required,
    db_uuid,
    fetch,
    marks,
)

# One seat per user and app, assigned directly or through a group, while still in the
# directory; its start as in insight_usage.SEATS (`group_access.starts_at`: a group member's is
# the group's assignment, unless we saw the member join later). State: 1 used within the seat
# window, 2 too new to tell (started within it), 0 inactive. Counted per app and department,
# plus the first few inactive users of each app by name (UNION ALL: one pass over the
# materialized seats). Access is read from the chosen apps (a derive slice) through the
# access index, then members from their (few) group assignments through the membership index
# (CROSS JOIN keeps that order on SQLite: from the tenant's whole access, a slice cost a pass
# over every seat), and use is an EXISTS on the rollup's unique index: joined the other way
# round, SQLite scanned the window's usage once per seat. Group members are the `group_access`
# view's rows without its check that the member has not left: seats keep only users still in
# the directory anyway, and that check was a lookup per member (most of this statement's time).
SEATS = """
WITH chosen AS MATERIALIZED (
  SELECT a.id, a.app_id, a.entra_id FROM application a
  WHERE a.connection_id = ? AND a.removed_at IS NULL {apps}
),
access AS (
  SELECT c.id AS app, c.app_id, x.principal_entra_id, x.granted_at
  FROM chosen c CROSS JOIN app_access x
  WHERE x.connection_id = ? AND x.app_entra_id = c.entra_id AND x.source = 'assignment'
    AND x.principal_type = 'User' AND x.removed_at IS NULL
  UNION ALL
  SELECT c.id, c.app_id, m.member_entra_id,
    CASE WHEN m.first_seen_at > g.first_seen_at THEN m.first_seen_at ELSE g.granted_at END
  FROM chosen c CROSS JOIN app_access g CROSS JOIN group_member m
  WHERE g.connection_id = ? AND g.app_entra_id = c.entra_id AND g.source = 'assignment'
    AND g.principal_type = 'Group' AND g.removed_at IS NULL
    AND m.connection_id = g.connection_id AND m.group_entra_id = g.principal_entra_id
    AND m.removed_at IS NULL
),
seat AS MATERIALIZED (
  SELECT s.app, u.department, s.user_entra_id,
    COALESCE(u.display_name, u.user_principal_name) AS user_name,
    CASE WHEN EXISTS (
        SELECT 1 FROM usage_daily d
        WHERE d.connection_id = ? AND d.app_id = s.app_id AND d.user_entra_id = s.user_entra_id
          AND d.day >= ? AND d.day <= ? AND d.successes > 0) THEN 1
      WHEN s.granted_at >= ? THEN 2 ELSE 0 END AS state
  FROM (
    SELECT z.app, z.app_id, z.principal_entra_id AS user_entra_id,
      MIN(z.granted_at) AS granted_at
    FROM access z
    GROUP BY z.app, z.app_id, z.principal_entra_id
  ) s
  LEFT JOIN directory_user u ON u.connection_id = ? AND u.entra_id = s.user_entra_id
  WHERE u.removed_at IS NULL
)
SELECT app, department, NULL AS user_entra_id, NULL AS user_name, COUNT(*) AS seats,
  SUM(CASE WHEN state = 1 THEN 1 ELSE 0 END) AS active,
  SUM(CASE WHEN state = 2 THEN 1 ELSE 0 END) AS grace
FROM seat GROUP BY app, department
UNION ALL
SELECT app, NULL, user_entra_id, user_name, NULL, NULL, NULL FROM (
  SELECT app, user_entra_id, user_name,
    ROW_NUMBER() OVER (PARTITION BY app ORDER BY user_name, user_entra_id) AS nth
  FROM seat WHERE state = 0
) idle WHERE nth <= ?"""

# The exact time of each app's last successful use on one day (raw sign-ins, while kept).
LAST_USE = """
SELECT e.app_id, MAX(e.occurred_at) AS last_used_at FROM sign_in_event e
WHERE e.connection_id = ? AND e.error_code = 0 AND e.user_entra_id IS NOT NULL
  AND e.occurred_at >= ? AND e.occurred_at < ? AND e.app_id IN ({apps})
GROUP BY e.app_id"""

# Users of each set of apps within a window: how many, and how many used more than one of the
# set's apps. All sets in one statement, each app's rollup rows reached through the unique
# (connection, app) index: the set is listed first (CROSS JOIN keeps that order on SQLite), as
# by itself SQLite read the tenant's whole rollup through the by-user index, once per set.
SHARED_USERS = """
WITH member(n, app_id) AS (VALUES {members})
SELECT p.n, COUNT(*) AS users_total, SUM(CASE WHEN p.apps > 1 THEN 1 ELSE 0 END)
  AS users_in_several
FROM (
  SELECT c.n, d.user_entra_id, COUNT(DISTINCT d.app_id) AS apps
  FROM member c CROSS JOIN usage_daily d
  WHERE d.connection_id = ? AND d.app_id = c.app_id AND d.day >= ? AND d.day <= ?
    AND d.successes > 0
  GROUP BY c.n, d.user_entra_id
) p
GROUP BY p.n"""


# The apps derive covers: every app of the tenant, removed ones too, managed identities not
# (as `facts.APP_SCOPE`).
DERIVED_APPS = """
SELECT a.id FROM application a
WHERE a.connection_id = ? AND COALESCE(a.principal_type, '') <> 'ManagedIdentity'
ORDER BY a.id"""


async def derived_app_ids(*, connection_id: uuid.UUID) -> list[int]:
    """Our ids of the apps derive computes figures for, in id order."""
    return [int(r["id"]) for r in await fetch(DERIVED_APPS, [db_uuid(connection_id)])]


@dataclass(frozen=True, slots=True)
class SeatCount:
    """Seats of one app in one department, by state."""

    app: int
    department: str | None
    seats: int
    active: int
    grace: int

    @property
    def inactive(self) -> int:
        return self.seats - self.active - self.grace


@dataclass(frozen=True, slots=True)
class SeatFigures:
    """A tenant's seat counts per app and department, and each app's first inactive users."""

    counts: list[SeatCount]
    idle: dict[int, list[tuple[str, str | None]]]  # app: [(entra id, name)], by name


async def seat_figures(
    *,
    connection_id: uuid.UUID,
    start: dt.date,
    today: dt.date,
    sample: int,
    app_ids: Sequence[int] | None = None,
) -> SeatFigures:
    """Seats of a tenant's live apps (or of `app_ids`) judged for a window starting on `start`."""
    conn = db_uuid(connection_id)
    apps, ids = "", []
    if app_ids is not None:
        apps, ids = f"AND a.id IN ({marks(app_ids) or 'NULL'})", list(app_ids)
    midnight = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    params = [conn, *ids, conn, conn, conn, start, today, midnight, conn, sample]
    counts, idle = [], defaultdict(list)
    for row in await fetch(SEATS.format(apps=apps), params):
        if row["seats"] is None:
            idle[int(row["app"])].append((row["user_entra_id"], row["user_name"]))
            continue
        counts.append(
            SeatCount(
                app=int(row["app"]),
                department=row["department"],
                seats=int(row["seats"]),
                active=int(row["active"] or 0),
                grace=int(row["grace"] or 0),
            )
        )
    return SeatFigures(counts, dict(idle))


async def last_use_times(
    *, connection_id: uuid.UUID, last_days: dict[str, dt.date]
) -> dict[str, dt.datetime]:
    """The exact time of each app's (by appId) last successful use, on its last day of use."""
    by_day: dict[dt.date, list[str]] = defaultdict(list)
    for app_id, day in last_days.items():
        by_day[day].append(app_id)
    found: dict[str, dt.datetime] = {}
    for day, app_ids in sorted(by_day.items()):
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        params = [db_uuid(connection_id), start, start + dt.timedelta(days=1), *app_ids]
        for row in await fetch(LAST_USE.format(apps=marks(app_ids)), params):
            found[row["app_id"]] = as_datetime_required(row["last_used_at"])
    return found


async def shared_users(
    *, connection_id: uuid.UUID, app_sets: Sequence[Sequence[str]], start: dt.date, end: dt.date
) -> list[tuple[int, int]]:
    """Per set of apps (by appId): (users of any of them, users of more than one) with a
    successful sign-in in a window, in the order of `app_sets`."""
    found: dict[int, tuple[int, int]] = {}
    for batch in _batches(app_sets):
        members = [(n, app_id) for n in batch for app_id in sorted(set(app_sets[n]))]
        if not members:
            continue
        values = ", ".join("(CAST(? AS INTEGER), ?)" for _ in members)
        params: list[object] = [v for member in members for v in member]
        params += [db_uuid(connection_id), start, end]
        for row in await fetch(SHARED_USERS.format(members=values), params):
            found[int(row["n"])] = (int(row["users_total"]), int(row["users_in_several"] or 0))
    return [found.get(n, (0, 0)) for n in range(len(app_sets))]


def _batches(app_sets: Sequence[Sequence[str]]) -> list[list[int]]:
    """Indexes of the sets, grouped so that a statement names at most LISTED_APPS apps (both
    backends cap bound parameters near 32k)."""
    batches: list[list[int]] = [[]]
    size = 0
    for n, apps in enumerate(app_sets):
        if batches[-1] and size + len(apps) > LISTED_APPS:
            batches.append([])
            size = 0
        batches[-1].append(n)
        size += len(apps)
    return batches
