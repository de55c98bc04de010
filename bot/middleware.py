"""Global middleware: refuse replayed requests, then give listeners their services,
organization and actor through Bolt's context."""

from __future__ import annotations

import hashlib
import logging
import time

from slack_bolt.response import BoltResponse

from bot.access import actor
from bot.messages import help as help_messages
from bot.services import BotServices

log = logging.getLogger(__name__)
# Slack's signatures are only accepted for five minutes (the timestamp check), so a replay
# can only happen inside that window: remembering signatures that long refuses every replay.
REPLAY_WINDOW = 300.0


class ReplayGuard:
    """Refuses a request whose signature was already seen (HTTP mode; Socket Mode is unsigned)."""

    def __init__(self, *, window: float = REPLAY_WINDOW) -> None:
        self.window = window
        self._seen: dict[str, float] = {}

    def is_replay(self, signature: str) -> bool:
        """Whether this signature was seen within the window (and remember it if not)."""
        now = time.monotonic()
        if len(self._seen) > 10_000:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self.window}
        key = hashlib.sha256(signature.encode()).hexdigest()
        seen = self._seen.get(key)
        if seen is not None and now - seen < self.window:
            return True
        self._seen[key] = now
        return False

    async def middleware(self, req, next) -> BoltResponse | None:
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        if req.mode == "http" and signature and self.is_replay(signature):
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
                return BoltResponse(status=200, body={"response_action": "errors",
                                                      "errors": errors})  # fmt: skip
            return BoltResponse(status=200, body="")
        return await next()

    return middleware
