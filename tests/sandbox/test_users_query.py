"""/users $orderby and $expand=manager as Graph documents them (sandbox/README.md#users)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.directory import Tenant
from sandbox.people import DEPARTMENTS
from tests.sandbox.support import error_code, page_all, small_config, state_of

ADVANCED = {"ConsistencyLevel": "eventual"}


def live_records(tenant: Tenant) -> list[dict[str, Any]]:
    """Every live user's full record, as the tenant holds it."""
    return [tenant.user_record(i) for i in range(tenant.user_total) if tenant.is_live_user(i)]


def ids_sorted_by(records: list[dict[str, Any]], prop: str, *, reverse: bool = False) -> list:
    """Ids in Graph's order: case-insensitive value, then id to break ties."""
    return [
        r["id"]
        for r in sorted(records, key=lambda r: (str(r[prop]).casefold(), r["id"]), reverse=reverse)
    ]


def expected_managers(tenant: Tenant) -> dict[str, str | None]:
    """The documented rule, worked out from the records: a department's head is its
    lowest-index live, enabled member; members report to their head, heads to the head of
    Executive, who reports to nobody; guests have no manager."""
    heads: dict[str, str] = {}
    members: list[tuple[str, str | None]] = []
    for record in live_records(tenant):
        department = record.get("department")
        members.append((record["id"], department))
        if department is not None and record["accountEnabled"]:
            heads.setdefault(department, record["id"])
    chief = heads.get("Executive")
    result: dict[str, str | None] = {}
    for uid, department in members:
        head = heads.get(department) if department else None
        if department is None:
            result[uid] = None
        elif head is not None and head != uid:
            result[uid] = head
        else:
            result[uid] = chief if chief != uid else None
    return result


async def error_of(graph: httpx.AsyncClient, url: str, **kwargs: Any) -> tuple[int, str, str]:
    response = await graph.get(url, **kwargs)
    body = response.json()
    return response.status_code, body["error"]["code"], body["error"]["message"]


# --- $orderby ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orderby", "prop", "reverse"),
    [
        ("displayName", "displayName", False),
        ("displayName asc", "displayName", False),
        ("DISPLAYNAME desc", "displayName", True),
        ("userPrincipalName", "userPrincipalName", False),
        ("userPrincipalName desc", "userPrincipalName", True),
    ],
)
async def test_default_sort_properties_order_every_page(graph, app, orderby, prop, reverse):
    users, pages = await page_all(graph, f"/v1.0/users?$orderby={orderby}&$top=7&$select=id")
    expected = ids_sorted_by(live_records(state_of(app).primary), prop, reverse=reverse)
    assert pages == 6
    assert [u["id"] for u in users] == expected


async def test_order_really_differs_from_index_order(graph, app):
    # Guards the test above: index order is not already alphabetical in this tenant.
    by_index = [u["id"] for u in (await page_all(graph, "/v1.0/users?$top=999"))[0]]
    by_name = [u["id"] for u in (await page_all(graph, "/v1.0/users?$orderby=displayName"))[0]]
    assert sorted(by_index) == sorted(by_name) and by_index != by_name


async def test_created_date_time_sorts_only_in_advanced_queries(graph, app):
    url = "/v1.0/users?$orderby=createdDateTime desc&$select=id,createdDateTime"
    refused = (
        400,
        "Request_UnsupportedQuery",
        "Unsupported sort property 'createdDateTime' for 'User'.",
    )
    assert await error_of(graph, url) == refused
    assert await error_of(graph, url, headers=ADVANCED) == refused  # the header without $count
    first = (await graph.get(f"{url}&$count=true&$top=15", headers=ADVANCED)).json()
    assert first["@odata.count"] == 40
    rest, _ = await page_all(graph, first["@odata.nextLink"], headers=ADVANCED)
    shown = first["value"] + rest
    expected = ids_sorted_by(live_records(state_of(app).primary), "createdDateTime", reverse=True)
    assert [u["id"] for u in shown] == expected
    stamps = [u["createdDateTime"] for u in shown]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("prop", ["department", "employeeHireDate", "accountEnabled"])
async def test_other_properties_never_sort(graph, prop):
    plain = await error_of(graph, f"/v1.0/users?$orderby={prop}")
    assert plain == (
        400,
        "Request_UnsupportedQuery",
        f"Unsupported sort property '{prop}' for 'User'.",
    )
    advanced = await error_of(graph, f"/v1.0/users?$orderby={prop}&$count=true", headers=ADVANCED)
    assert advanced == (400, "Request_UnsupportedQuery", "An unsupported property was specified.")


