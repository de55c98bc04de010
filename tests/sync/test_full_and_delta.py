"""Whole syncs against the sandbox tenant: equal to its ground truth, first and after churn."""

from __future__ import annotations

import asyncio

from sync_core import mapping
from sync_core.records import EntityStatus, SyncMode, SyncStatus
from sync_core.store import activity, groups, models


async def _assigned_users_per_app(connection_id) -> dict[str, int]:
    """Live users per app, assigned directly or through a group (assignment x membership)."""
    live = set(
        await models.DirectoryUser.filter(connection_id=connection_id, removed_at=None).values_list(
            "entra_id", flat=True
        )
    )
    per_app = await groups.assigned_users(connection_id=connection_id)
    return {app: n for app, users in per_app.items() if (n := len(users & live))}


async def _assert_equal_to_truth(tenant) -> None:
    truth = await tenant.truth()
    stored = await tenant.stored()
    assert stored["users"] == truth["users"]
    assert stored["apps"] == truth["service_principals"]["total"]
    assert stored["grants"] == truth["delegated_grants"]["total"]
    assert stored["user_consents"] == truth["delegated_grants"]["principal"]
    assert stored["sign_ins"] == truth["sign_ins"]
    assigned = await _assigned_users_per_app(tenant.connection_id)
    expected = {
        a["servicePrincipalId"]: a["assigned_users"]
        for a in truth["apps"]
        if a["assigned_users"] and a["kind"] in ("third_party", "tenant_own")
    }
    assert assigned == expected
    consented = await _consented_users_per_app(tenant.connection_id)
    assert consented == {
        a["servicePrincipalId"]: a["consented_users"] for a in truth["apps"] if a["consented_users"]
    }
    # Group membership (users only, direct) equals what Graph lists for every group now.
    assert await groups.live_members(connection_id=tenant.connection_id) == await _listed_members(
        tenant
    )


async def _consented_users_per_app(connection_id) -> dict[str, int]:
    rows = await models.AppAccess.filter(
        connection_id=connection_id, source="consent", removed_at=None
    ).values_list("app_entra_id", "principal_entra_id")
    per_app: dict[str, set[str]] = {}
    for app, user in rows:
        per_app.setdefault(app, set()).add(user)
    return {app: len(users) for app, users in per_app.items()}


async def _listed_members(tenant) -> set[tuple[str, str]]:
    """(group, user) for each group's direct user members, from /groups/{id}/members."""
    found: set[tuple[str, str]] = set()
    for group in (await _graph_get(tenant, "groups"))["value"]:
        path = f"groups/{group['id']}/members"
        found |= {
            (group["id"], m["id"])
            for m in (await _graph_get(tenant, path, **{"$select": "id", "$top": "999"}))["value"]
        }
    return found


