"""Who hears about finished syncs: notifiers (the Slack bot is one) register as listeners."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from sync_core.records import SyncReport

log = logging.getLogger(__name__)


class SyncListener(Protocol):
    """Told about every finished run, with the insight events its derive step raised."""

    async def sync_finished(self, *, report: SyncReport, events: Sequence[Any]) -> None: ...


async def tell(
    listeners: Sequence[SyncListener], *, report: SyncReport, events: Sequence[Any]
) -> None:
    """Hand a finished run to every listener; one failing listener does not stop the others."""
    for listener in listeners:
        try:
            await listener.sync_finished(report=report, events=events)
        except Exception:
            log.exception("listener %r failed for sync %s", listener, report.id)
