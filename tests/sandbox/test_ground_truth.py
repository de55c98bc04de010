"""Ground truth equals what paging the API returns; churn moves both; same seed, same tenant."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
import pytest

from sandbox.app import create_app
from sandbox.catalog import MICROSOFT_TENANT
from tests.sandbox.support import BASE, get_token, page_all, small_config


async def inventory(graph: httpx.AsyncClient, tenant_id: str) -> dict[str, Any]:
    """What a sync reads, reduced to the numbers ground truth reports."""
    users, _ = await page_all(graph, "/v1.0/users?$top=999&$select=id")
    sps, _ = await page_all(
        graph,
        "/v1.0/servicePrincipals?$top=999&$select=id,appId,"
        "appOwnerOrganizationId,servicePrincipalType",
    )
    grants, _ = await page_all(graph, "/v1.0/oauth2PermissionGrants?$top=999")
    sign_ins, _ = await page_all(graph, "/v1.0/auditLogs/signIns")
    groups, _ = await page_all(graph, "/v1.0/groups")
    members = {
        g["id"]: {
            m["id"]
            for m in (await page_all(graph, f"/v1.0/groups/{g['id']}/members?$select=id"))[0]
        }
        for g in groups
    }
    assigned: dict[str, set[str]] = defaultdict(set)
    assignments = 0
    for sp in sps:
        items, _ = await page_all(graph, f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo")
        assignments += len(items)
        for item in items:
            if item["principalType"] == "User":
                assigned[sp["id"]].add(item["principalId"])
            elif item["principalType"] == "Group":
                assigned[sp["id"]] |= members[item["principalId"]]
    active: dict[str, set[str]] = defaultdict(set)
    for s in sign_ins:
        if s["status"]["errorCode"] == 0:
            active[s["appId"]].add(s["userId"])
    consented = {g["clientId"] for g in grants if g["consentType"] == "Principal"}
    third = [
        sp
        for sp in sps
        if sp["servicePrincipalType"] == "Application"
        and sp["appOwnerOrganizationId"] not in (MICROSOFT_TENANT, tenant_id)
    ]
    return {
        "users": len(users),
        "service_principals": len(sps),
        "grants": len(grants),
        "assignments": assignments,
        "sign_ins": len(sign_ins),
        "assigned": {sp["appId"]: len(assigned[sp["id"]]) for sp in sps},
        "active": {app_id: len(users) for app_id, users in active.items()},
        "shadow": sorted(
            sp["appId"]
            for sp in third
            if sp["id"] in consented or active[sp["appId"]] - assigned[sp["id"]]
        ),
    }


def compare(truth: dict[str, Any], seen: dict[str, Any], client_id: str) -> None:
    assert truth["users"] == seen["users"]
    assert truth["service_principals"]["total"] == seen["service_principals"]
    assert truth["delegated_grants"]["total"] == seen["grants"]
    assert truth["app_role_assignments"] == seen["assignments"]
    assert truth["sign_ins"] == seen["sign_ins"]
    for app in truth["apps"]:
        assert app["assigned_users"] == seen["assigned"][app["appId"]], app["displayName"]
        assert app["active_users_30d"] == seen["active"].get(app["appId"], 0), app["displayName"]
    assert truth["shadow_it_candidates"] == [a for a in seen["shadow"] if a != client_id]


async def test_ground_truth_equals_what_paging_returns(graph, client, config):
    tid = config.primary.tenant_id
    truth = (await client.get(f"/_sandbox/tenants/{tid}/ground-truth")).json()
    compare(truth, await inventory(graph, tid), config.client_id)
    assert truth["shadow_it_candidates"]
    assert {"third_party", "microsoft", "tenant_own", "managed_identity"} <= set(
        truth["service_principals"]
    )


async def test_ground_truth_follows_churn(graph, client, config):
    tid = config.primary.tenant_id
    before = (await client.get(f"/_sandbox/tenants/{tid}/ground-truth")).json()
    await client.post(
        f"/_sandbox/tenants/{tid}/churn",
        json={
            "users_added": 3,
            "users_removed": 2,
            "users_changed": 2,
            "apps_added": 2,
            "apps_removed": 1,
            "consents_added": 4,
            "signins_added": 25,
        },
    )
    after = (await client.get(f"/_sandbox/tenants/{tid}/ground-truth")).json()
    assert after["users"] == before["users"] + 1
    assert after["service_principals"]["total"] == before["service_principals"]["total"] + 1
    assert after["sign_ins"] == before["sign_ins"] + 25
    compare(after, await inventory(graph, tid), config.client_id)


@pytest.mark.parametrize("config", [small_config(days=75, users=60, apps=30, seed=5)])
async def test_inactive_apps_are_used_before_but_not_lately(client, config):
    truth = (
        await client.get(
            f"/_sandbox/tenants/{config.primary.tenant_id}/ground-truth?inactive_days=30"
        )
    ).json()
    assert truth["inactive_apps"]
    by_id = {a["appId"]: a for a in truth["apps"]}
    for app_id in truth["inactive_apps"]:
        assert by_id[app_id]["active_users_30d"] == 0
        assert by_id[app_id]["last_successful_sign_in"] is not None


async def test_same_seed_same_tenant_other_seed_other_tenant(config):
    async def snapshot(cfg: Any) -> tuple[list[Any], dict[str, Any]]:
        app = create_app(cfg)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
            c.headers["Authorization"] = f"Bearer {await get_token(c, cfg)}"
            users, _ = await page_all(
                c, "/v1.0/users?$top=999&$select=id,displayName,department,jobTitle,createdDateTime"
            )
            sign_ins, _ = await page_all(c, "/v1.0/auditLogs/signIns?$top=1000")
            truth = (await c.get(f"/_sandbox/tenants/{cfg.primary.tenant_id}/ground-truth")).json()
            truth.pop("now")
            return [users, sign_ins[:50]], truth

    first = await snapshot(config)
    again = await snapshot(small_config())
    other = await snapshot(small_config(seed=12))
    assert first == again
    assert first[0][0] != other[0][0]


async def test_request_log_records_every_request_and_can_be_cleared(graph, client, config):
    await client.delete("/_sandbox/requests")
    await graph.get("/v1.0/users?$top=2")
    await graph.get("/v1.0/nope")
    log = (await client.get("/_sandbox/requests")).json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/v1.0/users", 200),
        ("GET", "/v1.0/nope", 400),
    ]
    assert log[0]["query"] == "$top=2"
    assert all(e["tenant"] == config.primary.tenant_id for e in log)
    since = (await client.get(f"/_sandbox/requests?since={log[0]['seq']}")).json()["requests"]
    assert len(since) == 1
    await client.delete("/_sandbox/requests")
    assert (await client.get("/_sandbox/requests")).json()["requests"] == []


async def test_control_api_rejects_unknown_tenants_and_fields(client, config):
    assert (await client.get("/_sandbox/tenants/nope/ground-truth")).status_code == 404
    bad = await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/churn", json={"dragons_added": 1}
    )
    assert bad.status_code == 400
    info = (await client.get("/_sandbox")).json()
    assert info["client_id"] == config.client_id
    assert info["tenants"][0]["tenant_id"] == config.primary.tenant_id


async def test_replication_lag_delays_churn(graph, client, config):
    tid = config.primary.tenant_id
    scheduled = await client.post(
        f"/_sandbox/tenants/{tid}/churn", json={"users_added": 2, "delay_seconds": 30}
    )
    assert "scheduled_for" in scheduled.json()
    users, _ = await page_all(graph, "/v1.0/users?$top=999&$select=id")
    assert len(users) == 40
    await client.post("/_sandbox/clock", json={"advance_seconds": 31})
    users, _ = await page_all(graph, "/v1.0/users?$top=999&$select=id")
    assert len(users) == 42
