"""Lower-bound model: the least wall time any client needs to sync a tenant through Graph.

The bound comes from the limits Graph (and the sandbox, configured the same way) imposes, not from
how our engine is built (docs/graph.md#model):

- paging is sequential within one collection: a collection of p pages takes at least p x L,
  where L is one request's round trip;
- an app's assignments can be read only after the page listing that app: the apps chain is
  (app pages + 1) x L at least;
- group membership is one listing of its own, the groups delta with `$select=members`, whose
  pages are sized in member entries (a group with no members still takes one), not in groups;
- grants are listed in full (999 a page) and a delta round needs a stored deltaLink, which a
  first sync gets with one more request (`$deltatoken=latest`), beside the listing;
- a delta sync reads the users, apps, grants and groups delta rounds from their deltaLinks (at
  least one page each, empty or not), the new apps' assignments, and the new sign-ins;
- sign-ins share the reports limiter, k requests per window W per app and tenant: page i + k
  starts no earlier than W after page i, whatever the concurrency;
- directory requests draw resource units from the tenant's bucket (capacity per window);
- the empty pages the service inserts in a listing (a page with no items and a nextLink, which
  Graph may send and the sandbox sends at `empty_page_rate`) are requests every client pays:
  p pages of items take 1 + (p - 1) / (1 - r) requests, as the first page is never empty.

A client's own cap on concurrent requests is its choice, not a Graph limit, so it is not in the
bound. Different collections have no ordering between them, so the bound is the longest of
these. Our token request and tenant check, and the time to write rows, are not in it.

Run `python -m bench.model` for the bound of the benchmark's tenant sizes.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "model.json"
# Identity RU per window for one app in one tenant, by size class (docs/graph.md#throttling).
RU_CAPACITY = {"S": 3_500, "M": 5_000, "L": 8_000}


@dataclass(frozen=True)
class Limits:
    """What Graph (or the sandbox) allows one client; windows already divided by any time scale."""

    latency: float  # seconds per request round trip
    reports_limit: int = 5
    reports_window: float = 10.0
    ru_capacity: float = 8_000
    ru_window: float = 10.0
    delta_page: int = 200  # users/servicePrincipals/grants delta: the service picks the size
    # Member entries per page of /groups/delta?$select=members (sandbox: 5 x delta_page).
    group_members_page: int = 1_000
    list_page: int = 999
    sign_in_page: int = 1_000
    activity_page: int = 120  # /users with signInActivity is capped at 120
    empty_page_rate: float = 0.0  # share of follow-up pages served empty

    @classmethod
    def sandbox(
        cls, *, latency_ms: float, time_scale: float, size_class: str, empty_page_rate: float
    ) -> Limits:
        """The limits a sandbox started with these options enforces (sandbox/config.py)."""
        return cls(
            latency=latency_ms / 1000,
            empty_page_rate=empty_page_rate,
            reports_window=10.0 / time_scale,
            ru_capacity=RU_CAPACITY[size_class],
            ru_window=10.0 / time_scale,
        )


@dataclass(frozen=True)
class Tenant:
    """How much a full sync has to read."""

    users: int
    apps: int  # service principals, Microsoft's included
    grants: int
    assigned_apps: int  # apps whose appRoleAssignedTo is read
    groups: int  # groups the groups delta lists
    memberships: int  # direct members the groups delta lists (users only: a lower bound)
    sign_ins: int
    premium: bool = True


@dataclass(frozen=True)
class Churn:
    """What changed since the last sync (the delta sync reads only this)."""

    users: int  # joiners + leavers + changed users
    apps: int  # apps added or removed
    grants: int
    changed_assigned_apps: int  # new apps whose assignments must be read
    sign_ins: int
    memberships: int = 0  # members who joined or left a group


@dataclass(frozen=True)
class Bound:
    """The least wall time, the requests it takes, and which constraint sets it."""

    seconds: float
    requests: int
    chains: dict[str, float]

    @property
    def limiting(self) -> str:
        return max(self.chains, key=lambda name: self.chains[name])


def pages(items: int, size: int, limits: Limits) -> int:
    """Requests of a listing: even an empty collection answers with one page, and follow-up
    pages come with the empty ones the service inserts (their expected number, rounded down)."""
    with_items = max(1, math.ceil(items / size))
    return 1 + math.floor((with_items - 1) / (1 - limits.empty_page_rate))


def reports_floor(requests: int, limits: Limits) -> float:
    """Least time for `requests` sequential pages under k starts per window.

    See docs/graph.md#model.
    """
    if requests <= 0:
        return 0.0
    windows = (requests - 1) // limits.reports_limit
    return max(requests * limits.latency, windows * limits.reports_window + limits.latency)


def ru_floor(units: float, limits: Limits) -> float:
    """Least time to draw `units` RU from a full bucket that refills capacity per window."""
    excess = units - limits.ru_capacity
    return max(0.0, excess * limits.ru_window / limits.ru_capacity)


def _bound(requests: dict[str, int], chains: dict[str, float], limits: Limits) -> Bound:
    total = sum(requests.values())
    directory = total - requests.get("sign_ins", 0)
    chains = {
        **chains,
        "directory RU": ru_floor(directory, limits),  # 1 RU per page with $select (§9)
    }
    return Bound(seconds=max(chains.values()), requests=total, chains=chains)


def group_pages(groups: int, memberships: int, limits: Limits) -> int:
    """Requests of a groups delta round: each group takes at least one member entry."""
    return pages(max(groups, memberships), limits.group_members_page, limits)


def full_sync(tenant: Tenant, limits: Limits) -> Bound:
    """The least wall time of a first (full) sync of `tenant`."""
    L = limits.latency
    grant_pages = pages(tenant.grants, limits.list_page, limits)
    requests = {
        "users": pages(tenant.users, limits.delta_page, limits),
        "apps": pages(tenant.apps, limits.delta_page, limits),
        "assignments": tenant.assigned_apps,
        "groups": group_pages(tenant.groups, tenant.memberships, limits),
        # The listing, plus the `latest` link that later delta rounds start from.
        "grants": grant_pages + 1,
        "sign_ins": pages(tenant.sign_ins, limits.sign_in_page, limits),
        "sign_in_activity": pages(tenant.users, limits.activity_page, limits)
        if tenant.premium
        else 0,
    }
    # The last app listed still needs its assignments read.
    behind_apps = int(tenant.assigned_apps > 0)
    chains = {
        "users": requests["users"] * L,
        "apps → assignments": (requests["apps"] + behind_apps) * L,
        "groups (members)": requests["groups"] * L,
        # The `latest` request has no order with the listing's pages.
        "grants": grant_pages * L,
        "sign_ins (reports limiter)": reports_floor(requests["sign_ins"], limits),
        "sign_in_activity": requests["sign_in_activity"] * L,
    }
    return _bound(requests, chains, limits)


def delta_sync(churn: Churn, limits: Limits) -> Bound:
    """The least wall time of an incremental sync after `churn` (every delta round ≥ 1 page)."""
    L = limits.latency
    requests = {
        "users": pages(churn.users, limits.delta_page, limits),
        "apps": pages(churn.apps, limits.delta_page, limits),
        "grants": pages(churn.grants, limits.delta_page, limits),
        "groups": group_pages(0, churn.memberships, limits),
        "assignments": churn.changed_assigned_apps,
        "sign_ins": pages(churn.sign_ins, limits.sign_in_page, limits),
    }
    behind_apps = int(churn.changed_assigned_apps > 0)
    chains = {
        "users": requests["users"] * L,
        "apps → assignments": (requests["apps"] + behind_apps) * L,
        "grants": requests["grants"] * L,
        "groups (members)": requests["groups"] * L,
        "sign_ins (reports limiter)": reports_floor(requests["sign_ins"], limits),
    }
    return _bound(requests, chains, limits)


def proportional_tenant(users: int, *, apps_per_user: float, signins_per_user: float) -> Tenant:
    """A tenant shaped roughly like the sandbox generates (for the CLI table)."""
    apps = round(users * apps_per_user)
    return Tenant(
        users=users,
        apps=apps + 137,  # the sandbox adds Microsoft's first-party service principals
        grants=round(users * 2.16),
        assigned_apps=apps,
        groups=20,
        memberships=round(users * 2.25),
        sign_ins=round(users * signins_per_user),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.model", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--time-scale", type=float, default=10.0)
    parser.add_argument("--empty-page-rate", type=float, default=0.02)
    parser.add_argument("--signins-per-user", type=float, default=30.0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    print(f"{'users':>8} {'full s':>9} {'limited by':<30} {'requests':>9} {'delta s':>8}")
    for users in (1_000, 10_000, 100_000):
        limits = Limits.sandbox(
            latency_ms=args.latency_ms,
            time_scale=args.time_scale,
            size_class="L",
            empty_page_rate=args.empty_page_rate,
        )
        tenant = proportional_tenant(
            users, apps_per_user=0.1, signins_per_user=args.signins_per_user
        )
        full = full_sync(tenant, limits)
        churn = Churn(
            users=users // 100,
            apps=users // 1000,
            grants=users // 1000,
            changed_assigned_apps=users // 2000,
            sign_ins=users // 100,
            memberships=users // 40,
        )
        delta = delta_sync(churn, limits)
        print(
            f"{users:>8,} {full.seconds:>9.2f} {full.limiting:<30} {full.requests:>9,} "
            f"{delta.seconds:>8.2f}"
        )
        rows.append(
            {
                "users": users,
                "tenant": asdict(tenant),
                "full": asdict(full),
                "delta": asdict(delta),
                "churn": asdict(churn),
            }
        )
    if not args.no_write:
        RESULTS.write_text(json.dumps({"limits": asdict(limits), "sizes": rows}, indent=1) + "\n")
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
