"""What people decide about an app: its stage, its category and its seat cost."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from sync_core import records
from sync_core.insights import catalog, figures
from sync_core.insights.records import EventKind, InsightEvent, StageChangeEntry
from sync_core.records import AppStage
from sync_core.store.insights import state as insight_state
from sync_core.store.insights.state import Change

CATEGORY_LENGTH = 128


def _event(
    kind: EventKind, change: Change, actor: records.Actor, now: dt.datetime, details: dict[str, Any]
) -> InsightEvent:
    return InsightEvent(
        kind=kind,
        organization_id=change.app.organization_id,
        connection_id=change.app.connection_id,
        app_id=change.app.id,
        app_entra_id=change.app.entra_id,
        app_name=change.app.name,
        actor=actor,
        occurred_at=now,
        details=details,
    )


def clean_stage(stage: AppStage | str) -> AppStage:
    """A stage from its value, or a ValueError naming the ones there are."""
    try:
        return AppStage(stage)
    except ValueError:
        known = ", ".join(s.value for s in AppStage)
        raise ValueError(f"unknown stage {stage!r}: one of {known}") from None


async def set_stage(
    *,
    organization_id: uuid.UUID,
    app_id: int,
    stage: AppStage | str,
    actor: records.Actor,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> InsightEvent | None:
    """Set an app's lifecycle stage; None when it already had it. A sync never undoes this."""
    stage, now = clean_stage(stage), now or dt.datetime.now(dt.UTC)
    note = (note or "").strip() or None
    change = await insight_state.change_stage(
        organization_id=organization_id,
        app_id=app_id,
        stage=stage,
        actor=actor,
        note=note,
        at=now,
        kind=EventKind.STAGE_CHANGED.value,
    )
    if change is None:
        return None
    details = {"from": change.before and change.before.value, "to": stage.value, "note": note}
    return _event(EventKind.STAGE_CHANGED, change, actor, now, details)


def clean_category(category: str | None) -> str | None:
    """A category as stored: catalog spelling when known; None (or blank) clears it."""
    if category is None or not category.strip():
        return None
    cleaned = catalog.default().canonical_category(category)
    if len(cleaned) > CATEGORY_LENGTH:
        raise ValueError(f"a category has at most {CATEGORY_LENGTH} characters")
    return cleaned


async def set_category(
    *,
    organization_id: uuid.UUID,
    app_id: int,
    category: str | None,
    actor: records.Actor,
    now: dt.datetime | None = None,
) -> InsightEvent | None:
    """Override an app's category (None goes back to the catalog's); None when unchanged."""
    value, now = clean_category(category), now or dt.datetime.now(dt.UTC)
    change = await insight_state.change_app(
        organization_id=organization_id,
        app_id=app_id,
        values={"category_override": value},
        actor=actor,
        kind=EventKind.CATEGORY_CHANGED.value,
    )
    if change is None:
        return None
    # Overlaps group In Use apps by category: the tenant's are found again at once.
    await figures.refresh_overlaps(
        organization_id=organization_id, connection_id=change.app.connection_id, now=now
    )
    details = {"from": change.before["category_override"], "to": value}
    return _event(EventKind.CATEGORY_CHANGED, change, actor, now, details)


def clean_seat_cost(amount: Decimal | str | float | None, currency: str | None) -> dict:
    """A seat cost as stored: a non-negative amount in cents and an ISO 4217 code, or neither."""
    if amount is None and not currency:
        return {"seat_cost_amount": None, "seat_cost_currency": None}
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError("a seat cost needs a three-letter currency code, such as EUR")
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite() or value < 0 or value >= Decimal("1e10"):
        raise ValueError(f"a seat cost is between 0 and 9,999,999,999.99, not {amount}")
    return {"seat_cost_amount": value, "seat_cost_currency": code}


async def set_seat_cost(
    *,
    organization_id: uuid.UUID,
    app_id: int,
    amount: Decimal | str | float | None,
    currency: str | None,
    actor: records.Actor,
    now: dt.datetime | None = None,
) -> InsightEvent | None:
    """Set what one seat of an app costs per month (None and None clear it)."""
    values, now = clean_seat_cost(amount, currency), now or dt.datetime.now(dt.UTC)
    change = await insight_state.change_app(
        organization_id=organization_id,
        app_id=app_id,
        values=values,
        actor=actor,
        kind=EventKind.SEAT_COST_CHANGED.value,
    )
    if change is None:
        return None
    amount_set = values["seat_cost_amount"]
    details = {
        "amount": None if amount_set is None else str(amount_set),
        "currency": values["seat_cost_currency"],
    }
    return _event(EventKind.SEAT_COST_CHANGED, change, actor, now, details)


async def stage_history(*, organization_id: uuid.UUID, app_id: int) -> list[StageChangeEntry]:
    """Every stage an app went through, oldest first, with who, when and why."""
    return await insight_state.stage_history(organization_id=organization_id, app_id=app_id)
