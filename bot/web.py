"""The door's HTTP side: Slack's requests (HTTP mode), the install pages, the admin-consent
callback page; and Socket Mode, which needs no public URL."""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.app import build_app
from bot.handlers.sync import start
from bot.messages import connect as connect_messages
from bot.services import BotServices
from sync_core import consent
from sync_core.consent import CALLBACK_PATH, ConsentError, ConsentResult, SignInRequired
from sync_core.graph import GraphError, TokenError
from sync_core.settings import SettingsError
from sync_core.sync import hints

log = logging.getLogger(__name__)
STATE_KEY = "slack"
# A sign-in answer is a code, a state and a session id: a few kilobytes at most.
MAX_FORM_BYTES = 16_384
PAGE_HEADERS = {
    # The callback URL carries the consent state: never leak it to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


@dataclass
class SlackDoor:
    """The Bolt app of this process and its HTTP handler."""

    services: BotServices
    app: AsyncApp
    handler: AsyncSlackRequestHandler


@asynccontextmanager
async def open_door(services: BotServices) -> AsyncIterator[SlackDoor]:
    """Build the Bolt app; connect Socket Mode when SLACK_APP_TOKEN is set; close on exit."""
    app = build_app(services)
    door = SlackDoor(services, app, AsyncSlackRequestHandler(app))
    app_token = services.settings.slack_app_token
    socket = None
    if app_token:
        socket = AsyncSocketModeHandler(
            app, app_token.get_secret_value(), web_client=services.slack.client
        )
        await socket.connect_async()
        log.info("Slack Socket Mode connected")
    try:
        yield door
    finally:
        if socket is not None:
            await socket.close_async()
        await services.background.close()


def _door(request: Request) -> SlackDoor | None:
    return getattr(request.state, STATE_KEY, None)


async def slack_endpoint(request: Request) -> Response:
    """/slack/events (POST) and the install pages (GET), handled by Bolt."""
    door = _door(request)
    if door is None:
        return JSONResponse({"error": "Slack is not configured on this server"}, status_code=404)
    return await door.handler.handle(request)


def page(status: int, title: str, text: str) -> HTMLResponse:
    """A small, friendly page that leaks nothing through the referrer."""
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width'><title>AppVentory</title>"
        "<body style='font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        "padding:0 1rem;line-height:1.5'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


async def _answer(request: Request) -> dict[str, str]:
    """Microsoft's answer: the query of a redirect, or the form of a form_post sign-in."""
    if request.method != "POST":
        return dict(request.query_params)
    body = (await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


async def consent_callback(request: Request) -> Response:
    """Microsoft's redirects: after admin consent, on to the admin's sign-in; after the sign-in,
    record the proven tenant, tell Slack, sync."""
    door = _door(request)
    if door is None:
        return page(404, "Nothing to do here", "AppVentory's Slack app is not configured.")
    services = door.services
    try:
        step = await consent.complete(
            config=services.consent_config(),
            params=await _answer(request),
            now=services.now(),
            check=services.check_tenant,
            prove=services.admin_proof(),
        )
    except ConsentError as exc:
        return page(400, "Not connected", str(exc))
    except TokenError as exc:
        text = f"Microsoft refused a token for that tenant: {exc}. {hints.for_error(exc)}"
        return page(400, "Not connected", text + " Start again with /connect in Slack.")
    except GraphError as exc:
        text = f"Microsoft Graph would not say who signed in: {exc}. {hints.for_error(exc)}"
        return page(400, "Not connected", text + " Start again with /connect in Slack.")
    except SettingsError as exc:
        return page(503, "Not connected", f"AppVentory is not fully configured: {exc}.")
    if isinstance(step, SignInRequired):
        return RedirectResponse(step.url, status_code=302, headers=PAGE_HEADERS)
    name = step.check.name or step.check.tenant_id
    told = await announce(services, step)
    where = (
        "Slack has the details and the first sync's progress."
        if told
        else ("The first sync has started; /connect status in Slack shows it.")
    )
    return page(200, f"Connected {name}", f"You can close this tab. {where}")


async def announce(services: BotServices, result: ConsentResult) -> bool:
    """Post the connection (permissions and what they mean) where /connect was typed, and start
    the first sync there. False when Slack could not be told (the connection stands)."""
    where = result.context
    team, channel, reply = (
        where.get("team_id") or "",
        where.get("channel_id") or "",  # none: Slack refuses the post, the reply goes instead
        where.get("response_url"),
    )
    message = connect_messages.connected(
        result.check, actor=result.actor, run_started=services.runner is not None
    )

    async def respond(**content) -> None:
        if reply:
            await services.slack.webhook(reply).send_dict({**content, "replace_original": False})

    try:
        token = await services.slack.token_for(team) or ""
        try:
            await services.slack.client.chat_postMessage(token=token, channel=channel, **message)
        except SlackApiError:
            await respond(**message, response_type="ephemeral")
        if services.runner is not None:
            await start(
                services,
                organization_id=result.connection.organization_id,
                actor=result.actor,
                tenant=result.connection,
                team_id=team,
                channel_id=channel,
                response_url=reply,
                respond=respond,
                trigger="connect",
            )
    except Exception:
        log.exception("connected tenant %s, but could not tell Slack", result.check.tenant_id)
        return False
    return True


ROUTES = [
    Route("/slack/events", slack_endpoint, methods=["POST"]),
    Route("/slack/install", slack_endpoint, methods=["GET"]),
    Route("/slack/oauth_redirect", slack_endpoint, methods=["GET"]),
    # GET after admin consent; POST (response_mode=form_post) after the admin's sign-in.
    Route(CALLBACK_PATH, consent_callback, methods=["GET", "POST"]),
]
