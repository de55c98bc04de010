"""Tenant churn: people join, leave and change; apps come and go; consents are given, revoked
and re-scoped; sign-ins happen."""

from __future__ import annotations

import random
from typing import Any

from sandbox.access import Grant, Group, object_key
from sandbox.apps import App, AppKind, long_tail_entry, third_party_app
from sandbox.catalog import BASE_SCOPES, SAAS_CATALOG
from sandbox.directory import Tenant
from sandbox.people import DEPARTMENTS, OFFICES
from sandbox.randomness import guid

CHURN_KINDS = (
    "users_added",
    "users_removed",
    "users_changed",
    "members_added",
    "members_removed",
    "apps_added",
    "apps_removed",
    "consents_added",
    "consents_revoked",
    "grants_changed",
    "signins_added",
)
MEMBERS = frozenset({"members"})
GRANTS = "oauth2PermissionGrants"  # the change log's collection for grants (grants delta)
# Scopes a consent can gain or lose when an app asks for more or an admin trims a grant.
EXTRA_SCOPES = ("Calendars.Read", "Files.Read", "Mail.Read", "Contacts.Read", "Tasks.ReadWrite")


def apply_churn(tenant: Tenant, *, now: float, **counts: int) -> dict[str, Any]:
    """Apply the requested numbers of changes; returns the ids touched, per kind."""
    unknown = set(counts) - set(CHURN_KINDS)
    if unknown:
        raise ValueError(f"unknown churn kinds: {sorted(unknown)}")
    rng = random.Random(
        f"{tenant.spec.seed}:{tenant.seq}:{len(tenant.signins.overlay)}:{len(tenant.grants)}"
    )
    steps = {
        "users_added": _add_user,
        "users_removed": _remove_user,
        "users_changed": _change_user,
        "members_added": _add_member,
        "members_removed": _remove_member,
        "apps_added": _add_app,
        "apps_removed": _remove_app,
        "consents_added": _add_consent,
        "consents_revoked": _revoke_grant,
        "grants_changed": _change_grant,
        "signins_added": _add_sign_in,
    }
    touched: dict[str, list[str]] = {}
    for kind in CHURN_KINDS:
        for _ in range(int(counts.get(kind, 0))):
            found = steps[kind](tenant, rng, now)
            if found is not None:
                touched.setdefault(kind, []).append(found)
    return touched


def _live_user(tenant: Tenant, rng: random.Random) -> int | None:
    if tenant.live_user_count() <= 0:
        return None
    while True:
        i = rng.randrange(tenant.user_total)
        if tenant.is_live_user(i):
            return i


def groups_of(tenant: Tenant, i: int) -> set[str]:
    """The groups user i is a direct member of now."""
    return {g.id for g in tenant.groups if tenant.is_member(g, i)}


def _log_memberships(tenant: Tenant, i: int, before: set[str], *, now: float) -> None:
    """Log the groups user i joined or left (the groups delta reports them as members@delta)."""
    after = groups_of(tenant, i) if tenant.is_live_user(i) else set()
    for group in sorted(after - before):
        tenant.log_change("groups", group, MEMBERS, at=now, member=i)
    for group in sorted(before - after):
        tenant.log_change("groups", group, MEMBERS, at=now, deleted=True, member=i)


def _add_user(tenant: Tenant, rng: random.Random, now: float) -> str:
    i = tenant.add_user(at=now)
    _log_memberships(tenant, i, set(), now=now)
    return tenant.users.user_id(i)


def _remove_user(tenant: Tenant, rng: random.Random, now: float) -> str | None:
    if tenant.live_user_count() <= 1:
        return None
    i = _live_user(tenant, rng)
    assert i is not None
    before = groups_of(tenant, i)
    tenant.removed_users[i] = now
    tenant.log_change("users", i, None, at=now, deleted=True)
    # A deleted user leaves their groups (restoring them within 30 days would bring them back).
    _log_memberships(tenant, i, before, now=now)
    return tenant.users.user_id(i)


def _change_user(tenant: Tenant, rng: random.Random, now: float) -> str | None:
    i = _live_user(tenant, rng)
    if i is None:
        return None
    record = tenant.user_record(i)
    kind = rng.choice(("title", "department", "name", "enabled", "office", "phone"))
    if record["userType"] == "Guest" and kind in ("title", "department", "office"):
        kind = "enabled"
    if kind == "title":
        dept = next(d for d in DEPARTMENTS if d.name == record.get("department"))
        change: dict[str, Any] = {"jobTitle": rng.choice(dept.titles)}
    elif kind == "department":
        dept = rng.choice([d for d in DEPARTMENTS if d.name != record.get("department")])
        change = {"department": dept.name, "jobTitle": rng.choice(dept.titles)}
    elif kind == "name":
        surname = f"{record['surname']}-{rng.choice(('Lee', 'Park', 'Moreau', 'Berg'))}"
        change = {"surname": surname, "displayName": f"{record['givenName']} {surname}"}
    elif kind == "enabled":
        change = {"accountEnabled": not record["accountEnabled"]}
    elif kind == "office":
        change = {"officeLocation": rng.choice(OFFICES).name}
    else:
        change = {"mobilePhone": f"+1 206 555 {rng.randrange(10_000):04d}"}
    before = groups_of(tenant, i)
    tenant.user_changes.setdefault(i, {}).update(change)
    tenant.log_change("users", i, frozenset(change), at=now)
    _log_memberships(tenant, i, before, now=now)  # a move changes department groups
    return tenant.users.user_id(i)


