"""The figures a sync's derive stores after a delta equal a derive from scratch: nothing derive
stored before (figures, department seats, departments, overlaps) leaks into the next one."""

from __future__ import annotations

import uuid
from typing import Any

from sync_core import insights
from sync_core.store.insights import sql as insight_sql
from sync_core.store.insights.figure_writes import TABLES
from tests.insights.test_stored_figures import CHURN
from tests.sync.conftest import tenant, tenant_spec  # noqa: F401 - the sandbox tenant fixtures


async def _stored(connection_id: uuid.UUID) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored figure row of a tenant, without row ids, in a stable order."""
    scope = [insight_sql.db_uuid(connection_id)]
    stored = {}
    for table in (*TABLES, "app_insight"):
        where = "connection_id = ?"
        if table == "app_insight":
            where = "application_id IN (SELECT id FROM application WHERE connection_id = ?)"
        rows = await insight_sql.fetch(f"SELECT * FROM {table} WHERE {where}", scope)
        stored[table] = sorted(
            (tuple((k, v) for k, v in sorted(row.items()) if k != "id") for row in rows), key=repr
        )
    return stored


async def _forget_figures(connection_id: uuid.UUID) -> None:
    for table in TABLES:
        await insight_sql.fetch(
            f"DELETE FROM {table} WHERE connection_id = ?",
            [insight_sql.db_uuid(connection_id)],
        )


async def test_derive_after_a_delta_sync_equals_a_derive_from_scratch(tenant):  # noqa: F811
    await tenant.sync()
    await tenant.sandbox.churn(**CHURN)
    await tenant.sync()
    after_delta = await _stored(tenant.connection_id)
    assert after_delta["app_figures"] and after_delta["app_department_seats"]
    assert after_delta["department_figures"] and after_delta["overlap_figures"]
    [computed_at] = {dict(row)["computed_at"] for row in after_delta["app_figures"]}

    await _forget_figures(tenant.connection_id)
    events = await insights.derive(
        connection_id=tenant.connection_id, now=insight_sql.as_datetime_required(computed_at)
    )

    assert events == []  # verdicts were already remembered: nothing new to announce
    assert await _stored(tenant.connection_id) == after_delta
