"""ASGI middleware: a request id for every request, and latency metrics for the GraphQL and
Slack doors, measured at the edge so neither door's code knows about metrics."""

from __future__ import annotations

import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appventory.logs import QUIET_PATHS, bound
from appventory.obs import metrics
from appventory.obs.slack import PATH_KINDS, classify

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id (Heroku's router sets one) is kept when it looks like an id, so lines correlate.
GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SLACK_EVENTS = "/slack/events"


def request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a sane id, else a fresh one."""
    given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
    return given if GIVEN_ID.match(given) else uuid.uuid4().hex


async def buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body, and a receive that replays it unchanged (Bolt checks its signature)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


class Observe:
    """Binds request_id (and Slack's team_id) for every log line of a request, returns the id
    as X-Request-ID, and times /graphql and /slack/* requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        path: str = scope["path"]
        slack_kind, team = PATH_KINDS.get(path), None
        if path == SLACK_EVENTS and scope["method"] == "POST":
            body, receive = await buffered(receive)
            content_type = Headers(scope=scope).get("content-type", "")
            slack_kind, team = classify(body, content_type=content_type)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, rid)
            await send(message)

        started = time.perf_counter()
        with bound(request_id=rid, team_id=team):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                if path not in QUIET_PATHS:
                    _observe(scope, slack_kind, status, time.perf_counter() - started)


def _observe(scope: Scope, slack_kind: str | None, status: int, seconds: float) -> None:
    if scope["path"] == "/graphql":
        method = scope["method"] if scope["method"] in ("GET", "POST") else "other"
        metrics.GRAPHQL_REQUESTS.labels(method=method, status=str(status)).inc()
        metrics.GRAPHQL_LATENCY.labels(method=method).observe(seconds)
    elif slack_kind is not None:
        metrics.SLACK_REQUESTS.labels(type=slack_kind, status=str(status)).inc()
        metrics.SLACK_LATENCY.labels(type=slack_kind).observe(seconds)
