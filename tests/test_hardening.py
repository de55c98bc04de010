"""Bad requests to `serve`'s real app get a 4xx, never a 5xx or a traceback.

Everything here goes over HTTP through `create_app` (httpx's ASGI transport), with the Slack
door configured, so the middleware, Strawberry and Bolt see what a client would send.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from appventory.web import create_app
from sync_core import records
from sync_core.crypto import generate_key
from sync_core.settings import Settings
from sync_core.store import connections, inventory, organizations
from tests.ops.observed import captured_logs
from tests.support import asgi_with_state

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
MB = 1024 * 1024
SEEN = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
FORM = "application/x-www-form-urlencoded"
LEGACY_TOKEN = "gIkuvaNzQIHg97ATvDxqgjtO"
RESPONSE_URL = "https://hooks.slack.com/commands/T0001/1234567890/Z9y8X7w6V5u4T3s2"
COMMAND = (
    f"token={LEGACY_TOKEN}&team_id=T0001&user_id=U1&command=%2Fapps&text=&channel_id=C1"
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0001%2F1234567890%2FZ9y8X7w6V5u4T3s2"
)


def web_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings with the Slack door on (nothing here reaches Slack's API)."""
    values = {
        "secret_key": generate_key(),
        "database_url": database_url,
        "slack_api_url": "http://127.0.0.1:9/api/",
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Web:
    http: httpx.AsyncClient
    token: str

    async def graphql(self, body: bytes | str, **headers: str) -> httpx.Response:
        sent = {"content-type": "application/json", "authorization": f"Bearer {self.token}"}
        return await self.http.post("/graphql", content=body, headers=sent | headers)

    def signed(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
        return {"x-slack-request-timestamp": ts, "x-slack-signature": signature or ""}


async def open_web(settings: Settings, *, raise_app_exceptions: bool = True) -> AsyncIterator[Web]:
    """The app with an organization; with raise_app_exceptions=False a crash is a 500 response."""
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(
            app=asgi_with_state(app, state), raise_app_exceptions=raise_app_exceptions
        )
        with state["runtime"].store.activated():
            _, token = await organizations.create_organization(name="Acme")
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield Web(client, token.secret)


@pytest.fixture
async def web(database_url: str) -> AsyncIterator[Web]:
    async for opened in open_web(web_settings(database_url)):
        yield opened


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.ERROR]


# -- 4. the 500s -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", ['"query"', "42", "null", "true", "false", "1e999", '""'])
async def test_a_json_body_that_is_not_an_object_is_a_400(web, body):
    response = await web.graphql(body)
    assert response.status_code == 400, response.text


async def test_variables_nested_100k_deep_are_a_400(web):
    deep = "[" * 100_000 + "]" * 100_000
    body = '{"query": "query($s: String) { users(filter: {search: $s}) { totalCount } }", '
    response = await web.graphql(body + f'"variables": {{"s": {deep}}}}}')
    assert response.status_code == 400, response.text
    assert "deep" in response.text


@pytest.mark.parametrize(
    "overrides",
    [{}, {"environment": "production", "graphql_introspection": True}],
    ids=["development", "production-with-graphiql"],
)
async def test_graphiql_serves_the_ide_page_without_a_token(database_url, overrides):
    async for web in open_web(web_settings(database_url, **overrides)):
        response = await web.http.get("/graphql", headers={"accept": "text/html"})
        assert response.status_code == 200, response.text
        assert "graphiql" in response.text.lower()
        assert response.headers["content-type"].startswith("text/html")


async def test_graphiql_off_in_production_is_a_4xx_not_a_500(database_url):
    async for web in open_web(web_settings(database_url, environment="production")):
        anonymous = await web.http.get("/graphql", headers={"accept": "text/html"})
        with_token = await web.http.get(
            "/graphql", headers={"accept": "text/html", "authorization": f"Bearer {web.token}"}
        )
        assert anonymous.status_code == 401
        assert 400 <= with_token.status_code < 500


FULLWIDTH_123 = "\uff11\uff12\uff13".encode()


@pytest.mark.parametrize(
    "timestamp", [None, "", "abc", "12.5", "1e10", " 1", "-1", "9" * 5000, FULLWIDTH_123]
)
async def test_a_missing_or_non_numeric_slack_timestamp_is_a_401(web, timestamp):
    headers = web.signed(COMMAND) | {"content-type": FORM}
    if timestamp is None:
        del headers["x-slack-request-timestamp"]
    else:
        headers["x-slack-request-timestamp"] = timestamp
    response = await web.http.post("/slack/events", content=COMMAND, headers=headers)
    assert (response.status_code, response.json()) == (401, {"error": "invalid request"})


async def test_a_correctly_signed_slack_request_still_passes_the_guard(web):
    # url_verification is answered by Bolt itself: proof the request got past the edge.
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
    headers = web.signed(body) | {"content-type": "application/json"}
    response = await web.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}


