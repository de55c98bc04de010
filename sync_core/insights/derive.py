"""Derive: after a sync, bring each app's remembered verdicts up to date and raise events once.

"App discovered" is the sync's own event; derive raises status changes and newly detected
shadow IT. An app's first verdict sets a baseline without an event, so connecting a tenant
does not announce every app as "became in use"; shadow IT is announced on first detection.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sync_core.app_facts import AppFacts
from sync_core.insights import figures, rules
from sync_core.insights.records import AppStatus, EventKind, InsightEvent
from sync_core.records import SYSTEM, AppStage
from sync_core.store import activity
from sync_core.store.insights import figure_inputs, figure_writes
from sync_core.store.insights import sql as insight_sql
from sync_core.store.insights import state as insight_state

log = logging.getLogger(__name__)
EVIDENCE_USERS = 5


@dataclass(frozen=True, slots=True)
class Verdict:
    """What derive concludes about one app, against what it remembered."""

    app: AppFacts
    status: AppStatus
    transition: EventKind | None
    newly_shadow: bool

    @property
    def changed(self) -> bool:
        return self.app.status != self.status.value or self.newly_shadow


def conclude(app: AppFacts, *, now: dt.datetime, active_days: int) -> Verdict:
    """An app's verdict at `now`, compared with the remembered one."""
    current = rules.app_status(app, now=now, active_days=active_days)
    previous = AppStatus(app.status) if app.status else None
    shadow = bool(rules.shadow_reasons(app))
    return Verdict(
        app=app,
        status=current,
        transition=rules.transition(previous=previous, current=current),
        newly_shadow=shadow and app.shadow_detected_at is None,
    )


def _state(verdict: Verdict, now: dt.datetime) -> insight_state.DerivedState:
    app = verdict.app
    changed_at = app.status_changed_at
    if app.status != verdict.status.value or changed_at is None:
        changed_at = now
    return insight_state.DerivedState(
        app=app.id,
        status=verdict.status.value,
        status_changed_at=changed_at,
        shadow_detected_at=now if verdict.newly_shadow else app.shadow_detected_at,
    )


def _event(
    kind: EventKind, app: AppFacts, *, organization_id: uuid.UUID, now: dt.datetime, details: dict
) -> InsightEvent:
    return InsightEvent(
        kind=kind,
        organization_id=organization_id,
        connection_id=app.connection_id,
        app_id=app.id,
        app_entra_id=app.entra_id,
        app_name=app.display_name,
        actor=SYSTEM,
        occurred_at=now,
        details=details,
    )


def as_activity(event: InsightEvent) -> activity.NewActivity:
    """The activity trail entry of an event."""
    return activity.NewActivity(
        kind=event.kind.value,
        actor=event.actor,
        connection_id=event.connection_id,
        subject_type=insight_state.SUBJECT,
        subject_id=event.app_entra_id,
        subject_name=event.app_name,
        details={"app_id": event.app_id, **event.details},
    )


def _shadow_details(app: AppFacts, evidence: dict) -> dict:
    """Evidence for a shadow IT alert: reasons, scopes and the first consenting users."""
    who = evidence.get("consented_by", [])[:EVIDENCE_USERS]
    return {
        "reasons": [r.value for r in rules.shadow_reasons(app)],
        "publisher": app.publisher_name,
        "verified_publisher": app.verified_publisher,
        "consented_users": app.consented_users,
        "unassigned_users": app.unassigned_users,
        "scopes": list(evidence.get("scopes", [])),
        "consented_by": [name or entra_id for entra_id, name in who],
        "first_seen_at": app.first_seen_at.isoformat(),
    }


def _status_details(verdict: Verdict) -> dict:
    last = verdict.app.last_used_on
    return {
        "from": verdict.app.status,
        "to": verdict.status.value,
        "last_used_on": last.isoformat() if last else None,
        "active_users": verdict.app.active_users,
    }


