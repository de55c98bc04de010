"""Problem rules as tables: each finding fires exactly at its threshold, with its evidence."""

from __future__ import annotations

import datetime as dt

import pytest

from sync_core.insights import findings
from sync_core.insights.records import ProblemKind
from sync_core.insights.rules import Thresholds
from tests.insights.facts import MICROSOFT, TENANT, facts

DEFAULT = Thresholds()
FIRST = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("successes", "failures", "thresholds", "fires"),
    [
        (0, 0, DEFAULT, False),
        (0, 19, DEFAULT, False),  # all failed, but too few to judge
        (14, 6, DEFAULT, True),  # exactly 20 sign-ins and exactly 30 %
        (15, 6, DEFAULT, False),  # 28.6 %
        (700, 300, DEFAULT, True),
        (701, 300, DEFAULT, False),  # 29.97 %
        (14, 6, Thresholds(min_sign_ins=21), False),
        (14, 6, Thresholds(failure_rate=0.5), False),
    ],
)
def test_high_failure_rate(successes, failures, thresholds, fires):
    app = facts(window_successes=successes, window_failures=failures)
    found = findings.high_failure_rate(app, thresholds=thresholds, days=30)
    assert (found is not None) is fires
    if found:
        assert found.kind is ProblemKind.HIGH_FAILURE_RATE
        assert found.evidence["sign_ins"] == successes + failures
        assert found.evidence["failures"] == failures


def test_failure_evidence_names_the_commonest_errors_first():
    errors = [
        (50126, "bad password", 3),
        (50074, "MFA", 9),
        (1, "a", 1),
        (2, "b", 1),
        (3, "c", 1),
        (4, "d", 1),
    ]
    app = facts(window_successes=10, window_failures=16)
    found = findings.high_failure_rate(app, thresholds=DEFAULT, days=30, errors=errors)
    assert found.summary == "16 of 26 sign-ins failed (62%) in the last 30 days"
    codes = [e["error_code"] for e in found.evidence["top_errors"]]
    assert codes == [50074, 50126, 1, 2, 3]


MAIL = ((("openid", "Mail.Read", "Mail.Send"), 4, FIRST),)


@pytest.mark.parametrize(
    ("changes", "consents", "expected_scopes"),
    [
        ({}, MAIL, {"Mail.Read": 4, "Mail.Send": 4}),
        ({}, (), None),  # nobody consented
        ({}, ((("openid", "User.Read"), 9, FIRST),), None),  # nothing risky
        ({"verified_publisher": "Contoso Ltd"}, MAIL, None),
        ({"owner_tenant_id": MICROSOFT}, MAIL, None),
        ({"owner_tenant_id": TENANT}, MAIL, None),
        (
            {},
            (
                (("files.readwrite.all",), 2, FIRST),
                (("Files.ReadWrite.All", "Mail.Read"), 1, FIRST),
            ),
            {"Files.ReadWrite.All": 1, "Mail.Read": 1, "files.readwrite.all": 2},
        ),
    ],
)
def test_risky_user_consent(changes, consents, expected_scopes):
    found = findings.risky_user_consent(
        facts(consented_users=4, **changes), consents=consents, thresholds=DEFAULT
    )
    if expected_scopes is None:
        assert found is None
    else:
        assert found.kind is ProblemKind.RISKY_USER_CONSENT
        assert found.evidence["scopes"] == expected_scopes


@pytest.mark.parametrize(
    ("changes", "fires"),
    [
        ({"account_enabled": True, "assigned_users": 3}, False),
        ({"account_enabled": None, "assigned_users": 3}, False),  # unknown is not disabled
        ({"account_enabled": False}, False),  # disabled and forgotten: fine
        ({"account_enabled": False, "assigned_users": 1}, True),
        ({"account_enabled": False, "assigned_groups": 1}, True),
        ({"account_enabled": False, "window_failures": 2}, True),  # people still try
        ({"account_enabled": False, "window_successes": 1}, True),
    ],
)
def test_disabled_still_used(changes, fires):
    found = findings.disabled_still_used(facts(**changes), days=30)
    assert (found is not None) is fires
    if found:
        assert found.kind is ProblemKind.DISABLED_STILL_USED


@pytest.mark.parametrize(
    ("changes", "fires"),
    [
        ({}, False),  # an app with no users is not this problem
        ({"users_with_access": 2, "users_gone": 2}, True),
        ({"users_with_access": 1, "users_gone": 1}, True),  # the one user was deleted
        ({"users_with_access": 3, "users_gone": 2}, False),
        ({"users_with_access": 2, "users_gone": 2, "assigned_groups": 1}, False),  # not expanded
        ({"users_with_access": 3, "users_gone": 3, "assigned_groups": 1, "group_members": 3}, True),
    ],
)
def test_no_active_users(changes, fires):
    found = findings.no_active_users(facts(**changes))
    assert (found is not None) is fires
    if found:
        assert found.evidence == {
            "users_with_access": changes["users_with_access"],
            "users_gone": changes["users_gone"],
        }
