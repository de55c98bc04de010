"""Data lifecycle: deleting an organization with every row it owns, and re-encrypting secrets.

Which rows belong to an organization is read from the models themselves (the shortest chain of
foreign keys to `organization`), so a new table is covered the day it is added; a table with no
such chain must be given a rule below, or deletion refuses to run rather than leave rows behind.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any

from tortoise.context import require_context
from tortoise.expressions import Q, Subquery
from tortoise.fields.relational import RelationalField
from tortoise.models import Model
from tortoise.transactions import in_transaction

from sync_core.crypto import DecryptionError, Vault
from sync_core.store import models, slack_models
from sync_core.store.columns import column
from sync_core.store.db import APP_LABEL
from sync_core.store.organizations import NotFound, get_organization

# A run whose worker has not reported for this long is dead: the scheduler resumes it then
# (sync_core.schedule.STALLED_AFTER), so it no longer protects its organization either.
STALE_AFTER = dt.timedelta(minutes=5)
# Models that hold no organization's data; each must be listed here on purpose.
NOT_ORGANIZATION_DATA: frozenset[str] = frozenset(
    {
        "SlackSeenRequest",  # hashes of signed Slack requests, for replay checks: minutes long
    }
)
ENCRYPTED_SUFFIX = "_encrypted"


class UnscopedTable(Exception):
    """A table whose rows cannot be traced to an organization (a rule is missing here)."""


class SyncInProgress(Exception):
    """The organization has a sync running; deleting under it would race its writes."""


@dataclass(frozen=True)
class Scope:
    """How the rows of one table belong to an organization."""

    model: type[Model]
    where: Callable[[uuid.UUID], Q]
    # Tables the filter reads through: their rows must still exist when this one is deleted.
    reads: frozenset[type[Model]]

    @property
    def table(self) -> str:
        return self.model._meta.db_table


def _slack_installations(organization_id: uuid.UUID) -> Q:
    # Installs carry the Slack team (or, for org-wide installs, the enterprise) rather than a key
    # to us; the binding in slack_workspace says whose they are (see store.slack.install).
    teams = Subquery(
        models.SlackWorkspace.filter(organization_id=organization_id).values("team_id")
    )
    return Q(team_id__in=teams) | Q(team_id=None, enterprise_id__in=teams)


INDIRECT: dict[type[Model], tuple[Callable[[uuid.UUID], Q], frozenset[type[Model]]]] = {
    slack_models.SlackInstallation: (_slack_installations, frozenset({models.SlackWorkspace})),
}


def registered_models() -> list[type[Model]]:
    """Every model in Tortoise's registry, by table name."""
    apps = require_context().apps
    if apps is None:
        raise RuntimeError("Tortoise is not initialised")
    return sorted(apps.apps[APP_LABEL].values(), key=lambda m: m._meta.db_table)


def _references(model: type[Model]) -> dict[str, type[Model]]:
    meta = model._meta
    return {
        name: field.related_model
        for name in meta.fk_fields | meta.o2o_fields
        if isinstance(field := meta.fields_map[name], RelationalField)  # all are: types narrow
    }


def _chain_to_organization(model: type[Model]) -> list[tuple[str, type[Model]]] | None:
    """The shortest chain of foreign keys from `model` to Organization (breadth first)."""
    queue: deque[tuple[type[Model], list[tuple[str, type[Model]]]]] = deque([(model, [])])
    seen = {model}
    while queue:
        current, chain = queue.popleft()
        for name, target in sorted(_references(current).items()):
            step = [*chain, (name, target)]
            if target is models.Organization:
                return step
            if target not in seen:
                seen.add(target)
                queue.append((target, step))
    return None


def _scope(model: type[Model]) -> Scope:
    if model is models.Organization:
        return Scope(model, lambda org: Q(id=org), frozenset())
    if model in INDIRECT:
        where, reads = INDIRECT[model]
        return Scope(model, where, reads)
    chain = _chain_to_organization(model)
    if chain is None:
        raise UnscopedTable(
            f"table {model._meta.db_table} has no path to an organization: add a rule to "
            "sync_core/store/lifecycle.py"
        )
    lookup = "__".join(name for name, _ in chain) + "_id"
    return Scope(model, lambda org: _lookup(lookup, org), frozenset(t for _, t in chain))


def _lookup(lookup: str, value: object) -> Q:
    """Q(lookup=value) for a lookup built at run time."""
    filters: dict[str, Any] = {lookup: value}  # Any: Q's own `join_type` keyword is a str
    return Q(**filters)


