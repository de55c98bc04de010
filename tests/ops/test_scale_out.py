"""Two workers and a web process on PostgreSQL: concurrent sync requests, a worker killed."""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
import uuid
from collections import defaultdict

import httpx

from sync_core.records import SyncStatus
from sync_core.store import models
from tests.ops.conftest import Cluster, connect_tenants, ground_truth, query, stored_inventory

START_SYNC = 'mutation {{ startSync(tenantId: "{tenant}"{full}) {{ alreadyActive run {{ id }} }} }}'
ENDED = (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL, SyncStatus.FAILED)


def _run_id(global_id: str) -> uuid.UUID:
    """The run's id from its Relay global id (base64 of `SyncRun:<uuid>`)."""
    padded = global_id + "=" * (-len(global_id) % 4)
    return uuid.UUID(base64.b64decode(padded).decode().split(":", 1)[1])


async def _wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await predicate():
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def _all_ended(run_ids: set[uuid.UUID]) -> bool:
    statuses = await models.SyncRun.filter(id__in=run_ids).values_list("status", flat=True)
    return len(statuses) == len(run_ids) and all(s in ENDED for s in statuses)


def _assert_no_overlap(intervals: dict[object, list[tuple]], what: str) -> None:
    for key, spans in intervals.items():
        spans = sorted(spans)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end is not None and end <= start, f"two {what} of {key} at once: {spans}"


async def _no_sync_job_running(database_url: str) -> bool:
    rows = await query(
        database_url,
        "SELECT count(*) AS n FROM procrastinate_jobs "
        "WHERE task_name = 'appventory.sync_run' AND status = 'doing'",
    )
    return rows[0]["n"] == 0


async def _assert_one_job_per_connection_at_a_time(database_url: str) -> None:
    """From the job queue's own event log: executions of one lock never overlap."""
    # A job ends a moment after its run (insights, listeners, then the queue's bookkeeping).
    await _wait_for(lambda: _no_sync_job_running(database_url), timeout=10, what="jobs to end")
    rows = await query(
        database_url,
        "SELECT j.id, j.lock, e.type::text AS type, e.at FROM procrastinate_events e "
        "JOIN procrastinate_jobs j ON j.id = e.job_id "
        "WHERE j.task_name = 'appventory.sync_run' ORDER BY e.at, e.id",
    )
    spans: dict[object, list[tuple]] = defaultdict(list)
    started: dict[int, object] = {}
    for row in rows:
        if row["type"] == "started":
            started[row["id"]] = row["at"]
        elif row["type"] in ("deferred_for_retry", "succeeded", "failed", "aborted"):
            spans[row["lock"]].append((started.pop(row["id"]), row["at"]))
    assert not started, f"jobs still running: {started}"
    _assert_no_overlap(spans, "jobs")


async def _assert_runs_never_overlap(connection_ids) -> None:
    rows = await models.SyncRun.filter(connection_id__in=connection_ids).values_list(
        "connection_id", "started_at", "finished_at"
    )
    spans: dict[object, list[tuple]] = defaultdict(list)
    for connection_id, started, finished in rows:
        spans[connection_id].append((started, finished))
    _assert_no_overlap(spans, "runs")


async def _assert_equal_to_truth(cluster: Cluster, tenant_id: str) -> None:
    stored = await stored_inventory(cluster.connections[tenant_id])
    assert stored == await ground_truth(cluster.sandbox, tenant_id), tenant_id


async def _twenty_requests(cluster: Cluster) -> dict[str, list[dict]]:
    tenants = list(cluster.connections) * 4
    async with httpx.AsyncClient(timeout=30) as http:
        answers = await asyncio.gather(
            *(cluster.graphql(http, START_SYNC.format(tenant=t, full="")) for t in tenants)
        )
    per_tenant: dict[str, list[dict]] = defaultdict(list)
    for tenant, answer in zip(tenants, answers, strict=True):
        per_tenant[tenant].append(answer["startSync"])
    return per_tenant


async def test_two_workers_sync_each_connection_once_at_a_time_and_survive_a_kill(cluster):
    await connect_tenants(cluster, due=False)
    # The release command on a migrated database changes nothing (and runs beside the others).
    migrated, *_ = await asyncio.gather(
        cluster.cli("migrate"), cluster.start_web(), cluster.start_workers(2)
    )
    assert "job queue tables created" not in migrated and "migrations applied" in migrated

    # 20 requests for 5 connections at once, through the GraphQL door.
    per_tenant = await _twenty_requests(cluster)
    run_ids = {_run_id(a["run"]["id"]) for answers in per_tenant.values() for a in answers}
    for tenant, answers in per_tenant.items():
        queued = [a for a in answers if not a["alreadyActive"]]
        assert len(queued) >= 1, (tenant, answers)
    assert len(run_ids) == sum(
        1 for answers in per_tenant.values() for a in answers if not a["alreadyActive"]
    )
    await _wait_for(lambda: _all_ended(run_ids), timeout=60, what="the requested syncs")
    runs = await models.SyncRun.filter(id__in=run_ids)
    assert {r.status for r in runs} == {SyncStatus.SUCCEEDED}
    assert {r.connection_id for r in runs} == set(cluster.connections.values())
    for tenant in cluster.connections:
        await _assert_equal_to_truth(cluster, tenant)
    # Both workers took part.
    assert all("runs sync" in cluster.log(w) for w in ("worker0", "worker1"))

    # A full re-read of a changed tenant; its worker is killed once the run has made progress.
    tenant = next(iter(cluster.connections))
    await cluster.sandbox.churn(
        tenant, users_added=3, users_removed=2, apps_added=1, consents_added=2, signins_added=40
    )
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await cluster.graphql(http, START_SYNC.format(tenant=tenant, full=", full: true"))
    run_id = str(_run_id(answer["startSync"]["run"]["id"]))

    async def running_with_progress() -> str | None:
        run = await models.SyncRun.get(id=run_id)
        if run.status != SyncStatus.RUNNING or not run.checkpoint:
            return None
        return next((w for w in ("worker0", "worker1") if run_id in cluster.log(w)), None)

    victim = await _wait_for(running_with_progress, timeout=30, what="the run to make progress")
    survivor = "worker1" if victim == "worker0" else "worker0"
    killed_at = time.monotonic()
    await cluster.kill(victim)
    await _wait_for(lambda: _all_ended({uuid.UUID(run_id)}), timeout=45, what="the resumed run")
    resumed_after = time.monotonic() - killed_at

    run = await models.SyncRun.get(id=run_id)
    assert run.status == SyncStatus.SUCCEEDED, (run.error_code, run.error_message)
    assert run_id in cluster.log(survivor), "the surviving worker did not take the run over"
    assert "lost its worker: retrying it" in cluster.log(survivor)
    await _assert_equal_to_truth(cluster, tenant)
    await _assert_runs_never_overlap(list(cluster.connections.values()))
    await _assert_one_job_per_connection_at_a_time(cluster.database_url)
    print(f"\nkilled {victim} mid-run; the run finished on {survivor} {resumed_after:.1f} s later")
