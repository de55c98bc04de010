"""Finding apps by name and one app in full: the reads behind `/apps NAME` and searches."""

from __future__ import annotations

import pytest

from sync_core import insights, records
from sync_core.insights import names
from sync_core.insights.details import GrantedScope
from sync_core.insights.records import AppStatus, ShadowReason
from sync_core.records import ActorType, AppStage
from tests.insights import tenant as t
from tests.insights.tenant import NOW

ALICE = records.Actor(ActorType.SLACK_USER, "UALICE", "alice")
NAMES = [(1, "Zoom"), (2, "Zoom Rooms"), (3, "Microsoft Teams"), (4, "Équipe Paie"), (5, "ZOOM")]


@pytest.mark.parametrize(
    ("search", "contains", "best"),
    [
        ("zoom", [1, 2, 5], [1, 5]),  # exactly "Zoom" (any case) wins over "Zoom Rooms"
        ("  Zoom rooms ", [2], [2]),
        ("oo", [1, 2, 5], [1, 2, 5]),
        ("éQUIPE", [4], [4]),  # casefold, not ASCII-only folding
        ("teams x", [], []),
        ("", [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
    ],
)
def test_names_match_ignoring_case_and_prefer_the_exact_name(search, contains, best):
    assert names.named(NAMES, search=search) == contains
    assert names.best_match(NAMES, name=search) == best


async def test_each_read_narrowed_by_name_equals_the_whole_read_filtered(store):
    tenant = await t.build()
    scope = {"organization_id": tenant.organization.id, "now": NOW}
    reads = (
        insights.app_summaries,
        insights.shadow_it,
        insights.problematic_apps,
        insights.license_waste,
    )
    for read in reads:
        for search in ("BOX", "o", "team", "nothing like it"):
            whole = await read(**scope)
            expected = [x for x in whole if search.casefold() in _name(x).casefold()]
            assert await read(**scope, name=search) == expected, (read.__name__, search)


def _name(item) -> str:
    return getattr(item, "app", item).name


async def test_a_status_view_narrowed_by_name_counts_only_the_matches(store):
    tenant = await t.build()
    scope = {"organization_id": tenant.organization.id, "now": NOW}
    found = await insights.app_summaries(**scope, status=AppStatus.IN_USE, name="TEAM")
    assert [a.name for a in found] == ["Microsoft Teams", "Team Board"]
    assert await insights.count_apps(**scope, status=AppStatus.IN_USE, name="TEAM") == 2
    assert await insights.count_apps(**scope, name="o") == 9  # "Old CRM" too: any case


async def test_find_apps_prefers_the_exact_name(store):
    tenant = await t.build()
    scope = {"organization_id": tenant.organization.id, "now": NOW}
    assert [a.name for a in await insights.find_apps(**scope, name="team board")] == ["Team Board"]
    assert [a.name for a in await insights.find_apps(**scope, name="TEAM")] == [
        "Microsoft Teams",
        "Team Board",
    ]
    # Removed apps and managed identities are never found.
    assert await insights.find_apps(**scope, name="Gone App") == []
    assert await insights.find_apps(**scope, name="payroll") == []


async def test_one_shadow_app_in_full(store):
    tenant = await t.build()
    org = tenant.organization.id
    dropbox = await tenant.app_id("Dropbox Business")
    await insights.set_stage(
        organization_id=org,
        app_id=dropbox,
        stage=AppStage.MONITORED,
        actor=ALICE,
        note="asked Bo",
        now=NOW,
    )
    found = await insights.app_details(organization_id=org, app_id=dropbox, now=NOW)
    assert found is not None and found.app.name == "Dropbox Business"
    assert found.scopes == (
        GrantedScope("Files.Read", admin_consented=False, users=2),
        GrantedScope("openid", admin_consented=False, users=2),
    )
    assert found.shadow is not None
    assert found.shadow.reasons == (ShadowReason.USER_CONSENT, ShadowReason.UNASSIGNED_USE)
    assert [u.name for u in found.shadow.consented_by] == ["Bo", "Cy"]
    assert found.waste is None and found.departments == ()  # nobody is assigned
    assert [(h.to_stage, h.note) for h in found.history] == [(AppStage.MONITORED, "asked Bo")]
    assert len(found.usage) == 30 and sum(d.successes for d in found.usage) == 1


async def test_one_assigned_app_in_full_matches_the_tenant_wide_reads(store):
    tenant = await t.build()
    org = tenant.organization.id
    zoom = await tenant.app_id("Zoom")
    found = await insights.app_details(organization_id=org, app_id=zoom, now=NOW)
    assert found is not None
    assert found.departments == (("Sales", 2),)  # Ada directly and by group, Bo by group
    assert found.scopes == tuple(
        GrantedScope(s, admin_consented=True, users=0) for s in ("openid", "profile", "User.Read")
    )
    waste = {w.app.id: w for w in await insights.license_waste(organization_id=org, now=NOW)}
    assert found.waste == waste[zoom]
    assert found.shadow is None and found.problems == ()
    flaky = await tenant.app_id("Flaky SaaS")
    problems = await insights.problematic_apps(organization_id=org, now=NOW)
    detail = await insights.app_details(organization_id=org, app_id=flaky, now=NOW)
    assert detail is not None
    assert list(detail.problems) == [p for p in problems if p.app.id == flaky]


async def test_another_organization_s_app_is_not_found(store):
    tenant = await t.build()
    other = await t.build("Other", tenant_id="cccccccc-2222-3333-4444-555555555555")
    theirs = await other.app_id("Zoom")
    assert (
        await insights.app_details(organization_id=tenant.organization.id, app_id=theirs, now=NOW)
        is None
    )
    assert (
        await insights.find_apps(organization_id=tenant.organization.id, now=NOW, name="zoom") != []
    )
