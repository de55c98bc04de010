"""`User.apps` is a page of the apps a user can use, by name, whatever the way in: direct
assignment, a consent, or a group assigned to the app (`schema.execute` on the insights
tenant, both databases)."""

from __future__ import annotations

from typing import Any

from graphql_api.context import Context, Services
from graphql_api.ids import encode_id
from graphql_api.schema import schema
from sync_core import records
from sync_core.records import ActorType
from sync_core.store import groups
from tests.insights import tenant as t
from tests.insights.tenant import NOW

ALICE = records.Actor(ActorType.API_TOKEN, "tok-1", "alice")
APPS = """query($id: ID!, $first: Int, $after: String) { user(id: $id) {
  apps(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } } }"""


async def _apps(org, user: str, **variables: Any) -> dict:
    context = Context(org, ALICE, Services(runner=None, clock=lambda: NOW))
    variables["id"] = encode_id("User", user)
    result = await schema.execute(APPS, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    return result.data["user"]["apps"]


async def _walk(org, user: str, first: int) -> tuple[list[str], set[int]]:
    names, totals, after = [], set(), None
    while True:
        page = await _apps(org, user, first=first, after=after)
        names += [e["node"]["name"] for e in page["edges"]]
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            return names, totals
        after = page["pageInfo"]["endCursor"]


async def test_a_cursor_walks_every_app_of_the_user_once_by_name(store):
    tenant = await t.build()
    bo = await tenant.user_id("u-bo")

    names, totals = await _walk(tenant.organization.id, bo, first=2)

    # Bo: a consent (Dropbox), assignments (HR Portal, Old CRM), the Sales group (Team Board,
    # Zoom). Gone App (removed) and Microsoft Teams (only signed in) are not his apps.
    assert names == ["Dropbox Business", "HR Portal", "Old CRM", "Team Board", "Zoom"]
    assert totals == {5}


async def test_access_through_a_group_ends_when_the_user_leaves_it(store):
    tenant = await t.build()
    ada, bo = await tenant.user_id("u-ada"), await tenant.user_id("u-bo")
    await groups.remove_members(
        connection_id=tenant.connection.id, members=[("g-sales", "u-bo")], removed_at=NOW
    )

    assert (await _walk(tenant.organization.id, bo, first=10))[0] == [
        "Dropbox Business",
        "HR Portal",
        "Old CRM",
    ]
    # Ada keeps Zoom (assigned directly and through the group: listed once) and Team Board.
    assert (await _walk(tenant.organization.id, ada, first=10)) == (
        ["HR Portal", "Team Board", "Zoom"],
        {3},
    )


async def test_first_zero_counts_without_listing(store):
    tenant = await t.build()
    page = await _apps(tenant.organization.id, await tenant.user_id("u-bo"), first=0)
    assert page == {
        "totalCount": 5,
        "pageInfo": {"hasNextPage": True, "endCursor": None},
        "edges": [],
    }


async def test_a_user_of_another_organization_is_not_found(store):
    mine, theirs = await t.build(), await t.build("Other", tenant_id=t.VENDOR)
    context = Context(mine.organization.id, ALICE, Services(runner=None, clock=lambda: NOW))
    result = await schema.execute(
        APPS,
        variable_values={"id": encode_id("User", await theirs.user_id("u-bo"))},
        context_value=context,
    )
    assert result.errors is None and result.data == {"user": None}
