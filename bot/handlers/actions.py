"""Buttons and dialogs: paging, stage decisions (with a note), retry, re-consent, disconnect.

The organization always comes from the workspace that clicked, never from a button's value:
an app id or tenant of another organization is simply not found.
"""

from __future__ import annotations

import json
import re
import uuid
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import inventory
from bot.access import Refused
from bot.errors import guarded
from bot.handlers import home
from bot.handlers.connect import live, pick
from bot.handlers.sync import start
from bot.messages import apps as app_messages
from bot.messages import connect as connect_messages
from bot.messages import stages
from bot.services import BotServices
from sync_core import consent, insights, records
from sync_core.insights.decisions import clean_stage
from sync_core.store import connections
from sync_core.store.organizations import NotFound


def team_of(body: dict) -> str:
    return (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")


def where(body: dict) -> dict[str, Any]:
    """The channel, person and reply URL of a click."""
    container = body.get("container") or {}
    return {
        "team_id": team_of(body),
        "channel_id": container.get("channel_id") or (body.get("channel") or {}).get("id"),
        "user_id": (body.get("user") or {}).get("id"),
        "response_url": body.get("response_url"),
    }


async def app_of(services: BotServices, organization_id: uuid.UUID, value: object):
    """The organization's app a button names; anything else is not an app of ours."""
    if not str(value).isdigit():
        raise NotFound(f"no app {value!r}")
    return await inventory.app(
        organization_id=organization_id,
        app_id=int(str(value)),
        now=services.now(),
        active_days=services.active_days,
    )


async def page(ack, action: dict, respond, services: BotServices, organization_id: uuid.UUID):
    """Previous / Next: redraw the list in place."""
    await ack()
    state = json.loads(action.get("value") or "{}")
    view = state.get("v") if state.get("v") in app_messages.VIEWS else "all"
    found = await inventory.page(
        organization_id=organization_id,
        view=view,
        search=str(state.get("q") or "")[: app_messages.SEARCH_LIMIT],
        offset=int(state.get("o") or 0),
        now=services.now(),
        active_days=services.active_days,
        inactive_days=services.inactive_days,
    )
    await respond(replace_original=True, **app_messages.app_list(found))


async def stage_button(
    ack,
    action: dict,
    body: dict,
    client,
    services: BotServices,
    organization_id: uuid.UUID,
    actor: records.Actor,
) -> None:
    """Approve / Monitor / Reject: open the dialog with an optional note."""
    await ack()
    stage = clean_stage(action["action_id"].split(":", 1)[1])
    await services.admins.require(
        client, user_id=actor.id or "", team_id=team_of(body), what="change an app's stage"
    )
    app = await app_of(services, organization_id, action.get("value"))
    container = body.get("container") or {}
    origin = {
        "r": body.get("response_url"),
        "e": bool(container.get("is_ephemeral")),
        "h": container.get("type") == "view",
    }
    view = stages.stage_modal(app, stage=stage, origin=origin)
    await client.views_open(trigger_id=body["trigger_id"], view=view)


async def stage_note(
    ack,
    view: dict,
    body: dict,
    client,
    services: BotServices,
    organization_id: uuid.UUID,
    actor: records.Actor,
) -> None:
    """The dialog's submit: check, set the stage with the note, say so where it was clicked."""
    meta = json.loads(view.get("private_metadata") or "{}")
    try:
        stage = clean_stage(str(meta.get("stage")))
        await services.admins.require(
            client, user_id=actor.id or "", team_id=team_of(body), what="change an app's stage"
        )
        app = await app_of(services, organization_id, meta.get("app"))
    except (Refused, NotFound, ValueError) as exc:  # shown in the dialog; nothing changes
        await ack(response_action="errors", errors={"note": str(exc)[:300]})
        return
    await ack()
    values = (view.get("state") or {}).get("values") or {}
    note = ((values.get("note") or {}).get("text") or {}).get("value")
    event = await insights.set_stage(
        organization_id=organization_id,
        app_id=app.id,
        stage=stage,
        actor=actor,
        note=note,
        now=services.now(),
    )
    said = stages.stage_set(
        app_name=app.name, stage=stage, actor_id=actor.id, note=note, changed=event is not None
    )
    if meta.get("r"):
        kind = "ephemeral" if meta.get("e") else "in_channel"
        await services.slack.webhook(meta["r"]).send_dict(
            {**said, "response_type": kind, "replace_original": False}
        )
    if meta.get("h"):  # decided from the Home tab: show it without that app waiting
        await home.publish(
            client, services=services, organization_id=organization_id, user_id=actor.id or ""
        )


async def retry(
    ack,
    action: dict,
    body: dict,
    respond,
    services: BotServices,
    organization_id: uuid.UUID,
    actor: records.Actor,
) -> None:
    """Retry sync (an alert's button) and the Sync buttons of several tenants."""
    await ack()
    tenant = pick(await live(organization_id), action.get("value"))
    place = where(body)
    await start(
        services,
        organization_id=organization_id,
        actor=actor,
        tenant=tenant,
        team_id=place["team_id"],
        channel_id=place["channel_id"],
        response_url=place["response_url"],
        respond=partial(respond, replace_original=False),
    )


async def regrant(
    ack,
    action: dict,
    body: dict,
    respond,
    client,
    services: BotServices,
    organization_id: uuid.UUID,
    actor: records.Actor,
) -> None:
    """Re-grant consent (an alert's button): a fresh consent link, for admins."""
    await ack()
    await services.admins.require(
        client, user_id=actor.id or "", team_id=team_of(body), what="re-grant consent"
    )
    tenant = pick(await live(organization_id), action.get("value"))
    url = await consent.begin(
        config=services.consent_config(),
        organization_id=organization_id,
        actor=actor,
        now=services.now(),
        tenant_hint=tenant.tenant_id,
        context=where(body),
    )
    await respond(replace_original=False, **connect_messages.consent_link(url, tenant=tenant))


async def remove(
    ack,
    action: dict,
    body: dict,
    respond,
    client,
    services: BotServices,
    organization_id: uuid.UUID,
    actor: records.Actor,
) -> None:
    """Disconnect (after Slack's confirmation dialog)."""
    await ack()
    await services.admins.require(
        client, user_id=actor.id or "", team_id=team_of(body), what="disconnect a tenant"
    )
    gone = await connections.disconnect(
        organization_id=organization_id,
        tenant_id=action.get("value") or "",
        actor=actor,
        now=services.now(),
    )
    await respond(replace_original=True, **connect_messages.disconnected(gone, actor=actor))


async def link_opened(ack) -> None:
    """A URL button: Slack still sends the click, and wants it acknowledged."""
    await ack()


def register(app: AsyncApp) -> None:
    """Register every button and dialog."""
    app.action(re.compile(r"^apps_page:"))(guarded(page))
    app.action(re.compile(r"^stage:"))(guarded(stage_button))
    app.view("stage_note")(guarded(stage_note))
    app.action("sync_retry")(guarded(retry))
    app.action(re.compile(r"^sync_tenant:"))(guarded(retry))
    app.action("consent_regrant")(guarded(regrant))
    app.action("connection_remove")(guarded(remove))
    app.action("consent_open")(guarded(link_opened))
