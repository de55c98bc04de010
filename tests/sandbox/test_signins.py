"""/auditLogs/signIns contract (docs/graph.md#permissions, #throttling)."""

from __future__ import annotations

import math

import pytest

from sandbox.clock import iso, parse_iso
from tests.sandbox.support import error_code, get_token, page_all, small_config, state_of

SIGNINS = "/v1.0/auditLogs/signIns"


async def test_newest_first_default_page_1000_and_every_sign_in_once(graph, app):
    first = (await graph.get(SIGNINS)).json()
    assert len(first["value"]) == 1000
    times = [parse_iso(s["createdDateTime"]) for s in first["value"]]
    assert times == sorted(times, reverse=True)
    items, pages = await page_all(graph, SIGNINS)
    truth = state_of(app).primary.signins.total
    assert len(items) == truth and pages == math.ceil(truth / 1000)
    assert len({s["id"] for s in items}) == truth


async def test_top_above_1000_is_rejected(graph):
    response = await graph.get(f"{SIGNINS}?$top=1001")
    assert response.status_code == 400
    assert error_code(response) == "Request_UnsupportedQuery"


async def test_sign_in_shape(graph):
    sign_in = (await graph.get(f"{SIGNINS}?$top=1")).json()["value"][0]
    assert {
        "id",
        "createdDateTime",
        "userId",
        "userPrincipalName",
        "userDisplayName",
        "appId",
        "appDisplayName",
        "resourceId",
        "resourceDisplayName",
        "status",
        "clientAppUsed",
        "ipAddress",
        "isInteractive",
        "location",
        "deviceDetail",
        "conditionalAccessStatus",
    } <= set(sign_in)
    assert set(sign_in["status"]) == {"errorCode", "failureReason", "additionalDetails"}
    assert sign_in["createdDateTime"].endswith("Z")
    assert sign_in["isInteractive"] is True


async def test_failures_carry_real_aadsts_codes(graph):
    items, _ = await page_all(graph, f"{SIGNINS}?$filter=status/errorCode ne 0")
    codes = {s["status"]["errorCode"] for s in items}
    assert codes and codes <= {50126, 50074, 50140, 53003, 50053, 500121, 50055, 50076, 50057}
    assert all(s["status"]["failureReason"] for s in items)


@pytest.mark.parametrize(
    ("operator", "inclusive_low", "inclusive_high"),
    [(("ge", "le"), True, True), (("gt", "lt"), False, False)],
)
async def test_created_date_time_window(graph, operator, inclusive_low, inclusive_high):
    all_items, _ = await page_all(graph, SIGNINS)
    times = [s["createdDateTime"] for s in all_items]
    low, high = times[700], times[300]
    query = f"$filter=createdDateTime {operator[0]} {low} and createdDateTime {operator[1]} {high}"
    window, _ = await page_all(graph, f"{SIGNINS}?{query}")
    expected = [
        t
        for t in times
        if (t >= low if inclusive_low else t > low) and (t <= high if inclusive_high else t < high)
    ]
    assert [s["createdDateTime"] for s in window] == expected


@pytest.mark.parametrize(
    ("flt", "fragment"),
    [
        ("createdDateTime ge '2024-06-01T00:00:00Z'", "incompatible types"),
        ("createdDateTime ge 2024-06-01", "'Edm.DateTimeOffset' and 'Edm.Date'"),
        ("createdDateTime gee 2024-06-01T00:00:00Z", "Invalid filter clause"),
        ("bogus eq 1", "Could not find a property named 'bogus'"),
    ],
)
async def test_bad_filters_are_400(graph, flt, fragment):
    response = await graph.get(SIGNINS, params={"$filter": flt})
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


async def test_filter_on_app_id_still_pages(graph):
    first = (await graph.get(f"{SIGNINS}?$top=1")).json()["value"][0]
    items, _ = await page_all(graph, f"{SIGNINS}?$filter=appId eq '{first['appId']}'")
    assert items and all(s["appId"] == first["appId"] for s in items)


async def test_thirty_day_retention_follows_the_clock(graph, app, client, config):
    total = state_of(app).primary.signins.total
    await client.post("/_sandbox/clock", json={"advance_seconds": 15 * 86_400})
    graph.headers["Authorization"] = f"Bearer {await get_token(client, config)}"  # old expired
    items, _ = await page_all(graph, SIGNINS)
    assert 0 < len(items) < total
    oldest = parse_iso(items[-1]["createdDateTime"])
    assert oldest >= state_of(app).clock.now() - 30 * 86_400 - 1


async def test_new_sign_ins_from_churn_come_first_and_do_not_shift_open_pages(
    graph, client, config
):
    first = (await graph.get(f"{SIGNINS}?$top=50")).json()
    await client.post(
        f"/_sandbox/tenants/{config.primary.tenant_id}/churn", json={"signins_added": 5}
    )
    second = (await graph.get(first["@odata.nextLink"])).json()
    assert parse_iso(second["value"][0]["createdDateTime"]) <= parse_iso(
        first["value"][-1]["createdDateTime"]
    )
    fresh = (await graph.get(f"{SIGNINS}?$top=5")).json()["value"]
    assert all(
        parse_iso(s["createdDateTime"]) > parse_iso(first["value"][0]["createdDateTime"])
        for s in fresh
    )


@pytest.mark.parametrize("config", [small_config(premium=False)])
async def test_sign_ins_need_premium(graph):
    response = await graph.get(SIGNINS)
    assert response.status_code == 403
    assert error_code(response) == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert response.json()["error"]["message"] == (
        "Neither tenant is B2C or tenant doesn't have premium license"
    )


async def test_sign_in_by_id(graph):
    first = (await graph.get(f"{SIGNINS}?$top=1")).json()["value"][0]
    one = await graph.get(f"{SIGNINS}/{first['id']}")
    assert one.json()["createdDateTime"] == first["createdDateTime"]
    assert (await graph.get(f"{SIGNINS}/{iso(0)}")).status_code == 404


@pytest.mark.parametrize("config", [small_config(days=75, users=60, apps=30, seed=5)])
async def test_beta_app_sign_in_activity_reaches_beyond_retention(graph, client, config):
    items, _ = await page_all(graph, "/beta/reports/servicePrincipalSignInActivities")
    truth = (await client.get(f"/_sandbox/tenants/{config.primary.tenant_id}/ground-truth")).json()
    expected = {
        a["appId"]: a["last_successful_sign_in"]
        for a in truth["apps"]
        if a["last_successful_sign_in"]
    }
    assert {i["appId"]: i["lastSignInActivity"]["lastSignInDateTime"] for i in items} == expected
    assert set(truth["inactive_apps"]) <= set(expected)
    v1 = await graph.get("/v1.0/reports/servicePrincipalSignInActivities")
    assert v1.status_code == 400
