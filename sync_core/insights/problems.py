"""Problematic apps: each finding with its kind, a sentence and the figures behind it.

Read from the problems derive stored (default thresholds); other thresholds judge the stored
facts again, reading their evidence for the apps concerned.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sync_core.insights import figures, names, rules, verdicts
from sync_core.insights.apps import selection
from sync_core.insights.live import problems_of
from sync_core.insights.records import Problem
from sync_core.insights.rules import Thresholds
from sync_core.insights.summary import summary_of


async def problematic_apps(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so one shared default is safe
    app_ids: Sequence[int] | None = None,
    name: str | None = None,
    limit: int | None = None,
) -> list[Problem]:
    """Every problem found, by app name then kind.

    `app_ids` and `name` (part of a name, any case) limit the read to those apps, `limit` to
    the problems of the first apps by name (with the stored thresholds: apps are counted in
    the database).
    """
    app_ids = await names.restrict(
        organization_id=organization_id, connection_id=connection_id, app_ids=app_ids, name=name
    )
    stored = thresholds == Thresholds()
    chosen = selection(
        now=now,
        active_days=active_days,
        connection_id=connection_id,
        app_ids=app_ids,
        with_problems=stored,
    )
    rows = await figures.read(
        organization_id=organization_id,
        now=now,
        active_days=active_days,
        selection=chosen,
        detail=("problems",) if stored else (),
        limit=limit if stored else None,
    )
    if not stored:
        window = rules.window(now=now, days=active_days)
        found = await problems_of(
            [r.facts for r in rows],
            window=window,
            now=now,
            active_days=active_days,
            thresholds=thresholds,
        )
        return _of_first_apps(found, limit)
    return [
        problem
        for r in rows
        for problem in verdicts.problems(r, summary_of(r, now=now, active_days=active_days))
    ]


def _of_first_apps(problems: list[Problem], limit: int | None) -> list[Problem]:
    """The problems of the first `limit` apps among them (all without a limit)."""
    if limit is None:
        return problems
    kept: set[int] = set()
    result = []
    for problem in problems:
        if problem.app.id not in kept and len(kept) >= limit:
            continue
        kept.add(problem.app.id)
        result.append(problem)
    return result
