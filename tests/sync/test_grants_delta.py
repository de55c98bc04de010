"""Delegated grants by delta: equal to the sandbox after full, delta and fallback rounds, and
counted as what changed (created / updated / removed), never as what was merely seen again."""

from __future__ import annotations

import uuid
from typing import Any

from sync_core.records import AccessSource, EntityReport, EntityStatus, SyncMode
from sync_core.store import connections, models
from tests.sync.conftest import Tenant


async def _graph_grants(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """Every grant Graph (the sandbox) lists now, by id."""
    token = await tenant.sandbox.token()
    found: dict[str, dict[str, Any]] = {}
    url: str | None = "/v1.0/oauth2PermissionGrants?$top=999"
    while url:
        answer = await tenant.sandbox.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found |= {g["id"]: g for g in body["value"]}
        url = body.get("@odata.nextLink")
    return found


async def _stored_grants(connection_id: uuid.UUID) -> dict[str, tuple]:
    rows = await models.PermissionGrant.filter(
        connection_id=connection_id, removed_at=None
    ).values_list("entra_id", "client_entra_id", "consent_type", "principal_entra_id", "scopes")
    return {entra_id: tuple(rest) for entra_id, *rest in rows}


async def _stored_consents(connection_id: uuid.UUID) -> set[tuple[str, str]]:
    rows = await models.AppAccess.filter(
        connection_id=connection_id, source=AccessSource.CONSENT, removed_at=None
    ).values_list("app_entra_id", "principal_entra_id")
    return set(rows)


async def _assert_grants_equal_graph(tenant: Tenant) -> None:
    """Stored grants are Graph's, field by field; consent rows are its user consents; and the
    counts equal the sandbox's ground truth."""
    graph = await _graph_grants(tenant)
    expected = {
        gid: (g["clientId"], g["consentType"], g["principalId"], g["scope"])
        for gid, g in graph.items()
    }
    assert await _stored_grants(tenant.connection_id) == expected
    consents = {(g["clientId"], g["principalId"]) for g in graph.values() if g["principalId"]}
    assert await _stored_consents(tenant.connection_id) == consents
    truth = (await tenant.truth())["delegated_grants"]
    stored = await tenant.stored()
    assert (stored["grants"], stored["user_consents"]) == (truth["total"], truth["principal"])


def _counts(report: EntityReport) -> tuple[int, int, int]:
    return report.created, report.updated, report.removed


async def _grants_link(tenant: Tenant) -> str | None:
    return (await connections.sync_state(connection_id=tenant.connection_id)).grants_delta_link


async def test_full_then_delta_after_churn_equals_graph(tenant):
    report = await tenant.sync()
    grants = report.entity("grants")
    assert (grants.mode, grants.status) == (SyncMode.FULL, EntityStatus.SUCCEEDED)
    assert grants.created == len(await _graph_grants(tenant)) and grants.updated == 0
    assert "/oauth2PermissionGrants/delta?" in (await _grants_link(tenant) or "")
    await _assert_grants_equal_graph(tenant)

    await tenant.sandbox.churn(
        consents_added=3,
        consents_revoked=2,
        grants_changed=3,
        users_removed=2,
        apps_added=1,
        apps_removed=1,
    )
    report = await tenant.sync()
    grants = report.entity("grants")
    assert (grants.mode, grants.status) == (SyncMode.DELTA, EntityStatus.SUCCEEDED)
    await _assert_grants_equal_graph(tenant)


async def test_a_delta_without_changes_reports_nothing_changed(tenant):
    await tenant.sync()
    # Every change a delta round reports also comes twice: a replay is no change either.
    tenant.sandbox.config.delta_duplicate_rate = 1.0
    report = await tenant.sync()
    for name in ("users", "apps", "grants"):
        entity = report.entity(name)
        assert entity.mode is SyncMode.DELTA, name
        assert _counts(entity) == (0, 0, 0), name
    assert report.entity("grants").pages == 1  # one request, not a re-listing


async def test_a_delta_after_churn_reports_exactly_the_churned_grants(tenant):
    await tenant.sync()
    before = await _graph_grants(tenant)
    tenant.sandbox.config.delta_duplicate_rate = 1.0
    touched = (await tenant.sandbox.churn(consents_added=4, consents_revoked=3, grants_changed=3))[
        "touched"
    ]
    added, revoked = set(touched["consents_added"]), set(touched["consents_revoked"])
    changed = set(touched["grants_changed"])
    assert (changed | revoked) - added <= set(before)  # churn touched stored grants

    report = await tenant.sync()

    grants = report.entity("grants")
    assert grants.mode is SyncMode.DELTA
    assert _counts(grants) == (
        len(added - revoked),
        len(changed - added - revoked),
        len(revoked - added),
    )
    assert grants.fetched > len(added | revoked | changed)  # the replays were read, not counted
    await _assert_grants_equal_graph(tenant)


async def test_an_expired_delta_token_falls_back_to_a_full_round_keeping_the_data(tenant):
    await tenant.sync()
    first_seen = dict(
        await models.PermissionGrant.filter(connection_id=tenant.connection_id).values_list(
            "entra_id", "first_seen_at"
        )
    )
    stale = await _grants_link(tenant)
    touched = (await tenant.sandbox.churn(consents_revoked=2, grants_changed=2))["touched"]
    await tenant.sandbox.control(
        "POST", f"tenants/{tenant.sandbox.tenant_id}/state", {"reset_delta": True}
    )

    report = await tenant.sync()

    grants = report.entity("grants")
    assert (grants.mode, grants.status) == (SyncMode.FULL, EntityStatus.SUCCEEDED)
    revoked = set(touched["consents_revoked"])
    assert _counts(grants) == (0, len(set(touched["grants_changed"]) - revoked), len(revoked))
    await _assert_grants_equal_graph(tenant)
    kept = await models.PermissionGrant.filter(connection_id=tenant.connection_id).values_list(
        "entra_id", "first_seen_at"
    )
    assert dict(kept) == first_seen  # the same rows, updated in place: nothing re-created
    fresh = await _grants_link(tenant)
    assert fresh and fresh != stale
    report = await tenant.sync()
    assert report.entity("grants").mode is SyncMode.DELTA
    assert _counts(report.entity("grants")) == (0, 0, 0)


async def _stored_users(connection_id: uuid.UUID) -> dict[str, tuple]:
    rows = await models.DirectoryUser.filter(connection_id=connection_id).values_list(
        "entra_id", "display_name", "job_title", "department", "account_enabled", "removed_at"
    )
    return {entra_id: tuple(rest) for entra_id, *rest in rows}


async def test_users_updated_counts_the_rows_that_changed(tenant):
    await tenant.sync()
    before = await _stored_users(tenant.connection_id)
    tenant.sandbox.config.delta_duplicate_rate = 1.0
    await tenant.sandbox.churn(users_changed=8)

    report = await tenant.sync()

    after = await _stored_users(tenant.connection_id)
    differ = sum(before[k] != after[k] for k in before)
    users = report.entity("users")
    assert (users.created, users.updated, users.removed) == (0, differ, 0)
    assert users.fetched > differ  # replays and changes outside our $select were read
