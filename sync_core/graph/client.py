"""The read-only Microsoft Graph client for one tenant: paging, retries, limits, typed errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from sync_core.graph.bearer import GraphAuth, TokenSource
from sync_core.graph.errors import (
    GraphConnectionError,
    MalformedResponse,
    TransientGraphError,
    error_from_response,
)
from sync_core.graph.limiter import WindowLimiter
from sync_core.graph.page import Page, json_object, page_from_body
from sync_core.graph.policy import RetryPolicy, backoff_seconds
from sync_core.graph.stats import GraphStats, OnWait, WaitReason

log = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
# Identity reports (sign-ins, audits) have their own 5-requests-per-10-s limit
# (docs/graph.md#throttling).
REPORT_SEGMENTS = frozenset({"auditlogs", "reports"})
Params = Mapping[str, str | int]
T = TypeVar("T")


def is_report_url(url: str) -> bool:
    """True for /auditLogs/* and /reports/* URLs, which the reports limiter governs."""
    return any(s.lower() in REPORT_SEGMENTS for s in urlsplit(url).path.split("/"))


async def _discard(pending: asyncio.Future) -> None:
    """Cancel a prefetch nobody will read (the caller stopped early or failed)."""
    if pending.done():
        if not pending.cancelled():
            pending.exception()  # retrieved, so asyncio does not log it as never seen
        return
    pending.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await pending


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class GraphClient:
    """GETs Graph for one tenant; the httpx.AsyncClient is the caller's to open and close."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        tokens: TokenSource,
        tenant_id: str,
        graph_url: str = DEFAULT_GRAPH_URL,
        api_version: str = "v1.0",
        policy: RetryPolicy | None = None,
        stats: GraphStats | None = None,
        on_wait: OnWait | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.stats = stats or GraphStats()
        self._http = http
        self._auth = GraphAuth(tokens, tenant_id=tenant_id)
        self._graph_url = graph_url.rstrip("/")
        self._api_version = api_version
        self._policy = policy = policy or RetryPolicy()
        self._on_wait = on_wait
        self._slots = asyncio.Semaphore(policy.max_concurrency)
        self._reports = WindowLimiter(
            policy.reports_limit,
            period=policy.reports_period,
            clock=policy.clock,
            sleep=policy.sleep,
        )

    def __repr__(self) -> str:
        return f"GraphClient(tenant_id={self.tenant_id!r}, graph_url={self._graph_url!r})"

    def url(self, path_or_url: str) -> str:
        """The absolute URL for a path like "users" or "beta/reports/…", or a Graph link."""
        if path_or_url.startswith(("https://", "http://")):
            return self._rebase(path_or_url)
        path = path_or_url.lstrip("/")
        if not path.startswith(("v1.0/", "beta/")):
            path = f"{self._api_version}/{path}"
        return f"{self._graph_url}/{path}"

    async def pages(
        self,
        path_or_url: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        reports: bool = False,
    ) -> AsyncIterator[Page]:
        """Yield every page of a collection or delta round, following nextLinks as given.

        The next page is requested as soon as a page arrives, so its round trip (and any
        limiter wait) overlaps with the caller's work on this one instead of adding to it.
        """

        def fetch(url: str, query: Params | None) -> asyncio.Future[Page]:
            return asyncio.ensure_future(
                self._fetch(
                    url, params=query, headers=headers, reports=reports, parse=page_from_body
                )
            )

        pending = fetch(self.url(path_or_url), params)
        try:
            while True:
                page = await pending
                if page.next_link is None:
                    yield page
                    return
                # A nextLink carries every original parameter, not headers (docs/graph.md#paging).
                pending = fetch(self._rebase(page.next_link), None)
                yield page
        finally:
            await _discard(pending)

    async def get_json(
        self,
        path_or_url: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        reports: bool = False,
    ) -> dict[str, Any]:
        """GET a single object, e.g. "organization" or "servicePrincipals/{id}"."""
        return await self._fetch(
            self.url(path_or_url),
            params=params,
            headers=headers,
            reports=reports,
            parse=json_object,
        )

    def _rebase(self, link: str) -> str:
        """Keep a link's path and query exactly; send it only to our own Graph host.

        The bearer token must never go to another host, and a sandbox may hand out links that
        name the public Graph host.
        """
        origin = _origin(link)
        if origin == _origin(self._graph_url):
            return link
        log.debug("re-basing Graph link from %s onto %s", origin, self._graph_url)
        return self._graph_url + link[len(origin) :]

    async def _fetch(
        self,
        url: str,
        *,
        params: Params | None,
        headers: Mapping[str, str] | None,
        reports: bool,
        parse: Callable[..., T],
    ) -> T:
        # A fresh AsyncRetrying per call: tenacity keeps per-call state on the instance.
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TransientGraphError),
            sleep=self._policy.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        limited = reports or is_report_url(url)
        return await retrying(
            self._attempt, url, params=params, headers=headers, limited=limited, parse=parse
        )

    async def _attempt(
        self,
        url: str,
        *,
        params: Params | None,
        headers: Mapping[str, str] | None,
        limited: bool,
        parse: Callable[..., T],
    ) -> T:
        request = self._http.build_request(
            "GET", url, params=params, headers=self._headers(headers)
        )
        async with self._slots:
            # Take the limiter only once a connection slot is held, right before sending: a
            # stamp taken earlier would let queued requests reach Graph bunched together.
            limiter = (
                self._reports.slot(before_wait=self._limiter_wait)
                if limited
                else contextlib.nullcontext()
            )
            async with limiter:
                response = await self._send(request)
        if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
            self.stats.throttled += 1
        if response.is_success:
            return parse(response.content, status=response.status_code)
        raise error_from_response(
            response.status_code, body=response.content, headers=response.headers
        )

    async def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._http.send(request, auth=self._auth)
        except httpx.TransportError as exc:
            self.stats.requests += 1
            raise GraphConnectionError(
                f"{type(exc).__name__}: {exc}", code="ConnectionError"
            ) from exc
        except httpx.DecodingError as exc:
            self.stats.requests += 1
            raise MalformedResponse(f"undecodable response: {exc}", code="DecodingError") from exc
        # The auth flow's 401-and-retry leaves the first response in history: both were sent.
        self.stats.requests += 1 + len(response.history)
        return response

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "client-request-id": str(uuid.uuid4()),
            # Background sync: ask Graph to throttle us before interactive traffic (§5.2).
            "x-ms-throttle-priority": "Low",
        }
        headers.update(extra or {})
        return headers

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, self._policy.max_retry_after)
        return backoff_seconds(
            state.attempt_number, base=self._policy.base_backoff, cap=self._policy.max_backoff
        )

    def _before_sleep(self, state: RetryCallState) -> None:
        seconds = state.upcoming_sleep
        error = state.outcome.exception() if state.outcome else None
        has_hint = getattr(error, "retry_after", None) is not None
        reason = WaitReason.RETRY_AFTER if has_hint else WaitReason.BACKOFF
        self.stats.retries += 1
        self.stats.seconds_waited += seconds
        log.info(
            "Graph attempt %d for tenant %s failed (%s); waiting %.3f s (%s)",
            state.attempt_number,
            self.tenant_id,
            error,
            seconds,
            reason,
        )
        if self._on_wait:
            self._on_wait(seconds, reason)

    def _limiter_wait(self, seconds: float) -> None:
        self.stats.seconds_waited += seconds
        log.debug("reports limiter: waiting %.3f s for tenant %s", seconds, self.tenant_id)
        if self._on_wait:
            self._on_wait(seconds, WaitReason.REPORTS_LIMITER)
