"""The GraphQL API over HTTP on a tenant synced from the sandbox: what a dashboard sees."""

from __future__ import annotations

import httpx

from appventory.web import create_app
from sync_core.store import organizations
from tests.support import asgi_with_state

APPS = """query($after: String) {
  apps(first: 50, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name status stage isShadowIt isMicrosoft assignedUserCount
                   activeUserCount lastUsedAt category } }
  }
}"""
APP = """query($id: ID!) {
  app(id: $id) {
    name users(first: 100) { totalCount edges { node { sources lastUsedOn user { displayName } } } }
    loginActivity(days: 30) { day successes failures }
    permissions(first: 100) { totalCount
      edges { node { consentType scopes consentedBy { displayName } } } }
    problems { kind summary }
  }
}"""
INSIGHTS = """{ insights { appCounts { inUse discovered inactive }
  shadowIt { app { name } reasons } overlaps { category sharedUsers apps { name } }
  licenseWaste { app { name } inactiveSeats } departments { department users } } }"""


async def test_dashboard_queries_and_mutations_on_a_synced_tenant(tenant):
    await tenant.sync()
    token = await organizations.create_token(organization_id=tenant.organization_id)
    app = create_app(tenant.runtime.settings)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=asgi_with_state(app, state))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def query(text: str, **variables):
                answer = await client.post(
                    "/graphql",
                    json={"query": text, "variables": variables},
                    headers={"Authorization": f"Bearer {token.secret}"},
                )
                body = answer.json()
                assert "errors" not in body, body
                return body["data"]

            truth = await tenant.truth()
            apps, after = [], None
            while True:
                page = (await query(APPS, after=after))["apps"]
                apps += [edge["node"] for edge in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            # Managed identities are service principals, not apps people use.
            sps = truth["service_principals"]
            assert len(apps) == page["totalCount"] == sps["total"] - sps["managed_identity"]
            shadow_names = {a["name"] for a in apps if a["isShadowIt"]}
            names = {a["servicePrincipalId"]: a["displayName"] for a in truth["apps"]}
            names |= {a["appId"]: a["displayName"] for a in truth["apps"]}
            expected_shadow = {names[i] for i in truth["shadow_it_candidates"]}
            assert shadow_names == expected_shadow, shadow_names ^ expected_shadow

            busiest = max(apps, key=lambda a: a["assignedUserCount"])
            detail = (await query(APP, id=busiest["id"]))["app"]
            assert detail["users"]["totalCount"] >= busiest["assignedUserCount"]
            assert len(detail["loginActivity"]) == 30

            overview = (await query(INSIGHTS))["insights"]
            counts = overview["appCounts"]
            assert counts["inUse"] + counts["discovered"] + counts["inactive"] == len(apps)
            assert {s["app"]["name"] for s in overview["shadowIt"]} == shadow_names

            shadow_app = next(a for a in apps if a["isShadowIt"])
            approved = await query(
                'mutation($id: ID!) { setAppStage(appId: $id, stage: APPROVED, note: "vetted") '
                "{ stage isShadowIt } }",
                id=shadow_app["id"],
            )
            assert approved["setAppStage"] == {"stage": "APPROVED", "isShadowIt": False}
            costed = await query(
                'mutation($id: ID!) { setAppSeatCost(appId: $id, amount: "12.50", currency: '
                '"EUR") { seatCost { amount currency } } }',
                id=busiest["id"],
            )
            assert costed["setAppSeatCost"]["seatCost"] == {"amount": "12.50", "currency": "EUR"}
            trail = await query(
                '{ activities(kinds: ["app.stage_changed"]) { edges { node { '
                "actor { type } details } } } }"
            )
            [entry] = trail["activities"]["edges"]
            assert entry["node"]["actor"]["type"] == "API_TOKEN"
            assert entry["node"]["details"]["note"] == "vetted"
