"""Relay-style connections over the store's keyset pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from graphql_api.errors import BadInput
from graphql_api.ids import encode_cursor
from sync_core.store.paging import MAX_PAGE
from sync_core.store.paging import Page as StorePage

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_PAGE = 20


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    total_count: int
    page_info: PageInfo
    edges: list[Edge[T]]

    @classmethod
    def of(cls, page: StorePage[R], node: Callable[[R], T]) -> Connection[T]:
        edges = [
            Edge(cursor=encode_cursor(key), node=node(item))
            for item, key in zip(page.items, page.keys, strict=True)
        ]
        return cls(
            total_count=page.total,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
            edges=edges,
        )


def page_size(first: int | None) -> int:
    """`first`, defaulting to 20 and refused above 100."""
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise BadInput(f"first must be between 0 and {MAX_PAGE}")
    return first
