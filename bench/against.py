"""The sync benchmark's yardsticks: the lower-bound model and the naive client, on the same run.

`model_for` describes the synced tenant for bench/model.py from what the full sync stored (so
the bound is for exactly the tenant that was read); `naive_for` runs bench/naive.py into a
second connection of the same store; `figures` turns both into the headline numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from bench import model
from bench.naive import NaiveResult, run_naive
from sync_core import consent, records
from sync_core.store import inventory, models, organizations

ACTOR = records.Actor(records.ActorType.CLI, "bench", "bench.naive")


async def tenant_for(connection_id: uuid.UUID, *, premium: bool = True) -> model.Tenant:
    """What a full sync of this connection had to read, from what it stored."""
    live = {"connection_id": connection_id, "removed_at": None}
    members = models.GroupMember.filter(**live)
    # Groups without a user member are not stored: the count is a lower bound, as the model's.
    groups = await members.distinct().values_list("group_entra_id", flat=True)
    return model.Tenant(
        users=await models.DirectoryUser.filter(**live).count(),
        apps=await models.Application.filter(**live).count(),
        grants=await models.PermissionGrant.filter(**live).count(),
        assigned_apps=len(await inventory.assignable_apps(connection_id=connection_id)),
        groups=len(set(groups)),
        memberships=await members.count(),
        sign_ins=await models.SignInEvent.filter(connection_id=connection_id).count(),
        premium=premium,
    )


def churn_for(counts: dict[str, int], *, memberships: int, grants: int) -> model.Churn:
    """The model's view of the churn the benchmark posted to the sandbox.

    `memberships` and `grants` are what the delta sync stored as changed: the posted counts do
    not say how many groups a joiner was in, nor how many grants a leaver or a removed app took
    along.
    """
    return model.Churn(
        users=counts["users_added"] + counts["users_removed"] + counts["users_changed"],
        apps=counts["apps_added"] + counts["apps_removed"],
        grants=grants,
        changed_assigned_apps=counts["apps_added"],
        sign_ins=counts["signins_added"],
        memberships=memberships,
    )


async def naive_for(*, runtime: Any, sandbox: Any) -> tuple[NaiveResult, uuid.UUID]:
    """The naive client syncing the same tenant into a second organization of the same store."""
    org, _ = await organizations.create_organization(name="Naive Org")
    verified = await runtime.check_tenant(sandbox.tenant_id)
    connected = await consent.record_connection(
        organization_id=org.id, actor=ACTOR, verified=verified
    )
    connection_id = connected.connection.id
    result = await run_naive(
        base_url=sandbox.base_url,
        tenant_id=sandbox.tenant_id,
        client_id=sandbox.info["client_id"],
        client_secret=sandbox.info["client_secret"],
        connection_id=connection_id,
    )
    return result, connection_id


def figures(
    *,
    ours_seconds: float,
    full_bound: model.Bound,
    delta_bound: model.Bound,
    delta_seconds: float,
    delta_requests: int,
    naive: NaiveResult | None,
    limits: model.Limits,
    tenant: model.Tenant,
) -> dict[str, Any]:
    """The headline numbers of one tenant size, and what they were computed from."""
    return {
        "lower_bound_seconds": full_bound.seconds,
        "efficiency": full_bound.seconds / ours_seconds,
        "naive_ratio": naive.wall_seconds / ours_seconds if naive else None,
        "model": {
            "limits": asdict(limits),
            "tenant": asdict(tenant),
            "full": {**asdict(full_bound), "limiting": full_bound.limiting},
            "delta": {**asdict(delta_bound), "limiting": delta_bound.limiting},
            "delta_efficiency": delta_bound.seconds / delta_seconds,
            "delta_requests_over_minimum": delta_requests / delta_bound.requests,
        },
        "naive": asdict(naive) if naive else None,
    }


def render(numbers: dict[str, Any], ours_seconds: float, ours_requests: int) -> str:
    """The comparison table printed after the runs."""
    m = numbers["model"]
    naive = numbers["naive"]
    lines = [
        "\n== against the lower bound and the naive client (full sync)",
        f"lower bound      {numbers['lower_bound_seconds']:9.2f} s  "
        f"(limited by {m['full']['limiting']}; {m['full']['requests']:,} requests at least)",
        f"ours             {ours_seconds:9.2f} s  {ours_requests:,} requests  "
        f"efficiency {numbers['efficiency']:.2f} (target ≥ 0.83, i.e. ≤ 1.2 x bound)",
    ]
    if naive:
        lines.append(
            f"naive            {naive['wall_seconds']:9.2f} s  {naive['requests']:,} requests, "
            f"{naive['throttled']:,} x 429, {naive['seconds_waited']:.1f} s waited  "
            f"naive_ratio {numbers['naive_ratio']:.2f} (target ≥ 3 at 10k)"
        )
    lines.append(
        f"delta bound      {m['delta']['seconds']:9.2f} s  {m['delta']['requests']} requests at "
        f"least; ours used {m['delta_requests_over_minimum']:.1f} x that"
    )
    return "\n".join(lines)
