"""Raw sign-in retention, applied after every sync of a connection."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync_core.insights.logins import prune_sign_ins
from sync_core.records import SyncReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignInRetention:
    """A sync listener: drops the synced connection's raw sign-ins older than `keep_days`.

    The daily rollup (usage_daily) keeps their counts, so login activity stays answerable.
    """

    keep_days: int

    async def sync_finished(self, *, report: SyncReport, events: Sequence[Any]) -> None:
        """Prune after the run, as of when it finished."""
        now = report.finished_at or dt.datetime.now(dt.UTC)
        removed = await prune_sign_ins(
            now=now, keep_days=self.keep_days, connection_id=report.connection_id
        )
        if removed:
            log.info(
                "pruned %d raw sign-ins older than %d days of tenant %s",
                removed,
                self.keep_days,
                report.tenant_id,
            )
