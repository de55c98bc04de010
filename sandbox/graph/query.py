"""OData system query options as Graph reads them: $select, $top, $filter and friends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from sandbox.graph.errors import GraphError, bad_request

SYSTEM_OPTIONS = frozenset(
    {
        "$select",
        "$top",
        "$filter",
        "$skiptoken",
        "$deltatoken",
        "$count",
        "$expand",
        "$orderby",
        "$search",
        "$skip",
        "$format",
    }
)


@dataclass
class Query:
    """The parsed query string of one Graph request."""

    raw: str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def select(self) -> list[str] | None:
        """$select as a list, None when absent."""
        value = self.options.get("$select")
        return [p.strip() for p in value.split(",") if p.strip()] if value else None

    @property
    def filter(self) -> str | None:
        """$filter text."""
        return self.options.get("$filter") or None

    @property
    def skiptoken(self) -> str | None:
        """$skiptoken, if present."""
        return self.options.get("$skiptoken")

    @property
    def deltatoken(self) -> str | None:
        """$deltatoken; "" is meaningful (a fresh round after 410 Gone)."""
        return self.options.get("$deltatoken")

    @property
    def count(self) -> bool:
        """$count=true."""
        return self.options.get("$count", "").lower() == "true"

    def has(self, option: str) -> bool:
        """Whether the option was given."""
        return option in self.options

    @property
    def top(self) -> int | None:
        """$top as an integer; 400 as OData words it when it is not one."""
        value = self.options.get("$top")
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number < 0:
            raise bad_request(
                f"Invalid value '{value}' for $top query option found. The $top "
                "query option requires a non-negative integer value."
            )
        return number

    def without_skiptoken(self) -> str:
        """The query string as sent, minus $skiptoken (nextLinks repeat the rest)."""
        parts = [
            p
            for p in self.raw.split("&")
            if p and not p.lower().lstrip("%24$").startswith("skiptoken=")
        ]
        return "&".join(parts)


def parse_query(raw: str) -> Query:
    """Normalise option names ($ optional, case-insensitive); reject unknown $options."""
    query = Query(raw)
    for key, value in parse_qsl(raw, keep_blank_values=True):
        name = key.lower()
        if not name.startswith("$") and f"${name}" in SYSTEM_OPTIONS:
            name = f"${name}"
        if name.startswith("$") and name not in SYSTEM_OPTIONS:
            raise bad_request(f"The query parameter '{key}' is not supported.")
        if name in SYSTEM_OPTIONS:
            query.options[name] = value
    return query


def check_page_size(top: int | None, *, maximum: int = 999) -> None:
    """Directory collections accept $top 1..999 and answer anything else with this 400."""
    if top is not None and not 1 <= top <= maximum:
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            f"Invalid page size specified: '{top}'. Must be between 1 and {maximum} inclusive.",
        )


def resolve_select(
    select: list[str] | None,
    *,
    properties: frozenset[str],
    entity: str,
    single_only: frozenset[str] = frozenset(),
) -> list[str] | None:
    """Canonical property names for $select; 400 for unknown ones, 501 for entity-only ones."""
    if select is None:
        return None
    canonical = {p.lower(): p for p in properties}
    resolved = []
    for name in select:
        found = canonical.get(name.lower())
        if found is None:
            raise bad_request(
                f"Could not find a property named '{name}' on type 'microsoft.graph.{entity}'.",
                "Request_BadRequest",
            )
        if found in single_only:
            raise GraphError(501, "NotImplemented", "This operation target is not yet supported.")
        if found not in resolved:
            resolved.append(found)
    return resolved


def project(record: dict[str, Any], fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The record reduced to the selected fields; `id` always comes back."""
    result = {"id": record.get("id")} if "id" in record else {}
    for name in fields:
        result[name] = record.get(name)
    return result