def _events(
    verdicts: Sequence[Verdict],
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    evidence: dict[int, dict],
) -> list[InsightEvent]:
    details = {
        v.app.id: _shadow_details(v.app, evidence.get(v.app.id, {}))
        for v in verdicts
        if v.newly_shadow
    }
    events = []
    event = functools.partial(_event, organization_id=organization_id, now=now)
    for v in verdicts:
        if v.transition is not None:
            events.append(event(v.transition, v.app, details=_status_details(v)))
        if v.newly_shadow:
            kind = EventKind.SHADOW_IT_DETECTED
            events.append(event(kind, v.app, details=details[v.app.id]))
    return events


SLICE = 1_000  # apps computed, judged and written together: bounds memory and write locks


@dataclass
class Tally:
    """What the slices of one derive add up to."""

    apps: int = 0
    reviewed: int = 0
    events: list[InsightEvent] = field(default_factory=list)
    candidates: list[AppFacts] = field(default_factory=list)  # apps that can overlap


async def derive(
    *, connection_id: uuid.UUID, now: dt.datetime, active_days: int = 30, inactive_days: int = 60
) -> list[InsightEvent]:
    """Recompute a connection's figures and verdicts after a sync, store them; returns the events
    raised (already in the activity trail). Windows: `active_days` for use, `inactive_days` for
    seats.

    Apps go through in slices of SLICE (computed, judged, written, then let go), so memory
    and each write transaction stay the size of a slice whatever the tenant's size; the
    tenant's department figures and overlaps are written last.
    """
    started = time.perf_counter()
    organization_id, _tenant = await insight_state.connection_scope(connection_id=connection_id)
    analyzed = await insight_sql.refresh_statistics(connection_id=connection_id)
    scope = {"organization_id": organization_id, "connection_id": connection_id}
    tally = Tally()
    ids = await figure_inputs.derived_app_ids(connection_id=connection_id)
    for start in range(0, len(ids), SLICE):
        chunk = ids[start : start + SLICE]
        part = await figures.compute(
            **scope, now=now, active_days=active_days, inactive_days=inactive_days, app_ids=chunk
        )
        await _judge(part, tally, **scope, now=now, active_days=active_days)
        await figure_writes.replace_apps(**scope, tenant=part, app_ids=chunk)
    whole = await figures.tenant_rows(
        **scope, facts=tally.candidates, now=now, active_days=active_days
    )
    await figure_writes.replace_figures(
        **scope, tenant=whole, only=("department_figures", "overlap_figures")
    )
    await figure_writes.drop_uncovered(connection_id=connection_id)
    log.info(
        "derived insights: connection=%s apps=%d needs_review=%d events=%d active_days=%d "
        "inactive_days=%d analyzed=%s seconds=%.2f",
        connection_id,
        tally.apps,
        tally.reviewed,
        len(tally.events),
        active_days,
        inactive_days,
        ",".join(analyzed) or "-",
        time.perf_counter() - started,
    )
    return tally.events


async def _judge(
    part: figure_writes.TenantFigures,
    tally: Tally,
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID,
    now: dt.datetime,
    active_days: int,
) -> None:
    """Verdicts of a slice's apps: stages to review, changed states and their events stored."""
    apps = [app for app, _ in part.apps if app.removed_at is None]
    reviewed = set(
        await insight_state.start_review(
            organization_id=organization_id,
            app_ids=[a.id for a in apps if rules.needs_review(a)],
            at=now,
        )
    )
    apps = [replace(a, stage=AppStage.NEEDS_REVIEW) if a.id in reviewed else a for a in apps]
    verdicts = [conclude(a, now=now, active_days=active_days) for a in apps]
    evidence = {app.id: f.evidence for app, f in part.apps}
    events = _events(verdicts, organization_id=organization_id, now=now, evidence=evidence)
    await insight_state.save_derived(
        organization_id=organization_id,
        connection_id=connection_id,
        states=[_state(v, now) for v in verdicts if v.changed],
        events=[as_activity(e) for e in events],
    )
    tally.apps += len(apps)
    tally.reviewed += len(reviewed)
    tally.events += events
    tally.candidates += figures.overlap_candidates(
        [app for app, _ in part.apps], now=now, active_days=active_days
    )
