"""Structured logs as an operator reads them: JSON lines with ids, and no secrets in them."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
from pathlib import Path

import httpx
import pytest
import uvicorn

from appventory.web import create_app
from sync_core.crypto import generate_key
from sync_core.settings import LogFormat, Settings
from sync_core.store.db import migrate
from tests.ops.observed import captured_logs, json_lines, web_tenant

FERNET_KEY = generate_key()
SECRETS = [
    ("xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-"),
    ("xapp-1-A0123456789-1234567890123-abcdef0123456789", "xapp-"),
    ("avt_Q2hhbmdlTWVQbGVhc2UxMjM0NTY3ODkw", "avt_"),
    ("eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJjb250b3NvIn0.c2lnbmF0dXJl", ""),
    ("sbx8Q~sandbox.client.secret.value", ""),
    (FERNET_KEY, ""),
]


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, secret_key=generate_key())


# Fixed ids: a generated key in a test id differs between xdist workers' collections.
@pytest.mark.parametrize(
    ("secret", "kept_prefix"),
    SECRETS,
    ids=["bot-token", "app-token", "api-token", "jwt", "client-secret", "fernet-key"],
)
def test_a_secret_in_a_message_comes_out_redacted(settings, secret, kept_prefix):
    with captured_logs(settings) as out:
        logging.getLogger("tests.ops").warning("calling with %s now", secret)
    [line] = json_lines(out)
    assert secret not in out.getvalue()
    assert line["event"] == f"calling with {kept_prefix}[REDACTED] now"
    assert line["level"] == "warning" and line["logger"] == "tests.ops"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer avt_abc123", "Authorization: [REDACTED]"),
        (
            "headers={'authorization': 'Basic dXNlcjpwYXNz'}",
            "headers={'authorization': '[REDACTED]'}",
        ),
        (
            "token request client_secret=s3cr3t&scope=x",
            "token request client_secret=[REDACTED]&scope=x",
        ),
        ('{"client_secret": "s3cr3t"}', '{"client_secret": "[REDACTED]"}'),
        ("db postgres://app:hunter2@db:5432/inv", "db postgres://app:[REDACTED]@db:5432/inv"),
        (
            "GET /slack/oauth_redirect?code=1234.5678&state=abc",
            "GET /slack/oauth_redirect?code=[REDACTED]&state=[REDACTED]",
        ),
    ],
)
def test_headers_secrets_and_urls_are_redacted(settings, text, expected):
    with captured_logs(settings) as out:
        logging.getLogger("x").info(text)
    assert json_lines(out)[0]["event"] == expected


def test_secret_fields_and_tracebacks_are_redacted(settings):
    log = logging.getLogger("tests.ops")
    with captured_logs(settings) as out:
        log.info("installed", extra={"bot_token": "not-even-shaped-like-one", "team": "T0ABCDE"})
        try:
            raise RuntimeError("Slack said invalid_auth for xoxb-1-2-secretvalue")
        except RuntimeError:
            log.exception("install failed")
    installed, failed = json_lines(out)
    assert installed["bot_token"] == "[REDACTED]" and installed["team"] == "T0ABCDE"
    assert "RuntimeError" in failed["exception"]
    assert "secretvalue" not in out.getvalue()


def test_console_format_is_for_people(settings):
    console = settings.model_copy(update={"log_format": LogFormat.CONSOLE})
    with captured_logs(console) as out:
        logging.getLogger("tests.ops").warning("token avt_abcdef")
    text = out.getvalue()
    assert not text.startswith("{") and "avt_[REDACTED]" in text and "warning" in text


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


async def test_request_id_in_the_access_line_and_the_response_header(tmp_path: Path):
    settings = Settings(
        _env_file=None, secret_key=generate_key(), database_url=f"sqlite://{tmp_path / 'w.db'}"
    )
    await migrate(settings.database_url)
    sock = _free_socket()
    url = "http://{}:{}".format(*sock.getsockname())
    with captured_logs(settings) as out:
        # As `appventory serve` runs it: log_config=None, uvicorn logs through our handler.
        server = uvicorn.Server(uvicorn.Config(create_app(settings), log_config=None))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=url) as client:
            await client.get("/healthz")
            fresh = await client.post("/graphql", json={"query": "{ organization { name } }"})
            given = await client.post(
                "/graphql", json={"query": "{ x }"}, headers={"X-Request-ID": "edge-0123456789"}
            )
            await client.get("/metrics")
        server.should_exit = True
        await task
    lines = json_lines(out)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("POST", "/graphql", 401),
        ("POST", "/graphql", 401),
    ]
    assert access[0]["request_id"] == fresh.headers["X-Request-ID"]
    assert len(fresh.headers["X-Request-ID"]) == 32
    assert access[1]["request_id"] == given.headers["X-Request-ID"] == "edge-0123456789"
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # startup lines, JSON too


async def test_sync_lines_carry_run_and_tenant_ids(tmp_path, settings):
    with captured_logs(settings) as out:
        async with web_tenant(tmp_path) as web:
            answer = await web.client.post(
                "/graphql",
                json={"query": "mutation { startSync { run { id tenantId } } }"},
                headers={"Authorization": f"Bearer {web.token}", "X-Request-ID": "dash-12345678"},
            )
            await web.runtime.runner.drain()
    run = answer.json()["data"]["startSync"]["run"]
    engine = [line for line in json_lines(out) if line["logger"] == "sync_core.sync.engine"]
    started = [line for line in engine if line["event"].endswith("started")]
    assert started, out.getvalue()[-2000:]
    # GraphQL ids are Relay global ids: base64 of "SyncRun:<uuid>".
    run_id = base64.b64decode(run["id"] + "==").decode().split(":", 1)[1]
    assert started[0]["run_id"] == run_id
    assert started[0]["tenant_id"] == run["tenantId"]
    # The run was asked for by that request: its lines say so too.
    assert started[0]["request_id"] == "dash-12345678"
