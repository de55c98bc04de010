"""Finding apps by name: which apps a person means when they type part of a name.

Matching is Python's `casefold` on the names alone (one cheap read), not SQL `LIKE`: SQLite
folds only ASCII and PostgreSQL's LIKE is case-sensitive, while app names are any language.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sync_core.app_facts import AppFacts, Window
from sync_core.store import app_names
from sync_core.store.insights import app_figures
from sync_core.store.insights import facts as store


def named(names: Sequence[tuple[int, str]], *, search: str) -> list[int]:
    """Ids whose name contains `search`, ignoring case (all of them for an empty search)."""
    wanted = search.strip().casefold()
    return [app_id for app_id, name in names if wanted in name.casefold()]


def best_match(names: Sequence[tuple[int, str]], *, name: str) -> list[int]:
    """Ids of apps called exactly `name` (ignoring case), else of those containing it."""
    wanted = name.strip().casefold()
    exact = [app_id for app_id, found in names if found.casefold() == wanted]
    return exact or named(names, search=name)


async def app_ids_named(
    *,
    organization_id: uuid.UUID,
    search: str,
    connection_id: uuid.UUID | None = None,
    exact_first: bool = False,
) -> list[int]:
    """Ids of the organization's apps whose name contains `search` (by name, then id).

    With `exact_first`, apps called exactly `search` win over those merely containing it.
    """
    names = await app_names.app_names(organization_id=organization_id, connection_id=connection_id)
    if exact_first:
        return best_match(names, name=search)
    return named(names, search=search)


def narrowed(app_ids: Sequence[int] | None, named_ids: Sequence[int] | None) -> list[int] | None:
    """The ids both filters allow (None: no filter at all)."""
    if named_ids is None:
        return None if app_ids is None else list(app_ids)
    if app_ids is None:
        return list(named_ids)
    allowed = set(app_ids)
    return [i for i in named_ids if i in allowed]


async def restrict(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID | None,
    app_ids: Sequence[int] | None,
    name: str | None,
) -> list[int] | None:
    """`app_ids` narrowed to apps whose name contains `name` (unchanged without a name)."""
    if not name:
        return None if app_ids is None else list(app_ids)
    found = await app_ids_named(
        organization_id=organization_id, search=name, connection_id=connection_id
    )
    return narrowed(app_ids, found)


async def facts_of(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID | None,
    window: Window,
    app_ids: Sequence[int] | None,
    name: str | None,
) -> list[AppFacts]:
    """The organization's apps with their figures, limited to `app_ids` and to names containing
    `name` (the start of every tenant-wide insight read)."""
    app_ids = await restrict(
        organization_id=organization_id, connection_id=connection_id, app_ids=app_ids, name=name
    )
    return await store.app_facts(
        organization_id=organization_id, connection_id=connection_id, window=window, app_ids=app_ids
    )


async def app_ids_matching(
    *, organization_id: uuid.UUID, search: str, connection_id: uuid.UUID | None = None
) -> list[int]:
    """Ids of the organization's apps whose name or publisher contains `search`, any case."""
    wanted = search.strip().casefold()
    found = await app_figures.names(organization_id=organization_id, connection_id=connection_id)
    return [
        i
        for i, name, publisher in found
        if wanted in name.casefold() or wanted in (publisher or "").casefold()
    ]