def deletion_plan() -> list[Scope]:
    """Every organization-owned table, each before any table it refers to or reads through."""
    scopes = [_scope(m) for m in registered_models() if m.__name__ not in NOT_ORGANIZATION_DATA]
    graph: dict[type[Model], set[type[Model]]] = {s.model: set() for s in scopes}
    for scope in scopes:
        for parent in scope.reads | set(_references(scope.model).values()):
            # A parent waits for its children: no cascade deletes rows we did not count.
            graph.setdefault(parent, set()).add(scope.model)
    by_model = {s.model: s for s in scopes}
    return [by_model[m] for m in TopologicalSorter(graph).static_order() if m in by_model]


async def count_organization_rows(*, organization_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each table belong to the organization (what a delete would remove)."""
    await get_organization(organization_id=organization_id)
    return {
        s.table: await s.model.filter(s.where(organization_id)).count() for s in deletion_plan()
    }


async def running_syncs(*, organization_id: uuid.UUID, now: dt.datetime) -> list[uuid.UUID]:
    """The organization's queued or running syncs whose worker is alive."""
    alive = now - STALE_AFTER
    fresh = Q(heartbeat_at__gte=alive) | Q(heartbeat_at=None, created_at__gte=alive)
    query = models.SyncRun.filter(organization_id=organization_id, active_key__isnull=False)
    return await column(query.filter(fresh), "id")


async def delete_organization(*, organization_id: uuid.UUID, now: dt.datetime) -> dict[str, int]:
    """Remove every row of an organization, in one transaction; rows removed per table.

    Refuses (SyncInProgress) while one of its syncs is alive: the run would keep writing rows.
    """
    plan = deletion_plan()
    async with in_transaction():
        # Serialises concurrent deletes of one organization (a no-op on SQLite, which
        # serialises every write transaction anyway).
        locked = await models.Organization.filter(id=organization_id).select_for_update()
        if not locked:
            raise NotFound(f"no organization {organization_id}")
        if active := await running_syncs(organization_id=organization_id, now=now):
            raise SyncInProgress(
                f"sync run {active[0]} of this organization is in progress: wait for it to "
                f"finish (runs silent for {STALE_AFTER.seconds // 60} minutes do not count)"
            )
        return {s.table: await s.model.filter(s.where(organization_id)).delete() for s in plan}


def encrypted_columns() -> list[tuple[type[Model], str]]:
    """Every column that holds ciphertext: by convention, a field named `*_encrypted`."""
    return [
        (model, name)
        for model in registered_models()
        for name in sorted(model._meta.fields_map)
        if name.endswith(ENCRYPTED_SUFFIX)
    ]


@dataclass(frozen=True)
class Rotation:
    """What re-encryption did to one column."""

    table: str
    column: str
    rotated: int
    already_current: int


def _is_current(newest: Vault, ciphertext: str) -> bool:
    try:
        newest.decrypt(ciphertext)
    except DecryptionError:
        return False
    return True


async def _rotate_column(model: type[Model], column: str, keys: Sequence[str]) -> Rotation:
    vault, newest = Vault(keys), Vault(keys[:1])
    rotated = current = 0
    # Only (id, ciphertext) pairs are read: these tables hold one row per install or tenant.
    rows = (
        await model.exclude(**{f"{column}__isnull": True})
        .exclude(**{column: ""})
        .values_list("id", column)
    )
    for pk, ciphertext in rows:
        if _is_current(newest, ciphertext):
            current += 1
            continue
        try:
            fresh = vault.rotate(ciphertext)
        except DecryptionError:
            raise DecryptionError(
                f"{model._meta.db_table}.{column} of row {pk} cannot be decrypted with any key "
                "in APPVENTORY_SECRET_KEY: nothing was re-encrypted"
            ) from None
        # Compare-and-set: a value rewritten meanwhile (a reinstall) is already under the new key.
        rotated += await model.filter(id=pk, **{column: ciphertext}).update(**{column: fresh})
    return Rotation(model._meta.db_table, column, rotated, current)


async def rotate_ciphertexts(*, keys: Sequence[str]) -> list[Rotation]:
    """Re-encrypt every stored secret under the first key, in one transaction; idempotent."""
    if not keys:
        raise ValueError("no key given")
    async with in_transaction():
        return [await _rotate_column(model, column, keys) for model, column in encrypted_columns()]
