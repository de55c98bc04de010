"""Run the sandbox on a real socket inside the current event loop, with control helpers."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn

from sandbox.app import create_app
from sandbox.config import SandboxConfig

MICROSOFT_HOSTS = ("login.microsoftonline.com", "graph.microsoft.com")


class _QuietDrops(logging.Filter):
    """Injected dropped connections are expected; keep their tracebacks out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "ConnectionDropped" not in str(record.exc_info[1] if record.exc_info else "") and (
            "ConnectionDropped" not in record.getMessage()
        )


def _redirect(request: httpx.Request, target: httpx.URL) -> None:
    if request.url.host in MICROSOFT_HOSTS:
        request.url = request.url.copy_with(
            scheme=target.scheme, host=target.host, port=target.port
        )
        request.headers["host"] = request.url.netloc.decode()


class RedirectingTransport(httpx.HTTPTransport):
    """Sends https://login.microsoftonline.com and graph.microsoft.com to the sandbox."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = httpx.URL(base_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Rewrite Microsoft hosts, then send."""
        _redirect(request, self.target)
        return super().handle_request(request)


class AsyncRedirectingTransport(httpx.AsyncHTTPTransport):
    """The async twin of RedirectingTransport, for Graph clients built on httpx.AsyncClient."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = httpx.URL(base_url)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Rewrite Microsoft hosts, then send."""
        _redirect(request, self.target)
        return await super().handle_async_request(request)


class RunningSandbox:
    """A served sandbox: its base URL, config, and async helpers over the control API."""

    def __init__(self, base_url: str, config: SandboxConfig) -> None:
        self.base_url = base_url
        self.config = config
        self.client = httpx.AsyncClient(base_url=base_url, timeout=60)

    @property
    def tenant_id(self) -> str:
        """The primary tenant."""
        return self.config.primary.tenant_id

    @property
    def client_id(self) -> str:
        """The app id the token endpoint accepts."""
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        """The secret the token endpoint accepts."""
        return self.config.client_secret

    async def control(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """Call /_sandbox/{path}; raises for non-2xx answers."""
        response = await self.client.request(method, f"/_sandbox/{path}".rstrip("/"), json=payload)
        response.raise_for_status()
        return response.json()

    async def info(self) -> dict[str, Any]:
        """Credentials, tenants and the sandbox clock."""
        return await self.control("GET", "")

    async def ground_truth(
        self, tenant_id: str | None = None, *, inactive_days: float = 30
    ) -> dict[str, Any]:
        """What a correct sync of the tenant must find."""
        tid = tenant_id or self.tenant_id
        return await self.control(
            "GET", f"tenants/{tid}/ground-truth?inactive_days={inactive_days}"
        )

    async def request_log(self, since: int = 0) -> list[dict[str, Any]]:
        """Every request served (except control calls)."""
        return (await self.control("GET", f"requests?since={since}"))["requests"]

    async def clear_request_log(self) -> None:
        """Forget the requests served so far."""
        await self.control("DELETE", "requests")

    async def churn(self, tenant_id: str | None = None, **counts: int) -> dict[str, Any]:
        """users_added=, users_removed=, users_changed=, apps_added=, apps_removed=, ..."""
        return await self.control("POST", f"tenants/{tenant_id or self.tenant_id}/churn", counts)

    async def set_faults(self, **settings: Any) -> dict[str, Any]:
        """rate_429=, rate_503=, rate_504=, rate_drop=, rate_malformed=, latency_ms=, reset=."""
        return await self.control("POST", "faults", settings)

    async def script_faults(self, *faults: dict[str, Any]) -> dict[str, Any]:
        """Queue exact faults for the next matching requests, e.g. {"kind": "429"}."""
        return await self.control("POST", "faults", {"script": list(faults)})

    async def set_state(self, tenant_id: str | None = None, **state: Any) -> dict[str, Any]:
        """premium=, granted_roles=, consented=, expire_tokens=, reset_delta=, consent_error=,
        signin_as= (UPN the sign-in page signs in), directory_roles= ({upn: [role ids]})."""
        return await self.control("POST", f"tenants/{tenant_id or self.tenant_id}/state", state)

    async def set_throttling(self, **limits: Any) -> dict[str, Any]:
        """Change limits (see ThrottleLimits); also empties every bucket."""
        return await self.control("POST", "throttling", limits)

    async def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the sandbox clock forward (token, skiptoken and delta expiry)."""
        return await self.control("POST", "clock", {"advance_seconds": seconds})

    async def expire_client_secret(self, expired: bool = True) -> dict[str, Any]:
        """Make the token endpoint answer AADSTS7000222."""
        return await self.control("POST", "client", {"secret_expired": expired})

    async def token(self, tenant_id: str | None = None) -> str:
        """An app-only Graph token, straight from the token endpoint."""
        response = await self.client.post(
            f"/{tenant_id or self.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": "https://graph.microsoft.com/.default",
            },
        )
        response.raise_for_status()
        return response.json()["access_token"]


def _free_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


@asynccontextmanager
async def running_sandbox(
    config: SandboxConfig | None = None, *, host: str = "127.0.0.1"
) -> AsyncIterator[RunningSandbox]:
    """Serve create_app(config) with uvicorn on a free port, as a task in this event loop."""
    config = config or SandboxConfig()
    sock = _free_socket(host)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
    )
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(_QuietDrops())
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = sock.getsockname()[1]
    handle = RunningSandbox(f"http://{host}:{port}", config)
    try:
        yield handle
    finally:
        await handle.client.aclose()
        server.should_exit = True
        await task
        sock.close()
