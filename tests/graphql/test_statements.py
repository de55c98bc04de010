"""No N+1, no tenant scans: the SQL statements a request sends grow neither with the page size
nor with the tenant's size.

Statements are counted through Tortoise's own statement log (sandbox.statements),
around a real HTTP request to the web app, authentication included. Each tenant is derived
after it is written, as a sync leaves it: lists read the figures derive stored.
"""

from __future__ import annotations

import datetime as dt

import pytest

from graphql_api.ids import encode_id
from sandbox.statements import counting
from sync_core import insights, records
from sync_core.store import access, connections, inventory, models, organizations, signins

# Two days ago: inside every window, never on a window's first day (which costs a statement).
USED = dt.datetime.now(dt.UTC).replace(hour=9) - dt.timedelta(days=2)
SEEN = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
APPS, USERS = 60, 120

APPS_PAGE = """query($first: Int!) {
  apps(first: $first) {
    totalCount
    edges { node {
      name assignedUserCount activeUserCount isShadowIt monthlyWaste { amount }
      users(first: 10) { totalCount edges { node { sources lastUsedOn user { displayName } } } }
      permissions(first: 5) { totalCount edges { node {
        consentType scopes consentedBy { displayName } } } }
      problems { kind }
      loginActivity(days: 7) { day successes failures }
    } }
  }
}"""
APP = """query($id: ID!, $first: Int!, $after: String) {
  app(id: $id) {
    users(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { sources lastUsedOn user { displayName } } }
    }
    permissions { edges { node { scopes } } }
  }
}"""
USERS_PAGE = """query($first: Int!) {
  users(first: $first) { edges { node { displayName
    apps(first: 3) { totalCount edges { node { name } } } loginActivity(days: 7) { successes } } } }
}"""


def _app(n: int) -> records.App:
    return records.App(
        entra_id=f"sp-{n:03d}",
        app_id=f"app-{n:03d}",
        display_name=f"App {n:03d}",
        owner_tenant_id=f"vendor-{n}",
        principal_type="Application",
    )


def _access(apps: list[records.App], users: list[records.User]):
    """App n: n % 7 + 1 assigned users and a user consent; the last app: every user."""
    assignments, grants = [], []
    for n, app in enumerate(apps):
        chosen = users if n == len(apps) - 1 else users[n % 11 : n % 11 + n % 7 + 1]
        assignments += [
            records.Assignment(
                f"as-{n}-{u.entra_id}", app.entra_id, u.entra_id, "User", created_at=SEEN
            )
            for u in chosen
        ]
        grants.append(
            records.Grant(
                f"gr-{n}",
                app.entra_id,
                "graph",
                "Principal",
                chosen[0].entra_id,
                ("User.Read", "Mail.Read"),
            )
        )
    return assignments, grants


def _sign_ins(apps: list[records.App], users: list[records.User]) -> list[records.SignIn]:
    """Three sign-ins per app, one of them failed."""
    return [
        records.SignIn(
            entra_id=f"si-{n}-{k}",
            occurred_at=USED,
            user_entra_id=users[(n + k) % len(users)].entra_id,
            user_principal_name=None,
            app_id=app.app_id,
            app_display_name=app.display_name,
            error_code=0 if k else 50126,
        )
        for n, app in enumerate(apps)
        for k in range(3)
    ]


async def _tenant(name: str, *, apps: int, users: int, tenant_id: str) -> dict:
    """An organization with one synced tenant of `apps` apps and `users` users, derived."""
    org, token = await organizations.create_organization(name=name)
    conn = await connections.add_connection(organization_id=org.id, tenant_id=tenant_id)
    people = [
        records.User(
            entra_id=f"u-{i:04d}", display_name=f"Person {i:04d}", department=f"Dept {i % 4}"
        )
        for i in range(users)
    ]
    apps_ = [_app(n) for n in range(apps)]
    await inventory.upsert_users(connection_id=conn.id, users=people, seen_at=SEEN)
    await inventory.upsert_apps(connection_id=conn.id, apps=apps_, seen_at=SEEN)
    assignments, grants = _access(apps_, people)
    await access.upsert_assignments(connection_id=conn.id, assignments=assignments, seen_at=SEEN)
    await access.upsert_grants(connection_id=conn.id, grants=grants, seen_at=SEEN)
    await signins.add_sign_ins(connection_id=conn.id, events=_sign_ins(apps_, people))
    await insights.derive(connection_id=conn.id, now=dt.datetime.now(dt.UTC))
    everyone = await models.Application.get(connection_id=conn.id, entra_id=apps_[-1].entra_id)
    return {"token": token.secret, "big_app": encode_id("App", everyone.id)}


