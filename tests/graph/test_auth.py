"""TokenProvider: real MSAL over the httpx adapter, respx standing in for the identity platform."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pydantic import SecretStr

from sync_core.graph import (
    ClientSecretExpired,
    ConsentMissing,
    InvalidClientSecret,
    TenantNotFound,
    TokenError,
    TokenProvider,
    TokenServiceUnavailable,
    unverified_claims,
)
from tests.graph.identity import (
    CLIENT_ID,
    LOGIN,
    ROLES,
    SANDBOX,
    TENANT,
    Login,
    discovery,
    sts_error,
    token_body,
)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def provider() -> Iterator[TokenProvider]:
    made = TokenProvider(CLIENT_ID, client_secret=SecretStr("s3cret"), login_url=SANDBOX)
    yield made
    made.close()


async def test_token_through_sandbox_url(router: respx.MockRouter, provider: TokenProvider):
    login = Login(router, SANDBOX)
    before = dt.datetime.now(dt.UTC)
    token = await provider.token(TENANT)
    assert token.roles == frozenset(ROLES)
    assert token.tenant_id == TENANT
    assert before + dt.timedelta(seconds=3590) <= token.expires_at
    assert token.expires_at <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3600)
    assert unverified_claims(token.value)["tid"] == TENANT
    form = parse_qs(login.token.calls.last.request.content.decode())
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_id"] == [CLIENT_ID]
    assert form["client_secret"] == ["s3cret"]
    assert form["scope"] == ["https://graph.microsoft.com/.default"]
    assert "s3cret" not in repr(provider) and token.value not in repr(token)


async def test_second_call_is_served_from_msal_cache(router, provider: TokenProvider) -> None:
    login = Login(router, SANDBOX)
    first = await provider.token(TENANT)
    second = await provider.token(TENANT)
    assert first.value == second.value
    assert (login.discovery.call_count, login.token.call_count) == (1, 1)


async def test_msal_runs_off_the_event_loop(router, provider: TokenProvider) -> None:
    login = Login(router, SANDBOX)
    loop_thread = threading.current_thread().name
    await provider.token(TENANT)
    assert len(login.threads) == 2
    assert loop_thread not in login.threads


async def test_real_login_host_is_not_rewritten(router: respx.MockRouter) -> None:
    login = Login(router, LOGIN)
    provider = TokenProvider(CLIENT_ID, client_secret="s3cret")
    try:
        token = await provider.token(TENANT)
    finally:
        provider.close()
    assert token.roles == frozenset(ROLES)
    assert login.token.call_count == 1


async def test_national_cloud_host(router: respx.MockRouter) -> None:
    host = "login.microsoftonline.us"
    router.get(f"{SANDBOX}/{TENANT}/v2.0/.well-known/openid-configuration").mock(
        return_value=httpx.Response(200, json=discovery(TENANT, host))
    )
    token_route = router.post(f"{SANDBOX}/{TENANT}/oauth2/v2.0/token").mock(
        return_value=httpx.Response(200, json=token_body())
    )
    provider = TokenProvider(
        CLIENT_ID,
        client_secret="s3cret",
        authority_host=host,
        login_url=SANDBOX,
        scope="https://graph.microsoft.us/.default",
    )
    try:
        await provider.token(TENANT)
    finally:
        provider.close()
    assert provider.authority(TENANT) == f"https://{host}/{TENANT}"
    form = parse_qs(token_route.calls.last.request.content.decode())
    assert form["scope"] == ["https://graph.microsoft.us/.default"]


@pytest.mark.parametrize(
    ("code", "error", "status", "expected"),
    [
        (700016, "unauthorized_client", 400, ConsentMissing),
        (65001, "invalid_grant", 400, ConsentMissing),
        (7000215, "invalid_client", 401, InvalidClientSecret),
        (7000222, "invalid_client", 401, ClientSecretExpired),
        (90002, "invalid_request", 400, TenantNotFound),
        (70011, "invalid_scope", 400, TokenError),
    ],
)
async def test_sts_errors_become_typed(
    router, provider: TokenProvider, code: int, error: str, status: int, expected
) -> None:
    login = Login(router, SANDBOX)
    login.token.mock(return_value=sts_error(code, error, status))
    with pytest.raises(expected) as caught:
        await provider.token(TENANT)
    assert type(caught.value) is expected
    assert caught.value.code == f"AADSTS{code}"
    assert caught.value.tenant_id == TENANT
    assert caught.value.hint


async def test_after_consent_error_next_call_asks_again(router, provider: TokenProvider):
    login = Login(router, SANDBOX)
    login.token.mock(
        side_effect=[
            sts_error(700016, "unauthorized_client"),
            httpx.Response(200, json=token_body()),
        ]
    )
    with pytest.raises(ConsentMissing):
        await provider.token(TENANT)
    token = await provider.token(TENANT)  # consent granted meanwhile: not replayed from cache
    assert token.roles == frozenset(ROLES)
    assert login.token.call_count == 2


async def test_unknown_tenant_at_discovery(router, provider: TokenProvider) -> None:
    login = Login(router, SANDBOX)
    login.discovery.mock(return_value=sts_error(90002, "invalid_tenant"))
    with pytest.raises(TenantNotFound) as caught:
        await provider.token(TENANT)
    assert caught.value.code == "AADSTS90002"
    assert login.token.call_count == 0


@pytest.mark.parametrize("tenant", ["../common/oauth2", "common", "Organizations", ""])
async def test_malformed_tenant_id_is_refused_without_http(router, provider, tenant) -> None:
    with pytest.raises(TenantNotFound):
        await provider.token(tenant)
    assert not router.calls


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.Response(503)])
async def test_identity_platform_unreachable(router, provider: TokenProvider, failure) -> None:
    login = Login(router, SANDBOX)
    login.token.mock(side_effect=[failure])
    with pytest.raises(TokenServiceUnavailable):
        await provider.token(TENANT)


async def test_invalidate_fetches_a_fresh_token(router, provider: TokenProvider) -> None:
    login = Login(router, SANDBOX)
    first = await provider.token(TENANT)
    await provider.invalidate(TENANT, stale=first.value)
    await provider.token(TENANT)
    assert login.token.call_count == 2


async def test_invalidate_with_an_older_token_keeps_the_current_one(router, provider) -> None:
    login = Login(router, SANDBOX)
    await provider.token(TENANT)
    await provider.invalidate(TENANT, stale="some-older-token")
    await provider.token(TENANT)
    assert login.token.call_count == 1


async def test_token_without_roles_claim(router, provider: TokenProvider) -> None:
    login = Login(router, SANDBOX)
    login.token.mock(return_value=httpx.Response(200, json=token_body(roles=None)))
    token = await provider.token(TENANT)
    assert token.roles == frozenset()


async def test_one_app_per_tenant(router, provider: TokenProvider) -> None:
    other = "99999999-8888-7777-6666-555555555555"
    mine, theirs = Login(router, SANDBOX), Login(router, SANDBOX, tenant=other)
    theirs.token.mock(return_value=httpx.Response(200, json=token_body(tid=other)))
    assert (await provider.token(TENANT)).tenant_id == TENANT
    assert (await provider.token(other)).tenant_id == other
    await provider.token(TENANT)
    assert (mine.token.call_count, theirs.token.call_count) == (1, 1)


@pytest.mark.parametrize("token", ["opaque-token", "a.!!!.c", "a.bnVsbA.c"])
def test_unverified_claims_of_non_jwt(token: str) -> None:
    assert unverified_claims(token) == {}
