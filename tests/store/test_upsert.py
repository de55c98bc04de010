"""Upserts of Entra objects: the same object updates its row and never duplicates it."""

from __future__ import annotations

import datetime as dt

from sync_core import records
from sync_core.records import AppStage
from sync_core.store import connections, inventory, models, organizations

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(hours=1)


async def _connection(tenant: str = "11111111-1111-1111-1111-111111111111"):
    org, _ = await organizations.create_organization(name="Acme")
    return org, await connections.add_connection(organization_id=org.id, tenant_id=tenant)


async def test_same_user_twice_updates_and_never_duplicates(store):
    org, conn = await _connection()
    first = records.User(entra_id="u-1", display_name="Ada", department="Finance")
    counts = await inventory.upsert_users(connection_id=conn.id, users=[first], seen_at=T0)
    assert counts == records.UpsertCounts(created=1, updated=0)

    moved = records.User(entra_id="u-1", display_name="Ada L.", department="Engineering")
    counts = await inventory.upsert_users(connection_id=conn.id, users=[moved], seen_at=T1)

    assert counts == records.UpsertCounts(created=0, updated=1)
    assert await inventory.list_users(organization_id=org.id) == [moved]
    row = await models.DirectoryUser.get(connection_id=conn.id, entra_id="u-1")
    assert (row.first_seen_at, row.last_seen_at) == (T0, T1)


async def test_duplicates_within_one_batch_are_stored_once(store):
    org, conn = await _connection()
    batch = [
        records.User(entra_id="u-1", display_name="old"),
        records.User(entra_id="u-1", display_name="new"),
        records.User(entra_id="u-2", display_name="Bo"),
    ]
    counts = await inventory.upsert_users(connection_id=conn.id, users=batch, seen_at=T0)
    assert counts == records.UpsertCounts(created=2, updated=0)
    names = [u.display_name for u in await inventory.list_users(organization_id=org.id)]
    assert names == ["Bo", "new"]


async def test_app_upsert_keeps_the_stage_people_set(store):
    _, conn = await _connection()
    app = records.App(entra_id="sp-1", app_id="a-1", display_name="Zoom")
    await inventory.upsert_apps(connection_id=conn.id, apps=[app], seen_at=T0)
    await models.Application.filter(entra_id="sp-1").update(stage=AppStage.APPROVED)

    renamed = records.App(entra_id="sp-1", app_id="a-1", display_name="Zoom Workplace")
    counts = await inventory.upsert_apps(connection_id=conn.id, apps=[renamed], seen_at=T1)

    row = await models.Application.get(entra_id="sp-1")
    assert counts.updated == 1
    assert (row.display_name, row.stage, row.first_seen_at) == ("Zoom Workplace", "approved", T0)
    assert await models.Application.all().count() == 1


async def test_same_entra_id_in_two_tenants_is_two_rows(store):
    org, a = await _connection("aaaaaaaa-0000-0000-0000-000000000000")
    b = await connections.add_connection(
        organization_id=org.id, tenant_id="bbbbbbbb-0000-0000-0000-000000000000"
    )
    user = records.User(entra_id="u-1", display_name="Ada")
    await inventory.upsert_users(connection_id=a.id, users=[user], seen_at=T0)
    counts = await inventory.upsert_users(connection_id=b.id, users=[user], seen_at=T0)
    assert counts.created == 1
    assert len(await inventory.list_users(organization_id=org.id, connection_id=b.id)) == 1


async def test_soft_delete_keeps_history_and_a_returning_user_is_restored(store):
    org, conn = await _connection()
    users = [
        records.User(entra_id="u-1", display_name="Ada"),
        records.User(entra_id="u-2", display_name="Bo"),
    ]
    await inventory.upsert_users(connection_id=conn.id, users=users, seen_at=T0)
    await inventory.upsert_users(connection_id=conn.id, users=users[:1], seen_at=T1)

    removed = await inventory.mark_unseen_removed(
        models.DirectoryUser, connection_id=conn.id, round_started_at=T1, removed_at=T1
    )
    assert removed == ["u-2"]
    assert [u.entra_id for u in await inventory.list_users(organization_id=org.id)] == ["u-1"]
    history = await inventory.list_users(organization_id=org.id, include_removed=True)
    assert {u.entra_id for u in history} == {"u-1", "u-2"}

    await inventory.upsert_users(connection_id=conn.id, users=users[1:], seen_at=T1)
    assert len(await inventory.list_users(organization_id=org.id)) == 2
