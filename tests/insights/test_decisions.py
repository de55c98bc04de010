"""People's decisions: stage, category and seat cost, each in the activity trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sync_core import insights, records
from sync_core.insights.decisions import clean_category, clean_seat_cost
from sync_core.insights.records import EventKind, Money
from sync_core.records import ActorType, AppStage
from sync_core.store import activity, models
from sync_core.store.organizations import NotFound
from tests.insights import tenant as t
from tests.insights.tenant import NOW

BOB = records.Actor(ActorType.SLACK_USER, "U42", "bob")


async def _entries(org_id, kind: EventKind):
    return await activity.list_activities(organization_id=org_id, kinds=[kind.value])


async def test_set_stage_records_who_when_and_why(store):
    tenant = await t.build()
    org, zoom = tenant.organization.id, await tenant.app_id("Zoom")
    event = await insights.set_stage(
        organization_id=org,
        app_id=zoom,
        stage=AppStage.APPROVED,
        actor=BOB,
        note="  SSO enforced ",
        now=NOW,
    )

    assert (event.kind, event.app_name, event.actor, event.occurred_at) == (
        EventKind.STAGE_CHANGED,
        "Zoom",
        BOB,
        NOW,
    )
    assert event.details == {"from": None, "to": "approved", "note": "SSO enforced"}
    [entry] = await _entries(org, EventKind.STAGE_CHANGED)
    assert (entry.actor, entry.subject_type, entry.subject_id, entry.subject_name) == (
        BOB,
        "app",
        "sp-zoom",
        "Zoom",
    )
    assert entry.details == {"app_id": zoom, **event.details}

    later = NOW + dt.timedelta(minutes=5)
    await insights.set_stage(
        organization_id=org, app_id=zoom, stage="retired", actor=BOB, now=later
    )
    history = await insights.stage_history(organization_id=org, app_id=zoom)
    assert [(h.from_stage, h.to_stage, h.note, h.at) for h in history] == [
        (None, AppStage.APPROVED, "SSO enforced", NOW),
        (AppStage.APPROVED, AppStage.RETIRED, None, later),
    ]


async def test_setting_the_same_stage_again_changes_nothing(store):
    tenant = await t.build()
    org, zoom = tenant.organization.id, await tenant.app_id("Zoom")
    await insights.set_stage(organization_id=org, app_id=zoom, stage="approved", actor=BOB)
    again = await insights.set_stage(organization_id=org, app_id=zoom, stage="approved", actor=BOB)
    assert again is None
    assert len(await _entries(org, EventKind.STAGE_CHANGED)) == 1
    assert len(await insights.stage_history(organization_id=org, app_id=zoom)) == 1


async def test_decisions_on_another_organizations_app_are_not_found(store):
    mine = await t.build()
    theirs = await t.build("Other", tenant_id="dddddddd-2222-3333-4444-555555555555")
    their_app = await theirs.app_id("Zoom")
    org = mine.organization.id
    with pytest.raises(NotFound):
        await insights.set_stage(organization_id=org, app_id=their_app, stage="approved", actor=BOB)
    with pytest.raises(NotFound):
        await insights.set_category(
            organization_id=org, app_id=their_app, category="CRM", actor=BOB
        )
    with pytest.raises(NotFound):
        await insights.set_seat_cost(
            organization_id=org, app_id=their_app, amount=1, currency="EUR", actor=BOB
        )
    with pytest.raises(NotFound):
        await insights.stage_history(organization_id=org, app_id=their_app)
    assert (await models.Application.get(id=their_app)).stage is None


async def test_an_unknown_stage_is_refused(store):
    tenant = await t.build()
    with pytest.raises(ValueError, match="stage"):
        await insights.set_stage(
            organization_id=tenant.organization.id,
            app_id=await tenant.app_id("Zoom"),
            stage="loved",
            actor=BOB,
        )


async def test_set_category_overrides_the_catalog_and_can_be_cleared(store):
    tenant = await t.build()
    org, zoom = tenant.organization.id, await tenant.app_id("Zoom")
    event = await insights.set_category(
        organization_id=org, app_id=zoom, category="team CHAT", actor=BOB
    )
    assert event.details == {"from": None, "to": "Team chat"}
    [summary] = await insights.app_summaries(organization_id=org, now=NOW, app_ids=[zoom])
    assert summary.category == "Team chat"
    # A sync writing the app again leaves the override alone.
    await t.resync(tenant.connection.id, seen_at=NOW + dt.timedelta(hours=1))
    [summary] = await insights.app_summaries(organization_id=org, now=NOW, app_ids=[zoom])
    assert summary.category == "Team chat"

    assert (
        await insights.set_category(
            organization_id=org, app_id=zoom, category="Team Chat", actor=BOB
        )
        is None
    )
    await insights.set_category(organization_id=org, app_id=zoom, category=None, actor=BOB)
    [summary] = await insights.app_summaries(organization_id=org, now=NOW, app_ids=[zoom])
    assert summary.category == "Video meetings"
    assert len(await _entries(org, EventKind.CATEGORY_CHANGED)) == 2


async def test_set_seat_cost(store):
    tenant = await t.build()
    org, zoom = tenant.organization.id, await tenant.app_id("Zoom")
    event = await insights.set_seat_cost(
        organization_id=org, app_id=zoom, amount="14.99", currency="usd", actor=BOB
    )
    assert event.details == {"amount": "14.99", "currency": "USD"}
    [summary] = await insights.app_summaries(organization_id=org, now=NOW, app_ids=[zoom])
    assert summary.seat_cost == Money(Decimal("14.99"), "USD")
    [entry] = await _entries(org, EventKind.SEAT_COST_CHANGED)
    assert entry.details["after"] == {"seat_cost_amount": "14.99", "seat_cost_currency": "USD"}
    await insights.set_seat_cost(
        organization_id=org, app_id=zoom, amount=None, currency=None, actor=BOB
    )
    [summary] = await insights.app_summaries(organization_id=org, now=NOW, app_ids=[zoom])
    assert summary.seat_cost is None


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("12.5", "eur", (Decimal("12.50"), "EUR")),
        (0, "GBP", (Decimal("0.00"), "GBP")),
        (Decimal("9.999"), " chf ", (Decimal("10.00"), "CHF")),
        (None, None, (None, None)),
        (None, "", (None, None)),
        ("-1", "EUR", ValueError),
        ("abc", "EUR", ValueError),
        ("NaN", "EUR", ValueError),
        ("1e12", "EUR", ValueError),
        (10, "EURO", ValueError),
        (10, None, ValueError),
        (None, "EUR", ValueError),
    ],
)
def test_clean_seat_cost(amount, currency, expected):
    if expected is ValueError:
        with pytest.raises(ValueError):
            clean_seat_cost(amount, currency)
    else:
        cleaned = clean_seat_cost(amount, currency)
        assert (cleaned["seat_cost_amount"], cleaned["seat_cost_currency"]) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (None, None),
        ("   ", None),
        ("password MANAGERS", "Password managers"),
        ("  Legal  tech ", "Legal tech"),
    ],
)
def test_clean_category(typed, expected):
    assert clean_category(typed) == expected


def test_a_category_name_has_a_length_limit():
    with pytest.raises(ValueError, match="128"):
        clean_category("x" * 129)
