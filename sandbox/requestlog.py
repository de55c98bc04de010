"""A log of every request served (except the control API), kept as ASGI middleware."""

from __future__ import annotations

import base64
import json
import time
from collections import deque
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/_sandbox"


def mark_tenant(request: HTTPConnection, tenant_id: str) -> None:
    """Tell the request log which tenant this request was for."""
    request.scope.setdefault("state", {})["sandbox.tenant"] = tenant_id


def tenant_hint(scope: Scope) -> str | None:
    """The tid of the (unverified) bearer token, for requests answered before auth ran."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            try:
                payload = value[7:].split(b".")[1]
                claims = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
            except (IndexError, ValueError):
                return None
            return claims.get("tid") if isinstance(claims, dict) else None
    return None


class RequestLog:
    """The newest `size` requests, each numbered so clients can ask for what came since."""

    def __init__(self, size: int) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=size)
        self.counter = 0

    def add(self, entry: dict[str, Any]) -> None:
        """Append one served request."""
        self.counter += 1
        self.entries.append({"seq": self.counter, **entry})

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        """Entries numbered above `seq`."""
        return [e for e in self.entries if e["seq"] > seq]

    def clear(self) -> None:
        """Forget everything logged so far."""
        self.entries.clear()


class RequestLogMiddleware:
    """Records method, path, query, status and tenant of each request."""

    def __init__(self, app: ASGIApp, *, log: RequestLog) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        status: list[int] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        started = time.time()
        try:
            await self.app(scope, receive, capture)
        finally:
            self.log.add(
                {
                    "time": started,
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope.get("query_string", b"").decode("latin-1"),
                    "status": None
                    if state.get("sandbox.fault") == "drop"
                    else (status[0] if status else None),
                    "tenant": state.get("sandbox.tenant") or tenant_hint(scope),
                    "fault": state.get("sandbox.fault"),
                    "duration_ms": round((time.time() - started) * 1000, 2),
                }
            )
