"""GET /metrics on the web app: prometheus_client's exposition, behind an optional bearer token."""

from __future__ import annotations

import hmac

from prometheus_client import REGISTRY, make_asgi_app
from prometheus_client.registry import CollectorRegistry
from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send


class MetricsEndpoint:
    """The Prometheus exposition (text or OpenMetrics, gzip when asked); 401 without the token
    when APPVENTORY_METRICS_TOKEN is set."""

    def __init__(self, token: SecretStr | None, *, registry: CollectorRegistry = REGISTRY) -> None:
        secret = token.get_secret_value() if token else ""
        self._expected = f"Bearer {secret}".encode() if secret else None
        self._exposition = make_asgi_app(registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = Headers(scope=scope).get("authorization", "").encode()
        if self._expected is not None and not hmac.compare_digest(given, self._expected):
            refused = PlainTextResponse(
                "Authorization: Bearer <APPVENTORY_METRICS_TOKEN> required\n",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await refused(scope, receive, send)
            return
        await self._exposition(scope, receive, send)
