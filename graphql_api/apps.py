"""Apps and insights in GraphQL: thin over sync_core.insights, which reads the figures derive
stored; per-app verdicts of a page come from one batched read (a DataLoader)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import overload

import strawberry
from strawberry.scalars import JSON

from graphql_api.context import Info
from graphql_api.errors import BadInput
from graphql_api.ids import ENTRA_ID_ONLY, Shape, decode_cursor, encode_id
from graphql_api.paging import Connection, page_size
from graphql_api.types import User
from sync_core import insights
from sync_core.insights import records as ir


@strawberry.enum
class AppStatus(Enum):
    IN_USE = "in_use"
    DISCOVERED = "discovered"
    INACTIVE = "inactive"


@strawberry.enum
class AppStage(Enum):
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    MONITORED = "monitored"
    REJECTED = "rejected"
    RETIRED = "retired"


@strawberry.enum
class AppOrder(Enum):
    NAME = "name"


@strawberry.type
class MoneyAmount:
    amount: str
    currency: str


@overload
def _money(money: ir.Money) -> MoneyAmount: ...
@overload
def _money(money: ir.Money | None) -> MoneyAmount | None: ...
def _money(money: ir.Money | None) -> MoneyAmount | None:
    return MoneyAmount(amount=str(money.amount), currency=money.currency) if money else None


@strawberry.type
class DailyActivity:
    day: dt.date
    successes: int
    failures: int


@strawberry.type
class Grant:
    consent_type: str
    scopes: list[str]
    consented_by: User | None
    first_seen_at: dt.datetime


@strawberry.type
class AppProblem:
    kind: str
    summary: str
    evidence: JSON


@strawberry.type
class AppUserEdgeNode:
    user: User
    sources: list[str]
    last_used_on: dt.date | None


def days_in_range(days: int) -> int:
    if not 1 <= days <= 365:
        raise BadInput("days must be between 1 and 365")
    return days


# A grants cursor: (consent type, grant id).
GRANT_KEY: Shape = ((str,), (str,))


def _user_key(after: str | None) -> tuple[str] | None:
    """An app-users cursor holds one Entra id; anything else was not made by us."""
    return decode_cursor(after, shape=ENTRA_ID_ONLY)


async def _verdicts(info: Info, app_id: int) -> insights.AppVerdicts | None:
    """The app's shadow IT verdict, waste and problems: one batched read per request's page."""
    return await info.context.loaders.app_verdicts.load((app_id,))


@strawberry.type(description="An application linked to a tenant, with its usage and verdicts.")
class App:
    summary: strawberry.Private[ir.AppSummary]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("App", self.summary.id))

    app_id: str = strawberry.field(resolver=lambda self: self.summary.app_id)
    name: str = strawberry.field(resolver=lambda self: self.summary.name)
    publisher: str | None = strawberry.field(resolver=lambda self: self.summary.publisher)
    verified_publisher: str | None = strawberry.field(
        resolver=lambda self: self.summary.verified_publisher
    )
    category: str | None = strawberry.field(resolver=lambda self: self.summary.category)
    status: AppStatus = strawberry.field(resolver=lambda self: AppStatus(self.summary.status.value))
    is_microsoft: bool = strawberry.field(
        resolver=lambda self: self.summary.origin is ir.AppOrigin.MICROSOFT
    )
    first_seen_at: dt.datetime = strawberry.field(resolver=lambda self: self.summary.first_seen_at)
    last_used_at: dt.date | None = strawberry.field(resolver=lambda self: self.summary.last_used_on)
    assigned_user_count: int = strawberry.field(resolver=lambda self: self.summary.assigned_users)
    consented_user_count: int = strawberry.field(resolver=lambda self: self.summary.consented_users)
    active_user_count: int = strawberry.field(resolver=lambda self: self.summary.active_users)
    seat_cost: MoneyAmount | None = strawberry.field(
        resolver=lambda self: _money(self.summary.seat_cost)
    )

    @strawberry.field
    def stage(self) -> AppStage | None:
        return AppStage(self.summary.stage.value) if self.summary.stage else None

    @strawberry.field
    async def is_shadow_it(self, info: Info) -> bool:
        found = await _verdicts(info, self.summary.id)
        return bool(found and found.is_shadow_it)

    @strawberry.field
    async def monthly_waste(self, info: Info) -> MoneyAmount | None:
        found = await _verdicts(info, self.summary.id)
        return _money(found.monthly_waste) if found else None

    @strawberry.field
    async def problems(self, info: Info) -> list[AppProblem]:
        found = await _verdicts(info, self.summary.id)
        return [
            AppProblem(kind=p.kind.value, summary=p.summary, evidence=JSON(p.evidence))
            for p in (found.problems if found else ())
        ]

    @strawberry.field(description="Users with access: assignment, group assignment or consent.")
    async def users(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AppUserEdgeNode]:
        key = (self.summary.id, page_size(first), _user_key(after))
        page = await info.context.loaders.app_users.load(key)
        return Connection.of(
            page,
            lambda u: AppUserEdgeNode(
                user=User.of(u.user),
                sources=[s.value for s in u.sources],
                last_used_on=u.last_used_on,
            ),
        )

    @strawberry.field(description="Daily sign-ins, oldest first (kept beyond Entra's 30 days).")
    async def login_activity(self, info: Info, days: int = 30) -> list[DailyActivity]:
        counts = await info.context.loaders.app_logins.load((self.summary.id, days_in_range(days)))
        return [
            DailyActivity(day=c.day, successes=c.successes, failures=c.failures) for c in counts
        ]

    @strawberry.field(
        description="Delegated permissions the app holds, and who consented: admin consent "
        "(AllPrincipals) first, then each user's consent."
    )
    async def permissions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Grant]:
        key = (self.summary.id, page_size(first), decode_cursor(after, shape=GRANT_KEY))
        page = await info.context.loaders.app_grants.load(key)
        return Connection.of(
            page,
            lambda g: Grant(
                consent_type=g.consent_type,
                scopes=list(g.scopes),
                consented_by=User.of(g.consented_by) if g.consented_by else None,
                first_seen_at=g.first_seen_at,
            ),
        )


@strawberry.input
class AppFilter:
    status: list[AppStatus] | None = None
    stage: list[AppStage] | None = None
    shadow_it: bool | None = None
    category: str | None = None
    search: str | None = None
    tenant_id: str | None = None
