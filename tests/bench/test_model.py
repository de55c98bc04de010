"""The lower-bound model on small tenants whose bound is worked out by hand in each case."""

from __future__ import annotations

import pytest

from bench.model import Churn, Limits, Tenant, delta_sync, full_sync, reports_floor

SMALL = Tenant(
    users=1_000,
    apps=150,
    grants=1_500,
    assigned_apps=100,
    groups=10,
    memberships=2_500,
    sign_ins=12_000,
)
LIMITS = Limits(latency=0.1)


def _tenant(**changes: int | bool) -> Tenant:
    fields = {**SMALL.__dict__, **changes}
    return Tenant(**fields)


def test_sign_ins_under_the_reports_limiter_set_the_full_bound() -> None:
    # 12 sign-in pages at 5 per 10 s: pages 6 and 11 wait a window each, the 12th still takes
    # its round trip: 2 x 10 + 0.1. Everything else fits inside that.
    bound = full_sync(SMALL, LIMITS)
    assert bound.seconds == pytest.approx(20.1)
    assert bound.limiting == "sign_ins (reports limiter)"
    # users 5 + apps 1 + assignments 100 + groups 3 + grants 2 and the `latest` link
    # + sign-ins 12 + activity 9
    assert bound.requests == 133
    assert bound.chains["users"] == pytest.approx(0.5)
    # one apps page, then the last app's assignments
    assert bound.chains["apps → assignments"] == pytest.approx(0.2)
    # 2,500 member entries at 1,000 a page
    assert bound.chains["groups (members)"] == pytest.approx(0.3)
    # the `latest` link runs beside the 2 listing pages
    assert bound.chains["grants"] == pytest.approx(0.2)
    assert bound.chains["sign_in_activity"] == pytest.approx(0.9)
    # A client's own cap on concurrent requests is no limit of Graph's.
    assert not any("slot" in chain or "concurren" in chain for chain in bound.chains)


def test_without_sign_ins_the_longest_sequential_listing_binds() -> None:
    bound = full_sync(_tenant(sign_ins=0), LIMITS)
    # 133 - 12 sign-in pages + the one page an empty listing still answers: 122. Any number
    # may run at once, so the longest chain (activity, 9 pages) binds.
    assert bound.requests == 122
    assert bound.seconds == pytest.approx(0.9)
    assert bound.limiting == "sign_in_activity"


def test_a_large_membership_makes_the_groups_delta_the_longest_listing() -> None:
    # 25,000 member entries at 1,000 a page: 25 sequential pages, longer than activity's 9.
    bound = full_sync(_tenant(sign_ins=0, memberships=25_000), LIMITS)
    assert bound.seconds == pytest.approx(2.5)
    assert bound.limiting == "groups (members)"


def test_a_group_without_members_still_takes_a_member_entry() -> None:
    # 3,000 groups and 10 members: at least 3,000 entries, 3 pages.
    bound = full_sync(_tenant(groups=3_000, memberships=10), LIMITS)
    assert bound.chains["groups (members)"] == pytest.approx(0.3)


def test_empty_pages_the_service_inserts_count_as_requests() -> None:
    # 5 user pages, 4 of them follow-ups: at a 20% empty-page rate 4 / 0.8 = 5 follow-ups.
    limits = Limits(latency=0.1, empty_page_rate=0.2)
    bound = full_sync(SMALL, limits)
    assert bound.chains["users"] == pytest.approx(0.6)
    assert bound.requests > full_sync(SMALL, LIMITS).requests


def test_a_tenant_without_premium_skips_the_activity_pass() -> None:
    assert full_sync(_tenant(sign_ins=0, premium=False), LIMITS).requests == 122 - 9


def test_the_resource_unit_bucket_binds_when_directory_requests_exceed_it() -> None:
    limits = Limits(latency=0.001, ru_capacity=100, ru_window=10)
    tenant = Tenant(
        users=10, apps=10, grants=0, assigned_apps=300, groups=0, memberships=0, sign_ins=0
    )
    bound = full_sync(tenant, limits)
    # users 1 + apps 1 + assignments 300 + groups 1 + grants 1 and its link 1 + activity 1:
    # 306 directory pages at 1 RU, 100 from the full bucket, 206 refilled at 10 RU/s.
    assert bound.seconds == pytest.approx(20.6)
    assert bound.limiting == "directory RU"


@pytest.mark.parametrize(
    ("requests", "seconds"),
    [(0, 0.0), (1, 0.1), (5, 0.5), (6, 10.1), (10, 10.1), (11, 20.1)],
)
def test_reports_floor_lets_five_requests_start_per_window(requests: int, seconds: float) -> None:
    assert reports_floor(requests, LIMITS) == pytest.approx(seconds)


def test_delta_after_churn_needs_one_round_trip_per_collection() -> None:
    limits = Limits(latency=0.05)
    churn = Churn(
        users=99, apps=10, grants=5, changed_assigned_apps=5, sign_ins=100, memberships=40
    )
    bound = delta_sync(churn, limits)
    # users 1, apps 1, grants 1, groups 1, assignments of the 5 new apps, sign-ins 1
    assert bound.requests == 10
    # the new apps' assignments follow the apps page: 2 round trips
    assert bound.seconds == pytest.approx(0.1)
    assert bound.limiting == "apps → assignments"


def test_delta_reads_membership_changes_in_pages_of_member_entries() -> None:
    churn = Churn(
        users=99, apps=0, grants=0, changed_assigned_apps=0, sign_ins=0, memberships=2_500
    )
    bound = delta_sync(churn, LIMITS)
    # users 1, apps 1, grants 1, groups 3 (2,500 entries at 1,000 a page), sign-ins 1
    assert bound.requests == 7
    assert bound.seconds == pytest.approx(0.3)
    assert bound.limiting == "groups (members)"


def test_sandbox_limits_are_compressed_by_the_time_scale() -> None:
    limits = Limits.sandbox(latency_ms=50, time_scale=10, size_class="M", empty_page_rate=0.02)
    assert limits.latency == pytest.approx(0.05)
    assert limits.reports_window == pytest.approx(1.0)
    assert (limits.ru_capacity, limits.ru_window) == (5_000, pytest.approx(1.0))
