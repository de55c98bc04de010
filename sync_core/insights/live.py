"""Insights computed on the fly from the inventory: what `derive` stores, and the reference
tests compare the stored figures with. Reads go through the stored figures instead (apps.py,
shadow.py, ...); these read the whole tenant each time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence

from sync_core.app_facts import AppFacts, Window
from sync_core.insights import catalog, findings, rules
from sync_core.insights.records import (
    AppStatus,
    AppSummary,
    Overlap,
    OverlapApp,
    Problem,
    ShadowApp,
    ShadowReason,
    UserRef,
)
from sync_core.insights.rules import Thresholds
from sync_core.insights.summary import summarise
from sync_core.store.insights import evidence as insight_evidence
from sync_core.store.insights import facts as store
from sync_core.store.insights import usage as insight_usage
from sync_core.store.insights.evidence import Sample


def _refs(samples: list[Sample], app: int) -> tuple[UserRef, ...]:
    return tuple(UserRef(s.user_entra_id, s.user_name) for s in samples if s.app == app)


async def _facts(
    organization_id: uuid.UUID, now: dt.datetime, connection_id: uuid.UUID | None, days: int
) -> list[AppFacts]:
    window = rules.window(now=now, days=days)
    return await store.app_facts(
        organization_id=organization_id, connection_id=connection_id, window=window
    )


async def app_summaries(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
) -> list[AppSummary]:
    """Every live app's summary, by name."""
    facts = await _facts(organization_id, now, connection_id, active_days)
    return [summarise(f, now=now, active_days=active_days) for f in facts]


async def shadow_verdicts(
    facts: Sequence[AppFacts],
    *,
    window: Window,
    now: dt.datetime,
    active_days: int,
    evidence_users: int = 10,
    unassigned_sample: Sequence[Sample] | None = None,
) -> list[ShadowApp]:
    """The shadow IT among apps whose figures are read, with the evidence for each.

    `unassigned_sample`: the first `evidence_users` unassigned users of each app, when the caller
    read them already (derive does, with the counts); read here otherwise."""
    found = [(app, reasons) for app in facts if (reasons := rules.shadow_reasons(app))]
    consented = [app for app, reasons in found if ShadowReason.USER_CONSENT in reasons]
    unassigned = [app for app, reasons in found if ShadowReason.UNASSIGNED_USE in reasons]
    scopes = await insight_evidence.consent_scopes(apps=consented)
    consenters = await insight_evidence.consenters(apps=consented, limit=evidence_users)
    if unassigned_sample is None:
        users = await insight_evidence.unassigned_users(
            apps=unassigned, window=window, limit=evidence_users
        )
    else:
        named = {app.id for app in unassigned}
        users = [s for s in unassigned_sample if s.app in named]
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


async def shadow_it(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    evidence_users: int = 10,
) -> list[ShadowApp]:
    """Shadow IT apps, most consenting users first, each with its evidence."""
    facts = await _facts(organization_id, now, connection_id, active_days)
    window = rules.window(now=now, days=active_days)
    return await shadow_verdicts(
        facts, window=window, now=now, active_days=active_days, evidence_users=evidence_users
    )


async def problems_of(
    facts: Sequence[AppFacts],
    *,
    window: Window,
    now: dt.datetime,
    active_days: int,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so one shared default is safe
) -> list[Problem]:
    """The problems of apps whose figures are read, with the evidence behind each."""
    failing = [
        a for a in facts if findings.high_failure_rate(a, thresholds=thresholds, days=active_days)
    ]
    unverified = [a for a in facts if a.consented_users and rules.is_unverified(a)]
    since = dt.datetime.combine(window.start, dt.time(), tzinfo=dt.UTC)
    errors = await insight_evidence.failures(apps=failing, since=since)
    consents = await insight_evidence.consent_scopes(apps=unverified)
    problems = []
    for app in facts:
        found = (
            findings.high_failure_rate(
                app, thresholds=thresholds, days=active_days, errors=errors.get(app.id, ())
            ),
            findings.risky_user_consent(
                app, consents=consents.get(app.id, ()), thresholds=thresholds
            ),
            findings.disabled_still_used(app, days=active_days),
            findings.no_active_users(app),
        )
        summary = None
        for finding in filter(None, found):
            summary = summary or summarise(app, now=now, active_days=active_days)
            problems.append(Problem(summary, finding.kind, finding.summary, finding.evidence))
    return problems


async def problematic_apps(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so one shared default is safe
) -> list[Problem]:
    """Every problem found, by app name then kind."""
    facts = await _facts(organization_id, now, connection_id, active_days)
    window = rules.window(now=now, days=active_days)
    return await problems_of(
        facts, window=window, now=now, active_days=active_days, thresholds=thresholds
    )


async def overlaps(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
) -> list[Overlap]:
    """Overlapping apps per tenant and category; users count within the same window."""
    window = rules.window(now=now, days=active_days)
    known = catalog.default()
    facts = await _facts(organization_id, now, connection_id, active_days)
    in_use: dict[uuid.UUID, list[tuple[AppFacts, str]]] = defaultdict(list)
    for app in facts:
        category = catalog.category_of(
            override=app.category_override, app_id=app.app_id, name=app.display_name, catalog=known
        )
        used = rules.app_status(app, now=now, active_days=active_days)
        if category and used is AppStatus.IN_USE:
            in_use[app.connection_id].append((app, category))
    result: list[Overlap] = []
    for tenant, apps in sorted(in_use.items(), key=lambda item: str(item[0])):
        counts: dict[str, int] = defaultdict(int)
        for _app, category in apps:
            counts[category.casefold()] += 1
        candidates = [(a, c) for a, c in apps if counts[c.casefold()] > 1]
        pairs = await insight_usage.usage_pairs(apps=[a for a, _ in candidates], window=window)
        result += rules.find_overlaps(
            connection_id=tenant,
            apps=[(OverlapApp(a.id, a.display_name, a.active_users), c) for a, c in candidates],
            pairs=pairs,
        )
    return result
