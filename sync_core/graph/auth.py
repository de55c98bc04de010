"""App-only tokens for Microsoft Graph: one MSAL app per tenant, called off the event loop."""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import msal

from sync_core.graph.errors import (
    TenantNotFound,
    TokenError,
    TokenServiceUnavailable,
    aadsts_codes,
    token_error_class,
    token_error_from_msal,
)
from sync_core.graph.login_http import LoginHttpClient

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
DEFAULT_AUTHORITY_HOST = "login.microsoftonline.com"
# A GUID or a verified domain; anything else must not reach the authority URL's path.
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$")
# Client credentials need the customer's own tenant; MSAL calls these "unreliable" for it.
_MULTI_TENANT_ALIASES = frozenset({"common", "organizations", "consumers"})
# What MSAL raises when the identity platform cannot be reached or answers garbage.
_TRANSIENT = (httpx.HTTPError, msal.exceptions.MsalServiceError, OSError, RuntimeError, ValueError)


class SecretLike(Protocol):
    def get_secret_value(self) -> str: ...


@dataclass(frozen=True)
class AccessToken:
    """A bearer token for one tenant, with the app roles it carries (decoded, not verified)."""

    value: str = field(repr=False)
    expires_at: dt.datetime
    roles: frozenset[str]
    tenant_id: str


def unverified_claims(token: str) -> dict[str, Any]:
    """The JWT payload without signature checks; {} when the token is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def access_token(result: dict[str, Any], *, tenant_id: str, now: dt.datetime) -> AccessToken:
    """Build an AccessToken from MSAL's success dict."""
    value = str(result["access_token"])
    claims = unverified_claims(value)
    roles = claims.get("roles")
    return AccessToken(
        value=value,
        expires_at=now + dt.timedelta(seconds=float(result.get("expires_in") or 0)),
        roles=frozenset(r for r in roles if isinstance(r, str))
        if isinstance(roles, list)
        else frozenset(),
        tenant_id=str(claims.get("tid") or tenant_id),
    )


def _construction_error(exc: Exception, *, tenant_id: str, login_url: str) -> TokenError:
    """MSAL reports a failed tenant discovery as a ValueError whose cause quotes the answer;
    say it in our words, naming the login URL we really used (MSAL quotes its authority)."""
    chain = f"{exc} {exc.__context__ or ''}"
    codes = aadsts_codes(chain)
    if isinstance(exc, httpx.TransportError | OSError) or isinstance(
        exc.__context__, httpx.TransportError | OSError
    ):
        return TokenServiceUnavailable(
            f"could not reach {login_url} to look up tenant {tenant_id}: {_reason(exc)}",
            code="login_unreachable",
            tenant_id=tenant_id,
        )
    if codes or "HTTP status: 4" in chain:
        cls = token_error_class(codes) if codes else TenantNotFound
        code = f"AADSTS{codes[0]}" if codes else "tenant_not_found"
        return cls(f"{login_url} does not know tenant {tenant_id}", code=code, tenant_id=tenant_id)
    if isinstance(exc, ValueError) and exc.__context__ is None:
        # MSAL refused the authority URL itself: a configuration error
        return TokenError(
            f"tenant {tenant_id}: {exc}", code="invalid_authority", tenant_id=tenant_id
        )
    return TokenServiceUnavailable(
        f"tenant discovery for {tenant_id} at {login_url} failed: {exc}",
        code="tenant_discovery_failed",
        tenant_id=tenant_id,
    )


def _reason(exc: BaseException) -> str:
    """'connection refused', 'timed out'... rather than a driver's errno text."""
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException) or "timed out" in text.lower():
        return "timed out"
    return text


