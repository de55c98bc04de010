"""Continuous sync: due connections once per interval, back-off, stalled runs resumed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sync_core import records
from sync_core.records import ActorType, ConnectionStatus, SyncStatus
from sync_core.schedule import MAX_BACKOFF, Scheduler, next_attempt
from sync_core.store import connections, organizations, runs

T0 = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("failures", "interval", "expected"),
    [
        (0, HOUR, T0 + HOUR),
        (1, HOUR, T0 + 2 * HOUR),
        (3, HOUR, T0 + 8 * HOUR),
        (5, HOUR, T0 + MAX_BACKOFF),  # 32 h capped at 24 h
        (40, HOUR, T0 + MAX_BACKOFF),
        (2, dt.timedelta(hours=30), T0 + dt.timedelta(hours=30)),  # never below one interval
        (-1, HOUR, T0 + HOUR),
    ],
)
def test_next_attempt_backs_off_for_failing_connections(failures, interval, expected):
    assert next_attempt(finished_at=T0, interval=interval, failures=failures) == expected


class Recorder:
    def __init__(self) -> None:
        self.submitted: list[uuid.UUID] = []

    async def submit(self, run_id: uuid.UUID) -> None:
        self.submitted.append(run_id)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def _connected(status=ConnectionStatus.CONNECTED):
    org, _ = await organizations.create_organization(name="Acme")
    return await connections.add_connection(
        organization_id=org.id, tenant_id=str(uuid.uuid4()), status=status
    )


async def _finish(scheduler: Scheduler, run_id: uuid.UUID, status: SyncStatus, at: dt.datetime):
    await runs.finish(run_id=run_id, status=status, now=at)
    report, _, _ = await runs.load(run_id=run_id)
    await scheduler.sync_finished(report=report, events=[])


async def test_a_due_connection_is_queued_once_per_interval(store):
    await _connected()
    await _connected(ConnectionStatus.NEEDS_CONSENT)  # not synced on a schedule
    runner, clock = Recorder(), Clock(T0)
    scheduler = Scheduler(runner=runner, interval=HOUR, clock=clock)

    first = await scheduler.tick()
    assert len(first) == 1
    assert await scheduler.tick() == []  # the run is active: nothing queued twice

    await _finish(scheduler, first[0], SyncStatus.SUCCEEDED, T0 + dt.timedelta(minutes=5))
    clock.now = T0 + dt.timedelta(minutes=30)
    assert await scheduler.tick() == []  # not due yet
    clock.now = T0 + dt.timedelta(minutes=66)
    again = await scheduler.tick()
    assert len(again) == 1 and again[0] != first[0]
    assert runner.submitted == first + again


async def test_failing_connections_back_off(store):
    await _connected()
    clock = Clock(T0)
    scheduler = Scheduler(runner=Recorder(), interval=HOUR, clock=clock)
    for attempt in range(3):
        [run_id] = await scheduler.tick()
        await _finish(scheduler, run_id, SyncStatus.FAILED, clock.now)
        clock.now += HOUR * (2 ** (attempt + 1)) - dt.timedelta(minutes=1)
        assert await scheduler.tick() == []  # still backing off
        clock.now += dt.timedelta(minutes=1)


async def test_stalled_runs_are_resubmitted_once(store):
    conn = await _connected()
    run, _ = await runs.request_run(
        connection_id=conn.id, trigger="test", actor=records.Actor(ActorType.CLI)
    )
    await runs.mark_running(run_id=run.id, now=T0)
    await connections.update(connection_id=conn.id, next_sync_at=T0 + HOUR)
    scheduler = Scheduler(
        runner=Recorder(), interval=HOUR, clock=Clock(T0 + dt.timedelta(minutes=6))
    )
    assert await scheduler.tick() == [run.id]
    assert await scheduler.tick() == []  # taken over: its heartbeat was refreshed
