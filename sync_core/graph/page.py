"""One page of a Graph collection, read from a response body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sync_core.graph.errors import MalformedResponse


@dataclass(frozen=True)
class Page:
    """A page of items; `next_link` while more follow, `delta_link` on a delta round's last page."""

    items: list[dict[str, Any]]
    next_link: str | None = None
    delta_link: str | None = None


def json_object(body: bytes, *, status: int | None = None) -> dict[str, Any]:
    """Parse a success body that must be a JSON object."""
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise MalformedResponse(f"response is not JSON: {exc}", status=status) from exc
    if not isinstance(parsed, dict):
        raise MalformedResponse("response is not a JSON object", status=status)
    return parsed


def _link(body: dict[str, Any], key: str, *, status: int | None) -> str | None:
    link = body.get(key)
    if link is None:
        return None
    if not isinstance(link, str) or not link.startswith(("https://", "http://")):
        raise MalformedResponse(f"{key} is not an absolute URL", status=status)
    return link


def page_from_body(body: bytes, *, status: int | None = None) -> Page:
    """Parse a collection response: `value` must be a list of objects."""
    parsed = json_object(body, status=status)
    items = parsed.get("value")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedResponse("collection response has no list of objects in 'value'")
    return Page(
        items=items,
        next_link=_link(parsed, "@odata.nextLink", status=status),
        delta_link=_link(parsed, "@odata.deltaLink", status=status),
    )
