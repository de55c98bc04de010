"""The real web app with its Slack door, driven by signed requests, against a fake Slack API."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from appventory.runtime import Runtime
from appventory.web import create_app
from bot.services import BotServices
from sandbox.authcode import posted_form
from sandbox.slack import TEAM_ID, FakeSlack, running_fake_slack
from sandbox.testing import RunningSandbox, running_sandbox
from sync_core.crypto import generate_key
from sync_core.graph import RetryPolicy
from sync_core.records import SYSTEM
from sync_core.settings import Settings
from sync_core.store import organizations
from sync_core.store import slack as slack_store
from sync_core.store.db import migrate
from tests.conftest import BACKENDS, _truncate
from tests.support import asgi_with_state
from tests.sync.conftest import sandbox_config

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ADMIN, MEMBER = "UADMIN", "UMEMBER"
CHANNEL = "CGENERAL"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test gets a copy (migrating takes ~1 s)."""
    path = tmp_path_factory.mktemp("bot-db") / "template.sqlite3"
    asyncio.run(migrate(f"sqlite://{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """The root fixture's databases, with SQLite copied from a migrated template."""
    if request.param == "sqlite":
        copy = tmp_path / "store.sqlite3"
        shutil.copyfile(sqlite_template, copy)
        return f"sqlite://{copy}"
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate(url))
    return url


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with running_fake_slack() as fake:
        fake.users[ADMIN] = {"is_admin": True, "name": "ada"}
        fake.users[MEMBER] = {"name": "max"}
        yield fake


def slack_settings(database_url: str, fake: FakeSlack, **overrides: Any) -> Settings:
    values = {
        "secret_key": generate_key(),
        "database_url": database_url,
        "public_url": "https://appventory.test",
        "slack_api_url": fake.api_url,
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        "sync_runner": "in_process",  # /sync runs in the web process here, on either backend
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Bot:
    """Sends what Slack would send, signed, and waits for what the bot does in the background."""

    http: httpx.AsyncClient
    slack: FakeSlack
    runtime: Runtime
    team_id: str = TEAM_ID
    organization_id: uuid.UUID | None = None
    secret: str = SIGNING_SECRET
    sent: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def services(self) -> BotServices:
        assert self.runtime.slack is not None
        return self.runtime.slack

    def sign(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        return {"x-slack-request-timestamp": ts, "x-slack-signature": signature}

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        sent = {
            "content-type": content_type,
            **(self.sign(body) if signed else {}),
            **(headers or {}),
        }
        return await self.http.post("/slack/events", content=body, headers=sent)

    def command_body(
        self,
        command: str,
        text: str = "",
        *,
        user: str = ADMIN,
        channel: str = CHANNEL,
        response_url: str | None = None,
    ) -> str:
        return urlencode(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "team_domain": "acme",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": self.slack.users.get(user, {}).get("name", user),
                "command": command,
                "text": text,
                "api_app_id": "A1",
                "trigger_id": "13345224609.738474920.8088930838d",
                "response_url": response_url or self.slack.response_url(),
            }
        )

    async def command(self, command: str, text: str = "", **options: Any) -> httpx.Response:
        """A slash command, as Slack posts it."""
        body = self.command_body(command, text, **options)
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def action(
        self,
        action_id: str,
        value: str | None,
        *,
        user: str = ADMIN,
        channel: str = CHANNEL,
        ephemeral: bool = True,
        response_url: str | None = None,
        message_ts: str = "1.0",
        team_id: str | None = None,
        in_home: bool = False,
    ) -> httpx.Response:
        """A button click (in a message, or in the App Home tab, which has no response_url)."""
        payload = {
            "type": "block_actions",
            "team": {"id": team_id or self.team_id, "domain": "acme"},
            "user": {
                "id": user,
                "username": self.slack.users.get(user, {}).get("name", user),
                "team_id": team_id or self.team_id,
            },
            "api_app_id": "A1",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "channel": {"id": channel, "name": "general"},
            "trigger_id": "trigger-1",
            "response_url": response_url or self.slack.response_url(),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b1",
                    "type": "button",
                    "value": value,
                    "action_ts": "1.1",
                }
            ],
        }
        if in_home:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home"}
            for key in ("response_url", "channel"):
                payload.pop(key)
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def submit(
        self, view: dict, *, note: str | None = None, user: str = ADMIN
    ) -> httpx.Response:
        """Submit a dialog the bot opened (as recorded by the fake's views.open)."""
        values = {"note": {"text": {"type": "plain_text_input", "value": note}}}
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "acme"},
            "user": {
                "id": user,
                "username": self.slack.users.get(user, {}).get("name", user),
                "team_id": self.team_id,
            },
            "api_app_id": "A1",
            "trigger_id": "trigger-2",
            "view": {**view, "id": "V1", "state": {"values": values}},
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def event(self, event: dict, **options: Any) -> httpx.Response:
        """An Events API delivery."""
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "api_app_id": "A1",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{uuid.uuid4().hex[:8]}",
                "event_time": int(time.time()),
            }
        )
        return await self.post(body, content_type="application/json", **options)

    async def settle(self) -> None:
        """Let background work (sync watchers, runs) finish."""
        if self.runtime.runner is not None:
            await self.runtime.runner.drain()
        await self.services.background.drain()


