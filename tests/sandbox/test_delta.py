"""Delta contract for users and service principals (docs/graph.md#delta)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.support import error_code, get_token, small_config

USERS_DELTA = "/v1.0/users/delta"


async def run_round(
    graph: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Follow nextLinks to the deltaLink: (items, deltaLink)."""
    items: list[dict[str, Any]] = []
    while True:
        response = await graph.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["value"]
        if "@odata.deltaLink" in body:
            assert "@odata.nextLink" not in body
            return items, body["@odata.deltaLink"]
        url = body["@odata.nextLink"]


@pytest.mark.parametrize("config", [small_config(delta_page_size=15)])
async def test_initial_round_pages_with_next_links_then_a_delta_link(graph):
    first = (await graph.get(f"{USERS_DELTA}?$select=displayName,jobTitle")).json()
    assert "@odata.nextLink" in first and "@odata.deltaLink" not in first
    assert "$skiptoken=" in first["@odata.nextLink"]
    assert "$select" not in first["@odata.nextLink"]  # baked into the token
    items, delta_link = await run_round(graph, f"{USERS_DELTA}?$select=displayName,jobTitle")
    assert len(items) == 40
    assert all(set(u) == {"id", "displayName", "jobTitle"} for u in items)
    assert "$deltatoken=" in delta_link
    again, _ = await run_round(graph, delta_link)
    assert again == []


async def test_deltatoken_latest_returns_only_a_delta_link(graph):
    body = (await graph.get(f"{USERS_DELTA}?$deltatoken=latest")).json()
    assert body["value"] == [] and "@odata.deltaLink" in body


@pytest.mark.parametrize("query", ["$top=5", "$orderby=displayName", "$expand=manager"])
async def test_top_orderby_expand_are_rejected_on_users_delta(graph, query):
    response = await graph.get(f"{USERS_DELTA}?{query}")
    assert response.status_code == 400
    assert error_code(response) == "Request_UnsupportedQuery"


async def test_sign_in_activity_cannot_be_tracked(graph):
    response = await graph.get(f"{USERS_DELTA}?$select=id,signInActivity")
    assert response.status_code == 501


ALL_CHURNED = "displayName,surname,jobTitle,department,accountEnabled,officeLocation,mobilePhone"


async def test_change_round_has_new_changed_and_removed_users(graph, client, config):
    _, delta_link = await run_round(graph, f"{USERS_DELTA}?$select={ALL_CHURNED}")
    touched = (
        await client.post(
            f"/_sandbox/tenants/{config.primary.tenant_id}/churn",
            json={"users_added": 2, "users_removed": 2, "users_changed": 3},
        )
    ).json()["touched"]
    items, next_link = await run_round(graph, delta_link)
    by_id = {i["id"]: i for i in items}
    for uid in touched["users_added"]:
        assert set(by_id[uid]) == {"id", *ALL_CHURNED.split(",")}
    for uid in touched["users_removed"]:
        assert by_id[uid]["@removed"] == {"reason": "changed"}
    assert set(touched["users_changed"]) <= set(by_id) | set(touched["users_removed"])
    quiet, _ = await run_round(graph, next_link)
    assert quiet == []


async def test_prefer_return_minimal_sends_only_changed_properties(graph, client, config):
    _, delta_link = await run_round(graph, f"{USERS_DELTA}?$select={ALL_CHURNED}")
    touched = (
        await client.post(
            f"/_sandbox/tenants/{config.primary.tenant_id}/churn", json={"users_changed": 4}
        )
    ).json()["touched"]
    response = await graph.get(delta_link, headers={"Prefer": "return=minimal"})
    assert response.headers["Preference-Applied"] == "return=minimal"
    items = response.json()["value"]
    assert {i["id"] for i in items} == set(touched["users_changed"])
    assert all(len(i) < 4 for i in items)  # id plus the one or two changed properties


