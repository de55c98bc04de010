"""Derive on a small tenant, on SQLite and PostgreSQL: verdicts, events raised once, stages kept."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sync_core import insights, records
from sync_core.insights.records import AppStatus, EventKind
from sync_core.records import ActorType, AppStage
from sync_core.store import activity, inventory, models, signins
from sync_core.store.insights import sql as insight_sql
from sync_core.store.organizations import NotFound
from tests.insights import tenant as t
from tests.insights.tenant import NOW

ALICE = records.Actor(ActorType.SLACK_USER, "U123", "alice")
INSIGHT_KINDS = [k.value for k in EventKind]


async def _stages(conn_id) -> dict[str, str | None]:
    rows = await models.Application.filter(connection_id=conn_id).values("display_name", "stage")
    return {r["display_name"]: r["stage"] for r in rows}


async def _trail(org_id) -> list[tuple[str, str]]:
    entries = await activity.list_activities(
        organization_id=org_id, kinds=INSIGHT_KINDS, limit=1000
    )
    return sorted((e.kind, e.subject_name) for e in entries)


async def test_first_derive_raises_shadow_it_and_starts_reviews(store):
    tenant = await t.build()
    events = await insights.derive(connection_id=tenant.connection.id, now=NOW)

    assert sorted((e.kind, e.app_name) for e in events) == [
        (EventKind.SHADOW_IT_DETECTED, "Dropbox Business"),
        (EventKind.SHADOW_IT_DETECTED, "InboxHelper"),
        (EventKind.SHADOW_IT_DETECTED, "Side Project"),
        (EventKind.SHADOW_IT_DETECTED, "Team Board"),  # Fay is not in the assigned group
    ]
    inbox = next(e for e in events if e.app_name == "InboxHelper")
    assert inbox.details["scopes"] == ["Mail.Read", "Mail.Send", "openid"]
    assert inbox.details["consented_by"] == ["Fay"]
    assert inbox.organization_id == tenant.organization.id
    assert inbox.app_id == await tenant.app_id("InboxHelper")
    # Each event is in the activity trail, about the app, by the system.
    assert await _trail(tenant.organization.id) == sorted(
        (e.kind.value, e.app_name) for e in events
    )
    stages = await _stages(tenant.connection.id)
    third_party = {
        "Zoom",
        "Dropbox Business",
        "InboxHelper",
        "Legacy Wiki",
        "Old CRM",
        "Ghost App",
        "Flaky SaaS",
        "Side Project",
        "Team Board",
    }
    assert {name for name, stage in stages.items() if stage == "needs_review"} == third_party
    # Microsoft's, the tenant's own, the removed app and the managed identity stay unstaged.
    assert stages["Microsoft Teams"] is stages["HR Portal"] is stages["Gone App"] is None
    history = await insights.stage_history(
        organization_id=tenant.organization.id, app_id=await tenant.app_id("Zoom")
    )
    assert [(h.from_stage, h.to_stage, h.actor.type) for h in history] == [
        (None, AppStage.NEEDS_REVIEW, ActorType.SYSTEM)
    ]


async def test_a_resync_without_changes_raises_nothing_new(store):
    tenant = await t.build()
    first = await insights.derive(connection_id=tenant.connection.id, now=NOW)
    trail = await _trail(tenant.organization.id)

    for hours in (1, 2, 3):
        later = NOW + dt.timedelta(hours=hours)
        await t.resync(tenant.connection.id, seen_at=later)
        assert await insights.derive(connection_id=tenant.connection.id, now=later) == []

    assert first
    assert await _trail(tenant.organization.id) == trail


async def test_a_stage_set_by_a_person_survives_syncs_and_derives(store):
    tenant = await t.build()
    await insights.derive(connection_id=tenant.connection.id, now=NOW)
    org, dropbox = tenant.organization.id, await tenant.app_id("Dropbox Business")
    teams = await tenant.app_id("Microsoft Teams")

    await insights.set_stage(
        organization_id=org,
        app_id=dropbox,
        stage=AppStage.APPROVED,
        actor=ALICE,
        note="company licence",
        now=NOW,
    )
    await insights.set_stage(
        organization_id=org, app_id=teams, stage=AppStage.MONITORED, actor=ALICE, now=NOW
    )
    for hours in (1, 2):
        later = NOW + dt.timedelta(hours=hours)
        await t.resync(tenant.connection.id, seen_at=later)
        await insights.derive(connection_id=tenant.connection.id, now=later)

    stages = await _stages(tenant.connection.id)
    assert (stages["Dropbox Business"], stages["Microsoft Teams"]) == ("approved", "monitored")
    shadow = await insights.shadow_it(organization_id=org, now=NOW)
    assert "Dropbox Business" not in {s.app.name for s in shadow}
    history = await insights.stage_history(organization_id=org, app_id=dropbox)
    assert [(h.to_stage, h.actor.name, h.note) for h in history] == [
        (AppStage.NEEDS_REVIEW, None, None),
        (AppStage.APPROVED, "alice", "company licence"),
    ]


async def test_status_changes_raise_one_event_each(store):
    tenant = await t.build()
    conn = tenant.connection.id
    await insights.derive(connection_id=conn, now=NOW)

    # 28 days on, Zoom (last used 27 Nov) left the window; Teams (28 Nov) is on its first day.
    later = NOW + dt.timedelta(days=28)
    events = await insights.derive(connection_id=conn, now=later)
    moved = {(e.kind, e.app_name) for e in events}
    assert (EventKind.BECAME_INACTIVE, "Zoom") in moved
    assert not {name for kind, name in moved if name == "Microsoft Teams"}
    assert await insights.derive(connection_id=conn, now=later) == []

    await signins.add_sign_ins(
        connection_id=conn,
        events=[t.sign_in("Zoom", "u-ada", later), t.sign_in("InboxHelper", "u-fay", later)],
    )
    events = await insights.derive(connection_id=conn, now=later)
    assert sorted((e.kind, e.app_name) for e in events) == [
        (EventKind.BECAME_IN_USE, "InboxHelper"),  # discovered, now used
        (EventKind.BECAME_IN_USE, "Zoom"),  # back from inactive
    ]
    zoom = next(e for e in events if e.app_name == "Zoom")
    assert zoom.details["from"] == AppStatus.INACTIVE.value
    assert zoom.details["to"] == AppStatus.IN_USE.value
    trail = await _trail(tenant.organization.id)
    assert trail.count(("app.became_in_use", "Zoom")) == 1
    assert trail.count(("app.became_inactive", "Zoom")) == 1


async def test_in_use_ends_exactly_active_days_after_the_last_use(store):
    tenant = await t.build()
    conn, org = tenant.connection.id, tenant.organization.id
    last = t.days_ago(30, minute=1)  # on the window's first day, a minute inside it
    await signins.add_sign_ins(connection_id=conn, events=[t.sign_in("Ghost App", "u-di", last)])
    await insights.derive(connection_id=conn, now=NOW)
    ghost = await tenant.app_id("Ghost App")
    [app] = await insights.app_summaries(organization_id=org, now=NOW, app_ids=[ghost])
    assert (app.status, app.last_used_on) == (AppStatus.IN_USE, last.date())

    at_boundary = last + dt.timedelta(days=30)
    events = await insights.derive(connection_id=conn, now=at_boundary)
    assert "Ghost App" not in {e.app_name for e in events}
    [app] = await insights.app_summaries(organization_id=org, now=at_boundary, app_ids=[ghost])
    assert app.status is AppStatus.IN_USE
    events = await insights.derive(connection_id=conn, now=at_boundary + dt.timedelta(seconds=1))
    assert (EventKind.BECAME_INACTIVE, "Ghost App") in {(e.kind, e.app_name) for e in events}


async def test_shadow_it_is_raised_once_per_app(store):
    tenant = await t.build()
    conn, org = tenant.connection.id, tenant.organization.id
    dropbox = await tenant.app_id("Dropbox Business")
    await insights.derive(connection_id=conn, now=NOW)

    # Approved, then demoted again: shadow IT once more, but it was already announced.
    await insights.set_stage(organization_id=org, app_id=dropbox, stage="approved", actor=ALICE)
    assert await insights.derive(connection_id=conn, now=NOW) == []
    await insights.set_stage(organization_id=org, app_id=dropbox, stage="monitored", actor=ALICE)
    assert await insights.derive(connection_id=conn, now=NOW) == []
    shadow = {s.app.name: s for s in await insights.shadow_it(organization_id=org, now=NOW)}
    assert shadow["Dropbox Business"].detected_at == NOW


async def test_an_app_approved_before_its_first_derive_is_never_shadow_it(store):
    tenant = await t.build()
    side = await tenant.app_id("Side Project")
    await insights.set_stage(
        organization_id=tenant.organization.id, app_id=side, stage=AppStage.APPROVED, actor=ALICE
    )
    events = await insights.derive(connection_id=tenant.connection.id, now=NOW)
    assert "Side Project" not in {e.app_name for e in events}
    assert (await _stages(tenant.connection.id))["Side Project"] == "approved"


async def test_derive_touches_only_its_own_connection(store):
    one = await t.build("One")
    other = await t.build("Other", tenant_id="aaaaaaaa-2222-3333-4444-555555555555")
    events = await insights.derive(connection_id=one.connection.id, now=NOW)

    assert {e.organization_id for e in events} == {one.organization.id}
    assert set((await _stages(other.connection.id)).values()) == {None}
    assert await _trail(other.organization.id) == []


async def test_derive_of_an_unknown_connection_is_not_found(store):
    with pytest.raises(NotFound):
        await insights.derive(connection_id=uuid.uuid4(), now=NOW)


async def test_planner_statistics_are_refreshed_when_a_tenant_outgrows_them(store, database_url):
    tenant = await t.build()
    first = await insight_sql.refresh_statistics(connection_id=tenant.connection.id)
    again = await insight_sql.refresh_statistics(connection_id=tenant.connection.id)
    if not database_url.startswith("postgres"):
        assert first == again == []  # SQLite plans well without statistics
        return
    assert again == []  # what the first call analyzed is now believed
    crowd = [records.User(f"crowd-{i}", f"Crowd {i}") for i in range(10_050)]
    await inventory.upsert_users(connection_id=tenant.connection.id, users=crowd, seen_at=NOW)
    grown = await insight_sql.refresh_statistics(connection_id=tenant.connection.id)
    assert grown == ["directory_user"]
