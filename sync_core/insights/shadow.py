"""Shadow IT: third-party apps that got in without IT, with who, which scopes and since when."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sync_core.insights import names, rules
from sync_core.insights.apps import summarise
from sync_core.insights.records import ShadowApp, ShadowReason, UserRef
from sync_core.store import insight_evidence
from sync_core.store.insight_evidence import Sample
from sync_core.store.insights import AppFacts, Window


def _refs(samples: list[Sample], app: int) -> tuple[UserRef, ...]:
    return tuple(UserRef(s.user_entra_id, s.user_name) for s in samples if s.app == app)


async def shadow_it(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    evidence_users: int = 10,
    app_ids: Sequence[int] | None = None,
    name: str | None = None,
) -> list[ShadowApp]:
    """Shadow IT apps, most consenting users first, each with its evidence.

    `app_ids` and `name` (part of a name, any case) limit the read to those apps.
    """
    window = rules.window(now=now, days=active_days)
    facts = await names.facts_of(organization_id=organization_id, connection_id=connection_id,
                                 window=window, app_ids=app_ids, name=name)  # fmt: skip
    return await verdicts(
        facts, window=window, now=now, active_days=active_days, evidence_users=evidence_users
    )


async def verdicts(
    facts: Sequence[AppFacts],
    *,
    window: Window,
    now: dt.datetime,
    active_days: int,
    evidence_users: int = 10,
) -> list[ShadowApp]:
    """The shadow IT among apps whose figures are read, with the evidence for each."""
    found = [(app, reasons) for app in facts if (reasons := rules.shadow_reasons(app))]
    consented = [app for app, reasons in found if ShadowReason.USER_CONSENT in reasons]
    unassigned = [app for app, reasons in found if ShadowReason.UNASSIGNED_USE in reasons]
    scopes = await insight_evidence.consent_scopes(apps=consented)
    consenters = await insight_evidence.consenters(apps=consented, limit=evidence_users)
    users = await insight_evidence.unassigned_users(
        apps=unassigned, window=window, limit=evidence_users
    )
    result = [
        ShadowApp(
            app=summarise(app, now=now, active_days=active_days),
            reasons=reasons,
            consenting_users=app.consented_users,
            consented_by=_refs(consenters, app.id),
            scopes=tuple(sorted({s for entry in scopes.get(app.id, []) for s in entry[0]})),
            unassigned_users=app.unassigned_users,
            unassigned_sample=_refs(users, app.id),
            first_seen_at=app.first_seen_at,
            detected_at=app.shadow_detected_at,
        )
        for app, reasons in found
    ]
    return sorted(result, key=lambda s: (-s.consenting_users, -s.unassigned_users, s.app.name))
