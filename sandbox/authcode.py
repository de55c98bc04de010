"""The authorization-code flow (OIDC, PKCE): how a person signs in to an app.

No human here either: the sandbox signs in the tenant's first Global Administrator, or whoever
the control API (`signin_as`) or the request's `login_hint` names, and redirects back at once.
Codes are single use, bound to the tenant, client, redirect URI and PKCE challenge, as on
https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.directory import Tenant
from sandbox.requestlog import mark_tenant
from sandbox.state import SandboxState

CODE_LIFETIME = 600.0  # seconds; Microsoft's codes live about ten minutes
ID_TOKEN_LIFETIME = 3600


@dataclass
class IssuedCode:
    """What an authorization code was issued for; redeemed at most once."""

    tenant_id: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    challenge: str | None
    user: int
    expires_at: float
    redeemed: bool = False


class GrantRefused(Exception):
    """An AADSTS refusal of a code redemption: (error, code, description)."""

    def __init__(self, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.error, self.code, self.description = error, code, description


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signed_in_user(tenant: Tenant, login_hint: str | None) -> int | None:
    """Who signs in: the control API's choice, else the login hint, else the admin."""
    for upn in (tenant.signin_as, login_hint):
        if upn:
            return tenant.find_user(upn)
    return tenant.admin_index()


def _back(redirect_uri: str, params: dict[str, str], *, form_post: bool = False) -> Response:
    """Back to the app: a redirect with a query, or (response_mode=form_post) a page that
    POSTs the answer, so codes stay out of URLs, logs and history."""
    if form_post:
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        page = (
            f'<html><body onload="document.forms[0].submit()"><form method="post" '
            f'action="{html.escape(redirect_uri)}">{inputs}</form></body></html>'
        )
        return HTMLResponse(page)
    glue = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{glue}{urlencode(params)}", status_code=302)


_FORM = re.compile(r'<form method="post" action="([^"]*)">(.*)</form>')
_INPUT = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


def posted_form(page: str) -> tuple[str, dict[str, str]] | None:
    """What a browser would POST from a form_post page: (action, fields); None if not one."""
    found = _FORM.search(page)
    if found is None:
        return None
    fields = {html.unescape(k): html.unescape(v) for k, v in _INPUT.findall(found.group(2))}
    return html.unescape(found.group(1)), fields


async def authorize(request: Request) -> Response:
    """GET /{tenant}/oauth2/v2.0/authorize: sign someone in, redirect back with a code."""
    sandbox: SandboxState = request.app.state.sandbox
    query = request.query_params
    tenant = sandbox.resolve(request.path_params["tenant"])
    missing = [
        n for n in ("client_id", "redirect_uri", "response_type", "scope") if not query.get(n)
    ]
    if tenant is None or missing or query["client_id"].lower() != sandbox.config.client_id.lower():
        what = (
            "unknown tenant"
            if tenant is None
            else f"missing {missing}"
            if missing
            else ("unknown client_id")
        )
        return JSONResponse({"error": "invalid_request", "error_description": what}, 400)
    mark_tenant(request, tenant.id)
    redirect_uri = query["redirect_uri"]
    allowed = sandbox.config.redirect_uris
    if allowed and redirect_uri not in allowed:
        return JSONResponse(
            {
                "error": "invalid_request",
                "error_description": "AADSTS50011: The redirect URI does not match.",
            },
            400,
        )
    state = {"state": query["state"]} if "state" in query else {}
    form_post = query.get("response_mode") == "form_post"
    if query["response_type"] != "code":
        return _back(
            redirect_uri, {"error": "unsupported_response_type", **state}, form_post=form_post
        )
    user = _signed_in_user(tenant, query.get("login_hint"))
    if user is None or not tenant.users.is_enabled(user):
        return _back(
            redirect_uri,
            {
                "error": "access_denied",
                "error_description": "AADSTS50020: User account does not exist in tenant or "
                "cannot sign in.",
                **state,
            },
            form_post=form_post,
        )
    code = secrets.token_urlsafe(32)
    sandbox.auth_codes[code] = IssuedCode(
        tenant_id=tenant.id,
        client_id=query["client_id"].lower(),
        redirect_uri=redirect_uri,
        scope=query["scope"],
        nonce=query.get("nonce"),
        challenge=query.get("code_challenge"),
        user=user,
        expires_at=sandbox.clock.now() + CODE_LIFETIME,
    )
    return _back(
        redirect_uri,
        {"code": code, **state, "session_state": secrets.token_hex(16)},
        form_post=form_post,
    )


def redeem(sandbox: SandboxState, tenant: Tenant, form: dict[str, str]) -> dict[str, Any]:
    """The token response for `grant_type=authorization_code` (client already authenticated)."""
    issued = sandbox.auth_codes.get(form.get("code", ""))
    if issued is None or issued.tenant_id != tenant.id:
        raise GrantRefused(
            "invalid_grant",
            70000,
            "The provided authorization code or refresh "
            "token is invalid or was issued to a different tenant.",
        )
    if issued.redeemed:
        raise GrantRefused(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code.",
        )
    if issued.expires_at < sandbox.clock.now():
        raise GrantRefused(
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity.",
        )
    if form.get("redirect_uri") != issued.redirect_uri:
        raise GrantRefused(
            "invalid_grant",
            50148,
            "The redirect_uri does not match the one used in the authorization request.",
        )
    if issued.challenge is not None:
        verifier = form.get("code_verifier", "")
        if _b64(hashlib.sha256(verifier.encode()).digest()) != issued.challenge:
            raise GrantRefused(
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the "
                "code_challenge supplied in the authorization request.",
            )
    issued.redeemed = True
    return _token_response(sandbox, tenant, issued)


def _token_response(sandbox: SandboxState, tenant: Tenant, issued: IssuedCode) -> dict[str, Any]:
    now = int(sandbox.clock.now())
    oid, upn, name = tenant.users.identity(issued.user)
    host = sandbox.config.public_login_host.rstrip("/")
    claims: dict[str, Any] = {
        "aud": sandbox.config.client_id,
        "iss": f"{host}/{tenant.id}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "name": name,
        "oid": oid,
        "preferred_username": upn,
        "sub": _b64(hashlib.sha256(oid.encode()).digest()),
        "tid": tenant.id,
        "ver": "2.0",
    }
    if issued.nonce is not None:
        claims["nonce"] = issued.nonce
    client_info = _b64(json.dumps({"uid": oid, "utid": tenant.id}).encode())
    return {
        "token_type": "Bearer",
        "scope": "openid profile email",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": sandbox.access_tokens.issue(
            {**claims, "aud": "00000003-0000-0000-c000-000000000000", "scp": "openid"}
        ),
        "id_token": sandbox.access_tokens.issue(claims),
        "client_info": client_info,
    }


ROUTES = [Route("/{tenant}/oauth2/v2.0/authorize", authorize)]
