"""The sandbox's sign-in (auth-code flow with PKCE) and directory roles, as Microsoft does them:
codes are single use and bound to tenant, redirect URI and verifier; role casts need an
advanced query."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.authcode import posted_form
from sandbox.config import SandboxConfig, TenantSpec

REDIRECT = "https://app.example/cb"
VERIFIER = "v" * 50
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
)


async def _code(client, config, **extra) -> str:
    response = await client.get(
        f"/{config.primary.tenant_id}/oauth2/v2.0/authorize",
        params={
            "client_id": config.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "openid profile",
            "state": "s1",
            "nonce": "n1",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
            **extra,
        },
    )
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def _redeem_form(config, code: str, **extra) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
        **extra,
    }


def _claims(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_the_admin_signs_in_and_the_code_is_spent_once(client, config):
    tid = config.primary.tenant_id
    code = await _code(client, config)
    answer = await client.post(f"/{tid}/oauth2/v2.0/token", data=_redeem_form(config, code))
    assert answer.status_code == 200
    claims = _claims(answer.json()["id_token"])
    admin = (await client.get(f"/_sandbox/tenants/{tid}/state")).json()["admin"]
    assert (claims["tid"], claims["aud"], claims["nonce"]) == (tid, config.client_id, "n1")
    assert claims["preferred_username"] == admin
    again = await client.post(f"/{tid}/oauth2/v2.0/token", data=_redeem_form(config, code))
    assert again.status_code == 400 and "AADSTS54005" in again.json()["error_description"]


@pytest.mark.parametrize(
    ("change", "aadsts"),
    [
        ({"code_verifier": "w" * 50}, "AADSTS501481"),
        ({"redirect_uri": "https://evil.example/cb"}, "AADSTS50148"),
        ({"client_secret": "wrong"}, "AADSTS7000215"),
    ],
)
async def test_a_code_needs_its_verifier_redirect_and_the_client_secret(
    client, config, change, aadsts
):
    code = await _code(client, config)
    answer = await client.post(
        f"/{config.primary.tenant_id}/oauth2/v2.0/token", data=_redeem_form(config, code, **change)
    )
    assert answer.status_code in (400, 401) and aadsts in answer.json()["error_description"]


@pytest.mark.parametrize(
    "config", [SandboxConfig(tenants=[TenantSpec(seed=1, users=20), TenantSpec(seed=2, users=20)])]
)
async def test_a_code_from_one_tenant_is_refused_by_another(client, config):
    code = await _code(client, config)
    other = config.tenants[1].tenant_id
    answer = await client.post(f"/{other}/oauth2/v2.0/token", data=_redeem_form(config, code))
    assert answer.status_code == 400 and "AADSTS70000" in answer.json()["error_description"]


async def test_form_post_answers_with_a_page_that_posts_back(client, config):
    response = await client.get(
        f"/{config.primary.tenant_id}/oauth2/v2.0/authorize",
        params={
            "client_id": config.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": "s2",
            "response_mode": "form_post",
        },
    )
    action, fields = posted_form(response.text)
    assert action == REDIRECT and fields["state"] == "s2" and fields["code"]


async def test_directory_roles_need_an_advanced_query(graph, config):
    tid = config.primary.tenant_id
    admin = (await graph.get(f"/_sandbox/tenants/{tid}/state")).json()["admin"]
    path = f"/v1.0/users/{admin}/transitiveMemberOf/microsoft.graph.directoryRole"
    plain = await graph.get(path)
    assert plain.status_code == 400
    answer = await graph.get(
        path, params={"$count": "true"}, headers={"ConsistencyLevel": "eventual"}
    )
    [role] = answer.json()["value"]
    assert (role["displayName"], role["roleTemplateId"]) == (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
    )


async def test_group_members_say_what_they_are(graph, config):
    groups = (await graph.get("/v1.0/groups", params={"$select": "id"})).json()["value"]
    members = (
        await graph.get(f"/v1.0/groups/{groups[0]['id']}/members", params={"$select": "id"})
    ).json()["value"]
    assert members and {m["@odata.type"] for m in members} == {"#microsoft.graph.user"}


@pytest.mark.parametrize(
    "config",
    [
        SandboxConfig(
            tenants=[TenantSpec(seed=3, users=250)],
            empty_page_rate=0.0,
            public_graph_host="https://graph.microsoft.com",
        )
    ],
)
async def test_links_can_name_graph_s_public_host_and_the_client_follows_them(app, client, config):
    """Graph's nextLinks are absolute https://graph.microsoft.com URLs: the client follows them
    as given, but only ever to its own Graph URL (here the sandbox), token included."""
    from sync_core.graph import AccessToken, GraphClient
    from tests.sandbox.support import get_token

    bearer = await get_token(client, config)

    class Tokens:
        async def token(self, tenant_id: str) -> AccessToken:
            return AccessToken(
                value=bearer,
                expires_at=dt.datetime.max.replace(tzinfo=dt.UTC),
                roles=frozenset(),
                tenant_id=tenant_id,
            )

        async def invalidate(self, tenant_id: str, *, stale: str | None = None) -> None:
            return None

    sandbox_url = "http://sandbox.test"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        graph = GraphClient(
            http, tokens=Tokens(), tenant_id=config.primary.tenant_id, graph_url=sandbox_url
        )
        links, ids = [], []
        async for page in graph.pages("users", params={"$select": "id", "$top": "100"}):
            ids += [u["id"] for u in page.items]
            links.append(page.next_link)
    assert len(ids) == len(set(ids)) == 250
    assert all(link.startswith("https://graph.microsoft.com/v1.0/users?") for link in links[:-1])
