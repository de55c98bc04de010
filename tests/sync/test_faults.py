"""Faults and refusals: the right status and hint, and nothing stored before is lost."""

from __future__ import annotations

import asyncio

import pytest

from sync_core.records import ConnectionStatus, EntityStatus, SyncStatus
from sync_core.store import connections, models
from sync_core.sync import hints
from tests.sync.test_full_and_delta import _assert_equal_to_truth


@pytest.mark.parametrize(
    "faults",
    [
        {"rate_429": 0.3},
        {"rate_503": 0.15, "rate_504": 0.1},
        {"rate_drop": 0.15},
        {"rate_malformed": 0.15},
    ],
    ids=["429-storm", "503-504", "dropped-connections", "malformed-pages"],
)
async def test_transient_faults_are_retried_to_a_complete_sync(tenant, faults):
    await tenant.sandbox.set_faults(**faults)
    report = await tenant.sync()
    assert report.status is SyncStatus.SUCCEEDED, report
    assert report.requests > 0
    if "rate_429" in faults:
        assert report.throttled > 0
        assert report.seconds_waited > 0
    await tenant.sandbox.set_faults(reset=True)
    await _assert_equal_to_truth(tenant)


async def test_retries_running_out_fail_the_entity_and_keep_what_was_stored(tenant):
    await tenant.sync()
    before = await tenant.stored()
    await tenant.sandbox.churn(users_removed=5)
    await tenant.sandbox.set_faults(rate_503=1.0)
    report = await tenant.sync()
    assert report.status is SyncStatus.FAILED
    assert report.hint == hints.BUSY
    assert await tenant.stored() == before


async def test_token_expiry_mid_run_is_refreshed_transparently(tenant):
    await tenant.sync()
    await tenant.sandbox.churn(users_added=3, signins_added=10)
    await tenant.sandbox.set_state(expire_tokens=True)
    report = await tenant.sync()
    assert report.status is SyncStatus.SUCCEEDED, report
    await _assert_equal_to_truth(tenant)


async def test_delta_reset_starts_a_full_round_and_removes_nothing_wrongly(tenant):
    await tenant.sync()
    await tenant.sandbox.churn(users_added=2, users_removed=2)
    await tenant.sandbox.set_state(reset_delta=True)
    report = await tenant.sync()
    assert report.status is SyncStatus.SUCCEEDED, report
    assert report.entity("users").mode == "full"
    await _assert_equal_to_truth(tenant)


async def test_missing_permission_is_partial_with_the_permission_named(tenant):
    await tenant.sync()
    sign_ins = await models.SignInEvent.filter(connection_id=tenant.connection_id).count()
    # Roles change with the next token: tokens already issued keep theirs until they expire.
    await tenant.sandbox.set_state(
        granted_roles=["User.Read.All", "Application.Read.All"], expire_tokens=True
    )
    await tenant.sandbox.churn(signins_added=5)

    report = await tenant.sync()

    assert report.status is SyncStatus.PARTIAL
    assert report.entity("users").status is EntityStatus.SUCCEEDED
    assert report.entity("apps").status is EntityStatus.SUCCEEDED
    failed = report.entity("sign_ins")
    assert failed.status is EntityStatus.FAILED
    assert failed.error_code == "Authorization_RequestDenied"
    assert "AuditLog.Read.All" in failed.hint
    assert report.hint.startswith("Partial data sync")
    state = await connections.sync_state(connection_id=tenant.connection_id)
    assert set(state.connection.permissions) == {"User.Read.All", "Application.Read.All"}
    assert await models.SignInEvent.filter(connection_id=tenant.connection_id).count() == sign_ins


async def test_no_premium_licence_is_partial_and_says_so(tenant):
    await tenant.sandbox.set_state(premium=False)
    report = await tenant.sync()
    assert report.status is SyncStatus.PARTIAL
    assert report.entity("sign_ins").error_code == (
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    )
    assert report.entity("sign_ins").hint == hints.PREMIUM
    assert report.entity("sign_in_activity").status is EntityStatus.SKIPPED
    state = await connections.sync_state(connection_id=tenant.connection_id)
    assert (state.connection.has_premium, state.connection.has_sign_in_data) == (False, False)
    truth = await tenant.truth()
    assert (await tenant.stored())["users"] == truth["users"]


async def test_revoked_consent_fails_the_run_with_the_consent_hint(tenant):
    await tenant.sync()
    before = await tenant.stored()
    await tenant.sandbox.set_state(consented=False, expire_tokens=True)
    report = await tenant.sync()
    assert report.status is SyncStatus.FAILED
    assert report.error_code == "AADSTS700016"
    assert report.hint == hints.SYNC_NOT_STARTING
    state = await connections.sync_state(connection_id=tenant.connection_id)
    assert state.connection.status is ConnectionStatus.NEEDS_CONSENT
    assert await tenant.stored() == before


async def test_a_run_killed_mid_way_resumes_and_ends_equal_to_truth(tenant):
    pages_seen = 0
    started = asyncio.Event()

    def observe(entities):
        nonlocal pages_seen
        pages_seen = entities["sign_ins"].pages
        if pages_seen >= 2:
            started.set()

    from sync_core.sync.service import request_sync
    from tests.sync.conftest import TESTER

    run, _ = await request_sync(organization_id=tenant.organization_id, actor=TESTER, runner=None)
    engine = tenant.runtime.require_engine()
    task = asyncio.create_task(engine.run(run.id, observer=observe))
    await asyncio.wait_for(started.wait(), timeout=30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    again, queued = await request_sync(
        organization_id=tenant.organization_id, actor=TESTER, runner=None
    )
    assert (again.id, queued) == (run.id, False)
    report = await engine.run(run.id)
    assert report.status is SyncStatus.SUCCEEDED, report
    await _assert_equal_to_truth(tenant)


async def test_only_one_active_run_per_connection(tenant):
    from sync_core.sync.service import request_sync
    from tests.sync.conftest import TESTER

    first, queued = await request_sync(
        organization_id=tenant.organization_id, actor=TESTER, runner=None
    )
    second, queued_again = await request_sync(
        organization_id=tenant.organization_id, actor=TESTER, runner=None
    )
    assert (queued, queued_again, second.id) == (True, False, first.id)
