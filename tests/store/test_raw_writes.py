"""Batched writes through the raw driver (executemany on SQLite, COPY on PostgreSQL).

They must store exactly what Tortoise's ORM stored (same rows, same values, same row order), report
the same counts, and leave the store as it was when a batch fails part-way.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from tortoise.exceptions import ValidationError
from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.records import AccessSource
from sync_core.store import (
    access,
    connections,
    groups,
    inventory,
    models,
    organizations,
    signins,
)

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(hours=1)
PARIS = dt.timezone(dt.timedelta(hours=1))
KEYS = {
    models.DirectoryUser: ("entra_id",),
    models.Application: ("entra_id",),
    models.PermissionGrant: ("entra_id",),
    models.AppAccess: ("app_entra_id", "principal_entra_id", "source"),
    models.GroupMember: ("group_entra_id", "member_entra_id"),
    models.SignInEvent: ("entra_id",),
    models.UsageDaily: ("app_id", "user_entra_id", "day"),
}


async def _tenants(*names: str) -> list[Any]:
    org, _ = await organizations.create_organization(name="Acme")
    return [
        await connections.add_connection(organization_id=org.id, tenant_id=f"{name}-tenant")
        for name in names
    ]


def _dialect() -> str:
    return models.DirectoryUser._meta.db.capabilities.dialect


async def _stored(model: type[models.Model], connection_id: Any) -> list[dict]:
    """A tenant's rows exactly as the database holds them (no ORM conversion), in key order."""
    names = model._meta.fields_db_projection
    columns = ", ".join(c for f, c in names.items() if f not in ("id", "connection_id"))
    order = ", ".join(KEYS[model])
    mark = "$1" if _dialect() == "postgres" else "?"
    table = model._meta.db_table
    sql = f"SELECT {columns} FROM {table} WHERE connection_id = {mark} ORDER BY {order}"
    return [dict(r) for r in await model._meta.db.execute_query_dict(sql, [str(connection_id)])]


async def _in_id_order(model: type[models.Model], connection_id: Any) -> list[tuple]:
    mark = "$1" if _dialect() == "postgres" else "?"
    keys = ", ".join(KEYS[model])
    sql = f"SELECT {keys} FROM {model._meta.db_table} WHERE connection_id = {mark} ORDER BY id"
    rows = await model._meta.db.execute_query_dict(sql, [str(connection_id)])
    return [tuple(r.values()) for r in rows]


async def _snapshot(connection_id: Any) -> dict[str, list[dict]]:
    return {m.__name__: await _stored(m, connection_id) for m in KEYS}


# What the store wrote before the raw path: model objects through Tortoise's bulk_create.
async def _orm_upsert(
    model: type[models.Model],
    connection_id: Any,
    keys: tuple[str, ...],
    rows: dict[tuple, dict],
    update: tuple[str, ...],
    seen_at: dt.datetime,
) -> None:
    objects = [
        model(
            connection_id=connection_id,
            **dict(zip(keys, key, strict=True)),
            **values,
            first_seen_at=seen_at,
            last_seen_at=seen_at,
            removed_at=None,
        )
        for key, values in rows.items()
    ]
    await model.bulk_create(
        objects,
        on_conflict=["connection_id", *keys],
        update_fields=[*update, *inventory.SEEN_FIELDS],
    )


async def _orm_sign_ins(connection_id: Any, events: list[records.SignIn]) -> None:
    unique = {e.entra_id: e for e in events}
    stored = set(
        await models.SignInEvent.filter(
            connection_id=connection_id, entra_id__in=list(unique)
        ).values_list("entra_id", flat=True)
    )
    new = [e for key, e in unique.items() if key not in stored]
    await models.SignInEvent.bulk_create(
        [
            models.SignInEvent(
                connection_id=connection_id,
                **{name: getattr(e, name) for name in signins.SIGN_IN_FIELDS},
            )
            for e in new
        ],
        ignore_conflicts=True,
    )
    counts: Counter[tuple] = Counter()
    for e in new:
        if e.app_id and e.user_entra_id:
            counts[(e.app_id, e.user_entra_id, e.occurred_at.date(), e.succeeded)] += 1
    for (app_id, user, day, succeeded), n in counts.items():
        row, _ = await models.UsageDaily.get_or_create(
            connection_id=connection_id, app_id=app_id, user_entra_id=user, day=day
        )
        if succeeded:
            row.successes += n
        else:
            row.failures += n
        await row.save()


