"""Data lifecycle: deleting an organization removes all of its rows and nobody else's; key
rotation leaves every stored secret readable under the new key alone; raw sign-ins age out while
their daily counts stay."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from tortoise.models import Model

from sync_core import insights, records
from sync_core.crypto import DecryptionError, Vault, generate_key
from sync_core.records import ActorType, AppStage, SyncStatus
from sync_core.settings import SettingsError, load_settings
from sync_core.store import consents, lifecycle, models, organizations, runs, signins, slack_invites
from sync_core.store import slack as slack_store
from tests.insights import tenant as t
from tests.sync import conftest as sync_fixtures

NOW = t.NOW
# A sandbox tenant synced through the real runtime (tests/sync's fixtures), for retention.
tenant, tenant_spec = sync_fixtures.tenant, sync_fixtures.tenant_spec
ADMIN = records.Actor(ActorType.CLI, "pytest", "test suite")
KEY_A, KEY_B = generate_key(), generate_key()


def _installation(token: str, *, team: str | None, enterprise: str | None = None):
    return slack_store.Installation(
        team_id=team,
        enterprise_id=enterprise,
        is_enterprise_install=team is None,
        bot_id="B1",
        bot_user_id="U1",
        bot_token=token,
        bot_refresh_token=f"{token}-refresh",
        installed_at=NOW,
    )


async def populate(name: str, *, team: str, vault: Vault) -> uuid.UUID:
    """An organization with rows in every table, as syncs, people and Slack leave them.

    Every organization connects the same tenant: identical Entra ids on both sides.
    """
    built = await t.build(name)
    org, conn = built.organization.id, built.connection.id
    await insights.derive(connection_id=conn, now=NOW)
    zoom = await built.app_id("Zoom")
    await insights.set_stage(
        organization_id=org, app_id=zoom, stage=AppStage.APPROVED, actor=ADMIN, now=NOW
    )
    run, _ = await runs.request_run(connection_id=conn, trigger="manual", actor=ADMIN)
    await runs.finish(run_id=run.id, status=SyncStatus.SUCCEEDED, now=NOW)
    await slack_store.remember_sync_message(run_id=run.id, team_id=team, channel_id="C1", ts="1.2")
    await consents.create(
        organization_id=org,
        state_hash=uuid.uuid4().hex,
        actor=ADMIN,
        expires_at=NOW + dt.timedelta(hours=1),
        context={},
    )
    invites = [
        await slack_invites.create(
            token=uuid.uuid4().hex, organization_id=org, expires_at=NOW + dt.timedelta(days=7)
        )
        for _ in range(3)
    ]
    # An install under way from an invite link...
    await slack_store.issue_oauth_state(
        state=uuid.uuid4().hex, expires_at=NOW + dt.timedelta(hours=1), invite_id=invites[0].id
    )
    # ...and a workspace install and an org-wide (Enterprise Grid) install that joined with one.
    for install, invite in (
        (_installation(f"xoxb-{name}", team=team), invites[1]),
        (_installation(f"xoxb-{name}-grid", team=None, enterprise=f"E{team}"), invites[2]),
    ):
        await slack_store.install(vault=vault, installation=install, invite_id=invite.id)
    # The workspace table's own (older) bot-token column.
    await models.SlackWorkspace.filter(team_id=team).update(
        bot_token_encrypted=vault.encrypt(f"xoxb-{name}-legacy")
    )
    return org


async def snapshot() -> dict[str, list[dict]]:
    """Every row of every table Tortoise knows."""
    return {
        model._meta.db_table: await model.all().order_by(model._meta.pk_attr).values()
        for model in lifecycle.registered_models()
    }


async def test_deleting_an_organization_removes_its_rows_from_every_table_and_only_those(store):
    vault = Vault([KEY_A])
    kept = await populate("Kept", team="T1", vault=vault)
    before = await snapshot()
    doomed = await populate("Doomed", team="T2", vault=vault)
    grown = {table: len(rows) - len(before[table]) for table, rows in (await snapshot()).items()}
    # The builder must give the doomed organization rows in every table, new tables included.
    assert [table for table, added in grown.items() if added < 1] == sorted(
        m._meta.db_table
        for m in lifecycle.registered_models()
        if m.__name__ in lifecycle.NOT_ORGANIZATION_DATA
    )
    assert await lifecycle.count_organization_rows(organization_id=doomed) == {
        s.table: grown[s.table] for s in lifecycle.deletion_plan()
    }

    removed = await lifecycle.delete_organization(organization_id=doomed, now=NOW)

    assert removed == {s.table: grown[s.table] for s in lifecycle.deletion_plan()}
    assert await snapshot() == before
    assert (await organizations.get_organization(organization_id=kept)).name == "Kept"
    with pytest.raises(organizations.NotFound):
        await lifecycle.delete_organization(organization_id=doomed, now=NOW)


async def test_every_registered_table_is_in_the_plan_before_what_it_refers_to(store):
    plan = [s.model for s in lifecycle.deletion_plan()]
    assert sorted(m._meta.db_table for m in plan) == sorted(
        m._meta.db_table
        for m in lifecycle.registered_models()
        if m.__name__ not in lifecycle.NOT_ORGANIZATION_DATA
    )
    position = {model: i for i, model in enumerate(plan)}
    for model in plan:
        for name in model._meta.fk_fields | model._meta.o2o_fields:
            parent: type[Model] = model._meta.fields_map[name].related_model
            assert position[model] < position[parent], (model, parent)


async def test_unknown_organization_is_a_clear_error(store):
    missing = uuid.uuid4()
    with pytest.raises(organizations.NotFound, match=str(missing)):
        await lifecycle.delete_organization(organization_id=missing, now=NOW)
    with pytest.raises(organizations.NotFound):
        await lifecycle.count_organization_rows(organization_id=missing)


async def test_a_running_sync_blocks_deletion_until_it_goes_silent(store):
    busy = await t.build("Busy")
    run, _ = await runs.request_run(connection_id=busy.connection.id, trigger="manual", actor=ADMIN)
    await runs.mark_running(run_id=run.id, now=NOW)
    org = busy.organization.id

    with pytest.raises(lifecycle.SyncInProgress, match=str(run.id)):
        await lifecycle.delete_organization(organization_id=org, now=NOW + dt.timedelta(minutes=1))
    assert await models.DirectoryUser.filter(connection_id=busy.connection.id).exists()

    # A worker that stopped reporting is dead: its run no longer protects the organization.
    later = NOW + lifecycle.STALE_AFTER + dt.timedelta(seconds=1)
    removed = await lifecycle.delete_organization(organization_id=org, now=later)
    assert removed["sync_run"] == 1 and removed["organization"] == 1


async def _ciphertexts() -> dict[tuple[str, str, object], str]:
    found = {}
    for model, column in lifecycle.encrypted_columns():
        for pk, value in await model.exclude(**{f"{column}__isnull": True}).values_list(
            "id", column
        ):
            found[(model._meta.db_table, column, pk)] = value
    return found


async def test_every_fernet_value_in_the_database_is_in_a_column_rotation_knows(store):
    await populate("Acme", team="T1", vault=Vault([KEY_A]))
    known = {(table, column) for table, column, _ in await _ciphertexts()}
    assert known == {(m._meta.db_table, c) for m, c in lifecycle.encrypted_columns()}
    stray = []
    for model in lifecycle.registered_models():
        for row in await model.all().values():
            stray += [
                (model._meta.db_table, column)
                for column, value in row.items()
                if isinstance(value, str)
                and value.startswith("gAAAAA")
                and (model._meta.db_table, column) not in known
            ]
    assert stray == []


async def test_rotation_makes_the_new_key_alone_read_every_secret_and_is_idempotent(store):
    old = Vault([KEY_A])
    await populate("Acme", team="T1", vault=old)
    plaintext = {where: old.decrypt(value) for where, value in (await _ciphertexts()).items()}
    assert {(table, column) for table, column, _ in plaintext} == {
        ("slack_installation", "bot_token_encrypted"),
        ("slack_installation", "bot_refresh_token_encrypted"),
        ("slack_workspace", "bot_token_encrypted"),
    }

    first = await lifecycle.rotate_ciphertexts(keys=[KEY_B, KEY_A])
    assert sum(r.rotated for r in first) == len(plaintext)
    assert sum(r.already_current for r in first) == 0

    new_only = Vault([KEY_B])
    stored = await _ciphertexts()
    assert {where: new_only.decrypt(value) for where, value in stored.items()} == plaintext
    installed = await slack_store.latest_installation(vault=new_only, team_id="T1")
    assert installed.bot_token == "xoxb-Acme"
    assert installed.bot_refresh_token == "xoxb-Acme-refresh"
    with pytest.raises(DecryptionError):
        await slack_store.latest_installation(vault=old, team_id="T1")

    again = await lifecycle.rotate_ciphertexts(keys=[KEY_B, KEY_A])
    assert [(r.rotated, r.already_current) for r in again] == [(0, r.rotated) for r in first]
    assert await _ciphertexts() == stored


async def test_rotation_without_the_old_key_changes_nothing_and_names_the_row(store):
    await populate("Acme", team="T1", vault=Vault([KEY_A]))
    before = await _ciphertexts()
    with pytest.raises(DecryptionError, match="cannot be decrypted"):
        await lifecycle.rotate_ciphertexts(keys=[KEY_B])
    assert await _ciphertexts() == before


def _old_sign_in(app_id: str, user: str, when: dt.datetime) -> records.SignIn:
    return records.SignIn(
        entra_id=f"old-{uuid.uuid4()}",
        occurred_at=when,
        user_entra_id=user,
        user_principal_name=None,
        app_id=app_id,
        app_display_name=None,
    )


async def test_each_sync_prunes_raw_sign_ins_past_retention_and_keeps_daily_counts(tenant):
    # The runtime is the real one (open_runtime): retention is the default 90 days.
    assert tenant.runtime.settings.sign_in_retention_days == 90
    first = await tenant.sync()
    conn = tenant.connection_id
    app = await models.Application.filter(connection_id=conn, removed_at=None).first()
    user = await models.DirectoryUser.filter(connection_id=conn, removed_at=None).first()
    now = first.finished_at
    ages = {200: 3, 100: 2, 60: 1}  # days ago: sign-ins that day
    await signins.add_sign_ins(
        connection_id=conn,
        events=[
            _old_sign_in(app.app_id, user.entra_id, now - dt.timedelta(days=age, hours=n))
            for age, count in ages.items()
            for n in range(count)
        ],
    )
    recent = await models.SignInEvent.filter(connection_id=conn).count() - sum(ages.values())
    assert recent > 0
    activity = await insights.login_activity(
        organization_id=tenant.organization_id, app_id=app.id, user_id=user.id, days=365, now=now
    )

    await tenant.sync()

    left = models.SignInEvent.filter(connection_id=conn, entra_id__startswith="old-")
    assert [e.date() for e in await left.values_list("occurred_at", flat=True)] == [
        (now - dt.timedelta(days=60)).date()
    ]
    assert await models.SignInEvent.filter(connection_id=conn).count() >= recent + 1
    # Login activity over the pruned days is still answered, from the daily rollup.
    after = await insights.login_activity(
        organization_id=tenant.organization_id, app_id=app.id, user_id=user.id, days=365, now=now
    )
    assert after == activity
    by_day = {c.day: c.successes for c in after}
    for age, count in ages.items():
        assert by_day[(now - dt.timedelta(days=age)).date()] >= count


def test_a_retention_window_inside_entras_30_days_is_refused():
    with pytest.raises(SettingsError, match=r"^APPVENTORY_SIGN_IN_RETENTION_DAYS is invalid"):
        load_settings(_env_file=None, secret_key=KEY_A, sign_in_retention_days=30)
    assert load_settings(_env_file=None, secret_key=KEY_A).sign_in_retention_days == 90
