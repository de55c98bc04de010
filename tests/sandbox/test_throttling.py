"""Throttling contract (docs/graph.md#throttling)."""

from __future__ import annotations

import httpx
import pytest

from sandbox.app import create_app
from sandbox.config import SandboxConfig, TenantSize, TenantSpec, ThrottleLimits
from sandbox.throttling import TokenBucket, request_cost
from tests.sandbox.support import ANCHOR, BASE, error_code, get_token, small_config

SIGNINS = "/v1.0/auditLogs/signIns?$top=10"


@pytest.mark.parametrize(
    ("route", "select", "expand", "top", "cost"),
    [
        ("users", False, False, None, 2),
        ("users", True, False, None, 1),
        ("users", False, False, 5, 1),
        ("users", True, False, 5, 1),  # never below 1
        ("oauth2PermissionGrants", True, False, 999, 1),
        ("groups/members", False, True, None, 4),
        ("servicePrincipals", False, False, None, 1),
    ],
)
def test_cost_table_and_modifiers(route, select, expand, top, cost):
    assert request_cost(route, select=select, expand=expand, top=top) == cost


def test_tenant_size_classes():
    assert TenantSpec(users=49).size is TenantSize.SMALL
    assert TenantSpec(users=500).size is TenantSize.MEDIUM
    assert TenantSpec(users=501).size is TenantSize.LARGE
    limits = ThrottleLimits()
    assert [limits.tenant_capacity(s) for s in TenantSize] == [3_500, 5_000, 8_000]


def test_bucket_refills_and_counts_throttled_requests():
    bucket = TokenBucket(10, 10.0, now=0.0)
    assert bucket.take(10, 0.0) == (True, 0.0)
    allowed, wait = bucket.take(2, 0.0)
    assert not allowed and wait == pytest.approx(4.0)  # 2 missing + 2 more of debt, at 1/s
    assert bucket.take(2, 4.0)[0]


def limited(**limits: float) -> SandboxConfig:
    """Throttling on; long windows so refill during a test is negligible."""
    config = small_config(throttling=True)
    config.throttling.ru_window_seconds = 1_000
    for name, value in limits.items():
        setattr(config.throttling, name, value)
    return config


@pytest.mark.parametrize("config", [limited(ru_small=10)])
async def test_ru_bucket_answers_429_with_graph_headers(graph, config):
    statuses = []
    for _ in range(12):
        response = await graph.get("/v1.0/users?$select=id")
        statuses.append(response.status_code)
        if response.status_code == 200:
            assert response.headers["x-ms-resource-unit"] == "1"
    assert statuses[:10] == [200] * 10
    throttled = response
    assert throttled.status_code == 429
    assert error_code(throttled) == "TooManyRequests"
    assert throttled.headers["Retry-After"].isdigit()  # whole seconds, as Graph sends them
    assert int(throttled.headers["Retry-After"]) >= 1
    tid = config.primary.tenant_id
    assert throttled.headers["x-ms-throttle-scope"] == (
        f"Tenant_Application/Read/{config.client_id}/{tid}"
    )
    assert throttled.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"


@pytest.mark.parametrize("config", [limited(ru_small=10)])
async def test_limit_percentage_shows_above_80_percent(graph):
    seen = []
    for _ in range(10):
        response = await graph.get("/v1.0/users?$select=id")
        seen.append(response.headers.get("x-ms-throttle-limit-percentage"))
    assert seen[:7] == [None] * 7
    assert seen[8:] == ["0.9", "1.0"]


@pytest.mark.parametrize("config", [limited(ru_small=4)])
async def test_waiting_retry_after_lets_the_request_through(graph, client):
    for _ in range(4):
        assert (await graph.get("/v1.0/users?$select=id")).status_code == 200
    throttled = await graph.get("/v1.0/users?$select=id")
    wait = float(throttled.headers["Retry-After"])
    await client.post("/_sandbox/clock", json={"advance_seconds": wait + 0.01})
    assert (await graph.get("/v1.0/users?$select=id")).status_code == 200


@pytest.mark.parametrize("config", [limited()])
async def test_reports_limiter_allows_five_per_ten_seconds(graph, client):
    statuses = [(await graph.get(SIGNINS)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert (await graph.get("/v1.0/users?$select=id")).status_code == 200  # separate limiter
    await client.post("/_sandbox/clock", json={"advance_seconds": 10})
    assert (await graph.get(SIGNINS)).status_code == 200


@pytest.mark.parametrize("config", [limited(reports_requests=5, time_scale=10)])
async def test_time_scale_compresses_windows(graph):
    for _ in range(5):
        await graph.get(SIGNINS)
    throttled = await graph.get(SIGNINS)
    assert throttled.status_code == 429
    assert float(throttled.headers["Retry-After"]) <= 1.0


async def test_per_app_limit_is_shared_by_all_tenants():
    config = SandboxConfig(
        tenants=[TenantSpec(seed=1, users=10), TenantSpec(seed=2, users=10)],
        anchor=ANCHOR,
        throttling=ThrottleLimits(app_ru=6, app_ru_window_seconds=1_000),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(config)), base_url=BASE
    ) as c:
        tokens = [await get_token(c, config, t.tenant_id) for t in config.tenants]
        statuses = [
            (
                await c.get(
                    "/v1.0/users?$select=id", headers={"Authorization": f"Bearer {tokens[n % 2]}"}
                )
            ).status_code
            for n in range(8)
        ]
        assert statuses == [200] * 6 + [429, 429]
        last = await c.get(
            "/v1.0/users?$select=id", headers={"Authorization": f"Bearer {tokens[0]}"}
        )
        assert last.headers["x-ms-throttle-scope"].startswith("Application/")


async def test_global_request_limit(graph, client):
    await client.post(
        "/_sandbox/throttling",
        json={"enabled": True, "app_requests": 3, "app_requests_window_seconds": 1_000},
    )
    statuses = [(await graph.get("/v1.0/organization")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
