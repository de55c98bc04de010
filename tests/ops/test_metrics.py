"""Prometheus metrics as an operator scrapes them: the web app's /metrics and a worker's port."""

from __future__ import annotations

import socket

import httpx
import pytest
from pydantic import SecretStr

from appventory.obs.metrics import serve_worker_metrics
from appventory.obs.slack import classify
from sync_core.crypto import generate_key
from sync_core.settings import Settings
from tests.ops.observed import sample, web_tenant

START = "mutation { startSync(full: false) { alreadyActive run { id } } }"
RUNS = "{ syncRuns(first: 1) { edges { node { id status requests throttled } } } }"


async def test_a_sync_through_the_web_app_shows_in_metrics(tmp_path):
    async with web_tenant(tmp_path) as web:
        before = (await web.client.get("/metrics")).text
        started = (await web.graphql(START))["startSync"]
        await web.runtime.runner.drain()
        run = (await web.graphql(RUNS))["syncRuns"]["edges"][0]["node"]
        scraped = await web.client.get("/metrics")

    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    after = scraped.text

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert run["id"] == started["run"]["id"]
    assert run["status"] == "SUCCEEDED", run
    assert grew("appventory_syncs_total", status="succeeded") == 1
    assert grew("appventory_sync_duration_seconds_count", status="succeeded") == 1
    # The counters carry exactly what the run recorded.
    assert run["requests"] > 0
    assert grew("appventory_graph_requests_total") == run["requests"]
    assert grew("appventory_graph_throttled_total") == run["throttled"]
    # startSync and syncRuns came after the first scrape; scrapes themselves are not counted.
    assert grew("appventory_graphql_requests_total", method="POST", status="200") == 2
    assert grew("appventory_graphql_request_duration_seconds_count", method="POST") == 2


async def test_metrics_token_is_required_when_set(tmp_path):
    async with web_tenant(tmp_path, metrics_token=SecretStr("scrape-me-please")) as web:
        missing = await web.client.get("/metrics")
        wrong = await web.client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await web.client.get(
            "/metrics", headers={"Authorization": "Bearer scrape-me-please"}
        )
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "appventory_syncs_total" not in missing.text
    assert "# TYPE appventory_syncs_total counter" in right.text


async def test_slack_requests_are_counted_by_kind(tmp_path):
    command = "command=%2Fapps&team_id=T0TEAM42&text=shadow"
    async with web_tenant(tmp_path) as web:
        before = (await web.client.get("/metrics")).text
        answer = await web.client.post(
            "/slack/events",
            content=command,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        after = (await web.client.get("/metrics")).text
    labels = {"type": "command", "status": str(answer.status_code)}
    counted = sample(after, "appventory_slack_requests_total", **labels)
    assert counted - sample(before, "appventory_slack_requests_total", **labels) == 1
    assert sample(after, "appventory_slack_request_duration_seconds_count", type="command") >= 1


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            b"command=%2Fsync&team_id=T024BE7LD",
            "application/x-www-form-urlencoded",
            ("command", "T024BE7LD"),
        ),
        (
            b"payload=%7B%22type%22%3A%22block_actions%22%2C%22team%22%3A%7B%22id%22%3A%22T1%22%7D%7D",
            "application/x-www-form-urlencoded",
            ("block_actions", None),  # "T1" is not shaped like a team id
        ),
        (
            b"payload=%7B%22type%22%3A%22view_submission%22%2C%22team%22%3A%7B%22id%22%3A%22T0ABCDE%22%7D%7D",
            "application/x-www-form-urlencoded",
            ("view_submission", "T0ABCDE"),
        ),
        (
            b"payload=%7B%22type%22%3A%22made_up%22%7D",
            "application/x-www-form-urlencoded",
            ("interactive", None),
        ),
        (
            b'{"type":"event_callback","team_id":"T0ABCDE"}',
            "application/json",
            ("event", "T0ABCDE"),
        ),
        (
            b'{"type":"url_verification","challenge":"x"}',
            "application/json",
            ("url_verification", None),
        ),
        (b'{"type":"anything at all %s"}', "application/json", ("other", None)),
        (b"not json", "application/json", ("other", None)),
        (b"ssl_check=1&token=x", "application/x-www-form-urlencoded", ("ssl_check", None)),
    ],
)
def test_slack_kinds_are_a_closed_set(body, content_type, expected):
    assert classify(body, content_type=content_type) == expected


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_worker_serves_metrics_on_its_port():
    port = _free_port()
    settings = Settings(_env_file=None, secret_key=generate_key(), metrics_port=port)
    server = serve_worker_metrics(settings)
    assert server is not None
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 200
    assert "# TYPE appventory_syncs_total counter" in answer.text
    assert "# TYPE appventory_graph_throttled_total counter" in answer.text


def test_no_metrics_port_means_no_server():
    settings = Settings(_env_file=None, secret_key=generate_key())
    assert serve_worker_metrics(settings) is None
