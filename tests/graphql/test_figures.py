"""Apps in GraphQL read the figures derive stored: verdicts per page, filters in SQL, and what
people change (stage, seat cost) shows at once (`schema.execute` on the insights tenant)."""

from __future__ import annotations

from typing import Any

from graphql_api.context import Context, Services
from graphql_api.ids import encode_id
from graphql_api.schema import schema
from sync_core import records
from sync_core.records import ActorType
from tests.insights import tenant as t
from tests.insights.tenant import NOW

ALICE = records.Actor(ActorType.API_TOKEN, "tok-1", "alice")
PAGE = """query($filter: AppFilter) { apps(first: 50, filter: $filter) { totalCount edges { node {
  name status isShadowIt monthlyWaste { amount currency } problems { kind } } } } }"""


async def _run(organization_id, query: str, **variables: Any) -> dict:
    context = Context(organization_id, ALICE, Services(runner=None, clock=lambda: NOW))
    result = await schema.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    return result.data


def _nodes(data: dict) -> dict[str, dict]:
    return {edge["node"]["name"]: edge["node"] for edge in data["apps"]["edges"]}


async def test_a_page_carries_stored_verdicts_and_today_s_decisions(store):
    tenant = await t.build()
    org = tenant.organization.id
    apps = _nodes(await _run(org, PAGE))
    assert apps["InboxHelper"]["isShadowIt"] and apps["InboxHelper"]["problems"] == [
        {"kind": "risky_user_consent"}
    ]
    assert apps["Legacy Wiki"]["monthlyWaste"] is None and apps["Legacy Wiki"]["status"] == (
        "INACTIVE"
    )
    wiki = encode_id("App", await tenant.app_id("Legacy Wiki"))
    cost = 'setAppSeatCost(appId: $id, amount: "8", currency: "USD")'
    costed = await _run(
        org, f"mutation($id: ID!) {{ {cost} {{ monthlyWaste {{ amount currency }} }} }}", id=wiki
    )
    assert costed["setAppSeatCost"]["monthlyWaste"] == {"amount": "8.00", "currency": "USD"}
    inbox = encode_id("App", await tenant.app_id("InboxHelper"))
    approved = await _run(
        org,
        "mutation($id: ID!) { setAppStage(appId: $id, stage: APPROVED) { isShadowIt } }",
        id=inbox,
    )
    assert approved["setAppStage"]["isShadowIt"] is False
    waste = await _run(
        org, "{ insights { licenseWaste { app { name } monthlyWaste { amount } } } }"
    )
    wasted = {w["app"]["name"]: w["monthlyWaste"] for w in waste["insights"]["licenseWaste"]}
    assert wasted["Legacy Wiki"] == {"amount": "8.00"}


async def test_filters_combine_in_one_read(store):
    tenant = await t.build()
    org = tenant.organization.id
    cases = [
        ({"shadowIt": True}, ["Dropbox Business", "InboxHelper", "Side Project", "Team Board"]),
        ({"category": "video MEETINGS"}, ["Microsoft Teams", "Zoom"]),
        (
            {"status": ["INACTIVE", "DISCOVERED"]},
            ["Ghost App", "InboxHelper", "Legacy Wiki", "Old CRM"],
        ),
        ({"search": "TEAM", "status": ["IN_USE"]}, ["Microsoft Teams", "Team Board"]),
        (
            {"shadowIt": False, "search": "o"},
            ["Ghost App", "HR Portal", "Microsoft Teams", "Old CRM", "Zoom"],
        ),
        ({"stage": ["NEEDS_REVIEW"]}, []),  # nothing staged: derive has not run, only figures
    ]
    for filters, names in cases:
        data = await _run(org, PAGE, filter=filters)
        assert sorted(_nodes(data)) == names, filters
        assert data["apps"]["totalCount"] == len(names)


INSIGHT_LISTS = """query($n: Int) { insights {
  shadowIt(first: $n) { app { name } consentingUsers unassignedUsers }
  problematicApps(first: $n) { name }
  licenseWaste(first: $n) { app { name } inactiveSeats } } }"""


async def test_insight_lists_are_the_first_in_their_order(store):
    tenant = await t.build()
    org = tenant.organization.id
    every = (await _run(org, INSIGHT_LISTS, n=100))["insights"]
    two = (await _run(org, INSIGHT_LISTS, n=2))["insights"]

    # Each list cut at two keeps the head of the whole list, in the same order.
    for field in ("shadowIt", "problematicApps", "licenseWaste"):
        assert len(every[field]) > 2, field
        assert two[field] == every[field][:2], field
    shadow = [(s["consentingUsers"], s["unassignedUsers"]) for s in every["shadowIt"]]
    assert shadow == sorted(shadow, key=lambda c: (-c[0], -c[1]))
    assert all(w["inactiveSeats"] > 0 for w in every["licenseWaste"])


async def test_an_insight_list_refuses_more_than_100(store):
    tenant = await t.build()
    context = Context(tenant.organization.id, ALICE, Services(runner=None, clock=lambda: NOW))
    result = await schema.execute(INSIGHT_LISTS, variable_values={"n": 101}, context_value=context)
    assert result.errors and "first must be between 0 and 100" in result.errors[0].message
