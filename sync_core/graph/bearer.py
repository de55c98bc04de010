"""The httpx.Auth that puts a tenant's bearer token on each Graph request, GET only."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator, Generator
from typing import Protocol

import httpx

from sync_core.graph.auth import AccessToken
from sync_core.graph.errors import ReadOnlyViolation

log = logging.getLogger(__name__)


class TokenSource(Protocol):
    """What GraphAuth needs from a token provider (TokenProvider, or a fake in tests)."""

    async def token(self, tenant_id: str) -> AccessToken: ...

    async def invalidate(self, tenant_id: str, *, stale: str | None = None) -> None: ...


class GraphAuth(httpx.Auth):
    """Bearer auth for one tenant; on 401 drops the token and retries once with a fresh one."""

    def __init__(self, tokens: TokenSource, *, tenant_id: str) -> None:
        self._tokens = tokens
        self._tenant_id = tenant_id

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Refuse: token fetching is async, so a sync client cannot use this auth."""
        raise RuntimeError("GraphAuth is async only: use it with httpx.AsyncClient")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # The sync is read-only by contract: refuse before a token is fetched or a byte is sent.
        if request.method != "GET":
            raise ReadOnlyViolation(f"refusing to send {request.method} {request.url} to Graph")
        token = await self._tokens.token(self._tenant_id)
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code != httpx.codes.UNAUTHORIZED:
            return
        # Tokens cannot be revoked but can expire early or be rejected (docs/graph.md#tokens).
        log.info("Graph answered 401 for tenant %s; refreshing the token once", self._tenant_id)
        await self._tokens.invalidate(self._tenant_id, stale=token.value)
        token = await self._tokens.token(self._tenant_id)
        request.headers["Authorization"] = f"Bearer {token.value}"
        if "client-request-id" in request.headers:
            request.headers["client-request-id"] = str(uuid.uuid4())
        yield request
