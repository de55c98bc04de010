"""Per-request DataLoaders: nested fields of a page cost one batched read, not one per parent.

Built by the context getter for each request (never shared: the cache would leak data between
callers, and each batch is scoped by the caller's organization).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from sync_core import insights
from sync_core.insights import records as ir
from sync_core.insights.logins import login_activity_of
from sync_core.store import app_access
from sync_core.store.app_grants import app_grants_pages
from sync_core.store.app_users import app_users_pages
from sync_core.store.insights.usage import DailyCount
from sync_core.store.paging import Page
from sync_core.store.user_apps import user_apps_pages

K = TypeVar("K", bound=tuple)
V = TypeVar("V")


async def _by_arguments(
    keys: Sequence[K], load: Callable[[list[int], tuple], Awaitable[dict[int, V]]]
) -> list[V]:
    """Keys are (id, *arguments): one read per distinct argument set, usually exactly one."""
    groups: dict[tuple, list[int]] = {}
    for key in keys:
        groups.setdefault(tuple(key[1:]), []).append(key[0])
    found: dict[Hashable, V] = {}
    for arguments, ids in groups.items():
        for owner, value in (await load(ids, arguments)).items():
            found[(owner, *arguments)] = value
    return [found[tuple(key)] for key in keys]


@dataclass(frozen=True)
class Loaders:
    """One loader per nested field; keys carry the field's arguments after the parent's id."""

    app_users: DataLoader[tuple[int, int, tuple | None], Page[app_access.AppUser]]
    app_grants: DataLoader[tuple[int, int, tuple | None], Page[app_access.AppGrant]]
    app_logins: DataLoader[tuple[int, int], list[DailyCount]]
    user_logins: DataLoader[tuple[int, int], list[DailyCount]]
    user_apps: DataLoader[tuple[int, int, tuple | None], Page[ir.AppSummary]]
    app_verdicts: DataLoader[tuple[int], insights.AppVerdicts | None]


def build_loaders(
    *,
    organization_id: uuid.UUID,
    now: Callable[[], dt.datetime],
    active_days: int,
    inactive_days: int = 60,
) -> Loaders:
    """Fresh loaders for one request of one organization."""
    org = organization_id

    async def app_users(ids: list[int], args: tuple) -> dict[int, Any]:
        first, after = args
        return await app_users_pages(organization_id=org, app_pks=ids, first=first, after=after)

    async def app_grants(ids: list[int], args: tuple) -> dict[int, Any]:
        first, after = args
        return await app_grants_pages(organization_id=org, app_pks=ids, first=first, after=after)

    def logins(kind: str) -> Callable[[list[int], tuple], Awaitable[dict[int, Any]]]:
        async def load(ids: list[int], args: tuple) -> dict[int, Any]:
            return await login_activity_of(
                organization_id=org, days=args[0], now=now(), kind=kind, ids=ids
            )

        return load

    async def user_apps(ids: list[int], args: tuple) -> dict[int, Any]:
        first, after = args
        pages = await user_apps_pages(organization_id=org, user_pks=ids, first=first, after=after)
        wanted = sorted({app for page in pages.values() for app in page.items})
        if not wanted:  # an empty id list would mean "every app" to app_summaries
            return {u: page for u, page in pages.items()}
        summaries = await insights.app_summaries(
            organization_id=org, now=now(), app_ids=wanted, active_days=active_days
        )
        by_id = {s.id: s for s in summaries}
        return {
            u: Page(
                items=[by_id[a] for a in page.items],
                keys=page.keys,
                total=page.total,
                has_next=page.has_next,
            )
            for u, page in pages.items()
        }

    async def app_verdicts(ids: list[int], _: tuple) -> dict[int, Any]:
        windows = {"active_days": active_days, "inactive_days": inactive_days}
        found = await insights.app_verdicts(organization_id=org, now=now(), app_ids=ids, **windows)
        return {i: found.get(i) for i in ids}

    def loader(load: Callable[[list[int], tuple], Awaitable[dict[int, Any]]]) -> DataLoader:
        return DataLoader(load_fn=lambda keys: _by_arguments(keys, load))

    return Loaders(
        app_users=loader(app_users),
        app_grants=loader(app_grants),
        app_logins=loader(logins("app")),
        user_logins=loader(logins("user")),
        user_apps=loader(user_apps),
        app_verdicts=loader(app_verdicts),
    )
