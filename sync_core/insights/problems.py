"""Problematic apps: each finding with its kind, a sentence and the figures behind it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sync_core.insights import findings, names, rules
from sync_core.insights.apps import summarise
from sync_core.insights.records import Problem
from sync_core.insights.rules import Thresholds
from sync_core.store import insight_evidence
from sync_core.store.insights import AppFacts, Window


async def problematic_apps(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so one shared default is safe
    app_ids: Sequence[int] | None = None,
    name: str | None = None,
) -> list[Problem]:
    """Every problem found, by app name then kind.

    `app_ids` and `name` (part of a name, any case) limit the read to those apps.
    """
    window = rules.window(now=now, days=active_days)
    facts = await names.facts_of(organization_id=organization_id, connection_id=connection_id,
                                 window=window, app_ids=app_ids, name=name)  # fmt: skip
    return await problems_of(
        facts, window=window, now=now, active_days=active_days, thresholds=thresholds
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