@pytest.fixture
async def tenant(api) -> dict:
    return await _tenant(
        "Counted", apps=APPS, users=USERS, tenant_id="cccccccc-0000-0000-0000-000000000003"
    )


async def _counted(api, token: str, query: str, **variables) -> tuple[int, dict]:
    with counting() as tally:
        data = await api.query(token, query, **variables)
    return tally.count, data


async def test_apps_page_costs_the_same_statements_for_5_and_50_apps(api, tenant):
    small, few = await _counted(api, tenant["token"], APPS_PAGE, first=5)
    large, many = await _counted(api, tenant["token"], APPS_PAGE, first=50)

    assert len(few["apps"]["edges"]) == 5 and len(many["apps"]["edges"]) == 50
    node = many["apps"]["edges"][12]["node"]
    assert node["name"] == "App 012" and node["users"]["totalCount"] == 12 % 7 + 1
    assert node["permissions"]["edges"][0]["node"]["scopes"] == ["User.Read", "Mail.Read"]
    assert sum(d["successes"] + d["failures"] for d in node["loginActivity"]) == 3
    assert large == small, f"{small} statements for 5 apps, {large} for 50"


async def test_an_app_with_100_users_costs_what_one_with_10_costs(api, tenant):
    small, ten = await _counted(api, tenant["token"], APP, id=tenant["big_app"], first=10)
    large, hundred = await _counted(api, tenant["token"], APP, id=tenant["big_app"], first=100)

    assert len(ten["app"]["users"]["edges"]) == 10
    assert len(hundred["app"]["users"]["edges"]) == 100
    assert hundred["app"]["users"]["totalCount"] == USERS
    assert large == small


async def test_users_with_their_apps_cost_the_same_for_5_and_50_users(api, tenant):
    small, _ = await _counted(api, tenant["token"], USERS_PAGE, first=5)
    large, many = await _counted(api, tenant["token"], USERS_PAGE, first=50)

    assert len(many["users"]["edges"]) == 50
    apps = [edge["node"]["apps"] for edge in many["users"]["edges"]]
    assert all(page["edges"] for page in apps)  # the big app at least
    assert all(len(page["edges"]) == min(3, page["totalCount"]) for page in apps)
    assert large == small


async def test_app_users_cursor_walks_every_user_once_in_order(api, tenant):
    seen, after = [], None
    while True:
        data = await api.query(tenant["token"], APP, id=tenant["big_app"], first=35, after=after)
        users = data["app"]["users"]
        seen += [e["node"]["user"]["displayName"] for e in users["edges"]]
        if not users["pageInfo"]["hasNextPage"]:
            break
        after = users["pageInfo"]["endCursor"]
    assert seen == [f"Person {i:04d}" for i in range(USERS)]


INSIGHTS = """{ insights {
  appCounts { inUse discovered inactive }
  shadowIt { app { name } reasons consentingUsers scopes consentedBy }
  overlaps { category sharedUsers apps { name } }
  problematicApps { name }
  licenseWaste { app { name } inactiveSeats monthlyWaste { amount } }
  departments { department users seats inactiveSeats monthlyWaste { amount } }
} }"""
FILTERED = """query($first: Int!) {
  inUse: apps(first: $first, filter: {status: [IN_USE, INACTIVE]}) { totalCount edges { node {
    name } } }
  shadow: apps(first: $first, filter: {shadowIt: true, stage: [NEEDS_REVIEW]}) { totalCount
    edges { node { name isShadowIt } } }
  found: apps(first: $first, filter: {search: "app 0"}) { totalCount edges { node { name } } }
}"""
ACTIVITY = """query($first: Int!) {
  activities(first: $first) { totalCount edges { node { kind } } }
  syncRuns(first: $first) { totalCount edges { node { status } } }
}"""
# Every list query, with a page size both tenants fill.
LISTS = {
    "apps page": (APPS_PAGE, {"first": 10}),
    "apps filtered": (FILTERED, {"first": 10}),
    "app users": (APP, {"first": 10}),
    "users with apps": (USERS_PAGE, {"first": 10}),
    "insights": (INSIGHTS, {}),
    "activities and runs": (ACTIVITY, {"first": 10}),
}


