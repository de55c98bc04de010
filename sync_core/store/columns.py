"""Reads of one column, typed: Tortoise types `values_list(field, flat=True)` as tuples, but
it answers with the values themselves (a list of them, or one value after `.get()`/`.first()`)."""

from __future__ import annotations

from typing import Any

from tortoise.queryset import QuerySet, QuerySetSingle


async def column(query: QuerySet[Any], field: str) -> list[Any]:
    """`field` of every row the query selects, in its order."""
    return await query.values_list(field, flat=True)


async def value(query: QuerySetSingle[Any], field: str) -> Any:
    """`field` of the one row: DoesNotExist after `.get()` without it, None after `.first()`."""
    return await query.values_list(field, flat=True)
