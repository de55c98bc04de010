"""Root fields for apps and insights, and the mutations on people's own state."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

import strawberry

from graphql_api.apps import App, AppFilter, AppOrder, AppStage, MoneyAmount, _money
from graphql_api.context import Info
from graphql_api.errors import BadInput, NotFound
from graphql_api.ids import NAME_AND_ID, decode_cursor, decode_int_id, encode_id
from graphql_api.paging import Connection, page_size
from sync_core import insights
from sync_core.insights import records as ir
from sync_core.records import AppStage as CoreStage
from sync_core.store import connections
from sync_core.store.organizations import NotFound as StoreNotFound


async def _connection_id(info: Info, tenant_id: str | None) -> uuid.UUID | None:
    if not tenant_id:
        return None
    try:
        found = await connections.find_connection(
            organization_id=info.context.organization_id, tenant_id=tenant_id
        )
    except StoreNotFound:
        raise NotFound(f"no connected tenant {tenant_id}") from None
    return found.id


def _app_key(after: str | None) -> tuple[str, int] | None:
    """An apps cursor holds (name, id); anything else was not made by us."""
    key = decode_cursor(after, shape=NAME_AND_ID)
    return (key[0], key[1]) if key else None


@strawberry.type
class AppCounts:
    in_use: int
    discovered: int
    inactive: int


@strawberry.type
class ShadowItApp:
    app: App
    reasons: list[str]
    consenting_users: int
    scopes: list[str]
    unassigned_users: int
    consented_by: list[str]


@strawberry.type
class Overlap:
    category: str
    apps: list[App]
    shared_users: int = strawberry.field(description="Users who use more than one of the apps.")


@strawberry.type
class LicenseWaste:
    app: App
    assigned_users: int
    inactive_seats: int
    monthly_waste: MoneyAmount | None


@strawberry.type
class DepartmentUsage:
    department: str | None
    users: int
    active_users: int
    apps_used: int
    seats: int
    inactive_seats: int
    monthly_cost: list[MoneyAmount]
    monthly_waste: list[MoneyAmount]


@strawberry.type(description="What the inventory means, for one tenant or all of them.")
class Insights:
    tenant_id: strawberry.Private[str | None]

    def _args(self, info: Info, connection_id: uuid.UUID | None) -> dict:
        return {
            "organization_id": info.context.organization_id,
            "now": info.context.now(),
            "connection_id": connection_id,
        }

    @strawberry.field
    async def app_counts(self, info: Info) -> AppCounts:
        args = self._args(info, await _connection_id(info, self.tenant_id))
        counts = await insights.status_counts(**args, active_days=info.context.services.active_days)
        return AppCounts(
            in_use=counts[ir.AppStatus.IN_USE],
            discovered=counts[ir.AppStatus.DISCOVERED],
            inactive=counts[ir.AppStatus.INACTIVE],
        )

    @strawberry.field(
        description="Shadow IT apps, most consenting users first: the first `first` (20 when "
        "absent, at most 100); apps(filter: {shadowIt: true}) pages through all of them."
    )
    async def shadow_it(self, info: Info, first: int | None = None) -> list[ShadowItApp]:
        args = self._args(info, await _connection_id(info, self.tenant_id))
        found = await insights.shadow_it(
            **args, active_days=info.context.services.active_days, limit=page_size(first)
        )
        return [
            ShadowItApp(
                app=App(summary=s.app),
                reasons=[r.value for r in s.reasons],
                consenting_users=s.consenting_users,
                scopes=list(s.scopes),
                unassigned_users=s.unassigned_users,
                consented_by=[u.name or u.entra_id for u in s.consented_by],
            )
            for s in found
        ]

    @strawberry.field
    async def overlaps(self, info: Info) -> list[Overlap]:
        args = self._args(info, await _connection_id(info, self.tenant_id))
        found = await insights.overlaps(**args, active_days=info.context.services.active_days)
        ids = [a.id for o in found for a in o.apps]
        summaries = {
            s.id: s
            for s in await insights.app_summaries(
                organization_id=info.context.organization_id, now=info.context.now(), app_ids=ids
            )
        }
        return [
            Overlap(
                category=o.category,
                shared_users=o.users_in_several,
                apps=[App(summary=summaries[a.id]) for a in o.apps if a.id in summaries],
            )
            for o in found
        ]

    @strawberry.field(
        description="Apps with problems, by name: the first `first` (20 when absent, at most 100)."
    )
    async def problematic_apps(self, info: Info, first: int | None = None) -> list[App]:
        args = self._args(info, await _connection_id(info, self.tenant_id))
        found = await insights.problematic_apps(
            **args, active_days=info.context.services.active_days, limit=page_size(first)
        )
        unique = {p.app.id: p.app for p in found}
        return [App(summary=s) for s in unique.values()]

    @strawberry.field(
        description="Apps with inactive seats, most monthly waste (then most inactive seats) "
        "first: the first `first` (20 when absent, at most 100)."
    )
    async def license_waste(self, info: Info, first: int | None = None) -> list[LicenseWaste]:
        args = self._args(info, await _connection_id(info, self.tenant_id))
        found = await insights.license_waste(
            **args,
            inactive_days=info.context.services.inactive_days,
            idle_only=True,
            limit=page_size(first),
        )
        return [
            LicenseWaste(
                app=App(summary=w.app),
                assigned_users=w.assigned_users,
                inactive_seats=w.inactive_seats,
                monthly_waste=_money(w.monthly_waste),
            )
            for w in found
            if w.inactive_seats
        ]

    @strawberry.field
    async def departments(self, info: Info) -> list[DepartmentUsage]:
        args = self._args(info, await _connection_id(info, self.tenant_id))
        found = await insights.departments(**args)
        return [
            DepartmentUsage(
                department=d.department,
                users=d.users,
                active_users=d.active_users,
                apps_used=d.apps_used,
                seats=d.seats,
                inactive_seats=d.inactive_seats,
                monthly_cost=[_money(m) for m in d.monthly_cost],
                monthly_waste=[_money(m) for m in d.monthly_waste],
            )
            for d in found
        ]


@strawberry.type
class AppQuery:
    @strawberry.field(description="Applications, by name; filters combine with AND.")
    async def apps(
        self,
        info: Info,
        filter: AppFilter | None = None,
        order_by: AppOrder = AppOrder.NAME,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[App]:
        f, ctx = filter or AppFilter(), info.context
        connection_id = await _connection_id(info, f.tenant_id)
        matching = None
        if f.search:
            matching = await insights.app_ids_matching(
                organization_id=ctx.organization_id, search=f.search, connection_id=connection_id
            )
        page = await insights.apps_page(
            organization_id=ctx.organization_id,
            now=ctx.now(),
            first=page_size(first),
            after=_app_key(after),
            connection_id=connection_id,
            active_days=ctx.services.active_days,
            statuses=[ir.AppStatus(s.value) for s in f.status or ()],
            stages=[CoreStage(s.value) for s in f.stage or ()],
            app_ids=matching,
            shadow=f.shadow_it,
            category=f.category or None,
        )
        return Connection.of(page, lambda s: App(summary=s))

    @strawberry.field
    async def app(self, info: Info, id: strawberry.ID) -> App | None:
        found = await insights.app_summaries(
            organization_id=info.context.organization_id,
            now=info.context.now(),
            app_ids=[decode_int_id("App", id)],
            include_removed=True,
            active_days=info.context.services.active_days,
        )
        return App(summary=found[0]) if found else None

    @strawberry.field
    def insights(self, tenant_id: str | None = None) -> Insights:
        return Insights(tenant_id=tenant_id)


async def _reload(info: Info, app_pk: int) -> App:
    found = await insights.app_summaries(
        organization_id=info.context.organization_id,
        now=info.context.now(),
        app_ids=[app_pk],
        include_removed=True,
    )
    if not found:
        raise NotFound("no such app")
    return App(summary=found[0])


async def _decide(info: Info, work) -> None:
    try:
        await work
    except StoreNotFound:
        raise NotFound("no such app") from None
    except ValueError as exc:
        raise BadInput(str(exc)) from None


@strawberry.type
class AppMutation:
    @strawberry.mutation(description="Set an app's lifecycle stage (recorded with a note).")
    async def set_app_stage(
        self, info: Info, app_id: strawberry.ID, stage: AppStage, note: str | None = None
    ) -> App:
        pk = decode_int_id("App", app_id, argument="appId")
        await _decide(
            info,
            insights.set_stage(
                organization_id=info.context.organization_id,
                app_id=pk,
                stage=CoreStage(stage.value),
                actor=info.context.actor,
                note=note,
            ),
        )
        return await _reload(info, pk)

    @strawberry.mutation(description="Override an app's category (null restores the catalog's).")
    async def set_app_category(
        self, info: Info, app_id: strawberry.ID, category: str | None
    ) -> App:
        pk = decode_int_id("App", app_id, argument="appId")
        await _decide(
            info,
            insights.set_category(
                organization_id=info.context.organization_id,
                app_id=pk,
                category=category,
                actor=info.context.actor,
            ),
        )
        return await _reload(info, pk)

    @strawberry.mutation(
        description='Set the monthly cost of one seat (amount as text, e.g. "12.50").'
    )
    async def set_app_seat_cost(
        self, info: Info, app_id: strawberry.ID, amount: str | None, currency: str | None
    ) -> App:
        pk = decode_int_id("App", app_id, argument="appId")
        try:
            value = Decimal(amount) if amount is not None else None
        except InvalidOperation:
            raise BadInput("amount must be a number such as 12.50") from None
        await _decide(
            info,
            insights.set_seat_cost(
                organization_id=info.context.organization_id,
                app_id=pk,
                amount=value,
                currency=currency,
                actor=info.context.actor,
            ),
        )
        return await _reload(info, pk)


__all__ = ["AppMutation", "AppQuery", "encode_id"]
