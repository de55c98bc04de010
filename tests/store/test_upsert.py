"""Upserts of Entra objects: the same object updates its row and never duplicates it."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sync_core import records
from sync_core.records import AppStage
from sync_core.store import access, connections, inventory, models, organizations

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


PARIS = dt.timezone(dt.timedelta(hours=1))


def _raw_columns(model: type[models.Model]) -> list[str]:
    names = model._meta.fields_db_projection
    return [names[f] for f in names if f not in ("id", "connection_id")]


async def _stored(model: type[models.Model], connection_id) -> list[dict]:
    """Rows exactly as the database holds them, bypassing the ORM's conversions."""
    conn = model._meta.db
    mark = "$1" if conn.capabilities.dialect == "postgres" else "?"
    columns = ", ".join(_raw_columns(model))
    table = model._meta.db_table
    sql = f"SELECT {columns} FROM {table} WHERE connection_id = {mark} ORDER BY entra_id"
    return [dict(row) for row in await conn.execute_query_dict(sql, [str(connection_id)])]


async def test_upserted_rows_are_stored_exactly_as_tortoise_writes_them(store):
    """The raw upsert binds the same values Tortoise's bulk_create would, on every backend."""
    org, ours = await _connection("aaaaaaaa-0000-0000-0000-000000000000")
    theirs = await connections.add_connection(
        organization_id=org.id, tenant_id="bbbbbbbb-0000-0000-0000-000000000000"
    )
    users = [
        records.User(
            entra_id="u-1",
            display_name="Ada",
            account_enabled=True,
            created_at=dt.datetime(2020, 5, 17, 8, 30, 15, 123456, tzinfo=PARIS),
        ),
        records.User(entra_id="u-2", display_name=None, account_enabled=False, created_at=None),
        records.User(entra_id="u-3", mail="c@x.example", account_enabled=None),
    ]
    apps = [records.App(entra_id="sp-1", app_id="a-1", display_name="Zoom", tags=("x", "y"))]
    await inventory.upsert_users(connection_id=ours.id, users=users, seen_at=T0)
    await inventory.upsert_apps(connection_id=ours.id, apps=apps, seen_at=T0)
    await models.DirectoryUser.bulk_create(
        [
            models.DirectoryUser(
                connection_id=theirs.id,
                entra_id=u.entra_id,
                first_seen_at=T0,
                last_seen_at=T0,
                removed_at=None,
                **inventory._user_values(u),
            )
            for u in users
        ]
    )
    await models.Application.bulk_create(
        [
            models.Application(
                connection_id=theirs.id,
                entra_id="sp-1",
                first_seen_at=T0,
                last_seen_at=T0,
                **inventory._app_values(apps[0]),
            )
        ]
    )
    for model in (models.DirectoryUser, models.Application):
        assert await _stored(model, ours.id) == await _stored(model, theirs.id)


async def test_upserted_rows_read_back_equal_and_datetimes_still_filter_and_sort(store):
    _, conn = await _connection()
    created = dt.datetime(2020, 5, 17, 8, 30, 15, 123456, tzinfo=PARIS)
    users = [
        records.User(entra_id="u-1", display_name="Ada", account_enabled=True, created_at=created),
        records.User(entra_id="u-2", account_enabled=False, created_at=created - dt.timedelta(1)),
        records.User(entra_id="u-3", account_enabled=None, created_at=None),
    ]
    await inventory.upsert_users(connection_id=conn.id, users=users, seen_at=T0)
    await inventory.upsert_users(connection_id=conn.id, users=users[:1], seen_at=T1)

    ada = await models.DirectoryUser.get(entra_id="u-1")
    assert (ada.entra_created_at, ada.account_enabled, ada.mail) == (created, True, None)
    assert ada.entra_created_at.utcoffset() is not None
    assert (ada.first_seen_at, ada.last_seen_at, ada.removed_at) == (T0, T1, None)
    bo = await models.DirectoryUser.get(entra_id="u-2")
    assert bo.account_enabled is False
    by_creation = models.DirectoryUser.filter(entra_created_at__isnull=False)
    assert await by_creation.order_by("entra_created_at").values_list("entra_id", flat=True) == [
        "u-2",
        "u-1",
    ]
    unseen = models.DirectoryUser.filter(last_seen_at__lt=T1).order_by("entra_id")
    assert await unseen.values_list("entra_id", flat=True) == ["u-2", "u-3"]
    # UTC, as the store stores it: on SQLite Tortoise compares datetimes as text, as before.
    since = created.astimezone(dt.UTC)
    assert await models.DirectoryUser.filter(entra_created_at__gte=since).count() == 1
    assert await models.DirectoryUser.filter(account_enabled=False).count() == 1
    app = records.App(entra_id="sp-1", app_id="a-1", display_name="Zoom", tags=("x",))
    await inventory.upsert_apps(connection_id=conn.id, apps=[app], seen_at=T0)
    row = await models.Application.get(entra_id="sp-1")
    assert (row.tags, row.stage, row.seat_cost_amount) == (["x"], None, None)


