"""Client mistakes are BAD_USER_INPUT naming the argument, logged at INFO; costly queries are
refused before they run (inputs, cursors, ids, cost)."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections import Counter

import pytest

from sync_core import insights, records
from sync_core.store import connections, inventory, organizations, people

SEEN = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# 33 kinds of cursor no page of ours ever issued: each used to be an IndexError, TypeError,
# RecursionError, OverflowError or a database error on one root field or another.
MALFORMED_CURSORS = [
    "%%%",
    "====",
    b64(""),
    b64(b"\xff\xfe\x00"),
    b64("null"),
    b64("{}"),
    b64('"x"'),
    b64("1"),
    b64("[]"),
    b64("[1]"),
    b64('["a"]'),
    b64("[1,2,3]"),
    b64("[[]]"),
    b64("[{}]"),
    b64('[{"t":1}]'),
    b64('[{"t":"nope"}]'),
    b64('[{"u":1}]'),
    b64('[{"u":"nope"}]'),
    b64('[{"t":[]}, {"u":{}}]'),
    b64('["a",1e999]'),
    b64('["a",1e308]'),
    b64('["a",99999999999999999999999]'),
    b64("[-99999999999999999999999]"),
    b64("[null,null]"),
    b64("[true,false]"),
    b64('["a","b"]'),
    b64("[" * 5000 + "]" * 5000),
    b64("[NaN]"),
    b64('[Infinity,"x"]'),
    b64('["\\u0000",1]'),
    b64('["a",1.5]'),
    b64('[{"t":"2020-01-01T00:00:00+00:00"},{"u":"x"}]'),
    b64('[{"t":"2020-01-01T00:00:00+00:00"},{"u":"00000000-0000-0000-0000-000000000000"},1]'),
]
CURSOR_FIELDS = {
    "users": "users(after: $c) { totalCount }",
    "syncRuns": "syncRuns(after: $c) { totalCount }",
    "activities": "activities(after: $c) { totalCount }",
    "apps": "apps(after: $c) { totalCount }",
    "apps filtered": 'apps(after: $c, filter: {search: "a"}) { totalCount }',
    "App.users": "apps(first: 1) { edges { node { users(after: $c) { totalCount } } } }",
    "App.permissions": (
        "apps(first: 1) { edges { node { permissions(after: $c) { totalCount } } } }"
    ),
    "User.apps": "users(first: 1) { edges { node { apps(after: $c) { totalCount } } } }",
}

# Well-formed for that field, though not for the others.
WELL_FORMED = {
    ("activities", b64("[1]")),
    ("App.users", b64('["a"]')),
    ("App.permissions", b64('["a","b"]')),  # (consent type, grant id)
}


@pytest.fixture
async def token(api) -> str:
    """An organization with one connected tenant, two users and two apps."""
    org, issued = await organizations.create_organization(name="Acme")
    conn = await connections.add_connection(
        organization_id=org.id, tenant_id="aaaaaaaa-0000-0000-0000-000000000001"
    )
    users = [records.User(entra_id=f"u-{i}", display_name=f"Person {i}") for i in range(2)]
    apps = [
        records.App(
            entra_id=f"sp-{i}",
            app_id=f"app-{i}",
            display_name=f"App {i}",
            owner_tenant_id="vendor",
            principal_type="Application",
        )
        for i in range(2)
    ]
    await inventory.upsert_users(connection_id=conn.id, users=users, seen_at=SEEN)
    await inventory.upsert_apps(connection_id=conn.id, apps=apps, seen_at=SEEN)
    await insights.derive(connection_id=conn.id, now=dt.datetime.now(dt.UTC))  # as a sync ends
    return issued.secret


def _codes(response) -> list[str]:
    assert response.status_code < 500, response.text
    return [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]


async def test_malformed_cursors_are_bad_user_input_never_a_server_error(api, token, caplog):
    wrong = []
    with caplog.at_level(logging.INFO):
        for field, selection in CURSOR_FIELDS.items():
            for cursor in MALFORMED_CURSORS:
                if (field, cursor) in WELL_FORMED:
                    continue
                response = await api.post(token, f"query($c: String) {{ {selection} }}", c=cursor)
                codes = _codes(response)
                if codes != ["BAD_USER_INPUT"]:
                    wrong.append((field, cursor[:40], codes or "accepted"))
                elif "after" not in response.json()["errors"][0]["message"]:
                    wrong.append((field, cursor[:40], "message does not name `after`"))
    kinds = Counter(str(answer) for *_, answer in wrong)
    assert not wrong, f"{len(wrong)} wrong answers {dict(kinds)}, e.g. {wrong[:5]}"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("kind", "query", "argument"),
    [
        ("User", "query($id: ID!) { user(id: $id) { id } }", "id"),
        ("App", "query($id: ID!) { app(id: $id) { id } }", "id"),
        ("App", "mutation($id: ID!) { setAppStage(appId: $id, stage: APPROVED) { id } }", "appId"),
    ],
)
@pytest.mark.parametrize("key", ["99999999999999999999", "-99999999999999999999", "9" * 400])
async def test_ids_beyond_64_bits_are_bad_user_input(api, token, kind, query, argument, key):
    response = await api.post(token, query, id=b64(f"{kind}:{key}"))
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert argument in error["message"]


async def test_a_huge_search_is_refused_with_the_argument_named(api, token, caplog):
    with caplog.at_level(logging.INFO):
        query = "query($s: String) { users(filter: {search: $s}) { totalCount } }"
        response = await api.post(token, query, s="%" * 500_000)
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "search" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_long_literal_string_is_refused_too(api, token):
    search = "x" * 5000
    response = await api.post(token, f'{{ apps(filter: {{search: "{search}"}}) {{ totalCount }} }}')
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "search" in error["message"]


@pytest.mark.parametrize("search", ["\x00", "a\x00", "\x00%"])
async def test_a_nul_byte_in_the_users_search_matches_no_one(api, token, search):
    response = await api.post(
        token, "query($s: String) { users(filter: {search: $s}) { totalCount } }", s=search
    )
    assert _codes(response) == ["BAD_USER_INPUT"]
    assert "search" in response.json()["errors"][0]["message"]


async def test_the_store_takes_a_nul_in_a_search_literally(api, token):
    found = await organizations.authenticate(secret=token)
    assert found is not None
    everyone = await people.users_page(organization_id=found.organization_id, first=10)
    page = await people.users_page(organization_id=found.organization_id, first=10, search="\x00")
    assert (everyone.total, page.total, page.items) == (2, 0, [])


async def test_like_wildcards_in_a_search_are_literal(api, token):
    data = await api.query(token, '{ users(filter: {search: "%"}) { totalCount } }')
    assert data["users"]["totalCount"] == 0


async def test_client_mistakes_are_logged_at_info_without_a_traceback(api, token, caplog):
    with caplog.at_level(logging.INFO):
        await api.post(token, "{ users(first: 500) { totalCount } }")
        await api.post(token, "{ nope }")
        await api.post(token, "query($n: Int) { users(first: $n) { totalCount } }", n="x" * 9)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any("first must be between" in r.getMessage() for r in caplog.records)


INSIGHTS = """insights {
  appCounts { inUse discovered inactive }
  shadowIt { app { name } reasons consentingUsers scopes unassignedUsers consentedBy }
  overlaps { category sharedUsers apps { name } }
  problematicApps { name }
  licenseWaste { app { name } assignedUsers inactiveSeats monthlyWaste { amount currency } }
  departments { department users activeUsers appsUsed seats inactiveSeats }
}"""


async def test_every_insight_in_one_query_is_still_allowed(api, token):
    data = await api.query(token, "{ " + INSIGHTS + " }")
    assert data["insights"]["appCounts"]["inUse"] == 0


async def test_fifteen_aliases_of_insights_are_refused_for_their_cost(api, token):
    aliased = " ".join(f"i{n}: {INSIGHTS}" for n in range(15))
    response = await api.post(token, "{ " + aliased + " }")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"]
    assert "cost" in error["message"]
    assert response.json()["data"] is None


# Ten levels deep, within the depth limit: 100 users, 100 apps of each, 100 users of each...
FAN_OUT = """{ users(first: 100) { edges { node { apps(first: 100) { edges { node {
  users(first: 100) { edges { node { user { displayName } } } } } } } } } } }"""


async def test_a_deep_fan_out_is_refused_for_its_cost(api, token):
    response = await api.post(token, FAN_OUT)
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_the_cost_counts_page_sizes_given_as_variables(api, token):
    query = """query($n: Int) { users(first: $n) { edges { node { apps(first: $n) { edges {
      node { users(first: $n) { edges { node { user { displayName } } } } } } } } } } }"""
    small = await api.post(token, query, n=2)
    assert "errors" not in small.json(), small.json()
    large = await api.post(token, query, n=100)
    assert _codes(large) == ["QUERY_TOO_COSTLY"]
