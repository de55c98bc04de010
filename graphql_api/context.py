"""The per-request context: the caller's organization (from the API token) and services."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from graphql_api.loaders import Loaders, build_loaders
from sync_core import records
from sync_core.sync.service import Runner


@dataclass(frozen=True)
class Services:
    """What the API may call besides the store, built once by the composition root."""

    runner: Runner | None
    active_days: int = 30
    inactive_days: int = 60
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


@dataclass
class Context:
    """Built fresh for every request; loaders cache only within it."""

    organization_id: uuid.UUID
    actor: records.Actor
    services: Services
    request: Any = None
    response: Any = None
    memo: dict[str, Any] = field(default_factory=dict)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        # Fresh per context, i.e. per request: a loader's cache must never outlive its caller.
        self.loaders = build_loaders(
            organization_id=self.organization_id,
            now=self.now,
            active_days=self.services.active_days,
            inactive_days=self.services.inactive_days,
        )

    def now(self) -> dt.datetime:
        return self.services.clock()


Info = StrawberryInfo[Context, None]
