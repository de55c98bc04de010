"""One run, one executor: claiming a queued (or stalled) run is atomic."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from sync_core import records
from sync_core.records import ActorType, SyncStatus
from sync_core.schedule import Scheduler
from sync_core.store import connections, organizations, runs
from sync_core.sync.service import execute, request_sync
from tests.sync.conftest import TESTER

T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)


async def _organization_requests(tenant) -> int:
    # Every execution of a run starts by reading the tenant's /organization, once.
    log = await tenant.sandbox.request_log()
    return sum(1 for r in log if r["path"].endswith("/organization"))


async def _engine_run_or_refused(engine, run_id: uuid.UUID) -> records.SyncReport | None:
    """`appventory sync` resuming a queued run: the engine refuses one another process took."""
    try:
        return await engine.run(run_id)
    except runs.RunTaken:
        return None


@pytest.mark.parametrize("second", ["worker", "cli"])
async def test_two_concurrent_claims_of_one_queued_run_execute_it_once(tenant, second):
    # Queued by startSync with no worker up; then a worker and a second executor (another
    # worker's duplicate job, or `appventory sync` resuming it) start it at the same moment.
    run, queued = await request_sync(
        organization_id=tenant.organization_id, actor=TESTER, runner=None
    )
    assert queued
    engine = tenant.runtime.require_engine()
    await tenant.sandbox.clear_request_log()
    other = (
        execute(engine, run.id) if second == "worker" else _engine_run_or_refused(engine, run.id)
    )

    reports = await asyncio.gather(execute(engine, run.id), other)

    done = [r for r in reports if r is not None]
    assert len(done) == 1, reports
    assert done[0].status is SyncStatus.SUCCEEDED, done[0]
    assert await _organization_requests(tenant) == 1
    assert not await runs.is_active(run_id=run.id)


async def _queued_run() -> uuid.UUID:
    org, _ = await organizations.create_organization(name="Acme")
    conn = await connections.add_connection(organization_id=org.id, tenant_id=str(uuid.uuid4()))
    run, _ = await runs.request_run(
        connection_id=conn.id, trigger="test", actor=records.Actor(ActorType.CLI)
    )
    return run.id


async def test_claims_of_a_queued_run_race_and_one_wins(store):
    run_id = await _queued_run()
    stalled_before = T0 - runs.STALLED_AFTER

    won = await asyncio.gather(
        *(runs.claim(run_id=run_id, now=T0, stalled_before=stalled_before) for _ in range(4))
    )

    assert sorted(won) == [False, False, False, True]
    report, _, _ = await runs.load(run_id=run_id)
    assert (report.status, report.started_at) == (SyncStatus.RUNNING, T0)


async def test_a_running_run_is_claimed_again_only_once_it_stalled_or_was_released(store):
    run_id = await _queued_run()
    assert await runs.claim(run_id=run_id, now=T0, stalled_before=T0 - runs.STALLED_AFTER)
    later = T0 + dt.timedelta(minutes=1)
    assert not await runs.claim(run_id=run_id, now=later, stalled_before=later - runs.STALLED_AFTER)

    await runs.release(run_id=run_id)  # its process was stopped (shutdown, Ctrl-C)
    assert await runs.claim(run_id=run_id, now=later, stalled_before=later - runs.STALLED_AFTER)
    report, _, _ = await runs.load(run_id=run_id)
    assert report.started_at == T0  # a resumed run keeps its start

    await runs.finish(run_id=run_id, status=SyncStatus.SUCCEEDED, now=later)
    much_later = later + dt.timedelta(hours=1)
    assert not await runs.claim(run_id=run_id, now=much_later, stalled_before=much_later)


class Recorder:
    def __init__(self) -> None:
        self.submitted: list[uuid.UUID] = []

    async def submit(self, run_id: uuid.UUID) -> None:
        self.submitted.append(run_id)


async def test_a_stalled_run_the_schedule_hands_again_is_claimed_by_exactly_one(store):
    run_id = await _queued_run()
    assert await runs.claim(run_id=run_id, now=T0, stalled_before=T0 - runs.STALLED_AFTER)
    report, _, _ = await runs.load(run_id=run_id)
    await connections.update(
        connection_id=report.connection_id, next_sync_at=T0 + dt.timedelta(hours=1)
    )
    now = T0 + dt.timedelta(minutes=6)
    ticks = [
        Scheduler(runner=Recorder(), interval=dt.timedelta(hours=1), clock=lambda: now)
        for _ in range(2)
    ]

    handed = await asyncio.gather(*(t.tick() for t in ticks))

    assert sorted(map(len, handed)) == [0, 1]  # two web processes tick: one hands it
    won = await asyncio.gather(
        *(
            runs.claim(run_id=run_id, now=now, stalled_before=now - runs.STALLED_AFTER)
            for _ in range(2)
        )
    )
    assert sorted(won) == [False, True]
