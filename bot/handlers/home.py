"""The App Home tab, published when someone opens it."""

from __future__ import annotations

import uuid

from slack_bolt.async_app import AsyncApp

from bot import inventory
from bot.errors import guarded
from bot.messages import home as messages
from bot.services import BotServices


async def home_opened(
    event: dict, client, services: BotServices, organization_id: uuid.UUID | None
) -> None:
    """Publish this person's Home view: connections, last sync, apps, shadow IT to review."""
    if event.get("tab", "home") != "home":
        return
    await publish(client, services=services, organization_id=organization_id, user_id=event["user"])


async def publish(
    client, *, services: BotServices, organization_id: uuid.UUID | None, user_id: str
) -> None:
    """Publish a person's Home view (also after they decide on an app there)."""
    overview = None
    if organization_id is not None:
        overview = await inventory.overview(
            organization_id=organization_id, now=services.now(), active_days=services.active_days
        )
    view = messages.home(overview, now=services.now(), admins=services.admins.who())
    await client.views_publish(user_id=user_id, view=view)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(guarded(home_opened))
