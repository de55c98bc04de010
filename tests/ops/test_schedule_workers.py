"""The schedule on PostgreSQL: two workers, one tick per interval between them."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time

import pytest

from sync_core.records import SyncStatus
from sync_core.store import models
from tests.ops.conftest import connect_tenants, query

INTERVAL = dt.timedelta(seconds=3)
RUNS = 3


@pytest.fixture
def cluster_settings() -> dict:
    return {"tenants": 1, "sync_interval_minutes": INTERVAL.total_seconds() / 60}


async def _finished_runs(connection_id) -> list[models.SyncRun]:
    return await models.SyncRun.filter(connection_id=connection_id, active_key=None).order_by(
        "created_at"
    )


async def test_a_due_connection_is_synced_once_per_interval_across_workers(cluster):
    await connect_tenants(cluster, due=True)
    [connection_id] = cluster.connections.values()
    await cluster.start_workers(2)

    deadline = time.monotonic() + 60
    while len(await _finished_runs(connection_id)) < RUNS:
        assert time.monotonic() < deadline, "the schedule did not sync the connection in time"
        await asyncio.sleep(0.2)

    runs = await _finished_runs(connection_id)
    assert {r.trigger for r in runs} == {"schedule"}
    assert {r.status for r in runs} == {SyncStatus.SUCCEEDED}
    for earlier, later in itertools.pairwise(runs):
        # Booked one interval after the previous run ended, queued at the first tick after that
        # (ticks are 1 s apart; the rest is slack for a busy machine).
        waited = later.created_at - earlier.finished_at
        assert INTERVAL <= waited <= INTERVAL + dt.timedelta(seconds=6), waited
    # Each tick was deferred once, whichever worker's clock got there first.
    doubled = await query(
        cluster.database_url,
        "SELECT args->>'timestamp' AS at, count(*) AS n FROM procrastinate_jobs "
        "WHERE task_name = 'appventory.schedule' GROUP BY 1 HAVING count(*) > 1",
    )
    assert doubled == []
    ticks = await query(
        cluster.database_url,
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE task_name = 'appventory.schedule'",
    )
    assert ticks[0]["n"] >= RUNS
