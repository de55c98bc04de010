"""Paging contract: opaque absolute nextLinks, tampering, expiry, empty pages (§3, §8)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.app import create_app
from sandbox.config import SandboxConfig, TenantSpec, ThrottleLimits
from tests.sandbox.support import ANCHOR, BASE, error_code, get_token, page_all, small_config


async def test_next_link_is_absolute_and_repeats_the_original_query(graph):
    body = (await graph.get("/v1.0/users?$select=id,displayName&$top=5")).json()
    link = urlsplit(body["@odata.nextLink"])
    assert f"{link.scheme}://{link.netloc}" == BASE
    assert link.path == "/v1.0/users"
    query = parse_qs(link.query)
    assert query["$select"] == ["id,displayName"]
    assert query["$top"] == ["5"]
    assert query["$skiptoken"][0]


async def _second_link(graph: httpx.AsyncClient) -> str:
    return (await graph.get("/v1.0/users?$top=5")).json()["@odata.nextLink"]


async def test_tampered_skiptoken_is_400(graph):
    link = await _second_link(graph)
    token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, "garbage", ""):
        response = await graph.get("/v1.0/users", params={"$top": "5", "$skiptoken": bad})
        assert response.status_code == 400, bad
        assert error_code(response) == "Request_BadRequest"


async def test_skiptoken_reused_with_another_query_or_collection_is_400(graph):
    link = await _second_link(graph)
    token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
    other_top = await graph.get("/v1.0/users", params={"$top": "6", "$skiptoken": token})
    other_collection = await graph.get(
        "/v1.0/servicePrincipals", params={"$top": "5", "$skiptoken": token}
    )
    assert other_top.status_code == other_collection.status_code == 400


async def test_skiptoken_from_another_tenant_is_400():
    config = SandboxConfig(
        tenants=[TenantSpec(seed=1, users=20), TenantSpec(seed=2, users=20)],
        anchor=ANCHOR,
        throttling=ThrottleLimits(enabled=False),
    )
    app = create_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        first, second = [await get_token(c, config, t.tenant_id) for t in config.tenants]
        link = (
            await c.get("/v1.0/users?$top=5", headers={"Authorization": f"Bearer {first}"})
        ).json()["@odata.nextLink"]
        foreign = await c.get(link, headers={"Authorization": f"Bearer {second}"})
        assert foreign.status_code == 400


async def test_skiptokens_expire(graph, client, config):
    link = await _second_link(graph)
    await client.post("/_sandbox/clock", json={"advance_seconds": 2 * 3_600})
    graph.headers["Authorization"] = f"Bearer {await get_token(client, config)}"
    response = await graph.get(link)
    assert response.status_code == 400
    assert error_code(response) == "Directory_ExpiredPageToken"


@pytest.mark.parametrize("config", [small_config(empty_page_rate=1.0)])
async def test_empty_pages_still_carry_a_next_link(graph):
    first = (await graph.get("/v1.0/users?$top=10")).json()
    assert len(first["value"]) == 10
    second = (await graph.get(first["@odata.nextLink"])).json()
    assert second["value"] == [] and "@odata.nextLink" in second
    users, pages = await page_all(graph, "/v1.0/users?$top=10")
    assert len(users) == 40 and pages == 7  # 4 full pages and 3 empty ones in between


async def test_last_page_has_no_next_link(graph):
    body = (await graph.get("/v1.0/users?$top=40")).json()
    assert len(body["value"]) == 40 and "@odata.nextLink" not in body


async def test_links_follow_the_host_the_client_used(app, config):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:9999"
    ) as c:
        token = await get_token(c, config)
        body = (
            await c.get("/v1.0/users?$top=5", headers={"Authorization": f"Bearer {token}"})
        ).json()
        assert body["@odata.nextLink"].startswith("http://127.0.0.1:9999/v1.0/users?")