async def test_filter_with_orderby_needs_an_advanced_query(graph, app):
    url = "/v1.0/users?$filter=accountEnabled eq true&$orderby=displayName desc&$top=9"
    assert await error_of(graph, url) == (
        400,
        "Request_UnsupportedQuery",
        "Sorting not supported for current query.",
    )
    first = (await graph.get(f"{url}&$count=true", headers=ADVANCED)).json()
    rest, _ = await page_all(graph, first["@odata.nextLink"], headers=ADVANCED)
    enabled = [r for r in live_records(state_of(app).primary) if r["accountEnabled"]]
    assert first["@odata.count"] == len(enabled) < 40
    shown = [u["id"] for u in first["value"] + rest]
    assert shown == ids_sorted_by(enabled, "displayName", reverse=True)


@pytest.mark.parametrize(
    ("orderby", "code", "message"),
    [
        (
            "nope",
            "BadRequest",
            "Could not find a property named 'nope' on type 'microsoft.graph.user'.",
        ),
        (
            "displayName sideways",
            "BadRequest",
            "Syntax error in $orderby clause 'displayName sideways'.",
        ),
        (
            "displayName,userPrincipalName",
            "Request_UnsupportedQuery",
            "Sorting on more than one property is not supported.",
        ),
    ],
)
async def test_malformed_orderby_is_400(graph, orderby, code, message):
    assert await error_of(graph, f"/v1.0/users?$orderby={orderby}") == (400, code, message)


async def test_ordered_skiptoken_is_bound_to_its_order(graph):
    link = (await graph.get("/v1.0/users?$orderby=displayName&$top=5")).json()["@odata.nextLink"]
    token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
    other = await graph.get(
        "/v1.0/users", params={"$orderby": "displayName desc", "$top": "5", "$skiptoken": token}
    )
    assert other.status_code == 400
    assert error_code(other) == "Request_BadRequest"


async def test_ordered_pages_resume_after_the_last_key_when_users_change(graph, client, app):
    first = (
        await graph.get("/v1.0/users?$orderby=displayName&$top=10&$select=id,displayName")
    ).json()
    last = first["value"][-1]
    tenant = state_of(app).primary
    churn = await client.post(
        f"/_sandbox/tenants/{tenant.id}/churn", json={"users_removed": 8, "users_added": 6}
    )
    assert churn.status_code == 200
    rest, _ = await page_all(graph, first["@odata.nextLink"])
    survivors = live_records(tenant)
    after = [
        r["id"]
        for r in sorted(survivors, key=lambda r: (r["displayName"].casefold(), r["id"]))
        if (r["displayName"].casefold(), r["id"]) > (last["displayName"].casefold(), last["id"])
    ]
    assert [u["id"] for u in rest] == after
    assert not {u["id"] for u in first["value"]} & {u["id"] for u in rest}


@pytest.mark.parametrize("config", [small_config(empty_page_rate=1.0)])
async def test_ordered_paging_survives_empty_pages(graph, app):
    users, pages = await page_all(graph, "/v1.0/users?$orderby=userPrincipalName&$top=10")
    assert [u["id"] for u in users] == ids_sorted_by(
        live_records(state_of(app).primary), "userPrincipalName"
    )
    assert pages > 4  # every later page came back empty once before its users


# --- $expand=manager --------------------------------------------------------------------


async def test_expand_manager_with_select_matches_the_management_rule(graph, app):
    tenant = state_of(app).primary
    users, _ = await page_all(
        graph, "/v1.0/users?$expand=manager($select=id,displayName)&$select=id&$top=6"
    )
    expected = expected_managers(tenant)
    names = {r["id"]: r["displayName"] for r in live_records(tenant)}
    assert {u["id"]: u.get("manager", {}).get("id") for u in users} == expected
    with_manager = [u for u in users if "manager" in u]
    assert 0 < len(with_manager) < len(users)
    for user in with_manager:
        manager = user["manager"]
        assert set(manager) == {"@odata.type", "id", "displayName"}
        assert manager["@odata.type"] == "#microsoft.graph.user"
        assert manager["displayName"] == names[manager["id"]]
    assert all(set(u) - {"manager"} == {"id"} for u in users)


async def test_tenant_relation_agrees_with_the_rule_and_has_a_chain(app):
    tenant = state_of(app).primary
    expected = expected_managers(tenant)
    for i in range(tenant.user_total):
        manager = tenant.manager_of(i)
        got = None if manager is None else tenant.users.user_id(manager)
        assert got == expected[tenant.users.user_id(i)]
    heads = tenant.department_heads()
    assert set(heads) <= {d.name for d in DEPARTMENTS} and "Executive" in heads
    chief = heads["Executive"]
    assert tenant.manager_of(chief) is None
    assert all(tenant.manager_of(h) == chief for d, h in heads.items() if d != "Executive")