@pytest.fixture
async def two_sizes(api) -> tuple[dict, dict]:
    """The same tenant shape at two sizes: 12 apps and 24 users, then 5 times as many."""
    small = await _tenant(
        "Small", apps=12, users=24, tenant_id="cccccccc-0000-0000-0000-000000000011"
    )
    large = await _tenant(
        "Large", apps=60, users=120, tenant_id="cccccccc-0000-0000-0000-000000000012"
    )
    return small, large


@pytest.mark.parametrize("name", LISTS)
async def test_list_statements_do_not_grow_with_the_tenant(api, two_sizes, name):
    query, variables = LISTS[name]
    counts = []
    for tenant in two_sizes:
        extra = {"id": tenant["big_app"]} if "$id" in query else {}
        count, data = await _counted(api, tenant["token"], query, **variables, **extra)
        assert data, name
        counts.append(count)
    small, large = counts
    assert large == small, f"{name}: {small} statements for 12 apps / 24 users, {large} for 5x"


async def test_insights_are_a_fixed_handful_of_statements(api, tenant):
    count, data = await _counted(api, tenant["token"], INSIGHTS)
    # The token (2), one indexed read per insight, two for overlaps (their rows, their apps)
    # and for departments (people, seats with today's costs).
    assert count <= 10, count
    found = data["insights"]
    assert found["shadowIt"] and found["problematicApps"] and found["departments"]


GRANTS_PAGE = """query($id: ID!, $first: Int!, $after: String) {
  app(id: $id) { permissions(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { consentType scopes consentedBy { displayName } } } } }
}"""


async def test_app_permissions_walk_every_grant_once_admin_consent_first(api, tenant):
    app = await models.Application.filter(display_name=f"App {APPS - 1:03d}").first()
    consents = [
        records.Grant(
            f"gr-user-{i:03d}", app.entra_id, "graph", "Principal", f"u-{i:04d}", ("Files.Read",)
        )
        for i in range(40)
    ]
    admin = records.Grant(
        "gr-zz-admin", app.entra_id, "graph", "AllPrincipals", None, ("User.Read",)
    )
    await access.upsert_grants(
        connection_id=app.connection_id, grants=[*consents, admin], seen_at=SEEN
    )
    walked, after, costs = [], None, set()
    while True:
        count, data = await _counted(
            api, tenant["token"], GRANTS_PAGE, id=tenant["big_app"], first=15, after=after
        )
        costs.add(count)
        page = data["app"]["permissions"]
        assert page["totalCount"] == 1 + 40 + 1  # admin, 40 new consents, the fixture's one
        walked += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert walked[0] == {
        "consentType": "AllPrincipals",
        "scopes": ["User.Read"],
        "consentedBy": None,
    }
    users = [g["consentedBy"]["displayName"] for g in walked[1:] if g["scopes"] == ["Files.Read"]]
    assert users == [f"Person {i:04d}" for i in range(40)]
    assert len(walked) == 42 and len(costs) == 1  # every page costs the same statements


async def test_a_permissions_cursor_from_elsewhere_is_refused(api, tenant):
    data = await api.query(tenant["token"], APP, id=tenant["big_app"], first=5, after=None)
    users_cursor = data["app"]["users"]["pageInfo"]["endCursor"]
    answer = await api.post(
        tenant["token"], GRANTS_PAGE, id=tenant["big_app"], first=5, after=users_cursor
    )
    assert answer.json()["errors"][0]["message"] == "after: not a cursor this field returned"
