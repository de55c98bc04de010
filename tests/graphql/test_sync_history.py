"""Sync history and starting a sync through the API."""

from __future__ import annotations

import datetime as dt

from graphql_api.ids import encode_id
from sync_core.records import SyncStatus
from sync_core.store import connections, organizations, runs

START = """mutation($full: Boolean!) {
  startSync(full: $full) { alreadyActive run { id status full actor { type id } } }
}"""
PAGE = """query($after: String) {
  syncRuns(first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id status } }
  }
}"""


async def _connected():
    org, token = await organizations.create_organization(name="Acme")
    conn = await connections.add_connection(
        organization_id=org.id, tenant_id="cccccccc-0000-0000-0000-000000000003"
    )
    return org, token, conn


async def test_start_sync_queues_once_and_records_the_token_as_actor(api, runner):
    _, token, _ = await _connected()
    first = (await api.query(token.secret, START, full=True))["startSync"]
    second = (await api.query(token.secret, START, full=False))["startSync"]

    assert first["alreadyActive"] is False
    assert first["run"]["status"] == "QUEUED" and first["run"]["full"] is True
    assert first["run"]["actor"] == {"type": "API_TOKEN", "id": str(token.id)}
    assert second == {**first, "alreadyActive": True}
    assert len(runner.submitted) == 1
    trail = await api.query(
        token.secret,
        '{ activities(kinds: ["sync.requested"]) { edges { node { actor { type id } } } } }',
    )
    assert trail["activities"]["edges"] == [
        {"node": {"actor": {"type": "API_TOKEN", "id": str(token.id)}}}
    ]


async def test_sync_runs_page_newest_first_with_stable_cursors(api):
    _, token, conn = await _connected()
    ids = []
    for i in range(5):
        run, _ = await runs.request_run(
            connection_id=conn.id, trigger="test", actor=runs.records.Actor(runs.ActorType.CLI)
        )
        await runs.finish(
            run_id=run.id,
            status=SyncStatus.SUCCEEDED,
            now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(hours=i),
        )
        ids.append(encode_id("SyncRun", run.id))
    seen, after = [], None
    while True:
        page = (await api.query(token.secret, PAGE, after=after))["syncRuns"]
        if after is None:
            assert page["totalCount"] == 5
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        # A run requested meanwhile is newer: it does not shift the pages already handed out.
        await runs.request_run(
            connection_id=conn.id, trigger="test", actor=runs.records.Actor(runs.ActorType.CLI)
        )
    assert seen == list(reversed(ids))
    one = await api.query(
        token.secret, "query($id: ID!) { syncRun(id: $id) { status entities { name } } }", id=ids[0]
    )
    assert one["syncRun"]["status"] == "SUCCEEDED"
