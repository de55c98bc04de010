"""Ground truth of a tenant: what a correct sync must end up with (counts, usage, shadow IT)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sandbox.apps import App, AppKind
from sandbox.clock import iso
from sandbox.directory import Tenant
from sandbox.signins import Hit

DAY = 86_400.0


class UserSet:
    """A set of user indexes as a bitmap: 100k users cost 12.5 kB per set, not megabytes."""

    __slots__ = ("bits",)

    def __init__(self, size: int) -> None:
        self.bits = bytearray(size // 8 + 1)

    def add(self, i: int) -> None:
        """Include user i."""
        self.bits[i >> 3] |= 1 << (i & 7)

    def __contains__(self, i: int) -> bool:
        return bool(self.bits[i >> 3] & (1 << (i & 7)))

    def update(self, other: UserSet) -> None:
        """Union in place."""
        self.bits = bytearray(
            (int.from_bytes(self.bits, "little") | int.from_bytes(other.bits, "little")).to_bytes(
                len(self.bits), "little"
            )
        )

    def __len__(self) -> int:
        return int.from_bytes(self.bits, "little").bit_count()


@dataclass
class AppUsage:
    """Sign-in facts for one app."""

    size: int
    active_users: UserSet = field(init=False)
    unassigned_users: UserSet = field(init=False)
    sign_ins: int = 0
    last_success: float | None = None

    def __post_init__(self) -> None:
        self.active_users = UserSet(self.size)
        self.unassigned_users = UserSet(self.size)


def _assigned_users(tenant: Tenant) -> dict[str, UserSet]:
    """Per service principal: live users assigned directly or through a group."""
    size = tenant.user_total
    members: dict[str, UserSet] = {}
    for group in tenant.groups:
        members[group.id] = UserSet(size)
        for i in range(size):
            if tenant.is_live_user(i) and tenant.is_member(group, i):
                members[group.id].add(i)
    result: dict[str, UserSet] = {}
    for item in live_assignments(tenant):
        users = result.setdefault(item.resource.sp_id, UserSet(size))
        if item.principal_type == "User":
            users.add(int(item.principal))
        elif item.principal_type == "Group" and str(item.principal) in members:
            users.update(members[str(item.principal)])
    return result


def live_assignments(tenant: Tenant) -> list[Any]:
    """Assignments Graph still shows."""
    return [
        a
        for a in tenant.assignments
        if a.removed_at is None
        and a.resource.is_live
        and (a.principal_type != "User" or tenant.is_live_user(int(a.principal)))
    ]


def live_grants(tenant: Tenant) -> list[Any]:
    """Grants Graph still shows."""
    return [
        g
        for g in tenant.grants
        if g.removed_at is None
        and g.client.is_live
        and (g.principal is None or tenant.is_live_user(g.principal))
    ]


def _usage(
    tenant: Tenant, *, now: float, window_start: float, assigned: dict[str, UserSet]
) -> dict[str, AppUsage]:
    usage: dict[str, AppUsage] = {}
    # Streamed, never listed: at 3M sign-ins a list of hits alone would cost ~800 MB.
    hits: Iterator[Hit] = chain(
        tenant.signins.scan(), (h for h in tenant.signins.overlay if h.time <= now)
    )
    for hit in hits:
        entry = usage.get(hit.app.sp_id)
        if entry is None:
            entry = usage[hit.app.sp_id] = AppUsage(tenant.user_total)
        if hit.success and (entry.last_success is None or hit.time > entry.last_success):
            entry.last_success = hit.time
        if hit.time < window_start:
            continue
        entry.sign_ins += 1
        if hit.success:
            entry.active_users.add(hit.user)
            users = assigned.get(hit.app.sp_id)
            if users is None or hit.user not in users:
                entry.unassigned_users.add(hit.user)
    return usage


def ground_truth(
    tenant: Tenant, *, now: float, retention_days: int, inactive_days: float = 30
) -> dict[str, Any]:
    """Counts and per-app facts, computed from the same generator the API pages from."""
    window_start = now - retention_days * DAY
    assigned = _assigned_users(tenant)
    usage = _usage(tenant, now=now, window_start=now - 30 * DAY, assigned=assigned)
    grants = live_grants(tenant)
    consented: dict[str, set[int]] = {}
    for grant in grants:
        if grant.principal is not None:
            consented.setdefault(grant.client.sp_id, set()).add(grant.principal)
    admin = {g.client.sp_id for g in grants if g.consent_type == "AllPrincipals"}
    apps = [a for a in tenant.live_apps() if a.kind is not AppKind.MANAGED_IDENTITY]
    unused, nobody = AppUsage(0), UserSet(0)
    per_app = [
        _app_facts(
            a,
            usage.get(a.sp_id, unused),
            assigned.get(a.sp_id, nobody),
            consented.get(a.sp_id, set()),
            a.sp_id in admin,
        )
        for a in apps
    ]
    visible = tenant.signins.first_before(window_start) + sum(
        1 for h in tenant.signins.overlay if window_start <= h.time <= now
    )
    kinds = Counter(a.kind.value for a in tenant.live_apps())
    return {
        "tenant_id": tenant.id,
        "now": iso(now),
        "users": tenant.live_user_count(),
        "groups": len(tenant.groups),
        "service_principals": {
            "total": sum(kinds.values()),
            **{k.value: kinds.get(k.value, 0) for k in AppKind},
        },
        "app_role_assignments": len(live_assignments(tenant)),
        "delegated_grants": {
            "total": len(grants),
            "all_principals": sum(g.principal is None for g in grants),
            "principal": sum(g.principal is not None for g in grants),
        },
        "sign_ins": visible,
        "apps": sorted(per_app, key=lambda f: (f["displayName"], f["servicePrincipalId"])),
        "shadow_it_candidates": sorted(
            a.app_id
            for a in apps
            if a.kind is AppKind.THIRD_PARTY
            and a.app_id != tenant.client_id
            and (consented.get(a.sp_id) or len(usage.get(a.sp_id, unused).unassigned_users))
        ),
        "inactive_apps": sorted(
            a.app_id
            for a in apps
            if a.kind in (AppKind.THIRD_PARTY, AppKind.TENANT_OWN)
            and (last := usage.get(a.sp_id, unused).last_success) is not None
            and last < now - inactive_days * DAY
        ),
    }


def _app_facts(
    app: App, usage: AppUsage, assigned: UserSet, consented: set[int], admin_consented: bool
) -> dict[str, Any]:
    return {
        "appId": app.app_id,
        "servicePrincipalId": app.sp_id,
        "displayName": app.name,
        "kind": app.kind.value,
        "publisher": app.publisher,
        "assigned_users": len(assigned),
        "consented_users": len(consented),
        "admin_consented": admin_consented,
        "active_users_30d": len(usage.active_users),
        "sign_ins_30d": usage.sign_ins,
        "last_successful_sign_in": iso(usage.last_success) if usage.last_success else None,
    }
