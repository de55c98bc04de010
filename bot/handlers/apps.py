"""/apps: paged views and one app's details."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot import inventory
from bot.invocation import Invocation
from bot.messages import apps as messages
from bot.messages.apps import SEARCH_LIMIT


def view(name: str) -> Callable[[Invocation], Awaitable[None]]:
    """The handler of one view: its first page, narrowed by the words after it."""

    async def handler(inv: Invocation) -> None:
        page = await inventory.page(
            organization_id=inv.organization_id,
            view=name,
            search=" ".join(inv.args)[:SEARCH_LIMIT],
            offset=0,
            now=inv.now(),
            active_days=inv.services.active_days,
            inactive_days=inv.services.inactive_days,
        )
        await inv.respond(**messages.app_list(page))

    handler.__name__ = f"apps_{name.replace('-', '_')}"
    return handler


async def by_name(inv: Invocation) -> None:
    """/apps NAME: the app's details, or the apps whose names match."""
    if not inv.args:
        await view("all")(inv)
        return
    name, services = " ".join(inv.args)[:SEARCH_LIMIT], inv.services
    found = await inventory.find(
        organization_id=inv.organization_id,
        name=name,
        now=inv.now(),
        active_days=services.active_days,
    )
    if len(found) != 1:
        await inv.respond(**messages.matches(found, search=name))
        return
    detail = await inventory.detail(
        organization_id=inv.organization_id,
        app_id=found[0].id,
        now=inv.now(),
        active_days=services.active_days,
        inactive_days=services.inactive_days,
    )
    await inv.respond(**messages.app_detail(detail))
