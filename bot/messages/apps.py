"""/apps: paged lists per view, one app's details, and the stage buttons and note modal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.blocks import escape
from sync_core.insights.details import AppDetails, GrantedScope
from sync_core.insights.records import (
    AppOrigin,
    AppStatus,
    AppSummary,
    LicenseWaste,
    Money,
    Overlap,
    Problem,
    ShadowApp,
    ShadowReason,
    StageChangeEntry,
)
from sync_core.records import AppStage

PAGE_SIZE = 10
SEARCH_LIMIT = 100
MAX_SCOPES = 30  # of an app's delegated permissions, shown by name
VIEWS = {
    "all": "All apps",
    "in-use": "Apps in use",
    "discovered": "Discovered apps (never seen used)",
    "inactive": "Inactive apps",
    "shadow": "Shadow IT",
    "overlaps": "Overlapping apps",
    "problematic": "Problematic apps",
    "unused-seats": "Unused seats",
}
STATUS = {
    AppStatus.IN_USE: ":large_green_circle: in use",
    AppStatus.INACTIVE: ":large_orange_circle: inactive",
    AppStatus.DISCOVERED: ":white_circle: discovered",
}
STAGE = {
    AppStage.NEEDS_REVIEW: ":eyes: needs review",
    AppStage.APPROVED: ":white_check_mark: approved",
    AppStage.MONITORED: ":mag: monitored",
    AppStage.REJECTED: ":no_entry: rejected",
    AppStage.RETIRED: ":file_cabinet: retired",
}
DECISIONS = (
    (AppStage.APPROVED, "Approve", "primary"),
    (AppStage.MONITORED, "Monitor", None),
    (AppStage.REJECTED, "Reject", "danger"),
)
REASONS = {
    ShadowReason.USER_CONSENT: "users consented on their own",
    ShadowReason.UNASSIGNED_USE: "used without an assignment",
}


@dataclass(frozen=True, slots=True)
class AppPage:
    """One page of a view: what was asked, where we are, and the items."""

    view: str
    search: str
    offset: int
    total: int
    items: tuple[Any, ...]
    size: int = PAGE_SIZE


def money(value: Money | None) -> str:
    return f"{value.amount:,.2f} {value.currency}" if value else "—"


def stage_label(stage: AppStage | None) -> str:
    return STAGE.get(stage, "no stage") if stage else "no stage"


def _users(app: AppSummary) -> str:
    parts = [f"{app.assigned_users:,} assigned"]
    if app.assigned_groups:
        parts.append(blocks.count(app.assigned_groups, "group"))
    if app.consented_users:
        parts.append(f"{app.consented_users:,} consented")
    return ", ".join(parts)


def _used(app: AppSummary) -> str:
    return f"last used {app.last_used_on:%Y-%m-%d}" if app.last_used_on else "never seen used"


def summary_line(app: AppSummary) -> str:
    """One app in a list: name, status, stage, users, last use."""
    publisher = f" · {escape(app.publisher)}" if app.publisher else ""
    return (
        f"*{escape(app.name)}*{publisher}\n{STATUS[app.status]} · {stage_label(app.stage)} · "
        f"{_users(app)} · {app.active_users:,} active · {_used(app)}"
    )


def stage_buttons(app: AppSummary) -> blocks.Block:
    """Approve / Monitor / Reject for one app (each opens the note dialog)."""
    return blocks.actions(
        *(
            blocks.button(label, action_id=f"stage:{stage.value}", value=str(app.id), style=style)
            for stage, label, style in DECISIONS
            if stage != app.stage
        ),
        block_id=f"stage:{app.id}",
    )


def evidence(shadow: ShadowApp) -> str:
    """Why an app is shadow IT: how it got in, who, which scopes, since when."""
    lines = [", ".join(REASONS[r] for r in shadow.reasons)]
    if shadow.consenting_users:
        who = blocks.names(
            [u.name or u.entra_id for u in shadow.consented_by], total=shadow.consenting_users
        )
        lines.append(f"consented by {who}")
    if shadow.scopes:
        lines.append("scopes " + ", ".join(f"`{escape(s)}`" for s in shadow.scopes[:12]))
    if shadow.unassigned_users:
        who = blocks.names(
            [u.name or u.entra_id for u in shadow.unassigned_sample], total=shadow.unassigned_users
        )
        lines.append(f"used unassigned by {who}")
    lines.append(f"first seen {shadow.first_seen_at:%Y-%m-%d}")
    return "\n".join(lines)


def _shadow_item(item: ShadowApp) -> list:
    publisher = item.app.verified_publisher or item.app.publisher or "unknown publisher"
    verified = "" if item.app.verified_publisher else " (unverified)"
    text = (
        f":detective: *{escape(item.app.name)}* · {escape(publisher)}{verified} · "
        f"{stage_label(item.app.stage)}\n{evidence(item)}"
    )
    return [blocks.section(text), stage_buttons(item.app)]


def _overlap_item(item: Overlap) -> list:
    apps = ", ".join(f"*{escape(a.name)}* ({a.active_users:,} active)" for a in item.apps[:10])
    text = (
        f":twisted_rightwards_arrows: *{escape(item.category)}*: {apps}\n"
        f"{item.users_in_several:,} of {item.users_total:,} users use more than one"
    )
    return [blocks.section(text)]


def _problem_item(item: Problem) -> list:
    return [blocks.section(f":warning: *{escape(item.app.name)}*: {escape(item.summary)}")]


def _waste_item(item: LicenseWaste) -> list:
    idle = blocks.names(
        [u.name or u.entra_id for u in item.inactive_users], total=item.inactive_seats
    )
    text = (
        f":money_with_wings: *{escape(item.app.name)}*: {item.inactive_seats:,} of "
        f"{item.assigned_users:,} seats unused · {item.in_grace:,} too new to tell · waste "
        f"{money(item.monthly_waste)}/month"
    )
    return [blocks.section(f"{text}\n{idle}" if idle else text)]


def _item(item: Any) -> list:
    match item:
        case ShadowApp():
            return _shadow_item(item)
        case Overlap():
            return _overlap_item(item)
        case Problem():
            return _problem_item(item)
        case LicenseWaste():
            return _waste_item(item)
    return [blocks.section(summary_line(item))]


def _nav(page: AppPage) -> list:
    state = {"v": page.view, "q": page.search}
    buttons = []
    if page.offset > 0:
        back = {**state, "o": max(0, page.offset - page.size)}
        buttons.append(blocks.button("Previous", action_id="apps_page:prev", value=back))
    if page.offset + page.size < page.total:
        ahead = {**state, "o": page.offset + page.size}
        buttons.append(blocks.button("Next", action_id="apps_page:next", value=ahead))
    return [blocks.actions(*buttons, block_id="apps_nav")] if buttons else []


def app_list(page: AppPage) -> blocks.Message:
    """A page of a view with Previous / Next; stays under Slack's 50 blocks and 3000 chars."""
    title = VIEWS[page.view] + (f" matching “{page.search}”" if page.search else "")
    if not page.total:
        text = f"{title}: nothing to show."
        return blocks.message(text, [blocks.section(escape(text))], response_type="ephemeral")
    first, last = page.offset + 1, min(page.offset + len(page.items), page.total)
    body: list = [blocks.header(title)]
    for item in page.items[: page.size]:
        body += _item(item)
    where = f"{first:,} to {last:,} of {page.total:,}"
    body.append(blocks.context(f"{where} · `/apps NAME` for details"))
    body += _nav(page)
    return blocks.message(
        f"{title}: {first} to {last} of {page.total}", body, response_type="ephemeral"
    )


