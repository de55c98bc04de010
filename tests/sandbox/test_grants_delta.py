"""/oauth2PermissionGrants/delta: the delta contract (docs/graph.md#delta) over grants."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.config import SandboxConfig
from tests.sandbox.support import error_code, get_token, small_config
from tests.sandbox.test_delta import run_round

GRANTS_DELTA = "/v1.0/oauth2PermissionGrants/delta"
SELECT = "clientId,consentType,principalId,resourceId,scope"


async def _listing(graph: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Every grant the plain listing shows, by id."""
    found: dict[str, dict[str, Any]] = {}
    url: str | None = "/v1.0/oauth2PermissionGrants?$top=999"
    while url:
        body = (await graph.get(url)).json()
        found |= {g["id"]: g for g in body["value"]}
        url = body.get("@odata.nextLink")
    return found


async def _churn(client: httpx.AsyncClient, config: SandboxConfig, **counts: int) -> dict:
    response = await client.post(f"/_sandbox/tenants/{config.primary.tenant_id}/churn", json=counts)
    assert response.status_code == 200, response.text
    return response.json()["touched"]


@pytest.mark.parametrize("config", [small_config(delta_page_size=4)])
async def test_initial_round_pages_to_a_delta_link_and_equals_the_listing(graph):
    first = (await graph.get(f"{GRANTS_DELTA}?$select={SELECT}")).json()
    assert "@odata.nextLink" in first and "@odata.deltaLink" not in first
    assert "$skiptoken=" in first["@odata.nextLink"] and "$select" not in first["@odata.nextLink"]
    assert first["@odata.context"].endswith("$metadata#oauth2PermissionGrants")
    items, delta_link = await run_round(graph, f"{GRANTS_DELTA}?$select={SELECT}")
    listing = await _listing(graph)
    assert len(listing) > 8  # several pages
    assert {i["id"]: i for i in items} == listing
    assert "$deltatoken=" in delta_link
    again, _ = await run_round(graph, delta_link)
    assert again == []


async def test_select_keeps_only_the_selected_properties(graph):
    items, _ = await run_round(graph, f"{GRANTS_DELTA}?$select=scope")
    assert items and all(set(i) == {"id", "scope"} for i in items)


async def test_changes_bring_new_revoked_and_rescoped_grants(graph, client, config):
    _, delta_link = await run_round(graph, f"{GRANTS_DELTA}?$select={SELECT}")
    before = await _listing(graph)
    touched = await _churn(client, config, consents_added=2, consents_revoked=2, grants_changed=2)
    items, next_link = await run_round(graph, delta_link)
    after = await _listing(graph)
    by_id = {i["id"]: i for i in items}
    for gid in touched["consents_added"]:
        assert by_id[gid] == after[gid] and gid not in before
    for gid in touched["consents_revoked"]:
        assert by_id[gid] == {"id": gid, "@removed": {"reason": "deleted"}}
        assert gid in before and gid not in after
    for gid in set(touched["grants_changed"]) - set(touched["consents_revoked"]):
        assert by_id[gid] == after[gid] and by_id[gid]["scope"] != before[gid]["scope"]
    assert set(by_id) == {*touched["consents_added"], *touched["consents_revoked"]} | set(
        touched["grants_changed"]
    )
    quiet, _ = await run_round(graph, next_link)
    assert quiet == []


async def test_grants_go_with_a_deleted_client_or_user(graph, client, config):
    _, delta_link = await run_round(graph, GRANTS_DELTA)
    before = await _listing(graph)
    await _churn(client, config, apps_removed=3, users_removed=3, apps_added=2)
    after = await _listing(graph)
    items, _ = await run_round(graph, delta_link)
    removed = {i["id"] for i in items if "@removed" in i}
    present = {i["id"]: i for i in items if "@removed" not in i}
    assert removed == set(before) - set(after)
    assert present == {gid: after[gid] for gid in set(after) - set(before)}


async def test_prefer_return_minimal_sends_only_the_changed_scope(graph, client, config):
    _, delta_link = await run_round(graph, f"{GRANTS_DELTA}?$select={SELECT}")
    touched = await _churn(client, config, grants_changed=3)
    response = await graph.get(delta_link, headers={"Prefer": "return=minimal"})
    assert response.headers["Preference-Applied"] == "return=minimal"
    items = response.json()["value"]
    assert {i["id"] for i in items} == set(touched["grants_changed"])
    assert all(set(i) == {"id", "scope"} for i in items)


async def test_select_without_scope_hides_scope_changes(graph, client, config):
    _, delta_link = await run_round(graph, f"{GRANTS_DELTA}?$select=clientId")
    await _churn(client, config, grants_changed=3)
    items, _ = await run_round(graph, delta_link)
    assert items == []


async def test_deltatoken_latest_returns_no_data_and_tracks_from_now(graph, client, config):
    await _churn(client, config, consents_added=1)  # before the token: never reported
    body = (await graph.get(f"{GRANTS_DELTA}?$select={SELECT}&$deltatoken=latest")).json()
    assert body["value"] == [] and "@odata.deltaLink" in body and "@odata.nextLink" not in body
    touched = await _churn(client, config, consents_added=1)
    items, _ = await run_round(graph, body["@odata.deltaLink"])
    assert [i["id"] for i in items] == touched["consents_added"]
    assert set(items[0]) == {"id", *SELECT.split(",")}  # the $select travelled in the token


@pytest.mark.parametrize("query", ["$top=5", "$orderby=scope", "$expand=client"])
async def test_top_orderby_expand_are_rejected(graph, query):
    response = await graph.get(f"{GRANTS_DELTA}?{query}")
    assert response.status_code == 400
    assert error_code(response) == "Request_UnsupportedQuery"


async def test_expired_delta_token_is_sync_state_not_found(graph, client, config):
    _, delta_link = await run_round(graph, GRANTS_DELTA)
    await client.post("/_sandbox/clock", json={"advance_seconds": 8 * 86_400})
    graph.headers["Authorization"] = f"Bearer {await get_token(client, config)}"
    response = await graph.get(delta_link)
    assert response.status_code == 400
    assert error_code(response) == "syncStateNotFound"


async def test_reset_answers_410_gone_with_a_location_for_a_full_round(graph, client, config):
    _, delta_link = await run_round(graph, f"{GRANTS_DELTA}?$select=scope")
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/state", json={"reset_delta": True}
    )
    gone = await graph.get(delta_link)
    assert gone.status_code == 410 and error_code(gone) == "resyncRequired"
    location = gone.headers["Location"]
    assert "/oauth2PermissionGrants/delta?" in location and "$select=scope" in location
    items, _ = await run_round(graph, location)
    assert len(items) == len(await _listing(graph))


async def test_a_users_delta_link_is_refused_on_grants(graph):
    _, users_link = await run_round(graph, "/v1.0/users/delta")
    token = users_link.split("$deltatoken=")[1]
    response = await graph.get(f"{GRANTS_DELTA}?$deltatoken={token}")
    assert response.status_code == 400


@pytest.mark.parametrize("config", [small_config(granted_roles=["User.Read.All"])])
async def test_needs_a_grants_permission(graph):
    response = await graph.get(GRANTS_DELTA)
    assert response.status_code == 403
