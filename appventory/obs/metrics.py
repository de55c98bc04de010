"""The Prometheus metrics of every process, and the sync listener that feeds the sync ones.

Metrics live in prometheus_client's default registry, so its process and Python collectors
(CPU, memory, open files, GC) come along. Labels are closed sets only: a label per tenant,
user or Slack team would grow without bound.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, Histogram, disable_created_metrics, start_http_server

from sync_core.records import SyncReport, SyncStatus
from sync_core.settings import Settings

log = logging.getLogger(__name__)
# The `_created` timestamp series double the scrape for nothing Prometheus' rate() needs.
disable_created_metrics()

# Syncs take from seconds (a small delta) to hours (a large tenant's first sign-in backfill).
SYNC_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)
# Slack wants an ack within 3 s; GraphQL pages should be well under a second.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30)

SYNCS = Counter("appventory_syncs", "Finished sync runs, by final status.", ["status"])
SYNC_DURATION = Histogram(
    "appventory_sync_duration_seconds",
    "Wall time of finished sync runs, by final status.",
    ["status"],
    buckets=SYNC_BUCKETS,
)
GRAPH_REQUESTS = Counter("appventory_graph_requests", "Requests sent to Microsoft Graph.")
GRAPH_THROTTLED = Counter(
    "appventory_graph_throttled", "Microsoft Graph answers that said slow down (429)."
)
GRAPH_WAIT = Counter(
    "appventory_graph_wait_seconds", "Seconds syncs waited on Graph's Retry-After and back-off."
)
GRAPHQL_REQUESTS = Counter(
    "appventory_graphql_requests", "HTTP requests to /graphql.", ["method", "status"]
)
GRAPHQL_LATENCY = Histogram(
    "appventory_graphql_request_duration_seconds",
    "Time to answer /graphql.",
    ["method"],
    buckets=HTTP_BUCKETS,
)
SLACK_REQUESTS = Counter(
    "appventory_slack_requests",
    "HTTP requests from Slack, by kind (command, block_actions, event, install...).",
    ["type", "status"],
)
SLACK_LATENCY = Histogram(
    "appventory_slack_request_duration_seconds",
    "Time to answer Slack (acks must come within 3 s).",
    ["type"],
    buckets=HTTP_BUCKETS,
)


# Every final status shows from the first scrape (as 0), so rate() and alerts see a series.
for _status in (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL, SyncStatus.FAILED):
    SYNCS.labels(status=_status.value)
    SYNC_DURATION.labels(status=_status.value)


class SyncMetrics:
    """A SyncListener: counts every finished run and the Graph traffic its report carries."""

    async def sync_finished(self, *, report: SyncReport, events: Sequence[Any]) -> None:
        """Record one finished run."""
        status = report.status.value
        SYNCS.labels(status=status).inc()
        if report.duration_seconds is not None:
            SYNC_DURATION.labels(status=status).observe(report.duration_seconds)
        GRAPH_REQUESTS.inc(report.requests)
        GRAPH_THROTTLED.inc(report.throttled)
        GRAPH_WAIT.inc(report.seconds_waited)


def serve_worker_metrics(settings: Settings) -> WSGIServer | None:
    """Serve /metrics on APPVENTORY_METRICS_PORT from a daemon thread; None when it is unset.

    A worker has no web app, and each worker is its own scrape target (one port per process),
    so the default registry is enough; no shared multiprocess directory is needed.
    """
    if settings.metrics_port is None:
        log.info("APPVENTORY_METRICS_PORT not set: this worker serves no metrics")
        return None
    server, _ = start_http_server(settings.metrics_port)
    log.info("metrics on port %d at /metrics", settings.metrics_port)
    return server
