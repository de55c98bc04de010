"""Injected faults and runtime changes: 429/503/504, drops, bad JSON, expiry, licence, roles."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from sandbox.config import FaultSettings
from sandbox.testing import running_sandbox
from tests.sandbox.support import error_code, get_token, small_config

USERS = "/v1.0/users?$select=id"


async def test_scripted_faults_hit_the_next_matching_requests(graph, client):
    await client.post(
        "/_sandbox/faults",
        json={
            "script": [
                {"kind": "429", "retry_after": 2.5, "path": "/users"},
                {"kind": "503", "retry_after": None},
                {"kind": "504"},
            ]
        },
    )
    throttled = await graph.get(USERS)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2.5"
    assert error_code(throttled) == "TooManyRequests"
    unavailable = await graph.get(USERS)
    assert unavailable.status_code == 503 and "Retry-After" not in unavailable.headers
    timeout = await graph.get(USERS)
    assert timeout.status_code == 504
    assert set(timeout.json()["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert (await graph.get(USERS)).status_code == 200


@pytest.mark.parametrize(
    "config",
    [
        small_config(
            faults=FaultSettings(
                rate_503=1.0, share_503_with_retry_after=1.0, retry_after_seconds=0.75
            )
        )
    ],
)
async def test_random_503_with_retry_after(graph):
    response = await graph.get(USERS)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "0.75"
    assert error_code(response) == "serviceNotAvailable"


async def test_random_rates_mix_faults_with_successes(graph, client):
    await client.post("/_sandbox/faults", json={"rate_429": 0.3, "rate_504": 0.2, "seed": 3})
    statuses = {(await graph.get(USERS)).status_code for _ in range(40)}
    assert statuses == {200, 429, 504}
    await client.post("/_sandbox/faults", json={"reset": True})
    assert {(await graph.get(USERS)).status_code for _ in range(5)} == {200}


async def test_malformed_body_is_not_json(graph, client):
    await client.post("/_sandbox/faults", json={"script": [{"kind": "malformed"}]})
    response = await graph.get(USERS)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_dropped_connection_over_asgi_raises_the_transport_error(graph, client):
    await client.post("/_sandbox/faults", json={"script": [{"kind": "drop"}]})
    with pytest.raises(httpx.RemoteProtocolError):
        await graph.get(USERS)
    log = (await client.get("/_sandbox/requests")).json()["requests"]
    assert log[-1]["fault"] == "drop" and log[-1]["status"] is None


async def test_dropped_connection_over_a_real_socket():
    async with running_sandbox(small_config()) as sandbox:
        token = await sandbox.token()
        await sandbox.script_faults({"kind": "drop"})
        async with httpx.AsyncClient(base_url=sandbox.base_url) as c:
            with pytest.raises(httpx.RemoteProtocolError):
                await c.get(USERS, headers={"Authorization": f"Bearer {token}"})
            ok = await c.get(USERS, headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200


async def test_latency_is_added(graph, client):
    await client.post("/_sandbox/faults", json={"latency_ms": 60})
    started = time.perf_counter()
    await graph.get(USERS)
    assert time.perf_counter() - started >= 0.06


async def test_faults_spare_the_identity_platform_unless_asked(client, config):
    await client.post("/_sandbox/faults", json={"rate_503": 1.0})
    assert await get_token(client, config)
    await client.post("/_sandbox/faults", json={"include_identity": True})
    response = await client.post(f"/{config.primary.tenant_id}/oauth2/v2.0/token", data={})
    assert response.status_code == 503


async def test_expire_all_tokens_now(graph, client, config):
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/state", json={"expire_tokens": True}
    )
    response = await graph.get(USERS)
    assert response.status_code == 401
    assert error_code(response) == "InvalidAuthenticationToken"
    assert response.json()["error"]["message"] == "Access token has expired or is not yet valid."
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm=""')
    fresh = await get_token(client, config)
    assert (await graph.get(USERS, headers={"Authorization": f"Bearer {fresh}"})).status_code == 200


@pytest.mark.parametrize("config", [small_config(token_lifetime_seconds=600)])
async def test_tokens_really_expire(graph, client):
    await client.post("/_sandbox/clock", json={"advance_seconds": 599})
    assert (await graph.get(USERS)).status_code == 200
    await client.post("/_sandbox/clock", json={"advance_seconds": 2})
    assert (await graph.get(USERS)).status_code == 401


async def test_licence_removed_at_runtime(graph, client, config):
    assert (await graph.get("/v1.0/auditLogs/signIns?$top=1")).status_code == 200
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/state", json={"premium": False}
    )
    response = await graph.get("/v1.0/auditLogs/signIns?$top=1")
    assert error_code(response) == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


async def test_permission_removed_applies_to_new_tokens(graph, client, config):
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/state",
        json={"granted_roles": ["User.Read.All"]},
    )
    assert (await graph.get("/v1.0/auditLogs/signIns?$top=1")).status_code == 200  # old token
    token = await get_token(client, config)
    response = await graph.get(
        "/v1.0/auditLogs/signIns?$top=1", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert error_code(response) == "Authorization_RequestDenied"


async def test_consent_revoked_blocks_the_token_endpoint(client, config):
    tid = config.primary.tenant_id
    await client.post(f"/_sandbox/tenants/{tid}/state", json={"consented": False})
    response = await client.post(
        f"/{tid}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert response.json()["error_codes"] == [700016]
