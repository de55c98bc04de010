"""Identity platform contract (docs/graph.md#tokens)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msal
import pytest

from sandbox.config import SandboxConfig
from sandbox.testing import RedirectingTransport, running_sandbox
from tests.sandbox.support import GRAPH_SCOPE, get_token, small_config

STS_FIELDS = {
    "error",
    "error_description",
    "error_codes",
    "timestamp",
    "trace_id",
    "correlation_id",
}


def claims(token: str) -> dict[str, Any]:
    """Decode a JWT payload without verifying, as our client does."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def form(config: SandboxConfig, **changes: str) -> dict[str, str]:
    data = {
        "grant_type": "client_credentials",
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "scope": GRAPH_SCOPE,
        "client_info": "1",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def assert_sts_error(response: httpx.Response, status: int, error: str, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= STS_FIELDS
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}:")


async def test_openid_configuration_advertises_https_endpoints_under_the_tenant(client, config):
    tid = config.primary.tenant_id
    response = await client.get(f"/{tid}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    body = response.json()
    for key in ("token_endpoint", "authorization_endpoint"):
        parts = urlsplit(body[key])
        assert parts.scheme == "https"
        assert parts.netloc == "login.microsoftonline.com"
        assert parts.path.split("/")[1] == tid
    assert body["issuer"] == f"https://login.microsoftonline.com/{tid}/v2.0"


async def test_openid_configuration_resolves_the_domain_and_organizations(client, config):
    for segment in (config.primary.domain, "organizations"):
        response = await client.get(f"/{segment}/v2.0/.well-known/openid-configuration")
        assert response.status_code == 200
        assert f"/{segment}/oauth2/v2.0/token" in response.json()["token_endpoint"]


async def test_openid_configuration_of_unknown_tenant_is_aadsts90002(client):
    response = await client.get(
        "/00000000-1111-2222-3333-444444444444/v2.0/.well-known/openid-configuration"
    )
    assert_sts_error(response, 400, "invalid_tenant", 90002)


async def test_token_success_has_lifetimes_and_a_jwt_with_the_tenant_roles(client, config):
    response = await client.post(
        f"/{config.primary.tenant_id}/oauth2/v2.0/token", data=form(config)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert 3_600 <= body["expires_in"] <= 5_400  # Entra's random 60-90 minutes
    assert body["ext_expires_in"] >= body["expires_in"]
    assert "refresh_token" not in body
    token = claims(body["access_token"])
    assert token["aud"] == "https://graph.microsoft.com"
    assert token["tid"] == config.primary.tenant_id
    assert token["appid"] == config.client_id
    assert set(token["roles"]) == set(config.primary.granted_roles)
    assert token["exp"] - token["iat"] == body["expires_in"]
    assert token["iss"] == f"https://sts.windows.net/{config.primary.tenant_id}/"


async def test_token_accepts_the_secret_as_http_basic(client, config):
    basic = base64.b64encode(f"{config.client_id}:{config.client_secret}".encode()).decode()
    response = await client.post(
        f"/{config.primary.tenant_id}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": GRAPH_SCOPE},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("changes", "status", "error", "code"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"client_secret": ""}, 401, "invalid_client", 7000218),
        ({"scope": "https://graph.microsoft.com/User.Read"}, 400, "invalid_scope", 70011),
        ({"scope": "https://outlook.office.com/.default"}, 400, "invalid_scope", 70011),
        ({"client_id": "11111111-2222-3333-4444-555555555555"}, 400, "unauthorized_client", 700016),
        ({"grant_type": ""}, 400, "invalid_request", 900144),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
    ],
)
async def test_token_failures_carry_the_documented_codes(
    client, config, changes, status, error, code
):
    response = await client.post(
        f"/{config.primary.tenant_id}/oauth2/v2.0/token",
        data=form(config, **changes),
        headers={"client-request-id": "abc-123"},
    )
    assert_sts_error(response, status, error, code)
    assert response.json()["correlation_id"] == "abc-123"


async def test_token_for_unknown_tenant_and_common(client, config):
    unknown = await client.post(
        "/contoso-nope.onmicrosoft.com/oauth2/v2.0/token", data=form(config)
    )
    assert_sts_error(unknown, 400, "invalid_request", 90002)
    common = await client.post("/common/oauth2/v2.0/token", data=form(config))
    assert_sts_error(common, 400, "invalid_request", 9001023)


async def test_expired_secret_is_aadsts7000222(client, config):
    await client.post("/_sandbox/client", json={"secret_expired": True})
    response = await client.post(
        f"/{config.primary.tenant_id}/oauth2/v2.0/token", data=form(config)
    )
    assert_sts_error(response, 401, "invalid_client", 7000222)