# -- 5. sizes --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/graphql", "/slack/events"])
async def test_a_body_over_1_mb_is_a_413(web, path):
    response = await web.http.post(path, content=b"{" + b" " * (2 * MB) + b"}")
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/graphql", "/slack/events"])
async def test_a_streamed_body_over_1_mb_without_a_length_is_a_413(web, path):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b" " * 65536

    response = await web.http.post(path, content=chunks(), headers={"content-type": FORM})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_a_lying_content_length_is_a_413_too(web):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b" " * 65536

    response = await web.http.post(
        "/graphql", content=chunks(), headers={"content-length": "10", "content-type": FORM}
    )
    assert response.status_code == 413


async def test_a_body_under_the_limit_is_read(web):
    query = "{ organization { name } }" + " " * (MB // 2)
    response = await web.graphql(json.dumps({"query": query}))
    assert response.status_code == 200
    assert response.json() == {"data": {"organization": {"name": "Acme"}}}


async def test_a_big_variable_writes_a_small_log(web):
    """Even at DEBUG, where the store logs its SQL with the parameters."""
    token = await organizations.authenticate(secret=web.token)
    assert token is not None
    connection = await connections.add_connection(
        organization_id=token.organization_id, tenant_id="aaaaaaaa-0000-0000-0000-000000000001"
    )
    user = records.User(entra_id="u-1", display_name="Ada")
    await inventory.upsert_users(connection_id=connection.id, users=[user], seen_at=SEEN)
    query = "query($s: String) { users(filter: {search: $s}) { totalCount } }"
    body = json.dumps({"query": query, "variables": {"s": "x" * 900_000}})
    with captured_logs(web_settings("sqlite://:memory:", log_level="DEBUG")) as out:
        response = await web.graphql(body)
    assert response.status_code < 500
    assert len(out.getvalue()) < 20_000, f"{len(out.getvalue())} characters logged"


def test_a_long_log_line_is_cut(tmp_path):
    settings = Settings(_env_file=None, secret_key=generate_key())
    with captured_logs(settings) as out:
        logging.getLogger("tests.hardening").warning("got %s", "y" * 1_000_000)
        try:
            raise ValueError("z" * 1_000_000)
        except ValueError:
            logging.getLogger("tests.hardening").exception("failed")
    assert len(out.getvalue()) < 40_000
    assert "more characters" in out.getvalue()


# -- 8. what Bolt logs -----------------------------------------------------------------------


@pytest.fixture
def bolt_verification_logger() -> Iterator[logging.Logger]:
    """Bolt copies the root's level when it builds an app: INFO under `serve`."""
    logger = logging.getLogger("slack_bolt.RequestVerification")
    saved = logger.level
    logger.setLevel(logging.INFO)
    yield logger
    logger.setLevel(saved)


def test_bolt_s_log_of_an_unsigned_body_is_redacted(bolt_verification_logger):
    settings = Settings(_env_file=None, secret_key=generate_key())
    with captured_logs(settings) as out:
        # What slack_bolt's RequestVerification logs at INFO when a signature fails.
        bolt_verification_logger.info(
            f"Invalid request signature detected (signature: v0=abc, timestamp: 1, body: {COMMAND})"
        )
        # What Bolt logs (at WARNING) for a listener that never acked, with the parsed body.
        logging.getLogger("slack_bolt.AsyncApp").warning(
            "An async listener ... without providing a response for the request (%s)",
            {"token": LEGACY_TOKEN, "response_url": RESPONSE_URL, "command": "/apps"},
        )
    text = out.getvalue()
    assert LEGACY_TOKEN not in text
    assert "Z9y8X7w6V5u4T3s2" not in text
    assert "Invalid request signature detected" in text and "/apps" in text


async def test_a_badly_signed_request_leaves_no_token_or_response_url_in_the_logs(
    web, bolt_verification_logger
):
    headers = web.signed(COMMAND) | {"x-slack-signature": "v0=" + "0" * 64, "content-type": FORM}
    settings = web_settings("sqlite://:memory:", log_level="DEBUG")
    with captured_logs(settings) as out:
        response = await web.http.post("/slack/events", content=COMMAND, headers=headers)
    assert response.status_code == 401
    assert LEGACY_TOKEN not in out.getvalue()
    assert "Z9y8X7w6V5u4T3s2" not in out.getvalue()
