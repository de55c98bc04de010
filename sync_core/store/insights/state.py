"""What people decide about apps (stage, category, seat cost) and what derive remembers.

People's writes go to the application row's own columns, which a sync never writes, and are
recorded in the activity trail in the same transaction. Derived state (last status, when
shadow IT was raised) lives in `app_insight`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.records import ActorType, AppStage
from sync_core.store import activity, models
from sync_core.store.columns import column
from sync_core.store.insights import models as insight_models
from sync_core.store.organizations import NotFound

SUBJECT = "app"


@dataclass(frozen=True, slots=True)
class AppRef:
    """Which app a change was about."""

    id: int
    organization_id: uuid.UUID
    connection_id: uuid.UUID
    entra_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Change:
    """A person's change to an app: the value before and after."""

    app: AppRef
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class StageChangeEntry:
    """One line of an app's stage history."""

    app_id: int
    from_stage: AppStage | None
    to_stage: AppStage
    actor: records.Actor
    note: str | None
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class DerivedState:
    """What derive concluded about one app, to compare with next time."""

    app: int
    status: str
    status_changed_at: dt.datetime
    shadow_detected_at: dt.datetime | None


async def connection_scope(*, connection_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """The organization and tenant id of a connection."""
    row = await models.Connection.get_or_none(id=connection_id).values(
        "organization_id", "tenant_id"
    )
    if row is None:
        raise NotFound(f"no connection {connection_id}")
    return row["organization_id"], row["tenant_id"]


async def _app(organization_id: uuid.UUID, app_id: int) -> models.Application:
    row = (
        await models.Application.filter(id=app_id, connection__organization_id=organization_id)
        .select_for_update()
        .first()
    )
    if row is None:
        raise NotFound(f"no app {app_id}")
    return row


def _ref(organization_id: uuid.UUID, row: models.Application) -> AppRef:
    return AppRef(
        id=row.id,
        organization_id=organization_id,
        connection_id=row.connection_id,
        entra_id=row.entra_id,
        name=row.display_name,
    )


def _activity(
    kind: str, ref: AppRef, actor: records.Actor, details: dict[str, Any]
) -> activity.NewActivity:
    return activity.NewActivity(
        kind=kind,
        actor=actor,
        connection_id=ref.connection_id,
        subject_type=SUBJECT,
        subject_id=ref.entra_id,
        subject_name=ref.name,
        details={"app_id": ref.id, **details},
    )


def _history_row(
    organization_id: uuid.UUID,
    app: int,
    before: AppStage | None,
    after: AppStage,
    *,
    actor: records.Actor,
    note: str | None,
    at: dt.datetime,
) -> insight_models.StageChange:
    return insight_models.StageChange(
        organization_id=organization_id,
        application_id=app,
        from_stage=before,
        to_stage=after,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name,
        note=note,
        created_at=at,
    )


async def change_stage(
    *,
    organization_id: uuid.UUID,
    app_id: int,
    stage: AppStage,
    actor: records.Actor,
    note: str | None,
    at: dt.datetime,
    kind: str,
) -> Change | None:
    """Set an app's stage, append its history and the activity; None when it was already so."""
    async with in_transaction():
        row = await _app(organization_id, app_id)
        before = AppStage(row.stage) if row.stage else None
        if before == stage:
            return None
        await models.Application.filter(id=row.id).update(stage=stage)
        await _history_row(
            organization_id, row.id, before, stage, actor=actor, note=note, at=at
        ).save()
        ref = _ref(organization_id, row)
        details = {"from": before and before.value, "to": stage.value, "note": note}
        await activity.record(
            organization_id=organization_id, events=[_activity(kind, ref, actor, details)]
        )
    return Change(ref, before, stage)


async def change_app(
    *,
    organization_id: uuid.UUID,
    app_id: int,
    values: dict[str, Any],
    actor: records.Actor,
    kind: str,
) -> Change | None:
    """Set people's own columns of an app (category, seat cost) and record the activity."""
    async with in_transaction():
        row = await _app(organization_id, app_id)
        before = {name: getattr(row, name) for name in values}
        if before == values:
            return None
        await models.Application.filter(id=row.id).update(**values)
        ref = _ref(organization_id, row)
        details = {"before": _plain(before), "after": _plain(values)}
        await activity.record(
            organization_id=organization_id, events=[_activity(kind, ref, actor, details)]
        )
    return Change(ref, before, values)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    # The activity's details are JSON: amounts are written as strings, not floats.
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


async def stage_history(*, organization_id: uuid.UUID, app_id: int) -> list[StageChangeEntry]:
    """An app's stage changes, oldest first."""
    if not await models.Application.exists(id=app_id, connection__organization_id=organization_id):
        raise NotFound(f"no app {app_id}")
    rows = await insight_models.StageChange.filter(
        organization_id=organization_id, application_id=app_id
    ).order_by("created_at", "id")
    return [
        StageChangeEntry(
            app_id=app_id,
            from_stage=AppStage(row.from_stage) if row.from_stage else None,
            to_stage=AppStage(row.to_stage),
            actor=records.Actor(ActorType(row.actor_type), row.actor_id, row.actor_name),
            note=row.note,
            at=row.created_at,
        )
        for row in rows
    ]


async def start_review(
    *, organization_id: uuid.UUID, app_ids: Sequence[int], at: dt.datetime
) -> list[int]:
    """Put apps that have no stage yet into needs review; returns the ones that changed."""
    if not app_ids:
        return []
    async with in_transaction():
        pending: list[int] = await column(
            models.Application.filter(id__in=list(app_ids), stage__isnull=True), "id"
        )
        if not pending:
            return []
        await models.Application.filter(id__in=pending, stage__isnull=True).update(
            stage=AppStage.NEEDS_REVIEW
        )
        await insight_models.StageChange.bulk_create(
            [
                _history_row(
                    organization_id,
                    app,
                    None,
                    AppStage.NEEDS_REVIEW,
                    actor=records.SYSTEM,
                    note=None,
                    at=at,
                )
                for app in pending
            ]
        )
    return list(pending)


async def save_derived(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID,
    states: Sequence[DerivedState],
    events: Sequence[activity.NewActivity],
) -> None:
    """Store changed derived state and the events it raised, in one transaction."""
    async with in_transaction():
        if states:
            await insight_models.AppInsight.bulk_create(
                [
                    insight_models.AppInsight(
                        connection_id=connection_id,
                        application_id=s.app,
                        status=s.status,
                        status_changed_at=s.status_changed_at,
                        shadow_detected_at=s.shadow_detected_at,
                    )
                    for s in states
                ],
                on_conflict=["application_id"],
                update_fields=["status", "status_changed_at", "shadow_detected_at"],
                batch_size=1000,
            )
        await activity.record(organization_id=organization_id, events=events)
