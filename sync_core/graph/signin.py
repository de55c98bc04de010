"""A person's sign-in to a tenant (OpenID Connect auth-code flow with PKCE, through MSAL).

Used once per connect, to learn who is really at the keyboard: Microsoft's admin-consent
redirect says which tenant consented but not who clicked, and anyone can forge it. An ID token
redeemed by us at the tenant's token endpoint (with our client secret, over TLS) cannot be.
OIDC Core §3.1.3.7 lets a client that got the ID token straight from the token endpoint rely on
TLS instead of the signature; we still check audience, tenant, expiry and (MSAL) the nonce.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync_core.graph.auth import TokenProvider

# MSAL adds openid, profile and offline_access itself; nothing else is needed to learn who.
_SCOPES: list[str] = []
_CLOCK_SKEW = dt.timedelta(minutes=2)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TEXT_CAP = 300


class SignInError(Exception):
    """The sign-in did not prove a person of the tenant; the message is for that person."""


@dataclass(frozen=True)
class SignedInUser:
    """Who signed in, from the ID token."""

    tenant_id: str
    user_id: str
    username: str | None


def _short(text: object) -> str:
    return str(text)[:_TEXT_CAP]


async def begin(
    tokens: TokenProvider, *, tenant_id: str, redirect_uri: str, state: str
) -> dict[str, Any]:
    """MSAL's auth-code flow for the tenant; its `auth_uri` is where the browser goes next."""
    app = await tokens.sign_in_app(tenant_id)
    flow = await asyncio.to_thread(
        app.initiate_auth_code_flow,
        _SCOPES,
        redirect_uri=redirect_uri,
        state=state,
        # The admin picks the account deliberately, even when already signed in elsewhere.
        prompt="select_account",
        # The code comes back in a POST body: never in a URL, a proxy's log or history.
        response_mode="form_post",
    )
    flow["auth_uri"] = tokens.browser_url(flow["auth_uri"])
    return flow


async def finish(
    tokens: TokenProvider,
    *,
    tenant_id: str,
    client_id: str,
    flow: dict[str, Any],
    response: Mapping[str, str],
    now: dt.datetime,
) -> SignedInUser:
    """Redeem the code of the redirect and say who signed in; SignInError when unproven."""
    if response.get("error"):
        detail = response.get("error_description") or response["error"]
        raise SignInError(f"Microsoft reported that the sign-in did not complete: {_short(detail)}")
    app = await tokens.sign_in_app(tenant_id)
    try:
        result = await asyncio.to_thread(
            app.acquire_token_by_auth_code_flow, dict(flow), dict(response)
        )
    except (ValueError, RuntimeError) as exc:  # MSAL: state or nonce mismatch
        detail = _short(exc)
        raise SignInError(f"The sign-in response did not match this request: {detail}") from exc
    if "error" in result:
        detail = result.get("error_description") or result["error"]
        raise SignInError(f"Microsoft refused the sign-in: {_short(detail)}")
    return _signed_in(result.get("id_token_claims") or {}, client_id=client_id, now=now)


def _signed_in(claims: Mapping[str, Any], *, client_id: str, now: dt.datetime) -> SignedInUser:
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise SignInError("The sign-in was for another application.")
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or (
        dt.datetime.fromtimestamp(expires, dt.UTC) < now - _CLOCK_SKEW
    ):
        raise SignInError("The sign-in has expired. Start again.")
    tenant, user = str(claims.get("tid") or ""), str(claims.get("oid") or "")
    if not (_GUID.match(tenant) and _GUID.match(user)):
        raise SignInError("The sign-in did not say which tenant and user it was.")
    name = claims.get("preferred_username") or claims.get("name")
    return SignedInUser(
        tenant_id=tenant.lower(), user_id=user.lower(), username=_short(name) if name else None
    )
