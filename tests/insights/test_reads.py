"""What people see: summaries, shadow IT, overlaps, problems, seats, departments, logins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sandbox.statements import counting
from sync_core import insights, records
from sync_core.insights import Thresholds
from sync_core.insights.records import AppOrigin, AppStatus, Money, ProblemKind, ShadowReason
from sync_core.records import ActorType
from sync_core.store import access, groups, models, signins
from tests.insights import tenant as t
from tests.insights.tenant import NOW

ALICE = records.Actor(ActorType.API_TOKEN, "tok-1", "alice")

# name: (origin, status, category, assigned users, groups, consented, active, last used)
SUMMARIES = {
    "Dropbox Business": ("third_party", "in_use", "File storage", 0, 0, 2, 1, "2026-11-29"),
    "Flaky SaaS": ("third_party", "in_use", None, 0, 1, 0, 1, "2026-11-25"),
    "Ghost App": ("third_party", "discovered", None, 1, 0, 0, 0, None),
    "HR Portal": ("tenant", "in_use", None, 2, 0, 0, 1, "2026-11-29"),
    "InboxHelper": ("third_party", "discovered", None, 0, 0, 1, 0, None),
    "Legacy Wiki": ("third_party", "inactive", None, 2, 0, 0, 0, "2026-10-16"),
    "Microsoft Teams": ("microsoft", "in_use", "Video meetings", 0, 0, 0, 3, "2026-11-28"),
    "Old CRM": ("third_party", "discovered", None, 1, 0, 0, 0, None),
    "Side Project": ("third_party", "in_use", None, 0, 0, 0, 1, "2026-11-26"),
    "Team Board": ("third_party", "in_use", None, 2, 1, 0, 2, "2026-11-28"),
    "Zoom": ("third_party", "in_use", "Video meetings", 2, 1, 0, 2, "2026-11-27"),
}


def _row(s) -> tuple:
    last = s.last_used_on.isoformat() if s.last_used_on else None
    return (
        s.origin.value,
        s.status.value,
        s.category,
        s.assigned_users,
        s.assigned_groups,
        s.consented_users,
        s.active_users,
        last,
    )


async def test_app_summaries(store):
    tenant = await t.build()
    found = await insights.app_summaries(organization_id=tenant.organization.id, now=NOW)
    # Removed apps and managed identities are not listed; ghost Ed's assignment does not count.
    assert {s.name: _row(s) for s in found} == SUMMARIES
    assert [s.name for s in found] == sorted(SUMMARIES)
    assert await insights.count_apps(organization_id=tenant.organization.id, now=NOW) == 11


async def test_pages_and_batches_are_one_statement_each(store):
    tenant = await t.build()
    org = tenant.organization.id
    every = await insights.app_summaries(organization_id=org, now=NOW)
    for limit, offset in ((3, 0), (3, 3), (50, 0)):
        with counting() as tally:
            page = await insights.app_summaries(
                organization_id=org, now=NOW, limit=limit, offset=offset
            )
        assert page == every[offset : offset + limit]
        assert tally.count == 1, tally.statements
    ids = [every[1].id, every[7].id]
    with counting() as tally:
        batch = await insights.app_summaries(organization_id=org, now=NOW, app_ids=ids)
    assert batch == [every[1], every[7]] and tally.count == 1


@pytest.mark.parametrize(
    ("status", "names"),
    [
        (AppStatus.INACTIVE, ["Legacy Wiki"]),
        (AppStatus.DISCOVERED, ["Ghost App", "InboxHelper", "Old CRM"]),
    ],
)
async def test_filter_by_status(store, status, names):
    tenant = await t.build()
    org = tenant.organization.id
    found = await insights.app_summaries(organization_id=org, now=NOW, status=status)
    assert [s.name for s in found] == names
    assert await insights.count_apps(organization_id=org, now=NOW, status=status) == len(names)
    page = await insights.app_summaries(
        organization_id=org, now=NOW, status=status, limit=1, offset=1
    )
    assert [s.name for s in page] == names[1:2]


async def test_shadow_it_carries_its_evidence(store):
    tenant = await t.build()
    found = await insights.shadow_it(organization_id=tenant.organization.id, now=NOW)
    assert [(s.app.name, s.reasons) for s in found] == [
        ("Dropbox Business", (ShadowReason.USER_CONSENT, ShadowReason.UNASSIGNED_USE)),
        ("InboxHelper", (ShadowReason.USER_CONSENT,)),
        ("Side Project", (ShadowReason.UNASSIGNED_USE,)),
        ("Team Board", (ShadowReason.UNASSIGNED_USE,)),
    ]
    dropbox, inbox, side, board = found
    assert [u.name for u in dropbox.consented_by] == ["Bo", "Cy"]
    assert dropbox.scopes == ("Files.Read", "openid")
    assert [u.entra_id for u in dropbox.unassigned_sample] == ["u-bo"]
    assert inbox.scopes == ("Mail.Read", "Mail.Send", "openid")
    assert (side.consenting_users, side.unassigned_users) == (0, 1)
    # Bo reaches Team Board through the Sales group; Fay does not.
    assert [u.name for u in board.unassigned_sample] == ["Fay"]
    assert dropbox.first_seen_at == t.days_ago(120)
    assert dropbox.detected_at is None  # nothing derived yet


async def test_consent_of_a_deleted_user_no_longer_counts(store):
    tenant = await t.build()
    await models.DirectoryUser.filter(entra_id="u-fay").update(removed_at=NOW)
    await tenant.refresh()  # as derive does after the sync that saw her leave
    found = await insights.shadow_it(organization_id=tenant.organization.id, now=NOW)
    assert "InboxHelper" not in {s.app.name for s in found}


async def test_overlaps_follow_category_overrides(store):
    tenant = await t.build()
    org = tenant.organization.id
    [overlap] = await insights.overlaps(organization_id=org, now=NOW)
    assert overlap.category == "Video meetings"
    assert [(a.name, a.active_users) for a in overlap.apps] == [("Microsoft Teams", 3), ("Zoom", 2)]
    assert (overlap.users_in_several, overlap.users_total) == (2, 3)

    side = await tenant.app_id("Side Project")
    await insights.set_category(
        organization_id=org, app_id=side, category="video meetings", actor=ALICE
    )
    [overlap] = await insights.overlaps(organization_id=org, now=NOW)
    assert len(overlap.apps) == 3 and overlap.users_total == 4

    # An inactive app of the category does not overlap.
    wiki = await tenant.app_id("Legacy Wiki")
    await insights.set_category(
        organization_id=org, app_id=wiki, category="Video meetings", actor=ALICE
    )
    [overlap] = await insights.overlaps(organization_id=org, now=NOW)
    assert "Legacy Wiki" not in {a.name for a in overlap.apps}


async def test_overlaps_stay_within_one_tenant(store):
    tenant = await t.build()
    from sync_core.store import connections

    second = await connections.add_connection(
        organization_id=tenant.organization.id, tenant_id="bbbbbbbb-2222-3333-4444-555555555555"
    )
    webex = t.app("Webex")
    await t.inventory.upsert_apps(connection_id=second.id, apps=[webex], seen_at=NOW)
    await signins.add_sign_ins(
        connection_id=second.id,
        events=[records.SignIn("w-1", t.days_ago(1), "u-ada", None, webex.app_id, "Webex")],
    )
    found = await insights.overlaps(organization_id=tenant.organization.id, now=NOW)
    assert [(o.connection_id, len(o.apps)) for o in found] == [(tenant.connection.id, 2)]


async def test_problematic_apps(store):
    tenant = await t.build()
    org = tenant.organization.id
    found = await insights.problematic_apps(organization_id=org, now=NOW)
    assert [(p.app.name, p.kind) for p in found] == [
        ("Flaky SaaS", ProblemKind.HIGH_FAILURE_RATE),
        ("Ghost App", ProblemKind.NO_ACTIVE_USERS),
        ("InboxHelper", ProblemKind.RISKY_USER_CONSENT),
        ("Old CRM", ProblemKind.DISABLED_STILL_USED),
    ]
    flaky = found[0]
    assert flaky.evidence["top_errors"] == [
        {"error_code": 50126, "reason": "Invalid password", "sign_ins": 10}
    ]
    assert flaky.summary == "10 of 25 sign-ins failed (40%) in the last 30 days"
    # Gone App's risky consent is to a removed app: not reported.
    strict = await insights.problematic_apps(
        organization_id=org, now=NOW, thresholds=Thresholds(min_sign_ins=26)
    )
    assert ProblemKind.HIGH_FAILURE_RATE not in {p.kind for p in strict}


async def test_license_waste_and_seat_costs(store):
    tenant = await t.build()
    org, conn = tenant.organization.id, tenant.connection.id
    portal = await tenant.app_id("HR Portal")
    await insights.set_seat_cost(
        organization_id=org, app_id=portal, amount="12.50", currency="eur", actor=ALICE
    )
    # Fay was given HR Portal last week, Cy joined the Sales group (Team Board, Zoom) today:
    # both too new to call their seats unused.
    await access.upsert_assignments(
        connection_id=conn,
        assignments=[t.assignment("HR Portal", "u-fay", days=7)],
        seen_at=NOW,
    )
    await groups.upsert_members(connection_id=conn, members=[("g-sales", "u-cy")], seen_at=NOW)
    await tenant.refresh()
    found = await insights.license_waste(organization_id=org, now=NOW)
    rows = {
        w.app.name: (w.assigned_users, w.active_seats, w.inactive_seats, w.in_grace) for w in found
    }
    assert rows == {
        "HR Portal": (3, 1, 1, 1),
        "Legacy Wiki": (2, 1, 1, 0),  # Cy used it 45 days ago, Di never
        "Ghost App": (1, 0, 1, 0),  # Di is disabled but still holds a seat; Ed is gone
        "Old CRM": (1, 0, 1, 0),  # failed sign-ins are no use
        # Bo reaches it through the Sales group and never used it; Cy, new in the group, did.
        "Zoom": (3, 2, 1, 0),
        "Team Board": (3, 1, 1, 1),
    }
    assert found[0].app.name == "HR Portal"  # the only one with a cost comes first
    assert found[0].monthly_waste == Money(Decimal("12.50"), "EUR")
    assert [u.name for u in found[0].inactive_users] == ["Bo"]
    shorter = await insights.license_waste(organization_id=org, now=NOW, inactive_days=30)
    assert {w.app.name: w.inactive_seats for w in shorter}["Legacy Wiki"] == 2


async def test_departments(store):
    tenant = await t.build()
    org = tenant.organization.id
    await insights.set_seat_cost(
        organization_id=org,
        app_id=await tenant.app_id("HR Portal"),
        amount=10,
        currency="USD",
        actor=ALICE,
    )
    found = {d.department: d for d in await insights.departments(organization_id=org, now=NOW)}
    sales = found["Sales"]
    assert (sales.users, sales.active_users, sales.seats, sales.inactive_seats) == (2, 2, 7, 4)
    assert sales.monthly_cost == (Money(Decimal("20.00"), "USD"),)
    assert sales.monthly_waste == (Money(Decimal("10.00"), "USD"),)
    # Ed left Marketing: one user remains, and Fay signs in.
    assert (found["Marketing"].users, found["Marketing"].active_users) == (1, 1)
    assert (found["Engineering"].seats, found["Engineering"].inactive_seats) == (3, 2)


async def test_login_activity_outlives_the_raw_events(store):
    tenant = await t.build()
    org = tenant.organization.id
    flaky, cy = await tenant.app_id("Flaky SaaS"), await tenant.user_id("u-cy")
    before_app = await insights.login_activity(organization_id=org, app_id=flaky, days=7, now=NOW)
    assert len(before_app) == 7 and before_app[-1].day == NOW.date()
    assert [
        (c.day.day, c.successes, c.failures) for c in before_app if c.successes or c.failures
    ] == [(24, 0, 10), (25, 15, 0)]
    by_user = await insights.login_activity(organization_id=org, user_id=cy, days=60, now=NOW)
    assert sum(c.successes for c in by_user) == 15 + 1 + 1 + 1  # Flaky, Teams, Zoom, Wiki

    # Keep 30 days of raw events: Cy's 45-day-old sign-in goes, its daily count stays.
    assert await insights.prune_sign_ins(now=NOW, keep_days=30) == 1
    assert await models.SignInEvent.filter(occurred_at__lt=t.days_ago(30)).count() == 0
    assert (
        await insights.login_activity(organization_id=org, user_id=cy, days=60, now=NOW) == by_user
    )
    assert (
        await insights.login_activity(organization_id=org, app_id=flaky, days=7, now=NOW)
        == before_app
    )


async def test_reads_are_scoped_to_the_organization(store):
    tenant = await t.build()
    other = await t.build("Other", tenant_id="cccccccc-2222-3333-4444-555555555555")
    await insights.derive(connection_id=other.connection.id, now=NOW)
    org = tenant.organization.id
    mine = {s.id for s in await insights.app_summaries(organization_id=org, now=NOW)}
    theirs = {
        s.id for s in await insights.app_summaries(organization_id=other.organization.id, now=NOW)
    }
    assert mine and theirs and not mine & theirs
    assert (
        await insights.app_summaries(
            organization_id=org, now=NOW, connection_id=other.connection.id
        )
        == []
    )
    assert await insights.app_summaries(organization_id=org, now=NOW, app_ids=list(theirs)) == []
    for read in (
        insights.shadow_it,
        insights.overlaps,
        insights.problematic_apps,
        insights.license_waste,
        insights.departments,
    ):
        found = await read(organization_id=org, now=NOW, connection_id=other.connection.id)
        assert found == [], read.__name__
    activity = await insights.login_activity(
        organization_id=org, days=30, now=NOW, connection_id=other.connection.id
    )
    assert all(c.successes == c.failures == 0 for c in activity)


async def test_an_empty_tenant_has_no_insights(store):
    from sync_core.store import connections, organizations

    org, _ = await organizations.create_organization(name="Empty")
    conn = await connections.add_connection(organization_id=org.id, tenant_id=t.TENANT)
    assert await insights.derive(connection_id=conn.id, now=NOW) == []
    for read in (
        insights.app_summaries,
        insights.shadow_it,
        insights.overlaps,
        insights.problematic_apps,
        insights.license_waste,
        insights.departments,
    ):
        assert await read(organization_id=org.id, now=NOW) == []
    summary = await insights.app_summaries(organization_id=org.id, now=NOW, limit=50)
    assert summary == [] and AppOrigin.MICROSOFT  # and nothing breaks on empty IN lists


async def _walk(org, **filters) -> tuple[list[str], set[int]]:
    names, totals, after = [], set(), None
    while True:
        page = await insights.apps_page(
            organization_id=org, now=NOW, first=3, after=after, **filters
        )
        names += [s.name for s in page.items]
        totals.add(page.total)
        if not page.has_next:
            return names, totals
        after = page.keys[-1]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, sorted(SUMMARIES)),
        ({"status": AppStatus.IN_USE}, sorted(n for n, r in SUMMARIES.items() if r[1] == "in_use")),
        ({"status": AppStatus.INACTIVE}, ["Legacy Wiki"]),
    ],
)
async def test_keyset_pages_walk_every_app_once(store, filters, expected):
    tenant = await t.build()
    names, totals = await _walk(tenant.organization.id, **filters)
    assert names == expected
    assert totals == {len(expected)}


async def test_a_cursor_survives_an_app_added_before_it(store):
    tenant = await t.build()
    org = tenant.organization.id
    first = await insights.apps_page(organization_id=org, now=NOW, first=3)
    await t.inventory.upsert_apps(
        connection_id=tenant.connection.id, apps=[t.app("Aardvark")], seen_at=NOW
    )
    await tenant.refresh()
    second = await insights.apps_page(organization_id=org, now=NOW, first=3, after=first.keys[-1])
    assert [s.name for s in second.items] == sorted(SUMMARIES)[3:6]
    assert second.total == 12


async def test_status_turns_at_the_exact_moment_without_another_derive(store):
    tenant = await t.build()
    org = tenant.organization.id
    used = t.days_ago(45)  # Legacy Wiki's one use
    await tenant.refresh(now=used + dt.timedelta(days=29))  # the last derive ran then
    wiki = await tenant.app_id("Legacy Wiki")
    minute = dt.timedelta(minutes=1)
    moments = [
        (used + dt.timedelta(days=30) - minute, AppStatus.IN_USE),
        (used + dt.timedelta(days=30), AppStatus.IN_USE),  # exactly 30 days: still inside
        (used + dt.timedelta(days=30) + minute, AppStatus.INACTIVE),
        (NOW + dt.timedelta(days=400), AppStatus.INACTIVE),
    ]
    for now, status in moments:
        [summary] = await insights.app_summaries(organization_id=org, now=now, app_ids=[wiki])
        assert summary.status is status, now
        in_sql = await insights.app_summaries(organization_id=org, now=now, status=status)
        assert wiki in {s.id for s in in_sql}, now
        counts = await insights.status_counts(organization_id=org, now=now)
        assert counts[status] == len(in_sql)


async def test_seat_costs_show_in_waste_at_once(store):
    tenant = await t.build()  # derived before anyone set a cost
    org = tenant.organization.id
    wiki = await tenant.app_id("Legacy Wiki")
    before = {w.app.name: w for w in await insights.license_waste(organization_id=org, now=NOW)}
    assert before["Legacy Wiki"].monthly_waste is None
    await insights.set_seat_cost(
        organization_id=org, app_id=wiki, amount="8", currency="USD", actor=ALICE
    )
    after = {w.app.name: w for w in await insights.license_waste(organization_id=org, now=NOW)}
    assert after["Legacy Wiki"].monthly_waste == Money(Decimal("8.00"), "USD")  # Di's idle seat
    departments = {
        d.department: d for d in await insights.departments(organization_id=org, now=NOW)
    }
    engineering = departments["Engineering"]  # Cy (used it 45 days ago) and Di (never)
    assert engineering.monthly_cost == (Money(Decimal("16.00"), "USD"),)
    assert engineering.monthly_waste == (Money(Decimal("8.00"), "USD"),)
    [details] = [await insights.app_details(organization_id=org, app_id=wiki, now=NOW)]
    assert details is not None and details.waste is not None
    assert details.waste.monthly_waste == Money(Decimal("8.00"), "USD")


async def test_another_organization_s_figures_never_leak(store):
    from sync_core.store.app_users import app_users_pages

    tenant = await t.build()
    other = await t.build("Other", tenant_id="cccccccc-2222-3333-4444-555555555555")
    org = tenant.organization.id
    theirs = [
        s.id for s in await insights.app_summaries(organization_id=other.organization.id, now=NOW)
    ]
    assert await insights.app_verdicts(organization_id=org, now=NOW, app_ids=theirs) == {}
    mine = await insights.status_counts(organization_id=org, now=NOW)
    theirs_counted = await insights.status_counts(organization_id=other.organization.id, now=NOW)
    assert mine == theirs_counted and sum(mine.values()) == 11  # same shape, counted apart
    pages = await app_users_pages(organization_id=org, app_pks=theirs, first=10)
    assert all(p.total == 0 and not p.items for p in pages.values())
    assert await insights.app_details(organization_id=org, app_id=theirs[0], now=NOW) is None
    assert await insights.app_ids_matching(organization_id=org, search="zoom") == [
        await tenant.app_id("Zoom")
    ]
