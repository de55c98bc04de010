"""A local fake of Slack's Web API (and of response_urls): a Starlette app served by uvicorn on
a free port, recording every call. slack_sdk speaks aiohttp, so respx cannot stand in for it.

Behaviour is chosen per test: `users` (who is an admin), `groups` (user group members),
`not_in` (channels the bot may not post in), `rate_limited` (429s to answer before succeeding),
`oauth` (what oauth.v2.access returns), `socket_url` (apps.connections.open).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

TEAM_ID, BOT_USER, BOT_ID = "T0ACME", "UBOT", "BBOT"


@dataclass
class Call:
    """One request the fake received."""

    method: str  # a Web API method, or "respond" for a response_url
    params: dict[str, Any]
    token: str | None
    status: int
    url: str = ""
    at: float = field(default_factory=time.monotonic)

    def json(self, key: str) -> Any:
        """A parameter slack_sdk may have sent as a JSON string (blocks, view)."""
        value = self.params.get(key)
        return json.loads(value) if isinstance(value, str) else value

    @property
    def blocks(self) -> list[dict]:
        return self.json("blocks") or []

    @property
    def text(self) -> str:
        """Everything a person reads: fallback text and every text in the blocks."""
        return self.params.get("text", "") + "\n" + "\n".join(_texts(self.blocks))


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def texts(blocks: list[dict]) -> str:
    """All text of some blocks, for assertions on what a person reads."""
    return "\n".join(_texts(blocks))


@dataclass
class FakeSlack:
    base_url: str = ""
    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    not_in: set[str] = field(default_factory=set)
    rate_limited: dict[str, int] = field(default_factory=dict)
    oauth: dict[str, Any] = field(default_factory=dict)
    socket_url: str | None = None
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _urls: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self) -> str:
        """A fresh response_url that lands here."""
        return f"{self.base_url}/respond/{next(self._urls)}"

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def replies(self, url: str | None = None) -> list[Call]:
        """What was posted to response_urls (one of them, or any)."""
        return [c for c in self.called("respond") if url is None or c.url == url]

    async def wait_for(
        self, check: Callable[[FakeSlack], Any], *, timeout: float = 10.0, what: str = ""
    ) -> Any:
        """Poll until `check` returns something truthy; fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := check(self):
                return found
            await asyncio.sleep(0.02)
        seen = [(c.method, c.params.get("text", "")[:80]) for c in self.calls]
        raise AssertionError(f"timed out waiting for {what or check}; calls: {seen}")

    # --- the Web API ---------------------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "url": "https://acme.slack.test/",
                "team": "Acme",
                "user": "appventory",
                "team_id": TEAM_ID,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
        if method == "users.info":
            user = {
                "id": params.get("user"),
                "team_id": TEAM_ID,
                "is_admin": False,
                "is_owner": False,
                **self.users.get(params.get("user", ""), {}),
            }
            return {"user": user}
        if method == "usergroups.list":
            return {
                "usergroups": [{"id": gid, "handle": g["handle"]} for gid, g in self.groups.items()]
            }
        if method == "usergroups.users.list":
            return {"users": self.groups.get(params.get("usergroup", ""), {}).get("users", [])}
        if method == "chat.postMessage":
            if params.get("channel") in self.not_in:
                return {"ok": False, "error": "not_in_channel"}
            return {"channel": params.get("channel"), "ts": f"1700000000.{next(self._ts):06d}"}
        if method == "chat.update":
            return {"channel": params.get("channel"), "ts": params.get("ts")}
        if method in ("views.open", "views.publish"):
            view = params.get("view") or "{}"
            return {"view": {"id": "V1", **(json.loads(view) if isinstance(view, str) else view)}}
        if method == "oauth.v2.access":
            return self.oauth
        if method == "apps.connections.open":
            return {"url": self.socket_url}
        return {}

    async def api(self, request: Request) -> Response:
        method = request.path_params["method"]
        params = await _params(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ") or params.get(
            "token"
        )
        if self.rate_limited.get(method, 0) > 0:
            self.rate_limited[method] -= 1
            self.calls.append(Call(method, params, token, 429))
            return JSONResponse(
                {"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": "0"}
            )
        body = {"ok": True, **self.answer(method, params)}
        self.calls.append(Call(method, params, token, 200 if body["ok"] else 400))
        return JSONResponse(body)

    async def respond(self, request: Request) -> Response:
        params = json.loads(await request.body() or b"{}")
        self.calls.append(Call("respond", params, None, 200, url=str(request.url)))
        return PlainTextResponse("ok")


async def _params(request: Request) -> dict[str, Any]:
    """Query string and body (form or JSON): slack_sdk uses all three."""
    raw = (await request.body()).decode()
    params: dict[str, Any] = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        return {**params, **json.loads(raw or "{}")}
    return {**params, **dict(parse_qsl(raw, keep_blank_values=True))}


@asynccontextmanager
async def running_fake_slack() -> AsyncIterator[FakeSlack]:
    """Serve a fresh fake on a free port in this event loop."""
    fake = FakeSlack()
    app = Starlette(
        routes=[
            Route("/api/{method}", fake.api, methods=["POST", "GET"]),
            Route("/respond/{id}", fake.respond, methods=["POST"]),
        ]
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    fake.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield fake
    finally:
        server.should_exit = True
        await task
        sock.close()
