"""Direct group membership (users only), as the groups delta reports it.

One row per group and member, whatever the number of apps the group is assigned to: access
through a group is that group's assignment joined to these rows (the `group_access` view).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sync_core import records
from sync_core.store import models
from sync_core.store.insights.sql import db_uuid, fetch
from sync_core.store.inventory import upsert_rows

MEMBER_KEYS = ("group_entra_id", "member_entra_id")

Membership = tuple[str, str]  # (group Entra id, member Entra id)


async def upsert_members(
    *, connection_id: uuid.UUID, members: Iterable[Membership], seen_at: dt.datetime
) -> records.UpsertCounts:
    """Store memberships as seen now; one that had been removed is live again."""
    rows: dict[tuple, dict] = {pair: {} for pair in members}
    return await upsert_rows(
        models.GroupMember,
        connection_id=connection_id,
        keys=MEMBER_KEYS,
        rows=rows,
        update_fields=(),
        seen_at=seen_at,
    )


def _by_group(members: Iterable[Membership]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for group, member in members:
        grouped[group].append(member)
    return grouped


async def remove_members(
    *, connection_id: uuid.UUID, members: Iterable[Membership], removed_at: dt.datetime
) -> int:
    """Soft-delete memberships the delta reported removed; returns how many were live."""
    removed = 0
    for group, users in _by_group(members).items():
        removed += await models.GroupMember.filter(
            connection_id=connection_id,
            group_entra_id=group,
            member_entra_id__in=users,
            removed_at=None,
        ).update(removed_at=removed_at)
    return removed


async def remove_groups(
    *, connection_id: uuid.UUID, group_entra_ids: Sequence[str], removed_at: dt.datetime
) -> int:
    """A group was deleted: every membership of it goes."""
    if not group_entra_ids:
        return 0
    return await models.GroupMember.filter(
        connection_id=connection_id, group_entra_id__in=list(group_entra_ids), removed_at=None
    ).update(removed_at=removed_at)


async def remove_unseen_members(
    *, connection_id: uuid.UUID, round_started_at: dt.datetime, removed_at: dt.datetime
) -> int:
    """After a complete full round: memberships it did not report are gone."""
    return await models.GroupMember.filter(
        connection_id=connection_id, last_seen_at__lt=round_started_at, removed_at=None
    ).update(removed_at=removed_at)


async def live_members(*, connection_id: uuid.UUID) -> set[Membership]:
    """Every live membership of a tenant (for checks and tests; tenants read them by join)."""
    rows = await models.GroupMember.filter(
        connection_id=connection_id, removed_at=None
    ).values_list("group_entra_id", "member_entra_id")
    return {(group, member) for group, member in rows}


# Live users with access to each app by assignment: directly, or through an assigned group.
ASSIGNED_USERS = """
SELECT app_entra_id, principal_entra_id FROM app_access
WHERE connection_id = ? AND source = 'assignment' AND principal_type = 'User'
  AND removed_at IS NULL
UNION
SELECT app_entra_id, principal_entra_id FROM group_access WHERE connection_id = ?"""


async def assigned_users(*, connection_id: uuid.UUID) -> dict[str, set[str]]:
    """{app Entra id: users assigned to it directly or through a group} (checks, benchmarks)."""
    conn = db_uuid(connection_id)
    found: dict[str, set[str]] = defaultdict(set)
    for row in await fetch(ASSIGNED_USERS, [conn, conn]):
        found[row["app_entra_id"]].add(row["principal_entra_id"])
    return dict(found)


ASSIGNED_COUNTS = (
    """
SELECT x.app_entra_id, COUNT(DISTINCT x.principal_entra_id) AS n FROM (
"""
    + ASSIGNED_USERS
    + """
) x
JOIN directory_user u ON u.connection_id = ? AND u.entra_id = x.principal_entra_id
WHERE u.removed_at IS NULL
GROUP BY x.app_entra_id"""
)


async def assigned_user_counts(*, connection_id: uuid.UUID) -> dict[str, int]:
    """{app Entra id: live users assigned directly or through a group}, counted in the database."""
    conn = db_uuid(connection_id)
    rows = await fetch(ASSIGNED_COUNTS, [conn, conn, conn])
    return {row["app_entra_id"]: int(row["n"]) for row in rows if row["n"]}
