"""Socket Mode: with SLACK_APP_TOKEN the bot dials out to Slack's WebSocket and answers there
(no public URL); the same listeners run. The WebSocket end is a small aiohttp server here."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import WSMsgType, web

from sandbox.slack import TEAM_ID, texts
from tests.bot.conftest import ADMIN, CHANNEL, bind, open_bot, slack_settings


class SlackSocket:
    """Slack's side of a Socket Mode connection: hello, envelopes out, acks back."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.acks: asyncio.Queue[dict] = asyncio.Queue()
        self.ws: web.WebSocketResponse | None = None
        self.app_token: str | None = None

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_json({"type": "hello", "num_connections": 1})
        self.connected.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await self.acks.put(json.loads(message.data))
        return ws

    async def send(self, envelope: dict) -> dict:
        assert self.ws is not None
        await self.ws.send_json(envelope)
        return await asyncio.wait_for(self.acks.get(), timeout=5)


@pytest.fixture
async def slack_socket() -> AsyncIterator[tuple[SlackSocket, str]]:
    server = SlackSocket()
    app = web.Application()
    app.router.add_get("/link", server.handler)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield server, f"ws://127.0.0.1:{sock.getsockname()[1]}/link"
    finally:
        await runner.cleanup()


async def test_a_slash_command_over_socket_mode_is_acked_and_answered(
    database_url, fake_slack, slack_socket
):
    server, url = slack_socket
    fake_slack.socket_url = url
    settings = slack_settings(
        database_url, fake_slack, slack_app_token="xapp-1-test", slack_signing_secret=None
    )
    async with open_bot(settings, fake_slack) as bot:
        await bind(bot)
        await asyncio.wait_for(server.connected.wait(), timeout=5)
        [opened] = fake_slack.called("apps.connections.open")
        assert opened.token == "xapp-1-test"
        payload = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "channel_id": CHANNEL,
            "user_id": ADMIN,
            "user_name": "ada",
            "command": "/help",
            "text": "",
            "api_app_id": "A1",
            "response_url": fake_slack.response_url(),
            "trigger_id": "t1",
        }
        ack = await server.send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": payload,
            }
        )
        assert ack["envelope_id"] == "env-1"
        assert "AppVentory commands" in texts(ack["payload"]["blocks"])

        url = fake_slack.response_url()
        ack = await server.send(
            {
                "envelope_id": "env-2",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    **payload,
                    "command": "/connect",
                    "text": "status",
                    "response_url": url,
                },
            }
        )
        assert ack == {"envelope_id": "env-2"}
        [reply] = await fake_slack.wait_for(lambda slack: slack.replies(url))
        assert "No Microsoft 365 tenant is connected yet" in reply.text