@pytest.mark.parametrize("config", [small_config(consented=False)])
async def test_unconsented_tenant_gets_700016_until_admin_consent(client, config):
    tid = config.primary.tenant_id
    before = await client.post(f"/{tid}/oauth2/v2.0/token", data=form(config))
    assert_sts_error(before, 400, "unauthorized_client", 700016)
    consent = await client.get(
        f"/{tid}/v2.0/adminconsent",
        params={
            "client_id": config.client_id,
            "scope": GRAPH_SCOPE,
            "state": "s-1",
            "redirect_uri": "https://app.example/consented?x=1",
        },
    )
    assert consent.status_code == 302
    location = urlsplit(consent.headers["location"])
    query = parse_qs(location.query)
    assert location.netloc == "app.example"
    assert query["admin_consent"] == ["True"]
    assert query["tenant"] == [tid]
    assert query["state"] == ["s-1"]
    assert query["scope"] == [GRAPH_SCOPE]
    assert query["x"] == ["1"]
    after = await client.post(f"/{tid}/oauth2/v2.0/token", data=form(config))
    assert after.status_code == 200


async def test_classic_admin_consent_on_organizations_resolves_the_primary_tenant(client, config):
    response = await client.get(
        "/organizations/adminconsent",
        params={
            "client_id": config.client_id,
            "redirect_uri": "https://app.example/cb",
            "state": "z",
        },
    )
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query == {
        "admin_consent": ["True"],
        "tenant": [config.primary.tenant_id],
        "state": ["z"],
    }


@pytest.mark.parametrize(
    ("path", "error"),
    [("v2.0/adminconsent", "consent_required"), ("adminconsent", "access_denied")],
)
async def test_declined_admin_consent_redirects_with_aadsts65004(client, config, path, error):
    tid = config.primary.tenant_id
    await client.post(f"/_sandbox/tenants/{tid}/state", json={"consent_error": error})
    response = await client.get(
        f"/{tid}/{path}",
        params={
            "client_id": config.client_id,
            "scope": GRAPH_SCOPE,
            "state": "s",
            "redirect_uri": "https://app.example/cb",
        },
    )
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == [error]
    assert query["error_description"][0].startswith("AADSTS65004")
    assert query["state"] == ["s"]
    assert ("admin_consent" in query) == path.startswith("v2.0")


@pytest.mark.parametrize("config", [small_config(redirect_uris=["https://app.example/cb"])])
async def test_admin_consent_rejects_an_unregistered_redirect_uri(client, config):
    response = await client.get(
        f"/{config.primary.tenant_id}/v2.0/adminconsent",
        params={
            "client_id": config.client_id,
            "scope": GRAPH_SCOPE,
            "redirect_uri": "https://evil.example/cb",
        },
    )
    assert_sts_error(response, 400, "invalid_request", 50011)


@pytest.mark.parametrize("config", [small_config(granted_roles=[])])
async def test_token_without_roles_is_issued_and_graph_answers_403(client, config):
    token = await get_token(client, config)
    assert "roles" not in claims(token)
    response = await client.get("/v1.0/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"


class MsalHttpClient:
    """MSAL's http_client contract over httpx, sending Microsoft hosts to the sandbox."""

    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(transport=RedirectingTransport(base_url))

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        body = {"content": data} if isinstance(data, str | bytes) else {"data": data}
        return self._http.post(url, params=params, headers=headers, **body)

    def get(
        self, url: str, params: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        return self._http.get(url, params=params, headers=headers)

    def close(self) -> None:
        self._http.close()


async def test_msal_gets_a_token_through_the_real_authority_string():
    async with running_sandbox(small_config()) as sandbox:
        http = MsalHttpClient(sandbox.base_url)
        # MSAL is synchronous; the server runs on this loop, so MSAL goes to a thread.
        app = await asyncio.to_thread(
            msal.ConfidentialClientApplication,
            sandbox.client_id,
            client_credential=sandbox.client_secret,
            http_client=http,
            authority=f"https://login.microsoftonline.com/{sandbox.tenant_id}",
        )
        first = await asyncio.to_thread(app.acquire_token_for_client, scopes=[GRAPH_SCOPE])
        second = await asyncio.to_thread(app.acquire_token_for_client, scopes=[GRAPH_SCOPE])
        http.close()
        assert "access_token" in first, first
        assert first["token_source"] == "identity_provider"
        assert second["token_source"] == "cache"
        assert claims(first["access_token"])["tid"] == sandbox.tenant_id
        log = await sandbox.request_log()
        assert [(e["method"], e["path"].split("/", 2)[2]) for e in log] == [
            ("GET", "v2.0/.well-known/openid-configuration"),
            ("POST", "oauth2/v2.0/token"),
        ]
