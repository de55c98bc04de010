"""Who has access to one app, and the grants it holds: reads for the doors, scoped."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sync_core.records import AccessSource, StoredUser
from sync_core.store import models

USER_SOURCES = (AccessSource.ASSIGNMENT, AccessSource.GROUP_ASSIGNMENT, AccessSource.CONSENT)
# The sources stored as one access row per user; access through a group is the group's
# assignment joined to its members (the `group_access` view).
STORED_SOURCES = (AccessSource.ASSIGNMENT, AccessSource.CONSENT)


@dataclass(frozen=True)
class AppUser:
    """A user with access to an app: how they got it and when they last used it."""

    user: StoredUser
    sources: tuple[AccessSource, ...]
    last_used_on: dt.date | None


@dataclass(frozen=True)
class AppGrant:
    """A delegated grant held by an app, with who consented."""

    consent_type: str
    scopes: tuple[str, ...]
    consented_by: StoredUser | None
    first_seen_at: dt.datetime


async def _app(organization_id: uuid.UUID, app_pk: int) -> models.Application | None:
    return await models.Application.get_or_none(
        id=app_pk, connection__organization_id=organization_id
    )
