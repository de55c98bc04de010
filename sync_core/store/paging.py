"""Keyset pagination: cursors that stay stable while a sync inserts rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

T = TypeVar("T")
MAX_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of records, each with the key tuple its cursor encodes."""

    items: list[T]
    keys: list[tuple]
    total: int
    has_next: bool


def _after(order: Sequence[str], after: Sequence[Any]) -> Q:
    """Rows strictly after `after` in `order` (fields prefixed with '-' sort descending)."""
    clauses = []
    for depth, field in enumerate(order):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        equal = {f.lstrip("-"): after[i] for i, f in enumerate(order[:depth])}
        clauses.append(Q(**equal, **{f"{name}__{op}": after[depth]}))
    return Q(*clauses, join_type="OR")


async def keyset(
    query: QuerySet,
    *,
    order: Sequence[str],
    first: int,
    after: Sequence[Any] | None,
    record: Callable[[Any], T],
) -> Page[T]:
    """A page of `first` rows (capped at MAX_PAGE) after the given key, plus the total."""
    first = max(0, min(first, MAX_PAGE))
    total = await query.count()
    window = query.filter(_after(order, after)) if after else query
    rows = await window.order_by(*order).limit(first + 1)
    names = [f.lstrip("-") for f in order]
    keys = [tuple(getattr(row, n) for n in names) for row in rows[:first]]
    return Page(
        items=[record(row) for row in rows[:first]],
        keys=keys,
        total=total,
        has_next=len(rows) > first,
    )
