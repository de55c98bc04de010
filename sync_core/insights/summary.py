"""An app's summary: its own columns and figures as every list and page shows them, at `now`."""

from __future__ import annotations

import datetime as dt

from sync_core.app_facts import AppFacts
from sync_core.insights import catalog, rules
from sync_core.insights.records import AppSummary, Money
from sync_core.store.insights.app_figures import StoredApp


class Unset:
    """No value given (None is a value: no category)."""


UNSET = Unset()


def summarise(
    app: AppFacts,
    *,
    now: dt.datetime,
    active_days: int,
    known: catalog.Catalog | None = None,
    catalog_category: str | Unset | None = UNSET,
) -> AppSummary:
    """The summary of an app's figures at `now` (`catalog_category`: the catalog's category
    when already known, as derive stores it)."""
    cost = None
    if app.seat_cost_amount is not None and app.seat_cost_currency:
        cost = Money(app.seat_cost_amount, app.seat_cost_currency)
    return AppSummary(
        id=app.id,
        connection_id=app.connection_id,
        entra_id=app.entra_id,
        app_id=app.app_id,
        name=app.display_name,
        publisher=app.publisher_name,
        verified_publisher=app.verified_publisher,
        origin=rules.app_origin(app),
        status=rules.app_status(app, now=now, active_days=active_days),
        stage=app.stage,
        category=(
            catalog.category_of(
                override=app.category_override,
                app_id=app.app_id,
                name=app.display_name,
                catalog=known or catalog.default(),
            )
            if isinstance(catalog_category, Unset)
            else app.category_override or catalog_category
        ),
        assigned_users=app.assigned_users,
        assigned_groups=app.assigned_groups,
        consented_users=app.consented_users,
        active_users=app.active_users,
        last_used_on=app.last_used_on,
        first_seen_at=app.first_seen_at,
        account_enabled=app.account_enabled,
        seat_cost=cost,
        removed_at=app.removed_at,
    )


def summary_of(row: StoredApp, *, now: dt.datetime, active_days: int) -> AppSummary:
    """The summary of a stored app at `now`."""
    return summarise(
        row.facts, now=now, active_days=active_days, catalog_category=row.figures.catalog_category
    )