USERS = [
    records.User(
        entra_id="u-1",
        display_name="Ada",
        mail="ada@x.example",
        account_enabled=True,
        created_at=dt.datetime(2020, 5, 17, 8, 30, 15, 123456, tzinfo=PARIS),
    ),
    records.User(entra_id="u-2", display_name=None, account_enabled=False, created_at=None),
    records.User(
        entra_id="u-3",
        job_title="CTO",
        department="R&D",
        account_enabled=None,
        created_at=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
    ),
]
MOVED = [
    records.User(entra_id="u-3", job_title="CEO", account_enabled=True),
    records.User(entra_id="u-4", display_name="Élodie ✓", user_principal_name="e@x.example"),
    records.User(entra_id="u-1", display_name="Ada L.", account_enabled=False),
]
APPS = [
    records.App(
        entra_id="sp-1",
        app_id="a-1",
        display_name="Zoom",
        tags=("x", "y"),
        account_enabled=True,
        homepage="https://zoom.example",
    ),
    records.App(entra_id="sp-2", app_id="a-2", display_name="Slack", principal_type="Application"),
]
ASSIGNMENTS = [
    records.Assignment(
        entra_id="as-1",
        app_entra_id="sp-1",
        principal_entra_id="u-1",
        principal_type="User",
        app_role_id="r-1",
        created_at=dt.datetime(2024, 2, 3, 4, 5, 6, tzinfo=PARIS),
    ),
    records.Assignment(
        entra_id="as-2",
        app_entra_id="sp-1",
        principal_entra_id="g-1",
        principal_type="Group",
        app_role_id=None,
        created_at=None,
    ),
]
GRANTS = [
    records.Grant(
        entra_id="gr-1",
        client_entra_id="sp-1",
        resource_entra_id="graph",
        consent_type="AllPrincipals",
        principal_entra_id=None,
        scopes=("User.Read",),
    ),
    records.Grant(
        entra_id="gr-2",
        client_entra_id="sp-2",
        resource_entra_id="graph",
        consent_type="Principal",
        principal_entra_id="u-2",
        scopes=("Mail.Read", "offline_access"),
    ),
]


def _sign_in(entra_id: str, at: dt.datetime, **overrides: Any) -> records.SignIn:
    values: dict[str, Any] = {
        "entra_id": entra_id,
        "occurred_at": at,
        "user_entra_id": "u-1",
        "user_principal_name": "ada@x.example",
        "app_id": "a-1",
        "app_display_name": "Zoom",
        "client_app_used": "Browser",
        "ip_address": "203.0.113.7",
        "city": "Paris",
        "country": "FR",
    }
    return records.SignIn(**{**values, **overrides})


SIGN_INS = [
    _sign_in("s-1", T0),
    _sign_in("s-2", T0 + dt.timedelta(minutes=5), error_code=50126, failure_reason="Bad password"),
    # 00:30 in Paris is the day before in UTC: the rollup counts it on the event's own date.
    _sign_in("s-3", dt.datetime(2026, 11, 2, 0, 30, tzinfo=PARIS), is_interactive=False),
    _sign_in("s-4", T0, app_id=None, user_entra_id=None, resource_id="graph"),
    _sign_in("s-1", T0, city="Lyon"),  # a duplicate within the batch: the last one is kept
]
MEMBERS = [("g-2", "u-2"), ("g-2", "u-3")]
LATER_SIGN_INS = [_sign_in("s-2", T0), _sign_in("s-5", T1), _sign_in("s-6", T1, error_code=1)]


async def _write_ours(connection_id: Any) -> list[Any]:
    """Two rounds (inserts, then updates and overlap) through the store; returns what it said."""
    said = []
    for users, apps, at in ((USERS, APPS, T0), (MOVED, APPS[:1], T1)):
        said.append(
            await inventory.upsert_users(connection_id=connection_id, users=users, seen_at=at)
        )
        said.append(await inventory.upsert_apps(connection_id=connection_id, apps=apps, seen_at=at))
        said.append(
            await access.upsert_assignments(
                connection_id=connection_id, assignments=ASSIGNMENTS, seen_at=at
            )
        )
        said.append(
            await groups.upsert_members(connection_id=connection_id, members=MEMBERS, seen_at=at)
        )
        said.append(
            await access.upsert_grants(connection_id=connection_id, grants=GRANTS, seen_at=at)
        )
    for batch in (SIGN_INS, LATER_SIGN_INS):
        new = await signins.add_sign_ins(connection_id=connection_id, events=batch)
        said.append([e.entra_id for e in new])
    return said


