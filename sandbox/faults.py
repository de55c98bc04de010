"""Injected trouble: latency, random or scripted 429/503/504, dropped connections, bad JSON."""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from dataclasses import asdict, fields
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.config import FaultSettings
from sandbox.graph.errors import JSON_TYPE, RequestContext, json_response

KINDS = ("429", "503", "504", "drop", "malformed")
MALFORMED_BODY = (
    b'{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[{"id":"'
)


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised inside the app to cut the connection mid-response (uvicorn closes the socket)."""


class FaultInjector:
    """Decides, per request, whether and how to misbehave."""

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.script: deque[dict[str, Any]] = deque()

    def update(self, changes: dict[str, Any]) -> None:
        """Change settings at runtime; `script` entries are queued, `reset` clears all."""
        if changes.pop("reset", False):
            self.settings = FaultSettings()
            self.script.clear()
        for item in changes.pop("script", []) or []:
            if item.get("kind") not in KINDS:
                raise ValueError(f"scripted fault kind must be one of {KINDS}: {item}")
            self.script.append(dict(item))
        known = {f.name for f in fields(FaultSettings)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        for name, value in changes.items():
            setattr(self.settings, name, value)
        if "seed" in changes:
            self.rng = random.Random(self.settings.seed)

    def describe(self) -> dict[str, Any]:
        """Current settings and queued scripted faults."""
        return {**asdict(self.settings), "script": list(self.script)}

    def applies_to(self, path: str) -> bool:
        """Graph always; the identity platform only when asked to."""
        if path.startswith(("/v1.0/", "/beta/")):
            return True
        return self.settings.include_identity and "/oauth2/" in path

    def delay(self) -> float:
        """Seconds to wait: lognormal around latency_ms (fixed when sigma is 0)."""
        s = self.settings
        if s.latency_ms <= 0:
            return 0.0
        return s.latency_ms / 1000 * math.exp(s.latency_sigma * self.rng.gauss(0, 1))

    def pick(self, path: str) -> dict[str, Any] | None:
        """The fault for this request: the first matching scripted one, else a random draw."""
        for item in self.script:
            if item.get("path", "") in path:
                self.script.remove(item)
                default = self.settings.retry_after_seconds if item["kind"] == "429" else None
                return {**item, "retry_after": item.get("retry_after", default)}
        s = self.settings
        roll = self.rng.random()
        for kind, rate in zip(
            KINDS, (s.rate_429, s.rate_503, s.rate_504, s.rate_drop, s.rate_malformed), strict=True
        ):
            if roll < rate:
                with_retry = kind == "429" or self.rng.random() < s.share_503_with_retry_after
                return {"kind": kind, "retry_after": s.retry_after_seconds if with_retry else None}
            roll -= rate
        return None


class FaultMiddleware:
    """Applies the injector's decisions before the request reaches the app."""

    def __init__(self, app: ASGIApp, *, injector: FaultInjector) -> None:
        self.app, self.injector = app, injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.injector.applies_to(scope["path"]):
            await self.app(scope, receive, send)
            return
        delay = self.injector.delay()
        if delay:
            await asyncio.sleep(delay)
        fault = self.injector.pick(scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["sandbox.fault"] = fault["kind"]
        await self._misbehave(fault, scope, receive, send)

    async def _misbehave(
        self, fault: dict[str, Any], scope: Scope, receive: Receive, send: Send
    ) -> None:
        kind = str(fault["kind"])
        if kind == "drop":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"4096"),
                    ],
                }
            )
            raise ConnectionDropped("sandbox dropped the connection (injected fault)")
        ctx = RequestContext.of(Request(scope))
        if kind == "malformed":
            response = Response(MALFORMED_BODY, media_type=JSON_TYPE, headers=ctx.headers())
            await response(scope, receive, send)
            return
        codes = {
            "429": ("TooManyRequests", "Please retry again later."),
            "503": ("serviceNotAvailable", "Service unavailable, please try again later."),
            "504": ("UnknownError", ""),
        }
        code, message = codes[kind]
        headers = {}
        if fault.get("retry_after") is not None:
            headers["Retry-After"] = f"{float(fault['retry_after']):g}"
        body = ctx.error_body(code, message, inner_code=kind if kind == "429" else None)
        response = json_response(ctx, body, status=int(kind), headers=headers)
        await response(scope, receive, send)