def _origin(app: AppSummary) -> str:
    return {AppOrigin.MICROSOFT: "Microsoft", AppOrigin.TENANT: "your tenant"}.get(
        app.origin, escape(app.verified_publisher or app.publisher or "third party")
    )


def _history(entries: Sequence[StageChangeEntry]) -> str:
    lines = []
    for e in entries[-8:]:
        by = (
            f"<@{e.actor.id}>"
            if e.actor.type == "slack_user" and e.actor.id
            else (escape(e.actor.name or e.actor.type.value))
        )
        note = f" · “{escape(e.note)}”" if e.note else ""
        lines.append(f"{e.at:%Y-%m-%d} {stage_label(e.to_stage)} by {by}{note}")
    return "\n".join(lines) or "no changes yet"


def _scopes(scopes: Sequence[GrantedScope]) -> str:
    parts = []
    for s in scopes[:MAX_SCOPES]:
        how = ["admin"] if s.admin_consented else []
        how += [blocks.count(s.users, "user")] if s.users else []
        parts.append(f"`{escape(s.scope)}` ({', '.join(how) or 'consented'})")
    more = f" and {len(scopes) - MAX_SCOPES:,} more" if len(scopes) > MAX_SCOPES else ""
    return " · ".join(parts) + more


def app_detail(detail: AppDetails) -> blocks.Message:
    """One app: users, activity, departments, permissions, problems, stage history."""
    app = detail.app
    ok = sum(d.successes for d in detail.usage)
    failed = sum(d.failures for d in detail.usage)
    body: list = [
        blocks.header(app.name),
        blocks.section(
            f"{STATUS[app.status]} · {stage_label(app.stage)} · by {_origin(app)} · "
            f"category {escape(app.category or '—')} · first seen {app.first_seen_at:%Y-%m-%d}"
        ),
        blocks.fields(
            f"*Users*\n{_users(app)}",
            f"*Active users*\n{app.active_users:,} · {_used(app)}",
            f"*Sign-ins ({len(detail.usage)} days)*\n{ok:,} ok · {failed:,} failed",
            f"*Seat cost*\n{money(app.seat_cost)}/month",
        ),
    ]
    if detail.departments:
        parts = [f"{escape(d or 'no department')} {n:,}" for d, n in detail.departments[:12]]
        body.append(blocks.section("*Departments* (assigned users)\n" + " · ".join(parts)))
    if detail.scopes:
        body.append(blocks.section(f"*Delegated permissions*\n{_scopes(detail.scopes)}"))
    if detail.shadow:
        body.append(blocks.section(f":detective: *Shadow IT*\n{evidence(detail.shadow)}"))
    if detail.waste and detail.waste.inactive_seats:
        body += _waste_item(detail.waste)
    if detail.problems:
        lines = "\n".join(f":warning: {escape(p.summary)}" for p in detail.problems[:8])
        body.append(blocks.section(f"*Problems*\n{lines}"))
    body.append(blocks.section(f"*Stage history*\n{_history(detail.history)}"))
    if app.origin is AppOrigin.THIRD_PARTY:
        body.append(stage_buttons(app))
    return blocks.message(app.name, body, response_type="ephemeral")


def matches(apps: Sequence[AppSummary], *, search: str) -> blocks.Message:
    """Several apps match a name: list them."""
    page = AppPage(view="all", search=search, offset=0, total=len(apps), items=tuple(apps))
    return app_list(page)
