"""Every run ends: however a pass fails, the run finishes and the store stays usable."""

from __future__ import annotations

import asyncio

from sync_core.records import EntityReport, EntityStatus, SyncStatus
from sync_core.store import runs
from sync_core.sync import hints
from sync_core.sync.service import request_sync
from tests.sync.conftest import TESTER
from tests.sync.test_full_and_delta import _assert_equal_to_truth

# Everything but Directory.Read.All: users, apps, assignments and grants are readable, group
# members are not (Graph wants GroupMember.Read.All or Directory.Read.All for them).
WITHOUT_DIRECTORY = [
    "User.Read.All",
    "Application.Read.All",
    "AuditLog.Read.All",
    "DelegatedPermissionGrant.Read.All",
]


async def _assert_ended_and_store_answers(tenant, report) -> None:
    assert not await runs.is_active(run_id=report.id)
    stored, _, _ = await runs.load(run_id=report.id)
    assert stored.status is report.status and stored.finished_at is not None
    # The store answers at once: no transaction was left open under a cancelled write.
    await asyncio.wait_for(tenant.runtime.store.ping(), timeout=5)
    listed = await asyncio.wait_for(
        runs.list_runs(organization_id=tenant.organization_id), timeout=5
    )
    assert [r.id for r in listed] == [report.id]


async def test_a_graph_error_inside_the_groups_pass_ends_the_run_partial_with_the_hint(tenant):
    await tenant.sandbox.set_state(granted_roles=WITHOUT_DIRECTORY, expire_tokens=True)

    report = await tenant.sync()

    assert report.status is SyncStatus.PARTIAL, report
    for name in ("users", "apps", "assignments", "grants", "sign_ins"):
        assert report.entity(name).status is EntityStatus.SUCCEEDED, report.entity(name)
    failed = report.entity("groups")
    assert failed.status is EntityStatus.FAILED
    assert failed.error_code == "Authorization_RequestDenied"
    assert "Directory.Read.All" in failed.hint
    assert report.error_code == "Authorization_RequestDenied"
    assert report.hint == failed.hint and report.hint.startswith("Partial data sync")
    await _assert_ended_and_store_answers(tenant, report)


async def test_an_unexpected_error_inside_a_pass_ends_the_run_failed(tenant):
    raised = False

    def observe(entities: dict[str, EntityReport]) -> None:
        # The CLI's progress drawing is called from inside every pass: a bug there is an
        # exception that is not Graph's, raised in the assignments pass as it starts.
        nonlocal raised
        if entities["assignments"].status is EntityStatus.RUNNING and not raised:
            raised = True
            raise RuntimeError("progress display broke")

    report = await tenant.sync(observer=observe)

    assert raised
    assert report.status is SyncStatus.FAILED, report
    failed = report.entity("assignments")
    assert failed.status is EntityStatus.FAILED
    assert failed.error_code == "RuntimeError"
    assert "progress display broke" in failed.error
    assert report.hint == hints.for_error(RuntimeError())
    await _assert_ended_and_store_answers(tenant, report)


async def _cancel_after(engine, run_id, *, updates: int) -> None:
    """Run (or resume) it and cancel it at its n-th progress update, unless it ends first."""
    seen = 0
    reached = asyncio.Event()

    def observe(entities: dict[str, EntityReport]) -> None:
        nonlocal seen
        seen += 1
        if seen >= updates:
            reached.set()

    task = asyncio.create_task(engine.run(run_id, observer=observe))
    waiting = asyncio.create_task(reached.wait())
    await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    task.cancel()
    await asyncio.gather(task, waiting, return_exceptions=True)


async def test_stopping_a_run_mid_write_leaves_the_store_answering_and_the_run_resumable(tenant):
    # Shutdown and Ctrl-C cancel a run wherever it is, often amid its passes' writes (Tortoise's
    # SQLite client stayed locked for good when a cancel hit a transaction being opened).
    engine = tenant.runtime.require_engine()
    run, _ = await request_sync(organization_id=tenant.organization_id, actor=TESTER, runner=None)
    for updates in (2, 4, 8, 12, 16, 24, 32):
        await _cancel_after(engine, run.id, updates=updates)
        await asyncio.wait_for(tenant.runtime.store.ping(), timeout=5)
        if not await runs.is_active(run_id=run.id):
            break
    # Released each time: claimable at once by the next executor, not once it counts as stalled.
    if await runs.is_active(run_id=run.id):
        report = await asyncio.wait_for(engine.run(run.id), timeout=30)
        assert report.status is SyncStatus.SUCCEEDED, report
    await _assert_equal_to_truth(tenant)
