"""Service principals, assignments and delegated grants (docs/graph.md#service-principals)."""

from __future__ import annotations

import pytest

from sandbox.catalog import DEFAULT_ACCESS_ROLE, MICROSOFT_TENANT
from tests.sandbox.support import error_code, page_all, small_config


async def test_v1_service_principals_have_no_publisher_name_but_beta_does(graph):
    v1, _ = await page_all(graph, "/v1.0/servicePrincipals?$top=999")
    beta, _ = await page_all(graph, "/beta/servicePrincipals?$top=999")
    assert all("publisherName" not in sp for sp in v1)
    assert all("createdDateTime" not in sp for sp in v1)
    assert {sp["id"] for sp in v1} == {sp["id"] for sp in beta}
    assert all(sp["publisherName"] for sp in beta if sp["servicePrincipalType"] == "Application")
    v1_select = await graph.get("/v1.0/servicePrincipals?$select=id,publisherName")
    assert v1_select.status_code == 400
    created = await graph.get("/v1.0/servicePrincipals?$select=id,createdDateTime")
    assert created.status_code == 400


async def test_service_principals_are_realistic(graph, config):
    sps, _ = await page_all(graph, "/v1.0/servicePrincipals?$top=999")
    microsoft = [sp for sp in sps if sp["appOwnerOrganizationId"] == MICROSOFT_TENANT]
    own = [sp for sp in sps if sp["appOwnerOrganizationId"] == config.primary.tenant_id]
    identities = [sp for sp in sps if sp["servicePrincipalType"] == "ManagedIdentity"]
    third = [sp for sp in sps if sp not in microsoft + own + identities]
    assert {"Microsoft Graph", "Microsoft Teams", "Office 365 Exchange Online"} <= {
        sp["displayName"] for sp in microsoft
    }
    assert own and identities and len(third) >= 15
    assert all("WindowsAzureActiveDirectoryIntegratedApp" in sp["tags"] for sp in third)
    assert all(
        set(sp["verifiedPublisher"]) == {"displayName", "verifiedPublisherId", "addedDateTime"}
        for sp in third
    )
    assert {sp["servicePrincipalType"] for sp in sps} == {"Application", "ManagedIdentity"}


async def test_service_principal_by_id_by_app_id_and_bad_ids(graph):
    sps = (await graph.get("/v1.0/servicePrincipals?$select=id,appId,displayName")).json()
    target = sps["value"][0]
    by_id = await graph.get(f"/v1.0/servicePrincipals/{target['id']}")
    by_app = await graph.get(f"/v1.0/servicePrincipals(appId='{target['appId']}')")
    assert by_id.json()["displayName"] == by_app.json()["displayName"] == target["displayName"]
    invalid = await graph.get("/v1.0/servicePrincipals/not-a-guid")
    assert invalid.status_code == 400
    assert invalid.json()["error"]["message"] == "Invalid object identifier 'not-a-guid'."
    missing = await graph.get("/v1.0/servicePrincipals/0b3d7a5e-1111-4222-8333-944455556666")
    assert missing.status_code == 404
    assert error_code(missing) == "Request_ResourceNotFound"


async def test_app_role_assigned_to_lists_users_groups_and_service_principals(graph):
    sps, _ = await page_all(graph, "/v1.0/servicePrincipals?$top=999&$select=id,displayName")
    types: set[str] = set()
    roles: set[str] = set()
    for sp in sps:
        items, _ = await page_all(graph, f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo")
        for item in items:
            assert item["resourceId"] == sp["id"]
            assert item["resourceDisplayName"] == sp["displayName"]
            types.add(item["principalType"])
            roles.add(item["appRoleId"])
    assert types == {"User", "Group", "ServicePrincipal"}
    assert DEFAULT_ACCESS_ROLE in roles


async def test_assigned_to_by_app_id(graph):
    graph_sp = (
        await graph.get(
            "/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"
            "/appRoleAssignedTo"
        )
    ).json()
    assert graph_sp["value"]
    assert {a["principalType"] for a in graph_sp["value"]} == {"ServicePrincipal"}


async def test_grants_have_both_consent_types_and_space_separated_scopes(graph):
    grants, _ = await page_all(graph, "/v1.0/oauth2PermissionGrants?$top=999")
    admin = [g for g in grants if g["consentType"] == "AllPrincipals"]
    users = [g for g in grants if g["consentType"] == "Principal"]
    assert admin and users
    assert all(g["principalId"] is None for g in admin)
    assert all(g["principalId"] for g in users)
    assert all(" " in g["scope"] and "," not in g["scope"] for g in grants)
    sps = {sp["id"] for sp in (await page_all(graph, "/v1.0/servicePrincipals?$top=999"))[0]}
    assert all(g["clientId"] in sps and g["resourceId"] in sps for g in grants)
    one = await graph.get(f"/v1.0/oauth2PermissionGrants/{grants[0]['id']}")
    assert one.json()["id"] == grants[0]["id"]


@pytest.mark.parametrize("config", [small_config(granted_roles=["User.Read.All"])])
async def test_grants_and_service_principals_need_their_permissions(graph):
    for path in (
        "/v1.0/oauth2PermissionGrants",
        "/v1.0/servicePrincipals",
        "/v1.0/servicePrincipals/delta",
        "/v1.0/auditLogs/signIns",
    ):
        response = await graph.get(path)
        assert response.status_code == 403, path
        assert error_code(response) == "Authorization_RequestDenied"


async def test_filter_by_tag_and_app_id(graph):
    tag = "WindowsAzureActiveDirectoryIntegratedApp"
    tagged, _ = await page_all(
        graph, f"/v1.0/servicePrincipals?$filter=tags/any(t:t eq '{tag}')&$select=id,tags"
    )
    assert tagged and all(tag in sp["tags"] for sp in tagged)
    teams = await graph.get(
        "/v1.0/servicePrincipals?$filter=appId eq '1fec8e78-bce4-4aaf-ab1b-5451cc387264'"
    )
    assert [sp["displayName"] for sp in teams.json()["value"]] == ["Microsoft Teams"]
