"""Observability of the web app: /metrics, request ids, door latencies (logs: appventory.logs)."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.routing import Route

from appventory.obs.http import Observe
from appventory.obs.scrape import MetricsEndpoint
from sync_core.settings import Environment, Settings

log = logging.getLogger(__name__)


def install(app: Starlette, settings: Settings) -> None:
    """Add GET /metrics and the outermost middleware (request ids, metrics) to the web app."""
    scrape = MetricsEndpoint(settings.metrics_token)
    app.router.routes.append(Route("/metrics", scrape, methods=["GET"]))
    app.add_middleware(Observe)
    if settings.environment is Environment.PRODUCTION and settings.metrics_token is None:
        log.warning(
            "/metrics is open to anyone who reaches this app: set APPVENTORY_METRICS_TOKEN "
            "or block /metrics at the proxy"
        )
