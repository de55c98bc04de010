"""The entity passes of one run, side by side, each guarded so its failure ends only itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sync_core.graph import GraphError, TokenError, TransientGraphError
from sync_core.graph import errors as graph_errors
from sync_core.records import EntityStatus
from sync_core.sync import hints
from sync_core.sync.assignments import sync_assignments
from sync_core.sync.context import PassContext
from sync_core.sync.directory import APPS, GRANTS, USERS, sync_collection
from sync_core.sync.groups import sync_groups
from sync_core.sync.signins import sync_sign_in_activity, sync_sign_ins

log = logging.getLogger(__name__)


def leaves(exc: BaseException) -> list[BaseException]:
    """The errors inside (nested) exception groups, or the error itself."""
    if not isinstance(exc, BaseExceptionGroup):
        return [exc]
    return [leaf for inner in exc.exceptions for leaf in leaves(inner)]


def graph_error(exc: BaseException) -> GraphError | None:
    """The Graph error a pass failed with, when every error it raised is one of Graph's.

    Concurrent reads fail together, as an exception group: the most telling error speaks for
    them (a refused permission says what to do; a throttled read, only that retries ran out).
    """
    found = leaves(exc)
    if not all(isinstance(e, GraphError) for e in found):
        return None
    graph = [e for e in found if isinstance(e, GraphError)]
    return next((e for e in graph if not isinstance(e, TransientGraphError)), graph[0])


async def guard(ctx: PassContext, entity: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run one pass; whatever it raises ends that entity with its reason and hint, not the run."""
    if ctx.progress.state(entity).get("done") or ctx.progress.is_stopping:
        return
    try:
        await work()
    except Exception as exc:  # ExceptionGroup included; cancellation is not an Exception
        if ctx.progress.is_stopping:
            return  # stopped, or failed as it stopped: it resumes from its checkpoint
        error = graph_error(exc)
        if error is None:
            await _crashed(ctx, entity, exc)
        else:
            await _failed(ctx, entity, error)


async def _failed(ctx: PassContext, entity: str, exc: GraphError) -> None:
    log.warning("sync of %s for tenant %s: %s", entity, ctx.state.connection.tenant_id, exc)
    if isinstance(exc, graph_errors.PremiumLicenseRequired):
        ctx.has_premium = False
    if isinstance(exc, TokenError):
        ctx.token_error = exc
    ctx.progress.update(
        entity,
        status=EntityStatus.FAILED,
        error_code=exc.code or type(exc).__name__,
        error=str(exc),
        hint=hints.for_error(exc, entity=entity),
    )
    await ctx.progress.save()


async def _crashed(ctx: PassContext, entity: str, exc: Exception) -> None:
    """Not Graph's doing: logged with its traceback, and the run will end failed."""
    log.error(
        "sync of %s for tenant %s crashed", entity, ctx.state.connection.tenant_id, exc_info=exc
    )
    cause = next(e for e in leaves(exc) if not isinstance(e, GraphError))
    ctx.crashed.append(entity)
    ctx.progress.update(
        entity,
        status=EntityStatus.FAILED,
        error_code=type(cause).__name__,
        error=str(cause) or type(cause).__name__,
        hint=hints.for_error(cause, entity=entity),
    )
    await ctx.progress.save()


async def run_passes(ctx: PassContext) -> None:
    """Every entity pass, concurrently where their inputs allow; none of them raises.

    Each task is a guarded pass, so the task group never cancels a sibling mid-write.
    """
    async with asyncio.TaskGroup() as group:
        users = group.create_task(guard(ctx, "users", lambda: sync_collection(ctx, USERS)))

        async def apps_then_assignments() -> None:
            await guard(ctx, "apps", lambda: sync_collection(ctx, APPS))
            await guard(ctx, "assignments", lambda: _assignments_unless_apps_failed(ctx))

        group.create_task(apps_then_assignments())
        # Membership is its own delta feed: access through groups is joined at read time.
        group.create_task(guard(ctx, "groups", lambda: sync_groups(ctx)))
        group.create_task(guard(ctx, "grants", lambda: sync_collection(ctx, GRANTS)))
        sign_ins = group.create_task(guard(ctx, "sign_ins", lambda: sync_sign_ins(ctx)))
        sign_ins.add_done_callback(lambda _: ctx.licence_known.set())

        async def activity_when_licence_known() -> None:
            # The sign-in pass learns about the licence from its first page; waiting for it
            # spares a tenant without P1/P2 a refused request, and the users pass writes the
            # rows this one updates.
            await asyncio.shield(users)
            await ctx.licence_known.wait()
            await guard(ctx, "sign_in_activity", lambda: _activity_unless_unlicensed(ctx))

        group.create_task(activity_when_licence_known())


async def _assignments_unless_apps_failed(ctx: PassContext) -> None:
    if ctx.progress.entities["apps"].status is EntityStatus.FAILED:
        ctx.progress.update(
            "assignments", status=EntityStatus.SKIPPED, error="skipped: the apps pass failed"
        )
        return
    await sync_assignments(ctx)


async def _activity_unless_unlicensed(ctx: PassContext) -> None:
    if ctx.has_premium is False:
        ctx.progress.update(
            "sign_in_activity",
            status=EntityStatus.SKIPPED,
            error="skipped: no Entra ID P1/P2 licence",
            hint=hints.PREMIUM,
        )
        return
    await sync_sign_in_activity(ctx)
