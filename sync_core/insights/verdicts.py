"""Verdicts from stored figures: shadow IT, problems and seat waste as records, at `now`.

Pure: each takes a stored app (facts and figures) and what people set since the derive (stage,
seat cost) as read with it. Status-like verdicts are judged here, at read time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync_core.insights import rules
from sync_core.insights.records import (
    AppSummary,
    LicenseWaste,
    Money,
    Problem,
    ProblemKind,
    ShadowApp,
    UserRef,
)
from sync_core.store.insights.app_figures import StoredApp


def _refs(pairs: Sequence[Sequence[Any]], limit: int) -> tuple[UserRef, ...]:
    """Users from stored evidence: JSON pairs [entra_id, name or null]."""
    return tuple(UserRef(entra_id, name) for entra_id, name in pairs[:limit])


def shadow(row: StoredApp, summary: AppSummary, *, evidence_users: int = 10) -> ShadowApp | None:
    """The app's shadow IT verdict with its evidence; None when it is not shadow IT."""
    reasons = rules.shadow_reasons(row.facts)
    if not reasons or not row.figures.shadow:
        return None
    evidence = row.figures.evidence
    return ShadowApp(
        app=summary,
        reasons=reasons,
        consenting_users=row.facts.consented_users,
        consented_by=_refs(evidence.get("consented_by", ()), evidence_users),
        scopes=tuple(evidence.get("scopes", ())),
        unassigned_users=row.facts.unassigned_users,
        unassigned_sample=_refs(evidence.get("unassigned_sample", ()), evidence_users),
        first_seen_at=row.facts.first_seen_at,
        detected_at=row.facts.shadow_detected_at,
    )


def problems(row: StoredApp, summary: AppSummary) -> list[Problem]:
    """The problems derive found (default thresholds), with their evidence."""
    return [
        Problem(summary, ProblemKind(p["kind"]), p["summary"], dict(p.get("evidence") or {}))
        for p in row.figures.problems
    ]


def waste(row: StoredApp, summary: AppSummary, *, evidence_users: int = 10) -> LicenseWaste | None:
    """Seats sorted into active, idle and too new to tell; what idle ones cost at today's
    seat cost. None when nobody is assigned."""
    f = row.figures
    if not f.seats:
        return None
    return LicenseWaste(
        app=summary,
        assigned_users=f.seats,
        active_seats=f.active_seats,
        inactive_seats=f.inactive_seats,
        in_grace=f.seats_in_grace,
        monthly_waste=rules.monthly_waste(
            inactive_seats=f.inactive_seats, seat_cost=summary.seat_cost
        ),
        inactive_users=_refs(f.evidence.get("inactive_users", ()), evidence_users),
    )


@dataclass(frozen=True, slots=True)
class AppVerdicts:
    """What a list shows per app beside its summary."""

    is_shadow_it: bool
    monthly_waste: Money | None
    problems: tuple[Problem, ...]


def app_verdicts(row: StoredApp, summary: AppSummary) -> AppVerdicts:
    """Shadow IT, monthly waste and problems of one stored app."""
    seats = waste(row, summary, evidence_users=0)
    return AppVerdicts(
        is_shadow_it=shadow(row, summary, evidence_users=0) is not None,
        monthly_waste=seats.monthly_waste if seats else None,
        problems=tuple(problems(row, summary)),
    )


def by_waste(found: Sequence[LicenseWaste]) -> list[LicenseWaste]:
    """Most monthly waste first, then most idle seats, then by name."""

    def amount(w: LicenseWaste):
        return w.monthly_waste.amount if w.monthly_waste else 0

    return sorted(found, key=lambda w: (-amount(w), -w.inactive_seats, w.app.name))


def by_consent(found: Sequence[ShadowApp]) -> list[ShadowApp]:
    """Most consenting users first, then most unassigned users, then by name."""
    return sorted(found, key=lambda s: (-s.consenting_users, -s.unassigned_users, s.app.name))
