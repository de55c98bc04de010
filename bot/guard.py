"""Slack's signature, checked at the edge before Bolt parses anything.

Bolt parses the body before it verifies the signature, and its verifier calls `int()` on the
timestamp header: a non-numeric timestamp, a body that is not UTF-8 or not JSON where JSON is
expected, or a non-ASCII signature each raised inside Bolt (a 500). Here the headers' shapes
and the signature are checked first, with the same 401 Bolt answers, so only Slack's own
requests reach Bolt. Bolt still verifies them again.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVENTS_PATH = "/slack/events"
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")  # seconds since 1970, as Slack sends them
SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


def refused(status: int = 401) -> JSONResponse:
    """What Bolt answers a request that fails its signature check (400: signed, unreadable)."""
    error = "invalid request" if status == 401 else "malformed request"
    return JSONResponse({"error": error}, status_code=status)


def is_signed(verifier: SignatureVerifier, body: bytes, headers: Headers) -> bool:
    """Whether the headers have Slack's shapes and sign this body within five minutes."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not TIMESTAMP.match(timestamp) or not SIGNATURE.match(signature):
        return False
    try:
        text = body.decode("utf-8")  # the verifier decodes bytes itself, and would raise
    except UnicodeDecodeError:
        return False  # Slack sends UTF-8: this body is not Slack's
    return verifier.is_valid(body=text, timestamp=timestamp, signature=signature)


def is_readable(body: bytes, *, content_type: str) -> bool:
    """Whether Bolt can parse the body: UTF-8, and a JSON object wherever it expects JSON."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json") or text.startswith("{"):
            return isinstance(json.loads(text), dict)
        form = parse_qs(text, keep_blank_values=True, max_num_fields=1000)
        payload = form.get("payload")
        # Bolt keeps the last `payload` field (dict(parse_qsl(...))).
        return payload is None or isinstance(json.loads(payload[-1]), dict)
    except (ValueError, RecursionError):  # UnicodeDecodeError, JSONDecodeError; "[" * 2000
        return False


class SlackGuard:
    """ASGI middleware for POST /slack/events: 401 unless Slack signed it, 400 if unreadable."""

    def __init__(self, app: ASGIApp, *, signing_secret: str | None) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = scope["type"] == "http" and scope["path"] == EVENTS_PATH
        if not guarded or scope["method"] != "POST" or self.verifier is None:
            await self.app(scope, receive, send)
            return
        body, receive = await buffered(receive)
        headers = Headers(scope=scope)
        if not is_signed(self.verifier, body, headers):
            await refused()(scope, receive, send)
        elif not is_readable(body, content_type=headers.get("content-type", "")):
            await refused(400)(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (the web app's body limit, outside, bounds it), and a receive that
    replays it to Bolt."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body, sent = b"".join(chunks), False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay
