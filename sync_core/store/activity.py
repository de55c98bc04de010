"""The activity trail: who connected, what was discovered, who approved what."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_core import records
from sync_core.records import ActorType
from sync_core.store import models
from sync_core.store.paging import Page, keyset


@dataclass(frozen=True)
class NewActivity:
    """An event to record."""

    kind: str
    actor: records.Actor
    connection_id: uuid.UUID | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    subject_name: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _row(organization_id: uuid.UUID, event: NewActivity) -> models.Activity:
    return models.Activity(
        organization_id=organization_id,
        connection_id=event.connection_id,
        kind=event.kind,
        actor_type=event.actor.type,
        actor_id=event.actor.id,
        actor_name=event.actor.name,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        subject_name=event.subject_name,
        details=event.details,
    )


async def record(*, organization_id: uuid.UUID, events: Sequence[NewActivity]) -> None:
    """Append events to an organization's trail."""
    if events:
        await models.Activity.bulk_create([_row(organization_id, e) for e in events])


def _entry(row: models.Activity) -> records.ActivityEntry:
    return records.ActivityEntry(
        id=row.id,
        organization_id=row.organization_id,
        connection_id=row.connection_id,
        kind=row.kind,
        actor=records.Actor(ActorType(row.actor_type), row.actor_id, row.actor_name),
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        subject_name=row.subject_name,
        details=row.details or {},
        created_at=row.created_at,
    )


async def list_activities(
    *,
    organization_id: uuid.UUID,
    kinds: Sequence[str] | None = None,
    since: dt.datetime | None = None,
    limit: int = 50,
    connection_id: uuid.UUID | None = None,
) -> list[records.ActivityEntry]:
    """The organization's trail (of one connection, if given), newest first."""
    query = models.Activity.filter(organization_id=organization_id)
    query = query if connection_id is None else query.filter(connection_id=connection_id)
    if kinds:
        query = query.filter(kind__in=list(kinds))
    if since is not None:
        query = query.filter(created_at__gte=since)
    return [_entry(row) for row in await query.order_by("-id").limit(limit)]


async def activities_page(
    *,
    organization_id: uuid.UUID,
    first: int,
    after: tuple | None = None,
    kinds: Sequence[str] | None = None,
    since: dt.datetime | None = None,
) -> Page[records.ActivityEntry]:
    """The organization's trail, newest first, a keyset page at a time."""
    query = models.Activity.filter(organization_id=organization_id)
    if kinds:
        query = query.filter(kind__in=list(kinds))
    if since is not None:
        query = query.filter(created_at__gte=since)
    return await keyset(query, order=("-id",), first=first, after=after, record=_entry)
