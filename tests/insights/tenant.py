"""A small tenant built directly with the store functions, as a sync would write it.

Who is who (NOW = 2026-11-30 12:00 UTC, windows of 30 / 60 days; "week" = this week):

| app              | origin           | how it got in                        | use                |
|------------------|------------------|--------------------------------------|--------------------|
| Microsoft Teams  | Microsoft        | -                                    | ada, bo, cy, week  |
| Zoom             | third party      | admin consent; ada; Sales (ada, bo)  | ada, cy, week      |
| Dropbox Business | third party      | bo and cy consented (Files.Read)     | bo, week           |
| InboxHelper      | unverified       | fay consented (Mail.Read Mail.Send)  | never              |
| Legacy Wiki      | third party      | cy and di assigned (100 days ago)    | cy, 45 days ago    |
| HR Portal        | tenant's own     | ada and bo assigned                  | ada, week          |
| Old CRM          | disabled         | bo assigned                          | bo failed, week    |
| Ghost App        | third party      | di (disabled), ed (removed) assigned | never              |
| Flaky SaaS       | third party      | a group whose members were not read  | 15 ok, 10 failed   |
| Team Board       | third party      | Sales group (ada, bo)                | bo and fay, week   |
| Side Project     | third party      | nothing                              | fay, week          |
| Gone App         | removed          | ada consented                        | never              |
| func-payroll     | managed identity | -                                    | -                  |
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sync_core import insights, records
from sync_core.store import (
    access,
    connections,
    groups,
    inventory,
    models,
    organizations,
    signins,
)

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
TENANT = "11111111-2222-3333-4444-555555555555"
MICROSOFT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
VENDOR = "99999999-0000-0000-0000-000000000001"
TEAMS_APP_ID = "1fec8e78-bce4-4aaf-ab1b-5451cc387264"
_ids = itertools.count(1)


def days_ago(days: float, *, minute: int = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days) + dt.timedelta(minutes=minute)


def app(name: str, *, owner: str | None = VENDOR, **fields) -> records.App:
    slug = name.lower().replace(" ", "-")
    return records.App(
        entra_id=f"sp-{slug}",
        app_id=fields.pop("app_id", f"app-{slug}"),
        display_name=name,
        owner_tenant_id=owner,
        principal_type=fields.pop("principal_type", "Application"),
        account_enabled=fields.pop("account_enabled", True),
        verified_publisher=fields.pop("verified_publisher", "Verified Inc."),
        **fields,
    )


USERS = [
    records.User("u-ada", "Ada", department="Sales", account_enabled=True),
    records.User("u-bo", "Bo", department="Sales", account_enabled=True),
    records.User("u-cy", "Cy", department="Engineering", account_enabled=True),
    records.User("u-di", "Di", department="Engineering", account_enabled=False),
    records.User("u-ed", "Ed", department="Marketing", account_enabled=True),
    records.User("u-fay", "Fay", department="Marketing", account_enabled=True),
]
APPS = [
    app("Microsoft Teams", owner=MICROSOFT, app_id=TEAMS_APP_ID, verified_publisher=None),
    app("Zoom"),
    app("Dropbox Business"),
    app("InboxHelper", verified_publisher=None),
    app("Legacy Wiki"),
    app("HR Portal", owner=TENANT, verified_publisher=None),
    app("Old CRM", account_enabled=False),
    app("Ghost App"),
    app("Flaky SaaS"),
    app("Side Project"),
    app("Team Board"),
    app("Gone App"),
    app("func-payroll", owner=None, principal_type="ManagedIdentity"),
]


def assignment(app_name: str, principal: str, *, kind: str = "User", days: float = 200):
    slug = app_name.lower().replace(" ", "-")
    return records.Assignment(
        entra_id=f"as-{slug}-{principal}",
        app_entra_id=f"sp-{slug}",
        principal_entra_id=principal,
        principal_type=kind,
        created_at=days_ago(days),
    )


def consent(app_name: str, user: str | None, scopes: str) -> records.Grant:
    slug = app_name.lower().replace(" ", "-")
    return records.Grant(
        entra_id=f"gr-{slug}-{user or 'all'}",
        client_entra_id=f"sp-{slug}",
        resource_entra_id="sp-graph",
        consent_type="Principal" if user else "AllPrincipals",
        principal_entra_id=user,
        scopes=tuple(scopes.split()),
    )


def sign_in(app_name: str, user: str, when: dt.datetime, *, error: int = 0) -> records.SignIn:
    found = next(a for a in APPS if a.display_name == app_name)
    return records.SignIn(
        entra_id=f"si-{next(_ids)}",
        occurred_at=when,
        user_entra_id=user,
        user_principal_name=None,
        app_id=found.app_id,
        app_display_name=app_name,
        error_code=error,
        failure_reason="Invalid password" if error else None,
    )


ASSIGNMENTS = [
    assignment("Zoom", "g-sales", kind="Group"),
    assignment("Zoom", "u-ada"),
    assignment("Legacy Wiki", "u-cy", days=100),
    assignment("Legacy Wiki", "u-di", days=100),
    assignment("HR Portal", "u-ada"),
    assignment("HR Portal", "u-bo"),
    assignment("Old CRM", "u-bo"),
    assignment("Ghost App", "u-di"),
    assignment("Ghost App", "u-ed"),
    assignment("Flaky SaaS", "g-all", kind="Group"),
    assignment("Team Board", "g-sales", kind="Group"),
]
# The sync expands assigned groups into their members; g-all's members were never read.
GROUP_MEMBERS = {"g-sales": ("u-ada", "u-bo")}
GRANTS = [
    consent("Zoom", None, "openid profile User.Read"),
    consent("Dropbox Business", "u-bo", "openid Files.Read"),
    consent("Dropbox Business", "u-cy", "openid Files.Read"),
    consent("InboxHelper", "u-fay", "openid Mail.Read Mail.Send"),
    consent("Gone App", "u-ada", "openid Mail.Read"),
]


def sign_ins() -> list[records.SignIn]:
    events = [sign_in("Microsoft Teams", user, days_ago(2)) for user in ("u-ada", "u-bo", "u-cy")]
    events += [sign_in("Zoom", user, days_ago(3)) for user in ("u-ada", "u-cy")]
    events += [
        sign_in("Dropbox Business", "u-bo", days_ago(1)),
        sign_in("Legacy Wiki", "u-cy", days_ago(45)),
        sign_in("HR Portal", "u-ada", days_ago(1)),
        sign_in("Old CRM", "u-bo", days_ago(1), error=7000112),
        sign_in("Side Project", "u-fay", days_ago(4)),
        sign_in("Team Board", "u-bo", days_ago(2)),
        sign_in("Team Board", "u-fay", days_ago(2)),
    ]
    events += [sign_in("Flaky SaaS", "u-cy", days_ago(5, minute=m)) for m in range(15)]
    events += [sign_in("Flaky SaaS", "u-bo", days_ago(6, minute=m), error=50126) for m in range(10)]
    return events


@dataclass
class Tenant:
    organization: records.Organization
    connection: records.Connection

    async def app_id(self, name: str) -> int:
        """Our id of an app, by display name."""
        row = await models.Application.get(connection_id=self.connection.id, display_name=name)
        return row.id

    async def user_id(self, entra_id: str) -> int:
        row = await models.DirectoryUser.get(connection_id=self.connection.id, entra_id=entra_id)
        return row.id

    async def refresh(self, *, now: dt.datetime = NOW, **windows: int) -> None:
        """Compute and store the figures reads use, as derive does after a sync (no events)."""
        scope = {"organization_id": self.organization.id, "connection_id": self.connection.id}
        await insights.refresh_figures(**scope, now=now, **windows)


REMOVED_USER, REMOVED_APP = "u-ed", "Gone App"


async def resync(conn_id, *, seen_at: dt.datetime = NOW, everyone: bool = False) -> None:
    """Write the same directory again, as a sync with no changes does (without who left)."""
    users = [u for u in USERS if everyone or u.entra_id != REMOVED_USER]
    apps = [a for a in APPS if everyone or a.display_name != REMOVED_APP]
    await inventory.upsert_users(connection_id=conn_id, users=users, seen_at=seen_at)
    await inventory.upsert_apps(connection_id=conn_id, apps=apps, seen_at=seen_at)
    await access.upsert_assignments(connection_id=conn_id, assignments=ASSIGNMENTS, seen_at=seen_at)
    await access.upsert_grants(connection_id=conn_id, grants=GRANTS, seen_at=seen_at)
    await groups.upsert_members(
        connection_id=conn_id,
        members=[(g, user) for g, users in GROUP_MEMBERS.items() for user in users],
        seen_at=seen_at,
    )


async def build(name: str = "Acme", tenant_id: str = TENANT) -> Tenant:
    """The tenant of the table above, as of NOW."""
    org, _ = await organizations.create_organization(name=name)
    conn = await connections.add_connection(organization_id=org.id, tenant_id=tenant_id)
    seen = days_ago(120)
    await resync(conn.id, seen_at=seen, everyone=True)
    await signins.add_sign_ins(connection_id=conn.id, events=sign_ins())
    # Ed left: the users delta reported him removed; Gone App was deleted from the tenant.
    await models.DirectoryUser.filter(connection_id=conn.id, entra_id=REMOVED_USER).update(
        removed_at=days_ago(10)
    )
    await models.Application.filter(connection_id=conn.id, display_name=REMOVED_APP).update(
        removed_at=days_ago(10)
    )
    tenant = Tenant(org, conn)
    await tenant.refresh()
    return tenant
