"""The schedule between a run's end and the booking of the next one (any number of tickers)."""

from __future__ import annotations

import datetime as dt
import uuid

from sync_core.records import ConnectionStatus, SyncStatus
from sync_core.schedule import MAX_BACKOFF, Scheduler
from sync_core.store import connections, organizations, runs

T0 = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


class Recorder:
    def __init__(self) -> None:
        self.submitted: list[uuid.UUID] = []

    async def submit(self, run_id: uuid.UUID) -> None:
        self.submitted.append(run_id)


async def _ended_run_not_yet_booked(clock: list[dt.datetime]) -> tuple[Scheduler, uuid.UUID]:
    """A scheduled run that ended at T0+5 min; its listener has not booked the next one yet."""
    org, _ = await organizations.create_organization(name="Acme")
    conn = await connections.add_connection(
        organization_id=org.id, tenant_id=str(uuid.uuid4()), status=ConnectionStatus.CONNECTED
    )
    scheduler = Scheduler(runner=Recorder(), interval=HOUR, clock=lambda: clock[0])
    await connections.update(connection_id=conn.id, next_sync_at=T0)
    [run_id] = await scheduler.tick()
    # What the engine does when the run ends: the tenant's last sync, then the run closes.
    await connections.update(connection_id=conn.id, last_sync_at=T0 + MINUTE)
    await runs.finish(run_id=run_id, status=SyncStatus.SUCCEEDED, now=T0 + 5 * MINUTE)
    return scheduler, run_id


async def test_a_tick_between_a_runs_end_and_its_booking_queues_nothing(store):
    clock = [T0]
    scheduler, run_id = await _ended_run_not_yet_booked(clock)
    clock[0] = T0 + 5 * MINUTE
    assert await scheduler.tick() == []  # the old booking is spent
    report, _, _ = await runs.load(run_id=run_id)
    await scheduler.sync_finished(report=report, events=[])
    clock[0] = T0 + 64 * MINUTE
    assert await scheduler.tick() == []
    clock[0] = T0 + 66 * MINUTE
    assert len(await scheduler.tick()) == 1


async def test_a_lost_booking_is_made_up_for_after_the_longest_back_off(store):
    clock = [T0]
    scheduler, _ = await _ended_run_not_yet_booked(clock)  # and its process died
    clock[0] = T0 + MAX_BACKOFF
    assert await scheduler.tick() == []
    clock[0] = T0 + MAX_BACKOFF + 2 * HOUR + MINUTE
    # One new run (queued, and at this clock also old enough to count as stalled).
    assert len(set(await scheduler.tick())) == 1


async def test_after_a_first_sync_ends_a_tick_waits_for_its_booking(store):
    org, _ = await organizations.create_organization(name="Acme")
    conn = await connections.add_connection(
        organization_id=org.id, tenant_id=str(uuid.uuid4()), status=ConnectionStatus.CONNECTED
    )
    scheduler = Scheduler(runner=Recorder(), interval=HOUR, clock=lambda: T0)
    [run_id] = await scheduler.tick()  # never synced: due at once
    await connections.update(connection_id=conn.id, last_sync_at=T0)
    await runs.finish(run_id=run_id, status=SyncStatus.SUCCEEDED, now=T0)
    assert await scheduler.tick() == []
