"""/users contract: default properties, $select, $top, signInActivity (docs/graph.md#users)."""

from __future__ import annotations

import pytest
from httpx import ASGITransport, AsyncClient

from sandbox.app import create_app
from sandbox.clock import NEVER, iso
from tests.sandbox.support import BASE, error_code, get_token, page_all, small_config, state_of

DEFAULT_USER = {
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
}


async def test_users_without_select_return_the_eleven_default_properties(graph):
    response = await graph.get("/v1.0/users")
    body = response.json()
    assert response.status_code == 200
    assert body["@odata.context"].endswith("/v1.0/$metadata#users")
    assert all(set(u) == DEFAULT_USER for u in body["value"])
    assert len(body["value"]) == 40  # default page 100 > 40 users


async def test_select_is_honoured_case_insensitively_and_id_always_comes_back(graph):
    response = await graph.get("/v1.0/users?$select=DisplayName,department,accountEnabled")
    body = response.json()
    assert body["@odata.context"].endswith("#users(displayName,department,accountEnabled)")
    assert all(
        set(u) == {"id", "displayName", "department", "accountEnabled"} for u in body["value"]
    )


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        (
            "$top=1000",
            "Request_UnsupportedQuery",
            "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
        ),
        (
            "$top=0",
            "Request_UnsupportedQuery",
            "Invalid page size specified: '0'. Must be between 1 and 999 inclusive.",
        ),
        ("$skip=10", "Request_BadRequest", "'$skip' is not supported by the service."),
        (
            "$select=nope",
            "Request_BadRequest",
            "Could not find a property named 'nope' on type 'microsoft.graph.user'.",
        ),
    ],
)
async def test_bad_queries_get_the_directory_400s(graph, query, code, message):
    response = await graph.get(f"/v1.0/users?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"] == message


async def test_top_pages_and_next_links_cover_every_user_once(graph):
    users, pages = await page_all(graph, "/v1.0/users?$top=7&$select=id")
    assert pages == 6
    assert len({u["id"] for u in users}) == len(users) == 40


async def test_single_entity_only_properties_are_501_on_lists(graph):
    response = await graph.get("/v1.0/users?$select=id,skills")
    assert response.status_code == 501
    assert error_code(response) == "NotImplemented"


async def test_sign_in_activity_only_when_selected_and_capped_at_120():
    config = small_config(users=300, apps=10, days=5)
    async with AsyncClient(transport=ASGITransport(app=create_app(config)), base_url=BASE) as c:
        c.headers["Authorization"] = f"Bearer {await get_token(c, config)}"
        plain = (await c.get("/v1.0/users?$top=999")).json()["value"]
        assert len(plain) == 300 and "signInActivity" not in plain[0]
        body = (await c.get("/v1.0/users?$select=id,signInActivity&$top=999")).json()
        assert len(body["value"]) == 120
        assert "@odata.nextLink" in body
        activity = [u["signInActivity"] for u in body["value"]]
        keys = {
            "lastSignInDateTime",
            "lastSignInRequestId",
            "lastNonInteractiveSignInDateTime",
            "lastNonInteractiveSignInRequestId",
            "lastSuccessfulSignInDateTime",
            "lastSuccessfulSignInRequestId",
        }
        assert all(set(a) == keys for a in activity)
        assert any(a["lastSignInDateTime"] == NEVER for a in activity)
        assert any(a["lastSignInDateTime"] != NEVER for a in activity)


async def test_sign_in_activity_matches_the_newest_sign_in_in_the_log(graph, app):
    tenant = state_of(app).primary
    newest: dict[str, float] = {}
    for hit in tenant.signins.scan():  # newest first
        uid = tenant.users.user_id(hit.user)
        newest.setdefault(uid, hit.time)
    body = (await graph.get("/v1.0/users?$select=id,signInActivity")).json()
    for user in body["value"]:
        expected = newest.get(user["id"])
        shown = user["signInActivity"]["lastSignInDateTime"]
        assert shown == (NEVER if expected is None else iso(expected))


@pytest.mark.parametrize("config", [small_config(premium=False)])
async def test_sign_in_activity_needs_premium(graph):
    response = await graph.get("/v1.0/users?$select=id,signInActivity")
    assert response.status_code == 403
    assert error_code(response) == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert (await graph.get("/v1.0/users?$select=id")).status_code == 200


@pytest.mark.parametrize("config", [small_config(granted_roles=["User.Read.All"])])
async def test_sign_in_activity_needs_audit_log_permission(graph):
    response = await graph.get("/v1.0/users?$select=id,signInActivity")
    assert response.status_code == 403


async def test_user_by_id_and_by_upn_and_404(graph):
    first = (await graph.get("/v1.0/users?$top=1&$select=id,userPrincipalName")).json()["value"][0]
    by_id = await graph.get(f"/v1.0/users/{first['id']}")
    by_upn = await graph.get(f"/v1.0/users/{first['userPrincipalName']}?$select=department")
    assert by_id.json()["id"] == first["id"]
    assert by_id.json()["@odata.context"].endswith("#users/$entity")
    assert set(by_upn.json()) == {"@odata.context", "id", "department"}
    missing = await graph.get("/v1.0/users/6c1c8b9e-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert error_code(missing) == "Request_ResourceNotFound"
    assert missing.json()["error"]["message"].startswith(
        "Resource '6c1c8b9e-0000-4000-8000-000000000000' does not exist"
    )


async def test_user_app_role_assignments_include_direct_group_assignments(graph, app):
    tenant = state_of(app).primary
    group_assigned = next(a for a in tenant.assignments if a.principal_type == "Group")
    group = tenant.group(str(group_assigned.principal))
    member = next(i for i in range(tenant.user_total) if tenant.is_member(group, i))
    uid = tenant.users.user_id(member)
    items, _ = await page_all(graph, f"/v1.0/users/{uid}/appRoleAssignments")
    assert any(a["principalType"] == "Group" and a["principalId"] == group.id for a in items)
    assert all(a["resourceId"] for a in items)


@pytest.mark.parametrize("config", [small_config(granted_roles=["User.Read.All"])])
async def test_user_app_role_assignments_need_directory_read(graph):
    uid = (await graph.get("/v1.0/users?$top=1")).json()["value"][0]["id"]
    response = await graph.get(f"/v1.0/users/{uid}/appRoleAssignments")
    assert response.status_code == 403
    assert error_code(response) == "Authorization_RequestDenied"


async def test_count_needs_consistency_level_eventual(graph):
    refused = await graph.get("/v1.0/users?$count=true&$top=5")
    assert refused.status_code == 400
    counted = await graph.get(
        "/v1.0/users?$count=true&$top=5", headers={"ConsistencyLevel": "eventual"}
    )
    assert counted.json()["@odata.count"] == 40
    second = await graph.get(
        counted.json()["@odata.nextLink"], headers={"ConsistencyLevel": "eventual"}
    )
    assert "@odata.count" not in second.json()


async def test_filter_on_users(graph):
    body = (
        await graph.get("/v1.0/users?$filter=accountEnabled eq false&$select=id,accountEnabled")
    ).json()
    assert all(u["accountEnabled"] is False for u in body["value"])
    bad = await graph.get("/v1.0/users?$filter=accountEnabled eq")
    assert bad.status_code == 400
