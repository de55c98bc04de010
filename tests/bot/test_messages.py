"""Block Kit builders: pure functions of records, compared with plain equality; and Slack's
limits (50 blocks, 3000 characters, 2000 per button value) held for the largest tenant."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

from bot import blocks
from bot.commands import COMMANDS
from bot.messages import alerts, apps, connect, home, sync
from bot.messages import help as help_messages
from sync_core import records
from sync_core.insights.details import AppDetails, GrantedScope
from sync_core.insights.records import (
    AppOrigin,
    AppStatus,
    AppSummary,
    DailyCount,
    LicenseWaste,
    Money,
    Overlap,
    OverlapApp,
    Problem,
    ProblemKind,
    ShadowApp,
    ShadowReason,
    StageChangeEntry,
    UserRef,
)
from sync_core.records import (
    ActorType,
    AppStage,
    ConnectionStatus,
    EntityReport,
    EntityStatus,
    SyncMode,
    SyncStatus,
)

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
ORG, CONN = uuid.UUID(int=1), uuid.UUID(int=2)
ALICE = records.Actor(ActorType.SLACK_USER, "UALICE", "alice")
LONG = "Ж<&>" * 128  # 512 characters, with every character mrkdwn must escape


def report(**changes) -> records.SyncReport:
    values = {
        "id": uuid.UUID("12345678-0000-0000-0000-000000000000"),
        "organization_id": ORG,
        "connection_id": CONN,
        "tenant_id": "tenant-1",
        "status": SyncStatus.RUNNING,
        "trigger": "slack",
        "actor": ALICE,
        "full": False,
        "entities": (
            EntityReport("users", SyncMode.DELTA, EntityStatus.SUCCEEDED, 1, 500, 3, 2, 1),
            EntityReport("apps"),
        ),
        "requests": 12,
        "throttled": 0,
        "seconds_waited": 0.0,
        "created_at": NOW - dt.timedelta(seconds=70),
        "started_at": NOW - dt.timedelta(seconds=65),
        "finished_at": None,
        "error_code": None,
        "error_message": None,
        "hint": None,
    }
    return records.SyncReport(**{**values, **changes})


def test_unknown_sub_command_message():
    rows = [r for r in COMMANDS if r.command == "/sync"]
    assert help_messages.unknown(rows, command="/sync", text="now <please>") == {
        "text": "I don't know /sync now &lt;please&gt;",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        ":thinking_face: I don't know `/sync now &lt;please&gt;`. "
                        "Nothing was done.\n"
                        "`/sync [tenant] [full]`  Sync now: progress and result in one message\n"
                        "`/sync history`  Recent syncs with status and hints"
                    ),
                },
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "`/help` lists every command."}],
            },
        ],
        "response_type": "ephemeral",
    }


def test_progress_message():
    assert sync.progress(report(), now=NOW, tenant_name="Contoso") == {
        "text": "Syncing Contoso",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        ":arrows_counterclockwise: Syncing *Contoso* · started by <@UALICE> "
                        "· 1 min 5 s"
                    ),
                },
            },
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": (
                            ":white_check_mark: *Users*\n500 read (delta) · 3 new"
                            " · 2 updated · 1 removed"
                        ),
                    },
                    {"type": "mrkdwn", "text": ":white_circle: *Apps*\nwaiting"},
                ],
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": ("incremental run `12345678` · 12 Graph requests · 0 throttled"),
                    }
                ],
            },
        ],
    }


def test_result_names_new_apps_shadow_it_and_problems():
    failed = EntityReport(
        "sign_ins",
        SyncMode.INCREMENTAL,
        EntityStatus.FAILED,
        error_code="Authorization_RequestDenied",
        hint="Grant AuditLog.Read.All",
    )
    done = report(status=SyncStatus.PARTIAL, finished_at=NOW, entities=(failed,))
    outcome = sync.SyncOutcome(
        new_apps=("Zoom", "Miro"), new_apps_total=2, shadow_it=("Miro",), problematic_apps=3
    )
    shown = sync.result(done, outcome, tenant_name="Contoso")
    assert [
        b["text"]["text"] for b in shown["blocks"] if b["type"] == "section" and "text" in b
    ] == [
        ":warning: Sync of *Contoso* finished with gaps in 1 min 5 s · started by <@UALICE>",
        "*New apps* (2): Zoom, Miro",
        ":detective: *Shadow IT found* (1): Miro · review with `/apps shadow`",
        "*Problems*\n:x: *Sign-ins*: Grant AuditLog.Read.All\n"
        ":warning: 3 problematic apps: `/apps problematic`",
    ]


def test_recovery_note():
    assert alerts.sync_recovered(report(status=SyncStatus.SUCCEEDED), tenant_name="A&B") == {
        "text": ":white_check_mark: Syncing *A&amp;B* works again (succeeded).",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (":white_check_mark: Syncing *A&amp;B* works again (succeeded)."),
                },
            }
        ],
    }


# --- the largest tenant: everything at the column maximum, and many of it ---------------------


def summary(n: int, **changes) -> AppSummary:
    values = {
        "id": n,
        "connection_id": CONN,
        "entra_id": f"sp-{n}",
        "app_id": f"app-{n}",
        "name": f"{n} {LONG}",
        "publisher": LONG,
        "verified_publisher": None,
        "origin": AppOrigin.THIRD_PARTY,
        "status": AppStatus.IN_USE,
        "stage": AppStage.NEEDS_REVIEW,
        "category": LONG[:128],
        "assigned_users": 250_000,
        "assigned_groups": 9_999,
        "consented_users": 250_000,
        "active_users": 250_000,
        "last_used_on": NOW.date(),
        "first_seen_at": NOW,
        "account_enabled": True,
        "seat_cost": Money(Decimal("9999999999.99"), "EUR"),
    }
    return AppSummary(**{**values, **changes})


PEOPLE = tuple(UserRef(f"u-{n}", LONG[:256]) for n in range(10))


def shadow_app(n: int) -> ShadowApp:
    return ShadowApp(
        app=summary(n),
        reasons=tuple(ShadowReason),
        consenting_users=250_000,
        consented_by=PEOPLE,
        scopes=tuple(f"Scope.{LONG[:58]}.{i}" for i in range(300)),
        unassigned_users=250_000,
        unassigned_sample=PEOPLE,
        first_seen_at=NOW,
        detected_at=NOW,
    )


def assert_within_limits(message: dict, *, max_blocks: int = 50) -> None:
    assert len(message["blocks"]) <= max_blocks
    assert len(message.get("text", "")) <= 3000
    for block in message["blocks"]:
        for text in _texts(block):
            assert len(text) <= 3000
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button" and element.get("value"):
                assert len(element["value"]) <= 2000


def _texts(value) -> list[str]:
    if isinstance(value, dict):
        own = [value["text"]] if isinstance(value.get("text"), str) else []
        return own + [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def test_every_view_of_the_largest_tenant_fits_a_message():
    search = "x" * 100
    pages = [
        apps.AppPage("all", search, 40_000, 50_000, tuple(summary(n) for n in range(10))),
        apps.AppPage("shadow", search, 10, 5_000, tuple(shadow_app(n) for n in range(10))),
        apps.AppPage(
            "overlaps",
            search,
            0,
            36,
            tuple(
                Overlap(
                    CONN,
                    LONG[:128],
                    tuple(OverlapApp(n, LONG, 250_000) for n in range(300)),
                    250_000,
                    250_000,
                )
                for _ in range(10)
            ),
        ),
        apps.AppPage(
            "problematic",
            "",
            0,
            5_000,
            tuple(Problem(summary(n), ProblemKind.HIGH_FAILURE_RATE, LONG * 10) for n in range(10)),
        ),
        apps.AppPage(
            "unused-seats",
            "",
            0,
            5_000,
            tuple(
                LicenseWaste(
                    summary(n), 250_000, 1, 249_999, 0, Money(Decimal("1e9"), "EUR"), PEOPLE
                )
                for n in range(10)
            ),
        ),
    ]
    for page in pages:
        message = apps.app_list(page)
        assert_within_limits(message)
        nav = [
            e for b in message["blocks"] if b.get("block_id") == "apps_nav" for e in b["elements"]
        ]
        assert {json.loads(e["value"])["v"] for e in nav} == {page.view}


def test_one_app_with_everything_fits_a_message():
    history = tuple(
        StageChangeEntry(1, AppStage.NEEDS_REVIEW, AppStage.APPROVED, ALICE, LONG, NOW)
        for _ in range(500)
    )
    detail = AppDetails(
        app=summary(1),
        shadow=shadow_app(1),
        scopes=tuple(GrantedScope(f"{LONG[:100]}.{n}", n % 2 == 0, n) for n in range(500)),
        problems=tuple(Problem(summary(1), kind, LONG * 5) for kind in ProblemKind) * 50,
        waste=LicenseWaste(summary(1), 250_000, 1, 249_999, 0, Money(Decimal(1), "EUR"), PEOPLE),
        departments=tuple((f"{LONG[:200]} {n}", n) for n in range(300)),
        history=history,
        usage=tuple(DailyCount(NOW.date(), 10**6, 10**6) for _ in range(30)),
    )
    assert_within_limits(apps.app_detail(detail))


def test_status_history_home_and_alerts_of_the_largest_tenant_fit():
    tenants = [
        records.Connection(
            uuid.uuid4(),
            ORG,
            f"t-{n}",
            LONG[:256],
            ConnectionStatus.CONNECTED,
            ("User.Read.All",),
            True,
            last_sync_at=NOW,
        )
        for n in range(100)
    ]
    assert_within_limits(connect.status(tenants, now=NOW))
    assert_within_limits(connect.choose_to_remove(tenants))
    assert_within_limits(sync.choose_tenant(tenants))
    runs = [report(status=SyncStatus.FAILED, hint=LONG * 10, finished_at=NOW)] * 100
    assert_within_limits(sync.history(runs, now=NOW))
    overview = home.Overview(
        tuple(tenants),
        {},
        {s: 10**6 for s in AppStatus},
        tuple(shadow_app(n) for n in range(5_000)),
    )
    view = home.home(overview, now=NOW, admins="workspace admins and owners")
    assert_within_limits(view, max_blocks=100)
    failed = report(status=SyncStatus.FAILED, error_message=LONG * 20, hint=LONG * 20)
    assert_within_limits(alerts.sync_failed(failed, tenant_name=LONG))


def test_names_are_escaped_so_an_app_cannot_inject_mentions():
    page = apps.AppPage("all", "", 0, 1, (summary(1, name="<!channel> Free Pizza"),))
    shown = json.dumps(apps.app_list(page))
    assert "<!channel>" not in shown and "&lt;!channel&gt; Free Pizza" in shown


def test_blocks_refuse_an_oversize_message():
    try:
        blocks.message("x", [blocks.divider()] * 51)
    except ValueError as exc:
        assert "at most 50" in str(exc)
    else:
        raise AssertionError("51 blocks were accepted")