async def _write_orm(connection_id: Any) -> None:
    for users, apps, at in ((USERS, APPS, T0), (MOVED, APPS[:1], T1)):
        user_rows = {(u.entra_id,): inventory._user_values(u) for u in users}
        await _orm_upsert(
            models.DirectoryUser, connection_id, ("entra_id",), user_rows, inventory.USER_FIELDS, at
        )
        app_rows = {(a.entra_id,): inventory._app_values(a) for a in apps}
        await _orm_upsert(
            models.Application, connection_id, ("entra_id",), app_rows, inventory.APP_FIELDS, at
        )
        assigned = {
            (a.app_entra_id, a.principal_entra_id, AccessSource.ASSIGNMENT.value): {
                "principal_type": a.principal_type,
                "source_entra_id": a.entra_id,
                "app_role_id": a.app_role_id,
                "granted_at": a.created_at,
            }
            for a in ASSIGNMENTS
        }
        members: dict[tuple, dict] = {pair: {} for pair in MEMBERS}
        consents = {
            ("sp-2", "u-2", AccessSource.CONSENT.value): {
                "principal_type": "User",
                "source_entra_id": "gr-2",
                "app_role_id": None,
                "granted_at": None,
            }
        }
        grants = {
            (g.entra_id,): {
                "client_entra_id": g.client_entra_id,
                "resource_entra_id": g.resource_entra_id,
                "consent_type": g.consent_type,
                "principal_entra_id": g.principal_entra_id,
                "scopes": " ".join(g.scopes),
            }
            for g in GRANTS
        }
        await _orm_upsert(
            models.AppAccess, connection_id, access.ACCESS_KEYS, assigned, access.ACCESS_FIELDS, at
        )
        await _orm_upsert(models.GroupMember, connection_id, groups.MEMBER_KEYS, members, (), at)
        await _orm_upsert(
            models.PermissionGrant, connection_id, ("entra_id",), grants, access.GRANT_FIELDS, at
        )
        await _orm_upsert(
            models.AppAccess, connection_id, access.ACCESS_KEYS, consents, access.ACCESS_FIELDS, at
        )
    for batch in (SIGN_INS, LATER_SIGN_INS):
        await _orm_sign_ins(connection_id, batch)


async def test_raw_writes_store_exactly_what_the_orm_stored(store):
    ours, orm = await _tenants("ours", "orm")
    said = await _write_ours(ours.id)
    await _write_orm(orm.id)

    assert await _snapshot(ours.id) == await _snapshot(orm.id)
    for model in KEYS:  # rows are numbered in batch order, as the ORM numbered them
        if model is not models.UsageDaily:  # the old rollup wrote in set order
            assert await _in_id_order(model, ours.id) == await _in_id_order(model, orm.id)
    users, apps, assigned, grouped, grants = said[0:5]
    assert (users, users.created_keys) == (
        records.UpsertCounts(3, 0),
        [("u-1",), ("u-2",), ("u-3",)],
    )
    assert [apps, assigned, grouped, grants] == [records.UpsertCounts(2, 0)] * 4
    moved = said[5]
    assert (moved, moved.created_keys) == (records.UpsertCounts(1, 2), [("u-4",)])
    # Written again with the values they hold: seen, not updated.
    assert said[6:10] == [records.UpsertCounts(0, 0)] * 4
    assert said[10:] == [["s-1", "s-2", "s-3", "s-4"], ["s-5", "s-6"]]
    usage = await _stored(models.UsageDaily, ours.id)
    assert sum(r["successes"] + r["failures"] for r in usage) == 5  # all but s-4 (no app, user)


async def test_the_rollup_counts_each_sign_in_once_across_overlapping_batches(store):
    (conn,) = await _tenants("ours")
    first = await signins.add_sign_ins(connection_id=conn.id, events=SIGN_INS)
    again = await signins.add_sign_ins(connection_id=conn.id, events=SIGN_INS + LATER_SIGN_INS)
    assert [e.entra_id for e in first] == ["s-1", "s-2", "s-3", "s-4"]
    assert [e.entra_id for e in again] == ["s-5", "s-6"]
    usage = {
        (r["app_id"], str(r["day"])): (r["successes"], r["failures"])
        for r in await _stored(models.UsageDaily, conn.id)
    }
    assert usage == {("a-1", "2026-11-01"): (2, 2), ("a-1", "2026-11-02"): (1, 0)}


