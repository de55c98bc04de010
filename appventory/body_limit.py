"""The web app's request-body limit: 413 before a large body is read into memory.

The outermost middleware, so nothing inside (the Slack classifier buffers whole bodies, Strawberry
and Bolt read them) ever holds more than the limit. The declared Content-Length is checked first;
the bytes actually received are counted too, for chunked bodies and lying lengths.
"""

from __future__ import annotations

from enum import Enum

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 1024 * 1024  # GraphQL documents stop at 2000 tokens; Slack's payloads are far smaller


def _declared(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length", "")
    return int(value) if value.isdigit() else None


def too_large(limit: int) -> JSONResponse:
    body = {"error": f"The request body is over the limit of {limit} bytes."}
    return JSONResponse(body, status_code=413)


class Received(Enum):
    COMPLETE = "complete"
    TOO_LARGE = "too_large"
    DISCONNECTED = "disconnected"


async def read_body(receive: Receive, *, limit: int) -> tuple[Received, bytes]:
    """The whole body, or as soon as it passes `limit` bytes or the client goes away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return Received.DISCONNECTED, b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return Received.TOO_LARGE, b""
        chunks.append(chunk)
        if not message.get("more_body", False):
            return Received.COMPLETE, b"".join(chunks)


class BodyLimit:
    """ASGI middleware: refuse HTTP request bodies over `limit` bytes with 413."""

    def __init__(self, app: ASGIApp, *, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared(scope)
        if declared is not None and declared > self.limit:
            await too_large(self.limit)(scope, receive, send)
            return
        received, body = await read_body(receive, limit=self.limit)
        if received is Received.TOO_LARGE:
            await too_large(self.limit)(scope, receive, send)
        elif received is Received.COMPLETE:
            await self.app(scope, _replay(body, receive), send)
        # DISCONNECTED: nobody is left to answer.


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then the connection's own events."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