@asynccontextmanager
async def open_bot(settings: Settings, fake: FakeSlack) -> AsyncIterator[Bot]:
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        runtime = state["runtime"]
        transport = httpx.ASGITransport(app=asgi_with_state(app, state))
        with runtime.store.activated():
            async with httpx.AsyncClient(
                transport=transport, base_url="https://appventory.test"
            ) as http:
                bot = Bot(http=http, slack=fake, runtime=runtime)
                yield bot
                await bot.settle()


async def bind(bot: Bot, *, name: str = "Acme IT") -> uuid.UUID:
    """A new organization, bound to the test workspace."""
    org, _ = await organizations.create_organization(name=name)
    await slack_store.bind_workspace(team_id=bot.team_id, organization_id=org.id, actor=SYSTEM)
    bot.organization_id = org.id
    bot.services.workspaces.forget(bot.team_id)
    return org.id


@pytest.fixture
async def bot(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[Bot]:
    """The web app in single-workspace mode, its workspace bound to a new organization."""
    async with open_bot(slack_settings(database_url, fake_slack), fake_slack) as opened:
        await bind(opened)
        yield opened


@dataclass
class Entra:
    """A sandbox tenant (Microsoft's identity platform and Graph) the bot can connect and sync."""

    sandbox: RunningSandbox

    async def follow(self, url: str) -> str:
        """Open a consent link the way a browser would: where does Microsoft send us back?"""
        response = await self.sandbox.client.get(url.replace(LOGIN_HOST, self.sandbox.base_url))
        assert response.status_code == 302, response.text
        return response.headers["location"]

    async def complete(self, bot: Bot, callback: str) -> httpx.Response:
        """Hand Microsoft's consent redirect to AppVentory, which sends the browser on to sign
        in; the sandbox signs its admin in at once. AppVentory's last page."""
        step = await bot.http.get(callback)
        if step.status_code != 302:
            return step
        return await self.sign_in(bot, step.headers["location"])

    async def sign_in(self, bot: Bot, url: str) -> httpx.Response:
        """The sign-in page: the sandbox answers with a form_post page, which a browser would
        submit to AppVentory's callback."""
        response = await self.sandbox.client.get(url.replace(LOGIN_HOST, self.sandbox.base_url))
        form = posted_form(response.text)
        assert form is not None, response.text
        action, fields = form
        return await bot.http.post(action, data=fields)


LOGIN_HOST = "https://login.microsoftonline.com"


@pytest.fixture
async def entra_bot(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[tuple[Bot, Entra]]:
    """The bot with Entra configured against a sandbox tenant, workspace bound."""
    async with running_sandbox(sandbox_config()) as sandbox:
        settings = slack_settings(
            database_url,
            fake_slack,
            entra_client_id=sandbox.client_id,
            entra_client_secret=sandbox.client_secret,
            login_url=sandbox.base_url,
            graph_url=sandbox.base_url,
        )
        async with open_bot(settings, fake_slack) as opened:
            opened.runtime.require_engine().policy = RetryPolicy(
                max_attempts=8,
                base_backoff=0.01,
                max_backoff=0.1,
                reports_limit=5,
                reports_period=0.01,
            )
            opened.services.progress_interval = 0.05
            opened.services.result_grace = 2.0
            await bind(opened)
            yield opened, Entra(sandbox)
