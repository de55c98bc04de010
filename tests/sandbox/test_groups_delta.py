"""/groups/delta?$select=members: the delta contract (docs/graph.md#groups) over memberships."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.config import SandboxConfig
from tests.sandbox.support import error_code, get_token, small_config
from tests.sandbox.test_delta import run_round

GROUPS_DELTA = "/v1.0/groups/delta"
USER = "#microsoft.graph.user"


async def _listed_members(graph: httpx.AsyncClient) -> set[tuple[str, str]]:
    """(group, user) for every group's direct user members, from /groups/{id}/members."""
    found: set[tuple[str, str]] = set()
    for group in (await graph.get("/v1.0/groups")).json()["value"]:
        url: str | None = f"/v1.0/groups/{group['id']}/members?$select=id&$top=999"
        while url:
            body = (await graph.get(url)).json()
            found |= {(group["id"], m["id"]) for m in body["value"]}
            url = body.get("@odata.nextLink")
    return found


def _memberships(items: list[dict[str, Any]], state: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Apply a round's members@delta to a set of (group, user), as a client does."""
    result = set(state)
    for group in items:
        for member in group.get("members@delta", []):
            if member["@odata.type"] != USER:
                continue
            pair = (group["id"], member["id"])
            if "@removed" in member:
                result.discard(pair)
            else:
                result.add(pair)
    return result


async def _churn(client: httpx.AsyncClient, config: SandboxConfig, **counts: int) -> dict:
    response = await client.post(f"/_sandbox/tenants/{config.primary.tenant_id}/churn", json=counts)
    assert response.status_code == 200, response.text
    return response.json()["touched"]


@pytest.mark.parametrize("config", [small_config(delta_page_size=3)])
async def test_full_round_pages_every_group_with_its_members(graph):
    first = (await graph.get(f"{GROUPS_DELTA}?$select=displayName,members")).json()
    assert "@odata.nextLink" in first and "@odata.deltaLink" not in first
    assert "$skiptoken=" in first["@odata.nextLink"]
    items, delta_link = await run_round(graph, f"{GROUPS_DELTA}?$select=displayName,members")
    assert "$deltatoken=" in delta_link
    groups = (await graph.get("/v1.0/groups")).json()["value"]
    # Every group shows up; a large group's members come over several pages (15 per page here).
    assert {g["id"] for g in items} == {g["id"] for g in groups}
    assert len(items) > len(groups)
    assert all(set(g) == {"id", "displayName", "members@delta"} for g in items)
    assert _memberships(items, set()) == await _listed_members(graph)
    # Members that are not users are tagged so that a client can skip them.
    kinds = {m["@odata.type"] for g in items for m in g["members@delta"]}
    assert kinds == {
        USER,
        "#microsoft.graph.group",
        "#microsoft.graph.device",
        "#microsoft.graph.servicePrincipal",
    }
    again, _ = await run_round(graph, delta_link)
    assert again == []


async def test_members_are_tracked_only_when_selected(graph):
    items, _ = await run_round(graph, f"{GROUPS_DELTA}?$select=displayName")
    assert items and all("members@delta" not in g for g in items)


async def test_change_round_reports_joiners_and_leavers_with_removed(graph, client, config):
    before, delta_link = await run_round(graph, f"{GROUPS_DELTA}?$select=members")
    touched = await _churn(
        client,
        config,
        members_added=3,
        members_removed=2,
        users_added=2,
        users_removed=2,
        users_changed=6,
    )
    assert len(touched["members_added"]) == 3 and len(touched["members_removed"]) == 2
    changes, _ = await run_round(graph, delta_link)
    removed = [(g["id"], m["id"]) for g in changes for m in g["members@delta"] if "@removed" in m]
    assert removed and all(
        m.get("@removed") == {"reason": "deleted"}
        for g in changes
        for m in g["members@delta"]
        if "@removed" in m
    )
    for key in touched["members_added"] + touched["members_removed"]:
        group, user = key.split(":")
        assert any(
            g["id"] == group and any(m["id"] == user for m in g["members@delta"]) for g in changes
        )
    # The change round brings a client's memberships to what the listing shows now.
    assert _memberships(changes, _memberships(before, set())) == await _listed_members(graph)


async def test_deltatoken_latest_returns_only_a_link_that_sees_later_changes(graph, client, config):
    body = (await graph.get(f"{GROUPS_DELTA}?$select=members&$deltatoken=latest")).json()
    assert body["value"] == [] and "@odata.deltaLink" in body
    touched = await _churn(client, config, members_added=1)
    changes, _ = await run_round(graph, body["@odata.deltaLink"])
    group, user = touched["members_added"][0].split(":")
    assert [(g["id"], [m["id"] for m in g["members@delta"]]) for g in changes] == [(group, [user])]


async def test_expired_token_is_sync_state_not_found_and_reset_is_410(graph, client, config):
    _, delta_link = await run_round(graph, f"{GROUPS_DELTA}?$select=members")
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/state", json={"reset_delta": True}
    )
    gone = await graph.get(delta_link)
    assert gone.status_code == 410 and error_code(gone) == "resyncRequired"
    assert "$select=members" in gone.headers["Location"]
    _, delta_link = await run_round(graph, gone.headers["Location"])
    await client.post("/_sandbox/clock", json={"advance_seconds": 8 * 86_400})
    graph.headers["Authorization"] = f"Bearer {await get_token(client, config)}"
    expired = await graph.get(delta_link)
    assert expired.status_code == 400 and error_code(expired) == "syncStateNotFound"


async def test_groups_delta_needs_a_group_permission(graph, client, config):
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/state",
        json={"granted_roles": ["User.Read.All"], "expire_tokens": True},
    )
    graph.headers["Authorization"] = f"Bearer {await get_token(client, config)}"
    response = await graph.get(f"{GROUPS_DELTA}?$select=members")
    assert response.status_code == 403
    assert error_code(response) == "Authorization_RequestDenied"