class TokenProvider:
    """Issues app-only Graph tokens per tenant; MSAL caches them and refreshes near expiry."""

    def __init__(
        self,
        client_id: str,
        *,
        client_secret: str | SecretLike,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        login_url: str | None = None,
        scope: str = GRAPH_SCOPE,
        http_client: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._client_id = client_id
        self._secret = client_secret
        self._authority_host = authority_host
        self._scope = scope
        self._owns_http = http_client is None
        self._http = LoginHttpClient(
            http_client or httpx.Client(timeout=timeout),
            authority_host=authority_host,
            login_url=login_url or f"https://{authority_host}",
        )
        self._apps: dict[str, msal.ConfidentialClientApplication] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._issued: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"TokenProvider(client_id={self._client_id!r}, host={self._authority_host!r})"

    def authority(self, tenant_id: str) -> str:
        """The authority MSAL is given for a tenant."""
        return f"https://{self._authority_host}/{tenant_id}"

    async def token(self, tenant_id: str) -> AccessToken:
        """A valid token for the tenant, from MSAL's cache when it has one."""
        if not _TENANT.match(tenant_id) or tenant_id.lower() in _MULTI_TENANT_ALIASES:
            raise TenantNotFound(f"not a tenant id: {tenant_id!r}", code="invalid_tenant")
        async with self._lock(tenant_id):
            app = self._apps.get(tenant_id) or await self._build(tenant_id)
            try:
                result = await asyncio.to_thread(app.acquire_token_for_client, [self._scope])
            except _TRANSIENT as exc:
                self._apps.pop(tenant_id, None)
                raise TokenServiceUnavailable(
                    f"token request to {self.login_url} failed: {_reason(exc)}",
                    code="token_request_failed",
                    tenant_id=tenant_id,
                ) from exc
            if "access_token" not in result:
                # Drop the app: MSAL replays a 400 for 60 s, which would hide a fresh consent.
                self._apps.pop(tenant_id, None)
                raise token_error_from_msal(result, tenant_id=tenant_id)
            self._issued[tenant_id] = result["access_token"]
        log.debug("token for tenant %s from %s", tenant_id, result.get("token_source"))
        return access_token(result, tenant_id=tenant_id, now=dt.datetime.now(dt.UTC))

    async def invalidate(self, tenant_id: str, *, stale: str | None = None) -> None:
        """Forget the tenant's token so the next call fetches a new one.

        With `stale`, only forget it if that is still the token we hold: concurrent requests
        rejected with the same token then cause one refresh, not one each.
        """
        async with self._lock(tenant_id):
            if stale is not None and self._issued.get(tenant_id) != stale:
                return
            # MSAL rejects force_refresh; a new app has an empty token cache.
            self._apps.pop(tenant_id, None)
            self._issued.pop(tenant_id, None)
        log.info("dropped cached token for tenant %s", tenant_id)

    def close(self) -> None:
        """Close the HTTP client, if this provider created it."""
        self._apps.clear()
        if self._owns_http:
            self._http.close()

    def _lock(self, tenant_id: str) -> asyncio.Lock:
        return self._locks.setdefault(tenant_id, asyncio.Lock())

    @property
    def login_url(self) -> str:
        """Where token and discovery requests really go."""
        return self._http.rewrite(f"https://{self._authority_host}")

    def browser_url(self, url: str) -> str:
        """Where a person's browser goes for an authority URL (the sandbox, in local mode)."""
        return self._http.rewrite(url)

    async def sign_in_app(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        """A fresh app for a person's sign-in to the tenant: its user tokens stay out of the
        app-only cache."""
        if not _TENANT.match(tenant_id) or tenant_id.lower() in _MULTI_TENANT_ALIASES:
            raise TenantNotFound(f"not a tenant id: {tenant_id!r}", code="invalid_tenant")
        return await self._construct(tenant_id)

    async def _build(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        app = await self._construct(tenant_id)
        self._apps[tenant_id] = app
        return app

    async def _construct(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        """Construct the tenant's app in a thread: its constructor does tenant discovery."""
        secret = self._secret
        if not isinstance(secret, str):
            secret = secret.get_secret_value()
        try:
            app = await asyncio.to_thread(
                msal.ConfidentialClientApplication,
                self._client_id,
                client_credential=secret,
                authority=self.authority(tenant_id),
                http_client=self._http,
                # Tenant-specific authority: no instance discovery (it would reach the internet).
                instance_discovery=False,
            )
        except _TRANSIENT as exc:
            raise _construction_error(exc, tenant_id=tenant_id, login_url=self.login_url) from exc
        return app
