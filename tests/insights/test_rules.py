"""The insight rules as tables: status, origin, shadow IT, seats, overlaps."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from sync_core.insights import rules
from sync_core.insights.records import (
    AppOrigin,
    AppStatus,
    EventKind,
    Money,
    OverlapApp,
    ShadowReason,
)
from sync_core.insights.rules import SeatState, Thresholds
from sync_core.records import AppStage
from tests.insights.facts import MICROSOFT, TENANT, VENDOR, facts

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def day(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


def at(days_ago: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago)


@pytest.mark.parametrize(
    ("now", "days", "start", "end"),
    [
        (NOW, 30, dt.date(2026, 10, 31), dt.date(2026, 11, 30)),
        (NOW, 0, TODAY, TODAY),
        # 08:00 on 1 December in Sydney is still 30 November in UTC.
        (
            dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=10))),
            30,
            dt.date(2026, 10, 31),
            dt.date(2026, 11, 30),
        ),
    ],
)
def test_window_is_whole_utc_days_ending_today(now, days, start, end):
    window = rules.window(now=now, days=days)
    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        (MICROSOFT, AppOrigin.MICROSOFT),
        ("72f988bf-86f1-41af-91ab-2d7cd011db47", AppOrigin.MICROSOFT),
        (MICROSOFT.upper(), AppOrigin.MICROSOFT),
        (TENANT, AppOrigin.TENANT),
        (TENANT.upper(), AppOrigin.TENANT),
        (VENDOR, AppOrigin.THIRD_PARTY),
        (None, AppOrigin.UNKNOWN),
        ("", AppOrigin.UNKNOWN),
    ],
)
def test_origin_comes_from_the_owner_tenant(owner, expected):
    assert rules.origin(owner_tenant_id=owner, tenant_id=TENANT) is expected


@pytest.mark.parametrize(
    ("last_used_on", "last_used_at", "active_days", "expected"),
    [
        (None, None, 30, AppStatus.DISCOVERED),
        (TODAY, None, 30, AppStatus.IN_USE),
        (day(29), None, 30, AppStatus.IN_USE),
        (day(31), None, 30, AppStatus.INACTIVE),
        (day(400), None, 30, AppStatus.INACTIVE),
        (day(7), None, 7, AppStatus.IN_USE),
        (day(8), None, 7, AppStatus.INACTIVE),
        # On the window's first day the exact time decides: no older than 30 days is in use.
        (day(30), at(30), 30, AppStatus.IN_USE),  # exactly at the boundary
        (day(30), at(30) + dt.timedelta(minutes=1), 30, AppStatus.IN_USE),
        (day(30), at(30) - dt.timedelta(minutes=1), 30, AppStatus.INACTIVE),
        (day(30), None, 30, AppStatus.IN_USE),  # raw sign-ins pruned: the day counts
    ],
)
def test_status(last_used_on, last_used_at, active_days, expected):
    found = rules.status(
        last_used_on=last_used_on, last_used_at=last_used_at, now=NOW, active_days=active_days
    )
    assert found is expected


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (None, AppStatus.IN_USE, None),  # first verdict: a baseline, not news
        (None, AppStatus.INACTIVE, None),
        (AppStatus.DISCOVERED, AppStatus.IN_USE, EventKind.BECAME_IN_USE),
        (AppStatus.INACTIVE, AppStatus.IN_USE, EventKind.BECAME_IN_USE),
        (AppStatus.IN_USE, AppStatus.INACTIVE, EventKind.BECAME_INACTIVE),
        (AppStatus.DISCOVERED, AppStatus.INACTIVE, None),  # old sign-ins arriving late
        (AppStatus.IN_USE, AppStatus.IN_USE, None),
        (AppStatus.INACTIVE, AppStatus.INACTIVE, None),
    ],
)
def test_status_transitions(previous, current, expected):
    assert rules.transition(previous=previous, current=current) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, True),
        ({"stage": AppStage.APPROVED}, False),
        ({"stage": AppStage.REJECTED}, False),
        ({"owner_tenant_id": MICROSOFT}, False),
        ({"owner_tenant_id": TENANT}, False),
        ({"owner_tenant_id": None}, False),
        ({"removed_at": at(1)}, False),
    ],
)
def test_needs_review_only_for_new_third_party_apps(changes, expected):
    assert rules.needs_review(facts(**changes)) is expected


CONSENT = (ShadowReason.USER_CONSENT,)
UNASSIGNED = (ShadowReason.UNASSIGNED_USE,)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, ()),  # no users at all
        ({"consented_users": 1}, CONSENT),
        ({"unassigned_users": 3}, UNASSIGNED),
        ({"consented_users": 2, "unassigned_users": 1}, (*CONSENT, *UNASSIGNED)),
        # IT let everyone in by tenant-wide admin consent.
        ({"unassigned_users": 3, "admin_consented": True}, ()),
        # A group whose members the sync did not expand: nobody can tell who is unassigned.
        ({"unassigned_users": 3, "assigned_groups": 1}, ()),
        # Members expanded: users outside the group are unassigned.
        ({"unassigned_users": 3, "assigned_groups": 1, "group_members": 40}, UNASSIGNED),
        ({"consented_users": 1, "admin_consented": True}, CONSENT),
        # Directly assigned users only: the others still count.
        ({"unassigned_users": 2, "assigned_users": 5}, UNASSIGNED),
        ({"consented_users": 1, "stage": AppStage.APPROVED}, ()),
        ({"consented_users": 1, "stage": AppStage.MONITORED}, CONSENT),
        ({"consented_users": 1, "stage": AppStage.REJECTED}, CONSENT),
        ({"consented_users": 1, "owner_tenant_id": MICROSOFT}, ()),
        ({"consented_users": 1, "owner_tenant_id": TENANT}, ()),
        ({"consented_users": 1, "owner_tenant_id": None}, ()),
        ({"consented_users": 1, "removed_at": at(1)}, ()),  # a grant to a removed app
    ],
)
def test_shadow_it(changes, expected):
    assert rules.shadow_reasons(facts(**changes)) == expected


@pytest.mark.parametrize(
    ("last_used_on", "granted_at", "expected"),
    [
        (TODAY, at(300), SeatState.ACTIVE),
        (day(60), at(300), SeatState.ACTIVE),  # exactly on the window's first day
        (day(61), at(300), SeatState.INACTIVE),
        (None, at(300), SeatState.INACTIVE),
        (None, None, SeatState.INACTIVE),  # no assignment date: no grace
        (None, at(1), SeatState.GRACE),
        (None, at(60), SeatState.GRACE),  # assigned exactly at the boundary: still new
        (None, at(61), SeatState.INACTIVE),
        (day(90), at(10), SeatState.GRACE),  # reassigned recently after an old use
    ],
)
def test_seat_state(last_used_on, granted_at, expected):
    state = rules.seat_state(
        last_used_on=last_used_on, granted_at=granted_at, now=NOW, inactive_days=60
    )
    assert state is expected


@pytest.mark.parametrize(
    ("seats", "cost", "expected"),
    [
        (3, None, None),
        (3, Money(Decimal("12.50"), "EUR"), Money(Decimal("37.50"), "EUR")),
        (0, Money(Decimal("12.50"), "EUR"), Money(Decimal("0.00"), "EUR")),
    ],
)
def test_monthly_waste(seats, cost, expected):
    assert rules.monthly_waste(inactive_seats=seats, seat_cost=cost) == expected


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (("openid", "User.Read"), ()),
        (("Mail.Read", "openid"), ("Mail.Read",)),
        (("mail.send", "Files.ReadWrite.All"), ("Files.ReadWrite.All", "mail.send")),
        (("Directory.ReadWrite.All",), ("Directory.ReadWrite.All",)),
        (("Directory.Read.All",), ()),
    ],
)
def test_risky_scopes(scopes, expected):
    assert rules.risky_scopes(scopes, thresholds=Thresholds()) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, True),
        ({"verified_publisher": "  "}, True),
        ({"verified_publisher": "Some SaaS Inc."}, False),
        ({"owner_tenant_id": MICROSOFT}, False),
        ({"owner_tenant_id": TENANT}, False),
    ],
)
def test_unverified_publisher(changes, expected):
    assert rules.is_unverified(facts(**changes)) is expected


TEAMS, ZOOM, WEBEX, DROPBOX, BOX = (
    OverlapApp(1, "Teams", 30),
    OverlapApp(2, "Zoom", 10),
    OverlapApp(3, "Webex", 10),
    OverlapApp(4, "Dropbox", 5),
    OverlapApp(5, "Box", 2),
)
TENANT_ID = uuid.UUID(int=7)


@pytest.mark.parametrize(
    ("apps", "pairs", "expected"),
    [
        ([], [], []),
        ([(ZOOM, "Video meetings")], [(2, "u1")], []),  # one app is no overlap
        (
            [(TEAMS, "Video meetings"), (ZOOM, "Video meetings"), (DROPBOX, "File storage")],
            [(1, "u1"), (2, "u1"), (1, "u2"), (2, "u3"), (4, "u1")],
            [("Video meetings", ("Teams", "Zoom"), 1, 3)],
        ),
        (
            # Categories match whatever their case; apps sort by active users, then name.
            [(WEBEX, "video meetings"), (ZOOM, "Video meetings"), (TEAMS, "Video Meetings")],
            [(1, "u1"), (2, "u1"), (3, "u1"), (1, "u2"), (1, "u2"), (9, "u2")],
            [("video meetings", ("Teams", "Webex", "Zoom"), 1, 2)],
        ),
        (
            [(DROPBOX, "File storage"), (BOX, "File storage")],
            [],  # in use by status, nobody in the pairs: nobody in both
            [("File storage", ("Dropbox", "Box"), 0, 0)],
        ),
    ],
)
def test_overlaps(apps, pairs, expected):
    found = rules.find_overlaps(connection_id=TENANT_ID, apps=apps, pairs=pairs)
    assert [
        (o.category, tuple(a.name for a in o.apps), o.users_in_several, o.users_total)
        for o in found
    ] == expected
    assert all(o.connection_id == TENANT_ID for o in found)
