"""A fake identity platform for respx: discovery document, token bodies, STS errors."""

from __future__ import annotations

import base64
import json
import threading

import httpx
import respx

TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CLIENT_ID = "00000000-1111-2222-3333-444444444444"
LOGIN = "https://login.microsoftonline.com"
SANDBOX = "http://127.0.0.1:8765"
ROLES = ["User.Read.All", "Application.Read.All"]


def jwt(claims: dict) -> str:
    """An unsigned JWT-shaped token (the provider never verifies it)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.sig"


def discovery(tenant: str, host: str = "login.microsoftonline.com") -> dict:
    """The openid-configuration document: https endpoints on the authority host."""
    return {
        "issuer": f"https://{host}/{tenant}/v2.0",
        "authorization_endpoint": f"https://{host}/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": f"https://{host}/{tenant}/oauth2/v2.0/token",
    }


def token_body(roles: list[str] | None = ROLES, tid: str = TENANT, expires_in: int = 3599) -> dict:
    claims: dict = {"tid": tid, "aud": "https://graph.microsoft.com", "appid": CLIENT_ID}
    if roles is not None:
        claims["roles"] = roles
    return {
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": jwt(claims),
    }


def sts_error(code: int, error: str, status: int = 400) -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "error": error,
            "error_description": f"AADSTS{code}: It did not work.\r\nTrace ID: t\r\nTimestamp: x",
            "error_codes": [code],
            "timestamp": "2024-05-01 12:00:00Z",
            "trace_id": "trace-1",
            "correlation_id": "corr-1",
        },
    )


class Login:
    """respx routes for one tenant on the login host (or the sandbox the adapter sends to)."""

    def __init__(self, router: respx.MockRouter, base: str, tenant: str = TENANT) -> None:
        self.threads: list[str] = []
        self.discovery = router.get(f"{base}/{tenant}/v2.0/.well-known/openid-configuration")
        self.discovery.mock(side_effect=self._record(httpx.Response(200, json=discovery(tenant))))
        self.token = router.post(f"{base}/{tenant}/oauth2/v2.0/token")
        self.token.mock(side_effect=self._record(httpx.Response(200, json=token_body())))

    def _record(self, response: httpx.Response):
        def answer(request: httpx.Request) -> httpx.Response:
            self.threads.append(threading.current_thread().name)
            return response

        return answer
