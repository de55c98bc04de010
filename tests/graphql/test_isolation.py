"""Organization A's token never reaches organization B's data, through any root field."""

from __future__ import annotations

import datetime as dt

import pytest

from graphql_api.ids import encode_id
from graphql_api.schema import schema
from sync_core import insights, records
from sync_core.records import ActorType
from sync_core.store import (
    access,
    activity,
    connections,
    inventory,
    models,
    organizations,
    runs,
)

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
ACTOR = records.Actor(ActorType.CLI, "test")


async def _org(name: str, tenant: str) -> dict:
    org, token = await organizations.create_organization(name=name)
    conn = await connections.add_connection(organization_id=org.id, tenant_id=tenant)
    user = records.User(entra_id=f"user-of-{name}", display_name=f"{name} person")
    await inventory.upsert_users(connection_id=conn.id, users=[user], seen_at=NOW)
    run, _ = await runs.request_run(connection_id=conn.id, trigger="test", actor=ACTOR)
    await activity.record(
        organization_id=org.id,
        events=[activity.NewActivity(kind="test.event", actor=ACTOR, subject_name=f"{name} thing")],
    )
    user_pk = (await models.DirectoryUser.get(entra_id=user.entra_id)).id
    app = records.App(
        entra_id=f"sp-{name}",
        app_id=f"app-{name}",
        display_name=f"{name} Notes",
        owner_tenant_id="99999999-0000-0000-0000-000000000009",
        principal_type="Application",
    )
    await inventory.upsert_apps(connection_id=conn.id, apps=[app], seen_at=NOW)
    consent = records.Grant(
        entra_id=f"g-{name}",
        client_entra_id=app.entra_id,
        resource_entra_id="graph",
        consent_type="Principal",
        principal_entra_id=user.entra_id,
        scopes=("Mail.Read",),
    )
    await access.upsert_grants(connection_id=conn.id, grants=[consent], seen_at=NOW)
    await insights.derive(connection_id=conn.id, now=NOW)
    app_pk = (await models.Application.get(entra_id=app.entra_id)).id
    return {
        "token": token.secret,
        "org": org,
        "tenant": tenant,
        "run": run,
        "user_id": encode_id("User", user_pk),
        "run_id": encode_id("SyncRun", run.id),
        "app_id": encode_id("App", app_pk),
    }


@pytest.fixture
async def two_orgs(api):
    a = await _org("Alpha", "aaaaaaaa-0000-0000-0000-000000000001")
    b = await _org("Beta", "bbbbbbbb-0000-0000-0000-000000000002")
    return a, b


# Every root field, with a query from A aimed at B and a check that nothing of B comes back.
QUERIES = {
    "organization": (
        "{ organization { name connections { tenantId } } }",
        lambda d, a, b: (
            d["organization"] == {"name": "Alpha", "connections": [{"tenantId": a["tenant"]}]}
        ),
    ),
    "users": (
        "{ users { totalCount edges { node { displayName } } } }",
        lambda d, a, b: (
            d["users"] == {"totalCount": 1, "edges": [{"node": {"displayName": "Alpha person"}}]}
        ),
    ),
    "user": (
        "query($id: ID!) { user(id: $id) { displayName } }",
        lambda d, a, b: d["user"] is None,
    ),
    "syncRuns": (
        "{ syncRuns { totalCount edges { node { tenantId } } } }",
        lambda d, a, b: d["syncRuns"]["edges"] == [{"node": {"tenantId": a["tenant"]}}],
    ),
    "syncRun": (
        "query($id: ID!) { syncRun(id: $id) { status } }",
        lambda d, a, b: d["syncRun"] is None,
    ),
    "apps": (
        "{ apps { totalCount edges { node { name isShadowIt } } } }",
        lambda d, a, b: (
            d["apps"]
            == {"totalCount": 1, "edges": [{"node": {"name": "Alpha Notes", "isShadowIt": True}}]}
        ),
    ),
    "app": ("query($id: ID!) { app(id: $id) { name } }", lambda d, a, b: d["app"] is None),
    "insights": (
        "{ insights { appCounts { discovered } shadowIt { app { name } } "
        "licenseWaste { app { name } } overlaps { category } problematicApps { name } "
        "departments { department } } }",
        lambda d, a, b: (
            "Beta" not in str(d) and d["insights"]["shadowIt"] == [{"app": {"name": "Alpha Notes"}}]
        ),
    ),
    "activities": (
        "{ activities { edges { node { subjectName } } } }",
        lambda d, a, b: "Beta thing" not in str(d) and "Alpha thing" in str(d),
    ),
}
MUTATIONS = {
    "startSync": 'mutation { startSync(tenantId: "bbbbbbbb-0000-0000-0000-000000000002") { '
    "alreadyActive } }",
    "setAppStage": "mutation($id: ID!) { setAppStage(appId: $id, stage: APPROVED) { name } }",
    "setAppCategory": 'mutation($id: ID!) { setAppCategory(appId: $id, category: "CRM") { name } }',
    "setAppSeatCost": 'mutation($id: ID!) { setAppSeatCost(appId: $id, amount: "9", '
    'currency: "EUR") { name } }',
}


def test_every_root_field_has_an_isolation_case():
    query_type = schema._schema.query_type
    mutation_type = schema._schema.mutation_type
    assert set(query_type.fields) == set(QUERIES)
    assert set(mutation_type.fields) == set(MUTATIONS)


@pytest.mark.parametrize("field", sorted(QUERIES))
async def test_queries_from_a_never_return_b(api, two_orgs, field):
    a, b = two_orgs
    query, holds = QUERIES[field]
    ids = {"user": b["user_id"], "syncRun": b["run_id"], "app": b["app_id"]}
    variables = {"id": ids[field]} if "$id" in query else {}
    data = await api.query(a["token"], query, **variables)
    assert holds(data, a, b), data


@pytest.mark.parametrize("field", sorted(MUTATIONS))
async def test_mutations_from_a_on_b_are_not_found_and_change_nothing(api, two_orgs, field):
    a, b = two_orgs
    response = await api.post(
        a["token"], MUTATIONS[field], **({"id": b["app_id"]} if "$id" in MUTATIONS[field] else {})
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert await models.SyncRun.filter(organization_id=b["org"].id).count() == 1
    app = await models.Application.get(entra_id="sp-Beta")
    assert (app.stage, app.category_override, app.seat_cost_amount) == ("needs_review", None, None)


async def test_ids_of_another_type_are_bad_input(api, two_orgs):
    a, _ = two_orgs
    response = await api.post(
        a["token"], "query($id: ID!) { user(id: $id) { displayName } }", id=a["run_id"]
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
