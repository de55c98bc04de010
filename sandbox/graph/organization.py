"""/organization and /groups (with members)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.access import GROUP_PROPERTIES
from sandbox.clock import iso
from sandbox.directory import Tenant
from sandbox.graph.applications import positional
from sandbox.graph.auth import GROUPS, ORGANIZATION
from sandbox.graph.call import GraphCall, Resource, entity_response, list_response
from sandbox.graph.errors import not_found
from sandbox.graph.paging import Items
from sandbox.graph.users import USER

ORGANIZATION_PROPERTIES = frozenset(
    {
        "id",
        "deletedDateTime",
        "assignedPlans",
        "businessPhones",
        "city",
        "country",
        "countryLetterCode",
        "createdDateTime",
        "defaultUsageLocation",
        "displayName",
        "marketingNotificationEmails",
        "onPremisesLastSyncDateTime",
        "onPremisesSyncEnabled",
        "postalCode",
        "preferredLanguage",
        "privacyProfile",
        "provisionedPlans",
        "securityComplianceNotificationMails",
        "securityComplianceNotificationPhones",
        "state",
        "street",
        "technicalNotificationMails",
        "tenantType",
        "verifiedDomains",
    }
)
ORG = Resource("organization", ORGANIZATION_PROPERTIES)
GROUP = Resource("group", GROUP_PROPERTIES)
AAD_PREMIUM_PLAN = "41781fb2-bc02-4b7c-bd55-b576c07bb09d"


def organization_record(tenant: Tenant) -> dict[str, Any]:
    """The tenant's organization object; P1 shows up as an assigned AAD_PREMIUM plan."""
    plans = [
        {
            "assignedDateTime": iso(tenant.anchor - 400 * 86_400),
            "capabilityStatus": "Enabled",
            "service": "exchange",
            "servicePlanId": "efb87545-963c-4e0d-99df-69c6916d9eb0",
        }
    ]
    if tenant.premium:
        plans.append(
            {
                "assignedDateTime": iso(tenant.anchor - 300 * 86_400),
                "capabilityStatus": "Enabled",
                "service": "AADPremiumService",
                "servicePlanId": AAD_PREMIUM_PLAN,
            }
        )
    return {
        "id": tenant.id,
        "deletedDateTime": None,
        "displayName": tenant.spec.name,
        "assignedPlans": plans,
        "businessPhones": ["+1 425 555 0100"],
        "city": "Redmond",
        "country": None,
        "countryLetterCode": "US",
        "defaultUsageLocation": None,
        "createdDateTime": iso(tenant.anchor - 2_000 * 86_400),
        "tenantType": "AAD",
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": None,
        "onPremisesSyncEnabled": None,
        "postalCode": "98052",
        "preferredLanguage": "en",
        "privacyProfile": None,
        "provisionedPlans": [],
        "state": "WA",
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "street": "1 Sandbox Way",
        "technicalNotificationMails": [f"admin@{tenant.spec.domain}"],
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": True,
                "isInitial": True,
                "name": tenant.spec.domain,
                "type": "Managed",
            }
        ],
    }


def list_organization(call: GraphCall) -> dict[str, Any]:
    """GET /organization: exactly one object."""
    call.caller.require(ORGANIZATION)
    tenant = call.caller.tenant
    return list_response(
        call,
        resource=ORG,
        context="organization",
        route="organization",
        source=positional([tenant], organization_record),
    )


def get_organization(call: GraphCall, key: str) -> dict[str, Any]:
    """GET /organization/{id}."""
    call.caller.require(ORGANIZATION)
    tenant = call.caller.tenant
    if key.lower() != tenant.id:
        raise not_found(key)
    return entity_response(call, organization_record(tenant), resource=ORG, context="organization")


def list_groups(call: GraphCall) -> dict[str, Any]:
    """GET /groups."""
    call.caller.require(GROUPS)
    return list_response(
        call,
        resource=GROUP,
        context="groups",
        route="groups",
        source=positional(call.caller.tenant.groups, lambda g: g.record()),
    )


def get_group(call: GraphCall, key: str) -> dict[str, Any]:
    """GET /groups/{id}."""
    call.caller.require(GROUPS)
    group = call.caller.tenant.group(key)
    if group is None:
        raise not_found(key)
    return entity_response(call, group.record(), resource=GROUP, context="groups")


def list_members(call: GraphCall, key: str) -> dict[str, Any]:
    """GET /groups/{id}/members (users only; membership is evaluated per user)."""
    call.caller.require(GROUPS)
    tenant = call.caller.tenant
    group = tenant.group(key)
    if group is None:
        raise not_found(key)

    def source(select: list[str] | None) -> Callable[[int], Items]:
        return lambda start: (
            (i, tenant.user_record(i))
            for i in range(start, tenant.user_total)
            if tenant.is_live_user(i) and tenant.is_member(group, i)
        )

    return list_response(
        call,
        resource=USER,
        context="directoryObjects",
        route=f"groups/{group.id}/members",
        source=source,
        odata_type="#microsoft.graph.user",
    )
