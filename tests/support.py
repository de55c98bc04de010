"""Helpers every test package shares."""

from __future__ import annotations

from typing import Any


def asgi_with_state(app: Any, state: dict) -> Any:
    """httpx's ASGITransport skips the lifespan: hand each request the lifespan's state."""

    async def asgi(scope, receive, send):
        scope["state"] = dict(state)
        await app(scope, receive, send)

    return asgi