def _ad_hoc_groups(tenant: Tenant) -> list[Group]:
    """Groups people are put in and taken out of by hand (not department or everyone)."""
    return [g for g in tenant.groups if g.department is None and g.share < 1.0]


def _set_member(tenant: Tenant, rng: random.Random, now: float, *, member: bool) -> str | None:
    """Add a live employee to a hand-run group they are not in, or take one out."""
    groups = _ad_hoc_groups(tenant)
    if not groups:
        return None
    for _ in range(1_000):
        group = rng.choice(groups)
        i = _live_user(tenant, rng)
        if i is None:
            return None
        if tenant.users.is_guest(i) or tenant.is_member(group, i) == member:
            continue
        tenant.member_overrides[(group.id, i)] = member
        tenant.log_change("groups", group.id, MEMBERS, at=now, deleted=not member, member=i)
        return f"{group.id}:{tenant.users.user_id(i)}"
    return None


def _add_member(tenant: Tenant, rng: random.Random, now: float) -> str | None:
    return _set_member(tenant, rng, now, member=True)


def _remove_member(tenant: Tenant, rng: random.Random, now: float) -> str | None:
    return _set_member(tenant, rng, now, member=False)


def _add_app(tenant: Tenant, rng: random.Random, now: float) -> str:
    present = {a.name for a in tenant.apps if a.is_live}
    missing = [e for e in SAAS_CATALOG if e.name not in present]
    entry = (
        rng.choice(missing)
        if missing
        else long_tail_entry(tenant.spec.seed, 1_000 + len(tenant.apps))
    )
    app = third_party_app(tenant.spec.seed, entry, created=now)
    known = tenant.app_by_app_id(app.app_id) or next(
        (a for a in tenant.apps if a.app_id == app.app_id), None
    )
    if known is not None:  # re-adding a deleted app: a new service principal object
        app.sp_id = app.record["id"] = guid(tenant.spec.seed, "sp-again", f"{app.app_id}{now}")
    return tenant.add_app(app, log=True).sp_id


def _remove_app(tenant: Tenant, rng: random.Random, now: float) -> str | None:
    candidates = [
        a
        for a in tenant.apps
        if a.is_live
        and a.app_id != tenant.client_id
        and a.kind in (AppKind.THIRD_PARTY, AppKind.TENANT_OWN)
    ]
    if not candidates:
        return None
    app = rng.choice(candidates)
    tenant.remove_app(app, at=now)
    return app.sp_id


def _consentable(tenant: Tenant) -> list[App]:
    return [a for a in tenant.apps if a.is_live and a.consent == "user"]


def _add_consent(tenant: Tenant, rng: random.Random, now: float) -> str | None:
    apps, user = _consentable(tenant), _live_user(tenant, rng)
    if not apps or user is None:
        return None
    app = rng.choice(apps)
    scope = f"{BASE_SCOPES} {app.scopes}".strip()
    grant = Grant(
        object_key(app.sp_id, "consent", user, now),
        app,
        tenant.graph_app.sp_id,
        "Principal",
        user,
        scope,
    )
    tenant.grants.append(grant)
    tenant.log_change(GRANTS, grant.id, None, at=now)
    return grant.id


def _live_grant(tenant: Tenant, rng: random.Random) -> Grant | None:
    """A grant the listing shows (its client and its user, if any, still exist)."""

    def live(g: Grant) -> bool:
        return (
            g.removed_at is None
            and g.client.is_live
            and (g.principal is None or tenant.is_live_user(g.principal))
        )

    for _ in range(1_000):  # most grants are live: a few draws find one
        if not tenant.grants:
            return None
        grant = tenant.grants[rng.randrange(len(tenant.grants))]
        if live(grant):
            return grant
    return next((g for g in tenant.grants if live(g)), None)


def _revoke_grant(tenant: Tenant, rng: random.Random, now: float) -> str | None:
    """A user withdraws a consent, or an admin removes a grant: the grant is deleted."""
    grant = _live_grant(tenant, rng)
    if grant is None:
        return None
    grant.removed_at = now
    tenant.log_change(GRANTS, grant.id, None, at=now, deleted=True)
    return grant.id


def _change_grant(tenant: Tenant, rng: random.Random, now: float) -> str | None:
    """The grant's scope grows by one extra scope, or loses one it had."""
    grant = _live_grant(tenant, rng)
    if grant is None:
        return None
    scopes = grant.scope.split()
    held = [s for s in EXTRA_SCOPES if s in scopes]
    if held and rng.random() < 0.5:
        scopes.remove(rng.choice(held))
    else:
        missing = [s for s in EXTRA_SCOPES if s not in scopes]
        if not missing:
            return None
        scopes.append(rng.choice(missing))
    grant.scope = " ".join(scopes)
    tenant.log_change(GRANTS, grant.id, frozenset({"scope"}), at=now)
    return grant.id


def _add_sign_in(tenant: Tenant, rng: random.Random, now: float) -> str | None:
    user = _live_user(tenant, rng)
    if user is None:
        return None
    app = tenant.signins.app_for(rng.randrange(1 << 40), user, 0)
    newer = [
        a
        for a in tenant.apps
        if a.is_live
        and a.created >= tenant.anchor
        and a.kind is AppKind.THIRD_PARTY
        and a.app_id != tenant.client_id
    ]
    if (newer and rng.random() < 0.3) or not app.is_live:
        app = rng.choice(newer or _consentable(tenant) or tenant.live_apps())
    hit = tenant.signins.add(user=user, app=app, at=now)
    return str(hit.key)