async def _settled_log(sandbox, *, expected: int, wait: float = 3.0) -> list[dict]:
    """The sandbox logs a request when it has answered it: on a loaded machine the last answer
    can still be on its way when the run ends, so give the log a moment to catch up."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        log = await sandbox.request_log()
        graph = [r for r in log if r["path"].startswith(("/v1.0/", "/beta/"))]
        if len(graph) >= expected or asyncio.get_running_loop().time() > deadline:
            return log
        await asyncio.sleep(0.05)


async def test_full_sync_equals_ground_truth_and_uses_only_get(tenant):
    await tenant.sandbox.clear_request_log()
    report = await tenant.sync()

    assert report.status is SyncStatus.SUCCEEDED, report
    assert {e.name: e.mode for e in report.entities} == {
        "users": SyncMode.FULL,
        "apps": SyncMode.FULL,
        "groups": SyncMode.FULL,
        "assignments": SyncMode.FULL,
        "grants": SyncMode.FULL,
        "sign_ins": SyncMode.FULL,
        "sign_in_activity": SyncMode.FULL,
    }
    log = await _settled_log(tenant.sandbox, expected=report.requests)
    graph = [r for r in log if r["path"].startswith(("/v1.0/", "/beta/"))]
    assert graph and {r["method"] for r in graph} == {"GET"}
    assert {r["method"] for r in log if r not in graph} <= {"GET", "POST"}
    assert all("/oauth2/v2.0/token" in r["path"] for r in log if r["method"] == "POST")
    assert report.requests == len(graph)
    await _assert_equal_to_truth(tenant)


async def _graph_get(tenant, path: str, **params: str) -> dict:
    token = await tenant.sandbox.token()
    answer = await tenant.sandbox.client.get(
        f"/v1.0/{path}", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _assert_user_matches_graph(tenant, entra_id: str) -> None:
    raw = await _graph_get(tenant, f"users/{entra_id}", **{"$select": mapping.USER_SELECT})
    row = await models.DirectoryUser.get(connection_id=tenant.connection_id, entra_id=entra_id)
    assert (row.display_name, row.department, row.job_title, row.mail, row.account_enabled) == (
        raw["displayName"],
        raw.get("department"),
        raw.get("jobTitle"),
        raw.get("mail"),
        raw.get("accountEnabled"),
    )


async def test_fields_are_stored_as_graph_returns_them(tenant):
    await tenant.sync()
    for raw in (await _graph_get(tenant, "users", **{"$top": "5"}))["value"]:
        await _assert_user_matches_graph(tenant, raw["id"])
    sp = (await _graph_get(tenant, "servicePrincipals", **{"$top": "3"}))["value"][0]
    app = await models.Application.get(connection_id=tenant.connection_id, entra_id=sp["id"])
    assert (app.app_id, app.display_name) == (sp["appId"], sp["displayName"])


async def test_delta_sync_after_churn_finds_exactly_the_changes(tenant):
    await tenant.sync()
    apps_before = (await tenant.truth())["service_principals"]["total"]
    touched = (
        await tenant.sandbox.churn(
            users_added=5,
            users_removed=3,
            users_changed=4,
            members_added=3,
            members_removed=2,
            apps_added=2,
            apps_removed=1,
            consents_added=3,
            signins_added=40,
        )
    )["touched"]
    added = set(touched["users_added"]) - set(touched["users_removed"])
    removed = set(touched["users_removed"]) - set(touched["users_added"])

    report = await tenant.sync()

    assert report.status is SyncStatus.SUCCEEDED, report
    users, apps = report.entity("users"), report.entity("apps")
    assert (users.mode, users.created, users.removed) == (SyncMode.DELTA, len(added), len(removed))
    # Changes to properties outside our $select (phone, office) are not delta changes.
    assert users.updated <= len(touched["users_changed"])
    for entra_id in touched["users_changed"]:
        if entra_id not in removed:
            await _assert_user_matches_graph(tenant, entra_id)
    assert (apps.mode, apps.created, apps.removed) == (SyncMode.DELTA, 2, 1)
    assert report.entity("sign_ins").mode is SyncMode.INCREMENTAL
    assert report.entity("sign_ins").created == 40
    assert report.entity("assignments").mode is SyncMode.INCREMENTAL
    assert report.entity("sign_in_activity").status is EntityStatus.SKIPPED
    # Memberships that changed, not the size of the groups: one page of changes.
    members = report.entity("groups")
    assert (members.mode, members.pages) == (SyncMode.DELTA, 1)
    assert members.created >= 3 and members.removed >= 2
    assert members.fetched >= members.created + members.removed
    await _assert_equal_to_truth(tenant)
    trail = await activity.list_activities(organization_id=tenant.organization_id, limit=1000)
    subjects: dict[str, set] = {}
    for entry in trail:
        subjects.setdefault(entry.kind, set()).add(entry.subject_id)
    assert subjects["user.added"] == added
    assert subjects["user.removed"] == removed
    assert subjects["app.removed"] == set(touched["apps_removed"])
    assert set(touched["apps_added"]) <= subjects["app.discovered"]
    assert len(subjects["app.discovered"]) == apps_before + 2


async def test_a_resync_without_changes_changes_nothing(tenant):
    await tenant.sync()
    before = await tenant.stored()
    report = await tenant.sync()
    assert report.status is SyncStatus.SUCCEEDED
    assert sum(e.created + e.removed for e in report.entities) == 0
    assert await tenant.stored() == before


async def test_group_access_is_stored_per_group_not_per_app_and_member(tenant):
    report = await tenant.sync()
    assert report.status is SyncStatus.SUCCEEDED, report
    conn = tenant.connection_id
    rows = await models.AppAccess.filter(connection_id=conn).count()
    members = await models.GroupMember.filter(connection_id=conn).count()
    truth = await tenant.truth()
    assert not await models.AppAccess.filter(connection_id=conn, source="group_assignment").count()
    # One row per assignment or consent, and one per membership: users + memberships...
    assert members == len(await _listed_members(tenant))
    assert rows <= truth["app_role_assignments"] + truth["delegated_grants"]["principal"]
    # ...while access through groups, as a join, reaches far more (app, user) pairs.
    reached = await groups.assigned_users(connection_id=conn)
    assert sum(len(users) for users in reached.values()) > rows + members
    assert report.entity("groups").created == members
