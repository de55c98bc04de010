"""Signed tokens: JWT-shaped access tokens and opaque, expiring page/delta tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from typing import Any

GRAPH_AUDIENCE = "https://graph.microsoft.com"


class TokenRejected(Exception):
    """A token failed to parse, failed its signature, or is of the wrong kind."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenExpired(TokenRejected):
    """A well-formed token past its lifetime."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AccessTokens:
    """Issues and checks HS256 JWTs; clients may decode the payload without verifying."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def issue(self, claims: dict[str, Any]) -> str:
        """Sign claims into header.payload.signature."""
        header = {"typ": "JWT", "alg": "HS256", "kid": "sandbox"}
        signing_input = ".".join(
            _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token signed here; raises TokenRejected (parse vs. signature)."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRejected("parse")
        try:
            claims = json.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except ValueError as exc:
            raise TokenRejected("parse") from exc
        expected = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(signature, expected) or not isinstance(claims, dict):
            raise TokenRejected("signature")
        return claims


def token_claims(
    *,
    tenant_id: str,
    client_id: str,
    client_sp_id: str,
    roles: list[str],
    now: float,
    lifetime: int,
) -> dict[str, Any]:
    """The claims of an app-only Graph token (v1 token format, as Graph gets)."""
    claims: dict[str, Any] = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + lifetime,
        "aio": _b64(hashlib.sha256(f"{tenant_id}{now}".encode()).digest()[:24]),
        "app_displayname": "sandbox client",
        "appid": client_id,
        "appidacr": "1",
        "idp": f"https://sts.windows.net/{tenant_id}/",
        "idtyp": "app",
        "oid": client_sp_id,
        "sub": client_sp_id,
        "tid": tenant_id,
        "uti": _b64(hashlib.sha256(f"{client_id}{now}".encode()).digest()[:16]),
        "ver": "1.0",
        "xms_tcdt": 1_600_000_000,
    }
    if roles:
        claims["roles"] = list(roles)
    return claims


class PageTokens:
    """Opaque HMAC-signed cursors for $skiptoken and $deltatoken."""

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(key + b"page-tokens").digest()

    def encode(self, payload: dict[str, Any]) -> str:
        """Compress, sign and base64url a cursor."""
        body = zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9)
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return _b64(mac + body)

    def decode(self, token: str, *, now: float, lifetime: float) -> dict[str, Any]:
        """The cursor; TokenRejected when tampered with, TokenExpired when too old."""
        try:
            raw = _unb64(token)
        except ValueError as exc:
            raise TokenRejected("parse") from exc
        mac, body = raw[:16], raw[16:]
        expected = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        if len(raw) < 17 or not hmac.compare_digest(mac, expected):
            raise TokenRejected("signature")
        payload = json.loads(zlib.decompress(body))
        if now - float(payload.get("issued", 0)) > lifetime:
            raise TokenExpired("expired")
        return payload
