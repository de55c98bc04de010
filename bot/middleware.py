"""Global middleware: refuse replayed requests, then give listeners their services,
organization and actor through Bolt's context."""

from __future__ import annotations

import datetime as dt
import logging
import time

from slack_bolt.response import BoltResponse

from bot.access import actor
from bot.messages import help as help_messages
from bot.services import Background, BotServices
from sync_core.store import slack_replays

log = logging.getLogger(__name__)
# Slack refuses a request whose timestamp is more than five minutes off (Bolt checks it before
# any middleware), so a replay can only happen inside that window: remembering each request
# that long refuses every replay. The margin covers clocks of web processes that disagree.
REPLAY_WINDOW = dt.timedelta(minutes=5)
CLOCK_MARGIN = dt.timedelta(minutes=1)
PRUNE_EVERY = 60.0


def _utcnow() -> dt.datetime:
    # Wall time, as Bolt's timestamp check uses, not the services' clock (tests move that).
    return dt.datetime.now(dt.UTC)


class ReplayGuard:
    """Refuses a signed request already accepted (HTTP mode; Socket Mode is unsigned).

    `shared`: by any process on the database (PostgreSQL, where many web processes run): one
    INSERT on the ack path; expired rows are deleted in the background, at most once a minute.
    Otherwise by this process, in memory: SQLite is one process, and there the INSERT would
    wait behind a sync's page write, which holds the only connection.
    """

    def __init__(self, *, background: Background, shared: bool) -> None:
        self._background, self._shared = background, shared
        self._pruned_at = -PRUNE_EVERY
        self._seen: dict[str, dt.datetime] = {}

    async def is_replay(self, *, timestamp: str, signature: str) -> bool:
        """Whether this request was seen before (and remember it if not)."""
        key = slack_replays.request_key(timestamp=timestamp, signature=signature)
        sent_at = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
        expires_at = sent_at + REPLAY_WINDOW + CLOCK_MARGIN
        if not self._shared:
            return self._seen_here(key, expires_at)
        first = await slack_replays.first_delivery(key=key, expires_at=expires_at)
        self._prune()
        return not first

    def _seen_here(self, key: str, expires_at: dt.datetime) -> bool:
        if len(self._seen) > 10_000:
            now = _utcnow()
            self._seen = {k: at for k, at in self._seen.items() if at > now}
        if key in self._seen:
            return True
        self._seen[key] = expires_at
        return False

    def _prune(self) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = time.monotonic()
        work = slack_replays.forget_expired(now=_utcnow() - CLOCK_MARGIN)
        self._background.spawn(work, name="forget-seen-slack-requests")

    async def middleware(self, req, next) -> BoltResponse | None:
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        timestamp = (req.headers.get("x-slack-request-timestamp") or [""])[0]
        signed = req.mode == "http" and signature and timestamp.isdigit()
        if signed and await self.is_replay(timestamp=timestamp, signature=signature):
            log.warning("refused a replayed Slack request")
            return BoltResponse(status=401, body={"error": "replayed request"})
        # Events API retries after a timeout: the first delivery is still being handled.
        reason = (req.headers.get("x-slack-retry-reason") or [""])[0]
        if reason == "http_timeout":
            return BoltResponse(status=200, body="")
        return await next()


def attach(services: BotServices):
    """Put `services`, `organization_id` and `actor` in the context, for listeners by name."""

    async def middleware(context, body, next) -> BoltResponse | None:
        context["services"] = services
        context["organization_id"] = await services.workspaces.organization_of(context.team_id)
        context["actor"] = actor(body)
        kind = body.get("type")
        if context["organization_id"] is None and kind in ("block_actions", "view_submission"):
            log.info("ignored a %s from unbound workspace %s", kind, context.team_id)
            message = help_messages.unbound(team_id=context.team_id)
            if kind == "view_submission":
                errors = {"note": message["text"][:300]}
                return BoltResponse(
                    status=200, body={"response_action": "errors", "errors": errors}
                )
            return BoltResponse(status=200, body="")
        return await next()

    return middleware
