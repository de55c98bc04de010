"""The Slack door's one error handler: domain errors in words a person can act on, anything
else as a short reference that matches the log line."""

from __future__ import annotations

import inspect
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import blocks
from bot.access import Refused
from sync_core.consent import ConsentError
from sync_core.graph import TokenError
from sync_core.settings import SettingsError
from sync_core.store.organizations import NotFound
from sync_core.sync import hints

log = logging.getLogger(__name__)


def describe(error: BaseException) -> str:
    """What to tell the person about an error (and log the unexpected ones with a reference)."""
    match error:
        case Refused() | ConsentError():
            return f":no_entry: {error}"
        case NotFound():
            return (
                ":mag: That is not in this workspace's inventory (it may have been removed, "
                "or it belongs to another organization). Nothing was changed."
            )
        case SettingsError():
            return f":wrench: AppVentory is not fully configured: {error}. Ask your operator."
        case TokenError():
            return f":warning: Microsoft refused: {error}\n{hints.for_error(error)}"
        case ValueError():
            return f":warning: {error}"
        case SlackApiError():
            data = error.response.data if error.response is not None else None
            code = data.get("error", "unknown") if isinstance(data, dict) else "unknown"
            return f":warning: Slack refused the request (`{code}`). Nothing else was changed."
    reference = secrets.token_hex(4)
    log.error("unexpected error (reference %s)", reference, exc_info=error)
    return (
        f":boom: Something went wrong on our side (reference `{reference}`). Nothing was changed; "
        "try again, and give the reference to your operator if it persists."
    )


def reply(error: BaseException) -> blocks.Message:
    """The ephemeral reply for an error."""
    text = describe(error)
    return blocks.message(text, [blocks.section(text)], response_type="ephemeral")


def reply_url(body: dict) -> str | None:
    """Where to answer the person: the request's response_url, or the one a dialog carries."""
    if body.get("response_url"):
        return body["response_url"]
    urls = body.get("response_urls") or []
    if urls:
        return urls[0].get("response_url")
    try:
        metadata = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        return None
    return metadata.get("r") if isinstance(metadata, dict) else None


async def handle_error(error: Exception, body: dict, context) -> None:
    """Bolt's error handler: answer the person where possible (the log has the rest)."""
    url = reply_url(body or {})
    if url is None:
        await _in_a_dialog(error, body or {}, context)
        return
    message = {**reply(error), "replace_original": False}
    services = context.get("services") if context is not None else None
    session = services.slack.session if services is not None else None
    try:
        await AsyncWebhookClient(url=url, session=session).send_dict(message)
    except Exception:  # the person's reply channel is gone: the log still has it
        log.warning("could not tell the person about %s", type(error).__name__)


async def _in_a_dialog(error: Exception, body: dict, context) -> None:
    """No reply URL (a button in the Home tab): show the words in a small dialog instead."""
    text = describe(error)  # logs the unexpected ones with their reference
    client = getattr(context, "client", None)
    if body.get("type") != "block_actions" or not body.get("trigger_id") or client is None:
        return
    view = blocks.surface(
        "modal",
        [blocks.section(text)],
        title={"type": "plain_text", "text": "AppVentory"},
        close={"type": "plain_text", "text": "OK"},
    )
    try:
        await client.views_open(trigger_id=body["trigger_id"], view=view)
    except Exception:  # the trigger expired: the log still has it
        log.warning("could not show %s in a dialog", type(error).__name__)


def guarded(listener: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[None]]:
    """A listener whose errors reach `handle_error` directly.

    Bolt 1.30's runner loses the acknowledgement when a listener raises within a few
    milliseconds of `ack()` (it resets `ack.response`), and Slack then waits 3 s for nothing;
    catching here keeps the answer and still gives every error the same words.
    """
    wanted = inspect.getfullargspec(listener).args

    async def run(args) -> None:
        kwargs = {
            name: getattr(args, name) if hasattr(args, name) else args.context.get(name)
            for name in wanted
        }
        try:
            await listener(**kwargs)
        except Exception as exc:
            await handle_error(exc, args.body, args.context)

    run.__name__ = getattr(listener, "__name__", "listener")
    return run
