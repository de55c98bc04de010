"""An app's users, a page at a time, merged from its direct rows and each assigned group's
members: every live user once, in Entra id order, whatever the page size (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest

from sync_core import records
from sync_core.store import access, connections, groups, inventory, models, organizations
from sync_core.store.app_users import app_users_pages

SEEN = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
DIRECT = ("u1", "u5")
GROUPS = {"g-a": ("u0", "u2", "u5", "u7"), "g-b": ("u3", "u5", "u8", "u9")}
# u7 left the directory; u9 is a member the users delta never reported (no user row).
LIVE = ["u0", "u1", "u2", "u3", "u5", "u8"]


async def _app() -> tuple:
    org, _ = await organizations.create_organization(name="Pages")
    conn = await connections.add_connection(
        organization_id=org.id, tenant_id="dddddddd-0000-0000-0000-000000000004"
    )
    users = [records.User(f"u{i}", f"User {i}") for i in range(9)]
    await inventory.upsert_users(connection_id=conn.id, users=users, seen_at=SEEN)
    app = records.App("sp-x", "app-x", "X", "vendor", "Application")
    await inventory.upsert_apps(connection_id=conn.id, apps=[app], seen_at=SEEN)
    assignments = [records.Assignment(f"as-{u}", "sp-x", u, "User") for u in DIRECT]
    assignments += [records.Assignment(f"as-{g}", "sp-x", g, "Group") for g in GROUPS]
    await access.upsert_assignments(connection_id=conn.id, assignments=assignments, seen_at=SEEN)
    grants = [records.Grant("gr-1", "sp-x", "graph", "Principal", "u1", ("User.Read",))]
    await access.upsert_grants(connection_id=conn.id, grants=grants, seen_at=SEEN)
    members = [(g, u) for g, users_ in GROUPS.items() for u in users_]
    await groups.upsert_members(connection_id=conn.id, members=members, seen_at=SEEN)
    await models.DirectoryUser.filter(connection_id=conn.id, entra_id="u7").update(removed_at=SEEN)
    stored = await models.Application.get(connection_id=conn.id, entra_id="sp-x")
    return org.id, stored.id


@pytest.mark.parametrize("first", [1, 2, 4, 100])
async def test_pages_walk_every_live_user_once_in_order(store, first):
    org, app = await _app()
    seen, after, sources = [], None, {}
    while True:
        page = (
            await app_users_pages(organization_id=org, app_pks=[app], first=first, after=after)
        )[app]
        seen += [u.user.entra_id for u in page.items]
        sources |= {u.user.entra_id: u.sources for u in page.items}
        assert len(page.items) == min(first, len(LIVE) - len(seen) + len(page.items))
        if not page.has_next:
            break
        after = page.keys[-1]
    assert seen == LIVE
    assert [s.value for s in sources["u1"]] == ["assignment", "consent"]
    assert [s.value for s in sources["u5"]] == ["assignment", "group_assignment"]