async def test_updated_counts_only_rows_whose_stored_values_changed(store):
    """A row written again with the values it holds is seen, not updated; every column type
    (text, null, boolean, datetime with an offset, JSON) compares equal to itself."""
    _, conn = await _connection()
    born = dt.datetime(2020, 5, 17, 8, 30, 15, 123456, tzinfo=PARIS)
    users = [
        records.User(entra_id="u-1", display_name="Ada", account_enabled=True, created_at=born),
        records.User(entra_id="u-2", display_name=None, account_enabled=None, created_at=None),
        records.User(entra_id="u-3", display_name="Cy", department="Sales"),
    ]
    apps = [records.App(entra_id="sp-1", app_id="a-1", display_name="Zoom", tags=("x", "y"))]
    await inventory.upsert_users(connection_id=conn.id, users=users, seen_at=T0)
    await inventory.upsert_apps(connection_id=conn.id, apps=apps, seen_at=T0)

    again = await inventory.upsert_users(connection_id=conn.id, users=users, seen_at=T1)
    assert again == records.UpsertCounts(created=0, updated=0)
    assert (await inventory.upsert_apps(connection_id=conn.id, apps=apps, seen_at=T1)).updated == 0
    row = await models.DirectoryUser.get(connection_id=conn.id, entra_id="u-1")
    assert row.last_seen_at == T1  # seen again all the same

    moved = [users[0], users[1], records.User(entra_id="u-3", display_name="Cy", department=None)]
    counts = await inventory.upsert_users(connection_id=conn.id, users=moved, seen_at=T1)
    assert counts == records.UpsertCounts(created=0, updated=1)
    retagged = [records.App(entra_id="sp-1", app_id="a-1", display_name="Zoom", tags=("x",))]
    counts = await inventory.upsert_apps(connection_id=conn.id, apps=retagged, seen_at=T1)
    assert counts.updated == 1


async def test_a_removed_row_seen_again_counts_as_updated(store):
    _, conn = await _connection()
    user = records.User(entra_id="u-1", display_name="Ada")
    await inventory.upsert_users(connection_id=conn.id, users=[user], seen_at=T0)
    await inventory.mark_removed(
        models.DirectoryUser, connection_id=conn.id, entra_ids=["u-1"], at=T1
    )
    counts = await inventory.upsert_users(connection_id=conn.id, users=[user], seen_at=T1)
    assert counts == records.UpsertCounts(created=0, updated=1)


async def test_grant_counts_and_removal_take_the_consent_along(store):
    _, conn = await _connection()
    grants = [
        records.Grant(
            entra_id="gr-1",
            client_entra_id="sp-1",
            resource_entra_id="graph",
            consent_type="Principal",
            principal_entra_id="u-1",
            scopes=("User.Read",),
        ),
        records.Grant(
            entra_id="gr-2",
            client_entra_id="sp-2",
            resource_entra_id="graph",
            consent_type="AllPrincipals",
            principal_entra_id=None,
            scopes=("User.Read", "Mail.Read"),
        ),
    ]
    first = await access.upsert_grants(connection_id=conn.id, grants=grants, seen_at=T0)
    assert (first.created, first.updated) == (2, 0)
    same = await access.upsert_grants(connection_id=conn.id, grants=grants, seen_at=T1)
    assert (same.created, same.updated) == (0, 0)
    rescoped = [grants[0], dataclasses.replace(grants[1], scopes=("User.Read",))]
    counts = await access.upsert_grants(connection_id=conn.id, grants=rescoped, seen_at=T1)
    assert (counts.created, counts.updated) == (0, 1)

    removed = await access.remove_grants(connection_id=conn.id, entra_ids=["gr-1", "gr-9"], at=T1)
    assert removed == ["gr-1"]
    assert await access.remove_grants(connection_id=conn.id, entra_ids=["gr-1"], at=T1) == []
    live = models.AppAccess.filter(connection_id=conn.id, removed_at=None)
    assert await live.count() == 0  # the consent row went with its grant
