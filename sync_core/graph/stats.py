"""Counters a sync run records about its Graph traffic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum

# Called with (seconds, reason) before every wait, so a CLI can show throttling as it happens.
OnWait = Callable[[float, str], None]


class WaitReason(StrEnum):
    """Why the client is about to wait; passed to `on_wait` (it is a str)."""

    RETRY_AFTER = "retry-after"
    BACKOFF = "backoff"
    REPORTS_LIMITER = "reports-limiter"


@dataclass
class GraphStats:
    """Mutable totals for one client: read them at the end of a stage, reset between runs."""

    requests: int = 0
    throttled: int = 0
    retries: int = 0
    seconds_waited: float = 0.0

    def reset(self) -> None:
        """Zero every counter."""
        self.requests = self.throttled = self.retries = 0
        self.seconds_waited = 0.0

    def as_dict(self) -> dict[str, float]:
        """A plain copy, e.g. for a sync-run record."""
        return asdict(self)