async def test_select_limits_which_changes_show_up(graph, client, config):
    _, delta_link = await run_round(graph, f"{USERS_DELTA}?$select=givenName")
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/churn", json={"users_changed": 5}
    )
    items, _ = await run_round(graph, delta_link)
    assert items == []  # churn never changes givenName


@pytest.mark.parametrize("config", [small_config(delta_duplicate_rate=1.0)])
async def test_change_rounds_replay_items(graph, client, config):
    _, delta_link = await run_round(graph, USERS_DELTA)
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/churn", json={"users_changed": 2}
    )
    items, _ = await run_round(graph, delta_link)
    ids = [i["id"] for i in items]
    assert len(ids) > len(set(ids))


async def test_removed_users_show_up_in_the_initial_round_too(graph, client, config):
    touched = (
        await client.post(
            f"/_sandbox/tenants/{config.primary.tenant_id}/churn", json={"users_removed": 1}
        )
    ).json()["touched"]
    items, _ = await run_round(graph, USERS_DELTA)
    removed = [i for i in items if "@removed" in i]
    assert [i["id"] for i in removed] == touched["users_removed"]
    assert len(items) == 40


async def test_expired_delta_token_is_sync_state_not_found(graph, client, config):
    _, delta_link = await run_round(graph, USERS_DELTA)
    await client.post("/_sandbox/clock", json={"advance_seconds": 8 * 86_400})
    graph.headers["Authorization"] = f"Bearer {await get_token(client, config)}"
    response = await graph.get(delta_link)
    assert response.status_code == 400
    assert error_code(response) == "syncStateNotFound"


async def test_reset_answers_410_gone_with_a_location_for_a_full_resync(graph, client, config):
    _, delta_link = await run_round(graph, f"{USERS_DELTA}?$select=displayName")
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/state", json={"reset_delta": True}
    )
    gone = await graph.get(delta_link)
    assert gone.status_code == 410
    assert error_code(gone) == "resyncRequired"
    location = gone.headers["Location"]
    assert location.endswith("$deltatoken=") and "$select=displayName" in location
    items, _ = await run_round(graph, location)
    assert len(items) == 40


async def test_service_principal_delta_sees_apps_added_and_removed(graph, client, config):
    initial, delta_link = await run_round(
        graph, "/v1.0/servicePrincipals/delta?$select=appId,displayName"
    )
    total = len((await graph.get("/v1.0/servicePrincipals?$top=999")).json()["value"])
    assert len(initial) == total
    touched = (
        await client.post(
            f"/_sandbox/tenants/{config.primary.tenant_id}/churn",
            json={"apps_added": 1, "apps_removed": 1},
        )
    ).json()["touched"]
    items, _ = await run_round(graph, delta_link)
    by_id = {i["id"]: i for i in items}
    assert set(by_id[touched["apps_added"][0]]) == {"id", "appId", "displayName"}
    assert by_id[touched["apps_removed"][0]]["@removed"] == {"reason": "deleted"}


@pytest.mark.parametrize("config", [small_config(delta_page_size=7)])
async def test_select_and_id_filter_survive_paging_into_the_next_round(graph, client, config):
    users = (await graph.get("/v1.0/users?$top=3")).json()["value"]
    wanted = " or ".join(f"id eq '{u['id']}'" for u in users[:2])
    items, delta_link = await run_round(
        graph, f"{USERS_DELTA}?$select=jobTitle,department&$filter={wanted}"
    )
    assert sorted(i["id"] for i in items) == sorted(u["id"] for u in users[:2])
    tenant_changes = f"/_sandbox/tenants/{config.primary.tenant_id}/churn"
    for _ in range(10):
        await client.post(tenant_changes, json={"users_changed": 5})
    changed, _ = await run_round(graph, delta_link)
    assert {i["id"] for i in changed} <= {u["id"] for u in users[:2]}
    assert all(set(i) <= {"id", "jobTitle", "department", "@removed"} for i in changed)