async def test_plain_expand_manager_returns_the_whole_manager(graph):
    users = (await graph.get("/v1.0/users?$expand=manager&$top=40")).json()["value"]
    manager = next(u["manager"] for u in users if "manager" in u)
    assert {"id", "displayName", "department", "accountEnabled", "createdDateTime"} <= set(manager)
    assert "signInActivity" not in manager and "skills" not in manager
    assert all("manager" not in u or u["manager"]["id"] != u["id"] for u in users)


@pytest.mark.parametrize("config", [small_config(users=150)])
async def test_expand_caps_pages_at_100_and_keeps_order(graph, app):
    url = "/v1.0/users?$expand=manager($select=id)&$orderby=displayName&$top=999&$select=id"
    first = (await graph.get(url)).json()
    assert len(first["value"]) == 100
    rest, pages = await page_all(graph, first["@odata.nextLink"])
    assert len(rest) == 50 and pages == 1
    ids = [u["id"] for u in first["value"] + rest]
    assert ids == ids_sorted_by(live_records(state_of(app).primary), "displayName")


async def test_single_user_expands_manager_and_churn_reelects_heads(graph, client, app):
    tenant = state_of(app).primary
    department, head = next(
        (d, h) for d, h in tenant.department_heads().items() if d != "Executive"
    )
    member = next(
        i
        for i in range(tenant.user_total)
        if i != head and tenant.user_department(i) == department and tenant.user_enabled(i)
    )
    uid = tenant.users.user_id(member)
    url = f"/v1.0/users/{uid}?$select=id&$expand=manager($select=id)"
    body = (await graph.get(url)).json()
    assert body["manager"] == {
        "@odata.type": "#microsoft.graph.user",
        "id": tenant.users.user_id(head),
    }
    # Disabling the head hands the department to its next enabled member.
    tenant.user_changes.setdefault(head, {})["accountEnabled"] = False
    tenant.log_change("users", head, frozenset({"accountEnabled"}), at=tenant.anchor)
    successor = tenant.department_heads()[department]
    assert successor != head
    again = (await graph.get(url)).json()
    if successor == member:  # the member now heads the department: reports to Executive
        assert again["manager"]["id"] == tenant.users.user_id(
            tenant.department_heads()["Executive"]
        )
    else:
        assert again["manager"]["id"] == tenant.users.user_id(successor)


async def test_expand_disables_advanced_queries(graph):
    url = "/v1.0/users?$orderby=createdDateTime&$count=true&$expand=manager"
    assert await error_of(graph, url, headers=ADVANCED) == (
        400,
        "Request_UnsupportedQuery",
        "Unsupported sort property 'createdDateTime' for 'User'.",
    )


@pytest.mark.parametrize(
    ("expand", "code", "message"),
    [
        (
            "manager,memberOf",
            "BadRequest",
            "The result of parsing $expand contained at least 2 items, "
            "but the maximum allowed is 1.",
        ),
        (
            "foo",
            "BadRequest",
            "Could not find a property named 'foo' on type 'microsoft.graph.user'.",
        ),
        (
            "displayName",
            "BadRequest",
            "Property 'displayName' on type 'microsoft.graph.user' is not a navigation property "
            "or complex property. Only navigation properties can be expanded.",
        ),
        (
            "memberOf",
            "Request_UnsupportedQuery",
            "The sandbox does not expand 'memberOf' on user objects; it expands manager.",
        ),
        (
            "manager($levels=max)",
            "Request_UnsupportedQuery",
            "The query option '$levels' is not supported inside $expand here.",
        ),
        (
            "manager($select=nope)",
            "Request_BadRequest",
            "Could not find a property named 'nope' on type 'microsoft.graph.user'.",
        ),
        (
            "manager($select=id",
            "BadRequest",
            "Syntax error: unbalanced parentheses in 'manager($select=id'.",
        ),
    ],
)
async def test_unsupported_expand_is_400(graph, expand, code, message):
    assert await error_of(graph, f"/v1.0/users?$expand={expand}") == (400, code, message)


async def test_expand_and_orderby_stay_refused_elsewhere(graph):
    for url in ("/v1.0/servicePrincipals?$orderby=displayName", "/v1.0/groups?$expand=members"):
        assert (await graph.get(url)).status_code == 400
