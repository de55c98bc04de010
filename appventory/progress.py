"""Terminal rendering of a sync: a live table while it runs, a summary when it ends."""

from __future__ import annotations

from types import TracebackType

from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from sync_core.records import EntityReport, SyncReport
from sync_core.sync.progress import ENTITIES

COLUMNS = ("entity", "mode", "status", "pages", "fetched", "created", "updated", "removed")
# Access through a group is a join, not rows: the groups pass counts memberships.
ROW_LABELS = {"groups": "group members"}


def entity_table(entities: dict[str, EntityReport], *, title: str | None = None) -> Table:
    """One row per entity with its mode, status and counters."""
    # Light rules and no outer padding: the widest row (incremental, 6-digit counts) fits 80
    # columns, the width of a default terminal.
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 0)
    )
    for column in COLUMNS:
        numeric = column in COLUMNS[3:]
        # Counts are never cut: a number wraps onto a second line before it loses digits.
        table.add_column(
            column, justify="right" if numeric else "left", no_wrap=not numeric, overflow="fold"
        )
    for name in ENTITIES:
        e = entities.get(name) or EntityReport(name=name)
        table.add_row(
            ROW_LABELS.get(name, name),
            e.mode.value if e.mode else "-",
            e.status.value,
            str(e.pages),
            str(e.fetched),
            str(e.created),
            str(e.updated),
            str(e.removed),
        )
    return table


class LiveProgress:
    """Observer and wait hook for SyncEngine.run that redraw a live table."""

    def __init__(self, console: Console) -> None:
        self._entities: dict[str, EntityReport] = {}
        self._waits: list[str] = []
        self._waited = 0.0
        self._live = Live(self._render(), console=console, refresh_per_second=4, transient=True)

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._live.__exit__(exc_type, exc, traceback)

    def observe(self, entities: dict[str, EntityReport]) -> None:
        self._entities = entities
        self._live.update(self._render())

    def on_wait(self, seconds: float, reason: str) -> None:
        self._waited += seconds
        self._waits = [f"waiting {seconds:.1f} s ({reason}); {self._waited:.0f} s in all"]
        self._live.update(self._render())

    def _render(self) -> Group:
        return Group(entity_table(self._entities, title="syncing"), Text("\n".join(self._waits)))


def summary(report: SyncReport) -> Group:
    """The end-of-run table with totals, error and hint."""
    entities = {e.name: e for e in report.entities}
    duration = report.duration_seconds or 0.0
    totals = Text(
        f"run {report.id}: {report.status.value} in {duration:.1f} s; "
        f"{report.requests} Graph requests, {report.throttled} throttled (429), "
        f"{report.seconds_waited:.1f} s waited"
    )
    parts: list = [entity_table(entities, title=f"sync of tenant {report.tenant_id}"), totals]
    for e in report.entities:
        if e.error:
            parts.append(Text(f"{e.name}: {e.error}", style="yellow"))
    if report.hint:
        parts.append(Text(f"hint: {report.hint}", style="bold"))
    return Group(*parts)
