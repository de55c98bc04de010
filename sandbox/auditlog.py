"""Graph resources built from sign-in facts: signIn entries and users' signInActivity."""

from __future__ import annotations

from typing import Any

from sandbox.apps import App, AppKind
from sandbox.catalog import GRAPH_APP_ID
from sandbox.clock import NEVER, iso
from sandbox.people import DEVICES, OFFICES
from sandbox.randomness import Draws, guid
from sandbox.signins import Hit, SignInLog

SIGNIN_PROPERTIES = frozenset(
    {
        "id",
        "createdDateTime",
        "userDisplayName",
        "userPrincipalName",
        "userId",
        "appId",
        "appDisplayName",
        "ipAddress",
        "clientAppUsed",
        "correlationId",
        "conditionalAccessStatus",
        "isInteractive",
        "riskDetail",
        "riskLevelAggregated",
        "riskLevelDuringSignIn",
        "riskState",
        "riskEventTypes",
        "riskEventTypes_v2",
        "resourceDisplayName",
        "resourceId",
        "status",
        "deviceDetail",
        "location",
        "appliedConditionalAccessPolicies",
    }
)
_RESOURCES = {
    "Outlook": ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"),
    "SharePoint": ("Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000"),
    "OneDrive": ("Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000"),
    "Azure": ("Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013"),
    "Teams": ("Microsoft Teams Services", "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe"),
}
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def _resource(app: App) -> tuple[str, str]:
    if app.kind is AppKind.MICROSOFT:
        for word, resource in _RESOURCES.items():
            if word in app.name:
                return resource
    elif app.sso == "saml":
        return app.name, app.app_id
    return "Microsoft Graph", GRAPH_APP_ID


def signin_id(log: SignInLog, hit: Hit) -> str:
    """The sign-in's id (also the signInActivity request id)."""
    return guid(log.seed, "signin", hit.key)


def signin_resource(log: SignInLog, hit: Hit, *, premium_p2: bool = False) -> dict[str, Any]:
    """The v1.0 signIn resource for one sign-in."""
    draws = Draws(log.seed, "signin-detail", hit.key)
    uid, upn, display = log.users.identity(hit.user)
    office = OFFICES[log.users.office_index(hit.user)]
    if draws.chance(0.12):
        office = draws.choice(OFFICES)
    device = DEVICES[(hit.user * 7 + draws.below(2)) % len(DEVICES)]
    failure = None if hit.success else log.failure_of(hit.key, hit.user)
    resource_name, resource_id = _resource(hit.app)
    blocked = failure is not None and failure[0] == 53003
    risk = "none" if premium_p2 else "hidden"
    managed = device.client_app != "Browser" or draws.chance(0.5)
    return {
        "id": signin_id(log, hit),
        "createdDateTime": iso(hit.time),
        "userDisplayName": display,
        "userPrincipalName": upn,
        "userId": uid,
        "appId": hit.app.app_id,
        "appDisplayName": hit.app.name,
        "ipAddress": f"{office.ip_prefix}.{draws.below(256)}.{draws.below(255) + 1}",
        "clientAppUsed": device.client_app,
        "correlationId": guid(log.seed, "corr", hit.key),
        "conditionalAccessStatus": "failure"
        if blocked
        else draws.choice(("success", "notApplied")),
        "isInteractive": True,
        "riskDetail": risk,
        "riskLevelAggregated": risk,
        "riskLevelDuringSignIn": risk,
        "riskState": "none",
        "riskEventTypes": [],
        "riskEventTypes_v2": [],
        "resourceDisplayName": resource_name,
        "resourceId": resource_id,
        "status": {
            "errorCode": failure[0] if failure else 0,
            "failureReason": failure[1] if failure else None,
            "additionalDetails": None
            if failure
            else "MFA requirement satisfied by claim in the token",
        },
        "deviceDetail": {
            "deviceId": guid(log.seed, "device", hit.user) if managed else "",
            "displayName": f"DESKTOP-{hit.user % 100000:05d}" if managed else "",
            "operatingSystem": device.operating_system,
            "browser": device.browser,
            "isCompliant": managed,
            "isManaged": managed,
            "trustType": "Azure AD joined" if managed else "",
        },
        "location": {
            "city": office.city,
            "state": office.state,
            "countryOrRegion": office.country,
            "geoCoordinates": {
                "altitude": None,
                "latitude": office.latitude,
                "longitude": office.longitude,
            },
        },
        "appliedConditionalAccessPolicies": [],
    }


def sign_in_activity(log: SignInLog, user: int) -> dict[str, Any]:
    """A user's signInActivity; "never" reads as 0001-01-01T00:00:00Z (docs/graph.md#users)."""
    newest, newest_ok = log.latest(user)
    result = {
        "lastSignInDateTime": NEVER,
        "lastSignInRequestId": None,
        "lastNonInteractiveSignInDateTime": NEVER,
        "lastNonInteractiveSignInRequestId": None,
        "lastSuccessfulSignInDateTime": NEVER,
        "lastSuccessfulSignInRequestId": None,
    }
    if newest is not None:
        quiet = min(newest.time + 600 + user % 7_200, max(newest.time, log.anchor))
        result.update(
            lastSignInDateTime=iso(newest.time),
            lastSignInRequestId=signin_id(log, newest),
            lastNonInteractiveSignInDateTime=iso(quiet),
            lastNonInteractiveSignInRequestId=guid(log.seed, "non-interactive", user),
        )
    if newest_ok is not None:
        result.update(
            lastSuccessfulSignInDateTime=iso(newest_ok.time),
            lastSuccessfulSignInRequestId=signin_id(log, newest_ok),
        )
    return result
