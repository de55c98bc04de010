"""Graph JSON → records: what we ask Graph for sits next to what we read from it.

Pure functions; each returns None for a row it cannot use (the caller counts it as skipped).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sync_core import records

Raw = dict[str, Any]

USER_SELECT = (
    "id,displayName,mail,userPrincipalName,jobTitle,department,accountEnabled,createdDateTime"
)
# publisherName is /beta only; v1.0 has verifiedPublisher (docs/graph.md#service-principals).
APP_SELECT = (
    "id,appId,displayName,appOwnerOrganizationId,servicePrincipalType,tags,accountEnabled,"
    "homepage,signInAudience,verifiedPublisher,appRoleAssignmentRequired"
)
ASSIGNMENT_SELECT = "id,appRoleId,principalId,principalType,resourceId,createdDateTime"
GRANT_SELECT = "id,clientId,consentType,principalId,resourceId,scope"
# signInActivity must never be in a delta $select: it is a reporting property (docs/graph.md#delta).
SIGN_IN_ACTIVITY_SELECT = "id,signInActivity"
# "Never signed in" is reported as the minimum date rather than null.
NEVER = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


def timestamp(value: Any) -> dt.datetime | None:
    """An aware UTC datetime from Graph's ISO-8601 text; None for missing, invalid or 'never'."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return None if parsed <= NEVER else parsed.astimezone(dt.UTC)


def removed_id(raw: Raw) -> str | None:
    """The id of a delta item that reports a removal (`@removed`), else None."""
    if "@removed" in raw and isinstance(raw.get("id"), str):
        return raw["id"]
    return None


def _text(raw: Raw, key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value else None


def _bool(raw: Raw, key: str) -> bool | None:
    value = raw.get(key)
    return value if isinstance(value, bool) else None


def _object(raw: Raw, key: str) -> Raw:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def _list(raw: Raw, key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def user(raw: Raw) -> records.User | None:
    """A directory user; None without an id."""
    entra_id = _text(raw, "id")
    if entra_id is None:
        return None
    return records.User(
        entra_id=entra_id,
        # Never empty: the inventory sorts and pages users by name.
        display_name=_text(raw, "displayName") or _text(raw, "userPrincipalName") or entra_id,
        mail=_text(raw, "mail"),
        user_principal_name=_text(raw, "userPrincipalName"),
        job_title=_text(raw, "jobTitle"),
        department=_text(raw, "department"),
        account_enabled=_bool(raw, "accountEnabled"),
        created_at=timestamp(raw.get("createdDateTime")),
    )


def app(raw: Raw) -> records.App | None:
    """A service principal; None without an id or appId."""
    entra_id, app_id = _text(raw, "id"), _text(raw, "appId")
    if entra_id is None or app_id is None:
        return None
    publisher = raw.get("verifiedPublisher") or {}
    tags = _list(raw, "tags")
    return records.App(
        entra_id=entra_id,
        app_id=app_id,
        display_name=_text(raw, "displayName") or app_id,
        publisher_name=_text(raw, "publisherName") or _text(publisher, "displayName"),
        owner_tenant_id=_text(raw, "appOwnerOrganizationId"),
        principal_type=_text(raw, "servicePrincipalType"),
        tags=tuple(t for t in tags if isinstance(t, str)),
        account_enabled=_bool(raw, "accountEnabled"),
        verified_publisher=_text(publisher, "displayName"),
        homepage=_text(raw, "homepage"),
        sign_in_audience=_text(raw, "signInAudience"),
    )


def assignment(raw: Raw, *, app_entra_id: str) -> records.Assignment | None:
    """An app role assignment to the given app; None without id or principal."""
    entra_id, principal = _text(raw, "id"), _text(raw, "principalId")
    if entra_id is None or principal is None:
        return None
    return records.Assignment(
        entra_id=entra_id,
        app_entra_id=_text(raw, "resourceId") or app_entra_id,
        principal_entra_id=principal,
        principal_type=_text(raw, "principalType") or "User",
        app_role_id=_text(raw, "appRoleId"),
        created_at=timestamp(raw.get("createdDateTime")),
    )


def grant(raw: Raw) -> records.Grant | None:
    """A delegated permission grant; None when ids are missing."""
    entra_id, client, resource = _text(raw, "id"), _text(raw, "clientId"), _text(raw, "resourceId")
    consent_type = _text(raw, "consentType")
    if entra_id is None or client is None or resource is None or consent_type is None:
        return None
    scope = raw.get("scope")
    scope = scope if isinstance(scope, str) else ""
    return records.Grant(
        entra_id=entra_id,
        client_entra_id=client,
        resource_entra_id=resource,
        consent_type=consent_type,
        principal_entra_id=_text(raw, "principalId"),
        scopes=tuple(scope.split()),
    )


def sign_in(raw: Raw) -> records.SignIn | None:
    """One sign-in event; None without an id or a time."""
    entra_id, occurred = _text(raw, "id"), timestamp(raw.get("createdDateTime"))
    if entra_id is None or occurred is None:
        return None
    status, location = _object(raw, "status"), _object(raw, "location")
    error_code = status.get("errorCode")
    return records.SignIn(
        entra_id=entra_id,
        occurred_at=occurred,
        user_entra_id=_text(raw, "userId"),
        user_principal_name=_text(raw, "userPrincipalName"),
        app_id=_text(raw, "appId"),
        app_display_name=_text(raw, "appDisplayName"),
        resource_id=_text(raw, "resourceId"),
        error_code=error_code if isinstance(error_code, int) else 0,
        failure_reason=_text(status, "failureReason"),
        client_app_used=_text(raw, "clientAppUsed"),
        ip_address=_text(raw, "ipAddress"),
        city=_text(location, "city"),
        country=_text(location, "countryOrRegion"),
        is_interactive=_bool(raw, "isInteractive") is not False,
    )


def last_sign_in(raw: Raw) -> records.LastSignIn | None:
    """A user's signInActivity; None without an id."""
    entra_id = _text(raw, "id")
    if entra_id is None:
        return None
    activity = _object(raw, "signInActivity")
    return records.LastSignIn(
        user_entra_id=entra_id,
        last_sign_in_at=timestamp(activity.get("lastSignInDateTime")),
        last_successful_sign_in_at=timestamp(activity.get("lastSuccessfulSignInDateTime")),
    )