async def test_batches_inside_one_outer_transaction_are_all_stored(store):
    (conn,) = await _tenants("ours")
    async with in_transaction():
        first = await inventory.upsert_users(connection_id=conn.id, users=USERS, seen_at=T0)
        second = await inventory.upsert_users(connection_id=conn.id, users=MOVED, seen_at=T1)
        new = await signins.add_sign_ins(connection_id=conn.id, events=SIGN_INS)
        more = await signins.add_sign_ins(connection_id=conn.id, events=LATER_SIGN_INS)
    assert (first, second) == (records.UpsertCounts(3, 0), records.UpsertCounts(1, 2))
    assert (len(new), len(more)) == (4, 2)
    assert await models.DirectoryUser.filter(connection_id=conn.id).count() == 4
    assert await models.SignInEvent.filter(connection_id=conn.id).count() == 6


async def test_a_value_too_long_for_its_column_is_refused_as_the_orm_refused_it(store):
    (conn,) = await _tenants("ours")
    too_long = records.User(entra_id="u-9", display_name="x" * 257)
    with pytest.raises(ValidationError):
        await inventory.upsert_users(connection_id=conn.id, users=[USERS[0], too_long], seen_at=T0)
    assert await models.DirectoryUser.filter(connection_id=conn.id).count() == 0


# A trigger that fails one chosen row, so a batch fails after earlier rows were written.
SQLITE_BOOM = (
    "CREATE TRIGGER boom_{table} BEFORE INSERT ON {table} WHEN NEW.{column} = '{value}' "
    "BEGIN SELECT RAISE(ABORT, 'boom'); END"
)
POSTGRES_BOOM = (
    "CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'boom'; END $$; "
    "CREATE TRIGGER boom_{table} BEFORE INSERT ON {table} FOR EACH ROW "
    "WHEN (NEW.{column} = '{value}') EXECUTE FUNCTION boom()"
)
BOOMS = (
    ("directory_user", "entra_id", "u-boom"),
    ("usage_daily", "app_id", "a-boom"),
    ("app_access", "principal_entra_id", "u-boom"),
)


async def _arm(db: Any) -> None:
    template = POSTGRES_BOOM if _dialect() == "postgres" else SQLITE_BOOM
    for table, column, value in BOOMS:
        await db.execute_script(template.format(table=table, column=column, value=value))


async def _disarm(db: Any) -> None:
    for table, *_ in BOOMS:
        on = f" ON {table}" if _dialect() == "postgres" else ""
        await db.execute_script(f"DROP TRIGGER IF EXISTS boom_{table}{on}")
    if _dialect() == "postgres":
        await db.execute_script("DROP FUNCTION IF EXISTS boom()")


async def test_a_batch_failing_part_way_leaves_the_store_as_it_was(store):
    (conn,) = await _tenants("ours")
    await _write_ours(conn.id)
    before = await _snapshot(conn.id)
    db = models.DirectoryUser._meta.db
    await _arm(db)
    try:
        # Each failing row comes after rows that were already written in its batch.
        users = [*MOVED, records.User(entra_id="u-5"), records.User(entra_id="u-boom")]
        with pytest.raises(Exception, match="boom"):
            await inventory.upsert_users(connection_id=conn.id, users=users, seen_at=T1)
        events = [_sign_in("s-7", T1), _sign_in("s-8", T1, app_id="a-boom")]
        with pytest.raises(Exception, match="boom"):
            await signins.add_sign_ins(connection_id=conn.id, events=events)
        consent = records.Grant(
            entra_id="gr-3",
            client_entra_id="sp-1",
            resource_entra_id="graph",
            consent_type="Principal",
            principal_entra_id="u-boom",
        )
        with pytest.raises(Exception, match="boom"):
            await access.upsert_grants(connection_id=conn.id, grants=[*GRANTS, consent], seen_at=T1)
    finally:
        await _disarm(db)
    assert await _snapshot(conn.id) == before

    # The next batch goes through (nothing half-done is left on the connection).
    counts = await inventory.upsert_users(connection_id=conn.id, users=users, seen_at=T1)
    assert counts == records.UpsertCounts(created=2, updated=0)  # MOVED is stored already
    new = await signins.add_sign_ins(connection_id=conn.id, events=events)
    assert [e.entra_id for e in new] == ["s-7", "s-8"]
