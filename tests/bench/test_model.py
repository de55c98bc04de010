"""The lower-bound model on small tenants whose bound is worked out by hand in each case."""

from __future__ import annotations

import pytest

from bench.model import Churn, Limits, Tenant, delta_sync, full_sync, reports_floor

SMALL = Tenant(
    users=1_000, apps=150, grants=1_500, assigned_apps=100, assigned_groups=10, sign_ins=12_000
)
LIMITS = Limits(latency=0.1)


def test_sign_ins_under_the_reports_limiter_set_the_full_bound() -> None:
    # 12 sign-in pages at 5 per 10 s: pages 6 and 11 wait a window each, the 12th still takes
    # its round trip: 2 x 10 + 0.1. Everything else fits inside that.
    bound = full_sync(SMALL, LIMITS)
    assert bound.seconds == pytest.approx(20.1)
    assert bound.limiting == "sign_ins (reports limiter)"
    # users 5 + apps 1 + assignments 100 + members 10 + grants 2 + sign-ins 12 + activity 9
    assert bound.requests == 139
    assert bound.chains["users"] == pytest.approx(0.5)
    assert bound.chains["apps → assignments → members"] == pytest.approx(0.3)
    assert bound.chains["sign_in_activity"] == pytest.approx(0.9)
    # A client's own cap on concurrent requests is no limit of Graph's.
    assert not any("slot" in chain or "concurren" in chain for chain in bound.chains)


def test_without_sign_ins_the_longest_sequential_listing_binds() -> None:
    tenant = Tenant(
        users=1_000, apps=150, grants=1_500, assigned_apps=100, assigned_groups=10, sign_ins=0
    )
    bound = full_sync(tenant, LIMITS)
    # 128 requests; any number may run at once, so the longest chain (activity, 9 pages) binds.
    assert bound.requests == 128
    assert bound.seconds == pytest.approx(0.9)
    assert bound.limiting == "sign_in_activity"


def test_empty_pages_the_service_inserts_count_as_requests() -> None:
    # 5 user pages, 4 of them follow-ups: at a 20% empty-page rate 4 / 0.8 = 5 follow-ups.
    limits = Limits(latency=0.1, empty_page_rate=0.2)
    bound = full_sync(SMALL, limits)
    assert bound.chains["users"] == pytest.approx(0.6)
    assert bound.requests > full_sync(SMALL, LIMITS).requests


def test_a_tenant_without_premium_skips_the_activity_pass() -> None:
    tenant = Tenant(
        users=1_000,
        apps=150,
        grants=1_500,
        assigned_apps=100,
        assigned_groups=10,
        sign_ins=0,
        premium=False,
    )
    assert full_sync(tenant, LIMITS).requests == 128 - 9


def test_the_resource_unit_bucket_binds_when_directory_requests_exceed_it() -> None:
    limits = Limits(latency=0.001, ru_capacity=100, ru_window=10)
    tenant = Tenant(users=10, apps=10, grants=0, assigned_apps=300, assigned_groups=0, sign_ins=0)
    bound = full_sync(tenant, limits)
    # 304 directory pages at 1 RU: 100 from the full bucket, 204 refilled at 10 RU/s.
    assert bound.seconds == pytest.approx(20.4)
    assert bound.limiting == "directory RU"


@pytest.mark.parametrize(
    ("requests", "seconds"),
    [(0, 0.0), (1, 0.1), (5, 0.5), (6, 10.1), (10, 10.1), (11, 20.1)],
)
def test_reports_floor_lets_five_requests_start_per_window(requests: int, seconds: float) -> None:
    assert reports_floor(requests, LIMITS) == pytest.approx(seconds)


def test_delta_after_churn_needs_one_round_trip_per_collection() -> None:
    limits = Limits(latency=0.05)
    churn = Churn(users=99, apps=10, grants=5, changed_assigned_apps=5, sign_ins=100)
    bound = delta_sync(churn, limits)
    # users 1, apps 1, grants 1, assignments of 5 new apps + 1 group-members round, sign-ins 1
    assert bound.requests == 10
    # the new apps' assignments follow the apps page: 2 round trips
    assert bound.seconds == pytest.approx(0.1)
    assert bound.limiting == "apps → assignments"


def test_sandbox_limits_are_compressed_by_the_time_scale() -> None:
    limits = Limits.sandbox(latency_ms=50, time_scale=10, size_class="M", empty_page_rate=0.02)
    assert limits.latency == pytest.approx(0.05)
    assert limits.reports_window == pytest.approx(1.0)
    assert (limits.ru_capacity, limits.ru_window) == (5_000, pytest.approx(1.0))
