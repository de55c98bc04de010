"""A run's live counters and checkpoint, persisted after every page so a crash can resume."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sync_core.graph import GraphStats
from sync_core.records import EntityReport, EntityStatus, SyncMode
from sync_core.store import activity, runs
from sync_core.store.activity import NewActivity

ENTITIES = (
    "users",
    "apps",
    "groups",
    "assignments",
    "grants",
    "sign_ins",
    "sign_in_activity",
)
Clock = Callable[[], dt.datetime]
# Called with the run's current entity reports after each change (the CLI draws them).
Observer = Callable[[dict[str, EntityReport]], None]


class RunStopped(Exception):
    """The run's process is stopping it: raised at the pass's next progress update, which
    comes after a write, never inside one. The run resumes from its last checkpoint."""


class RunProgress:
    """Counters per entity plus the checkpoint; `save` writes both to the run row."""

    def __init__(
        self,
        run_id: uuid.UUID,
        *,
        checkpoint: dict[str, Any],
        stats: GraphStats,
        clock: Clock,
        observer: Observer | None = None,
        entities: dict[str, EntityReport] | None = None,
        organization_id: uuid.UUID | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.run_id = run_id
        self._stop = stop
        self.organization_id = organization_id
        # Activity events found since the last save; written with the progress.
        self.events: list[NewActivity] = []
        self.checkpoint = checkpoint
        self.stats = stats
        self.clock = clock
        self._observer = observer
        self.entities = entities or {name: EntityReport(name=name) for name in ENTITIES}

    @property
    def is_stopping(self) -> bool:
        """Whether the run's process asked it to stop."""
        return self._stop is not None and self._stop.is_set()

    def raise_if_stopping(self) -> None:
        """RunStopped when the run's process asked it to stop."""
        if self.is_stopping:
            raise RunStopped(f"sync {self.run_id} stopped")

    def update(self, entity: str, **changes: Any) -> EntityReport:
        """Replace fields of an entity's report (RunStopped instead, once the run stops)."""
        self.raise_if_stopping()
        report = dataclasses.replace(self.entities[entity], **changes)
        self.entities[entity] = report
        if self._observer is not None:
            self._observer(dict(self.entities))
        return report

    def add(self, entity: str, **increments: int) -> None:
        """Add to an entity's counters."""
        current = self.entities[entity]
        self.update(entity, **{k: getattr(current, k) + v for k, v in increments.items()})

    def start(self, entity: str, mode: SyncMode) -> None:
        """Mark an entity as running in a mode (keeping counters of a resumed run)."""
        self.update(entity, mode=mode, status=EntityStatus.RUNNING)

    def mark(self, entity: str, key: str, value: Any) -> None:
        """Set one checkpoint value of an entity (None clears it)."""
        state = self.checkpoint.setdefault(entity, {})
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value

    def state(self, entity: str) -> dict[str, Any]:
        """An entity's checkpoint."""
        return self.checkpoint.get(entity, {})

    async def save(self) -> None:
        """Persist counters, checkpoint, Graph totals (the run's heartbeat) and new events."""
        if self.events and self.organization_id is not None:
            await activity.record(organization_id=self.organization_id, events=self.events)
            self.events = []
        await runs.save_progress(
            run_id=self.run_id,
            entities={name: _plain(report) for name, report in self.entities.items()},
            checkpoint=self.checkpoint,
            totals=self.stats.as_dict(),
            now=self.clock(),
        )


def _plain(report: EntityReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data.pop("name")
    return data


def restore(entities: dict[str, dict[str, Any]] | None) -> dict[str, EntityReport]:
    """Entity reports from a run row (a resumed run keeps its counters)."""
    restored = {name: EntityReport(name=name) for name in ENTITIES}
    for name, data in (entities or {}).items():
        if name in restored:
            restored[name] = runs.entity_report(name, data)
    return restored
