"""Graph JSON → records: every field we read, and rows we cannot use."""

from __future__ import annotations

import datetime as dt

import pytest

from sync_core import mapping, records

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T09:30:00Z", dt.datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
        ("2026-11-01T09:30:00.1234567Z", dt.datetime(2026, 11, 1, 9, 30, 0, 123456, tzinfo=UTC)),
        ("2026-11-01T10:30:00+01:00", dt.datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),  # Graph's "never"
        ("", None),
        ("yesterday", None),
        (None, None),
        (1730000000, None),
    ],
)
def test_timestamps(text, expected):
    assert mapping.timestamp(text) == expected


def test_user_reads_every_selected_field():
    raw = {
        "id": "u1",
        "displayName": "Ada Lovelace",
        "mail": "ada@contoso.com",
        "userPrincipalName": "ada@contoso.com",
        "jobTitle": "Engineer",
        "department": "R&D",
        "accountEnabled": False,
        "createdDateTime": "2024-01-02T03:04:05Z",
    }
    assert mapping.user(raw) == records.User(
        entra_id="u1",
        display_name="Ada Lovelace",
        mail="ada@contoso.com",
        user_principal_name="ada@contoso.com",
        job_title="Engineer",
        department="R&D",
        account_enabled=False,
        created_at=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


@pytest.mark.parametrize("raw", [{}, {"displayName": "no id"}, {"id": 42}, {"id": ""}])
def test_unusable_users_are_none(raw):
    assert mapping.user(raw) is None


def test_app_publisher_and_tags():
    raw = {
        "id": "sp1",
        "appId": "a1",
        "displayName": "Zoom",
        "servicePrincipalType": "Application",
        "appOwnerOrganizationId": "t-zoom",
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp", 7],
        "verifiedPublisher": {"displayName": "Zoom Video Communications, Inc."},
        "accountEnabled": True,
    }
    app = mapping.app(raw)
    assert app.publisher_name == app.verified_publisher == "Zoom Video Communications, Inc."
    assert app.tags == ("WindowsAzureActiveDirectoryIntegratedApp",)
    assert mapping.app({"id": "sp2", "appId": "a2"}).display_name == "a2"
    assert mapping.app({"id": "sp3"}) is None


def test_removed_delta_items():
    assert mapping.removed_id({"id": "u1", "@removed": {"reason": "deleted"}}) == "u1"
    assert mapping.removed_id({"id": "u1"}) is None


def test_grants_split_scopes_and_consent_type():
    grant = mapping.grant(
        {
            "id": "g1",
            "clientId": "sp1",
            "resourceId": "graph",
            "consentType": "Principal",
            "principalId": "u1",
            "scope": " Mail.Read  Files.Read.All ",
        }
    )
    assert grant.scopes == ("Mail.Read", "Files.Read.All")
    assert grant.is_user_consent
    admin = mapping.grant(
        {
            "id": "g2",
            "clientId": "sp1",
            "resourceId": "graph",
            "consentType": "AllPrincipals",
            "principalId": None,
            "scope": None,
        }
    )
    assert (admin.principal_entra_id, admin.scopes, admin.is_user_consent) == (None, (), False)
    assert mapping.grant({"id": "g3", "clientId": "sp1", "consentType": "Principal"}) is None


def test_sign_in_status_and_location():
    event = mapping.sign_in(
        {
            "id": "s1",
            "createdDateTime": "2026-11-20T08:00:00Z",
            "userId": "u1",
            "appId": "a1",
            "appDisplayName": "Zoom",
            "status": {"errorCode": 50126, "failureReason": "Invalid username or password"},
            "location": {"city": "Oslo", "countryOrRegion": "NO"},
            "isInteractive": True,
        }
    )
    assert (event.error_code, event.succeeded, event.city, event.country) == (
        50126,
        False,
        "Oslo",
        "NO",
    )
    ok = mapping.sign_in({"id": "s2", "createdDateTime": "2026-11-20T08:00:00Z", "status": {}})
    assert ok.succeeded
    assert mapping.sign_in({"id": "s3"}) is None


def test_last_sign_in_never_is_none():
    activity = mapping.last_sign_in(
        {
            "id": "u1",
            "signInActivity": {
                "lastSignInDateTime": "0001-01-01T00:00:00Z",
                "lastSuccessfulSignInDateTime": "2026-11-01T00:00:00Z",
            },
        }
    )
    assert activity.last_sign_in_at is None
    assert activity.last_successful_sign_in_at == dt.datetime(2026, 11, 1, tzinfo=UTC)
    assert mapping.last_sign_in({"id": "u2"}).last_sign_in_at is None


def test_assignment_uses_resource_id_or_the_app_it_was_read_from():
    a = mapping.assignment(
        {
            "id": "as1",
            "principalId": "g1",
            "principalType": "Group",
            "appRoleId": "00000000-0000-0000-0000-000000000000",
        },
        app_entra_id="sp1",
    )
    assert (a.app_entra_id, a.principal_type) == ("sp1", "Group")
    assert mapping.assignment({"id": "as2"}, app_entra_id="sp1") is None
