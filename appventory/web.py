"""The Starlette web app: health endpoints, GraphQL, and Slack (events, install, consent)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from appventory import obs
from appventory.body_limit import BodyLimit
from appventory.runtime import Runtime, open_runtime
from bot.guard import SlackGuard
from bot.web import ROUTES as slack_routes
from bot.web import STATE_KEY as SLACK_STATE_KEY
from bot.web import open_door
from graphql_api.app import SERVICES_STATE_KEY, GraphQLEndpoint
from graphql_api.context import Services
from graphql_api.schema import build_schema
from sync_core.settings import Settings
from sync_core.store.db import StoreUnavailable

log = logging.getLogger(__name__)


class StoreActivation:
    """ASGI middleware: each request runs with the process's store active."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime: Runtime | None = scope.get("state", {}).get("runtime")
        if runtime is None or scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        with runtime.store.activated():
            await self.app(scope, receive, send)


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers; no dependencies checked."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers a query within two seconds."""
    runtime: Runtime = request.state.runtime
    try:
        await runtime.store.ping()
    except StoreUnavailable as exc:
        log.warning("not ready: %s", exc)
        return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def graphql_services(runtime: Runtime) -> Services:
    """What the GraphQL API may call, from the runtime."""
    return Services(
        runner=runtime.runner,
        active_days=runtime.settings.active_days,
        inactive_days=runtime.settings.inactive_days,
    )


@asynccontextmanager
async def in_process_schedule(runtime: Runtime) -> AsyncIterator[None]:
    """Without the job queue (SQLite) there is no worker: this process ticks the schedule."""
    if runtime.settings.uses_job_queue or runtime.scheduler is None:
        yield
        return
    every = runtime.settings.schedule_tick_seconds
    ticking = asyncio.create_task(runtime.scheduler.run_forever(every=every), name="schedule")
    try:
        yield
    finally:
        ticking.cancel()
        await asyncio.gather(ticking, return_exceptions=True)


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> Starlette:
    """The web app for these settings; the store opens in the lifespan, not at import. With
    `runtime` (the demo), the app serves and schedules on that one instead of opening its own."""

    def composition_root() -> AbstractAsyncContextManager[Runtime]:
        return nullcontext(runtime) if runtime is not None else open_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        async with composition_root() as runtime, AsyncExitStack() as stack:
            door = None
            if runtime.slack is not None:  # Slack's Bolt app (and Socket Mode, if configured)
                door = await stack.enter_async_context(open_door(runtime.slack))
            await stack.enter_async_context(in_process_schedule(runtime))
            yield {
                "runtime": runtime,
                SERVICES_STATE_KEY: graphql_services(runtime),
                SLACK_STATE_KEY: door,
            }

    introspection = settings.introspection_enabled
    graphql = GraphQLEndpoint(build_schema(introspection=introspection), graphiql=introspection)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            *slack_routes,
        ],
        lifespan=lifespan,
    )
    app.add_middleware(StoreActivation)
    secret = settings.slack_signing_secret
    app.add_middleware(SlackGuard, signing_secret=secret.get_secret_value() if secret else None)
    obs.install(app, settings)  # /metrics, request ids, GraphQL and Slack latencies
    # Added last, so outermost: no middleware inside (Observe buffers Slack bodies) reads more.
    app.add_middleware(BodyLimit)
    return app
