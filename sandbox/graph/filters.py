"""A small OData $filter: comparisons, and/or/not, startswith/endswith, any() on lists."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.clock import parse_iso
from sandbox.graph.errors import GraphError

Predicate = Callable[[dict[str, Any]], bool]
OPERATORS = {"eq", "ne", "gt", "ge", "lt", "le"}
_OPERATOR_KIND = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<punct>[(),:])
)""",
    re.VERBOSE,
)
DATETIME_FIELDS = frozenset({"createdDateTime"})


@dataclass
class Literal:
    """A typed constant."""

    kind: str  # string, datetime, number, bool, null, guid
    value: Any


@dataclass
class Bound:
    """createdDateTime >= low and < high, in seconds (graph timestamps have whole seconds)."""

    low: float = -math.inf
    high: float = math.inf


def invalid(text: str, position: int) -> GraphError:
    """Graph's 400 for a filter it cannot parse."""
    return GraphError(
        400,
        "BadRequest",
        f"Invalid filter clause: Syntax error at position {position} in '{text}'.",
    )


class Parser:
    """Recursive descent over the token list, producing a predicate and createdDateTime bounds."""

    def __init__(self, text: str, *, properties: frozenset[str], entity: str) -> None:
        self.text, self.properties, self.entity = text, properties, entity
        self.tokens: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                if text[position:].strip() == "":
                    break
                raise invalid(text, position)
            kind = match.lastgroup or "punct"
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            position = match.end()
        self.index = 0
        self.bound = Bound()

    def parse(self) -> Predicate:
        """The whole filter as one predicate."""
        predicate = self._or(top=True)
        if self.index != len(self.tokens):
            raise invalid(self.text, self.tokens[self.index][2])
        return predicate

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self._peek()
        if token is None or (value is not None and token[1].lower() != value):
            raise invalid(self.text, token[2] if token else len(self.text))
        self.index += 1
        return token

    def _is(self, value: str) -> bool:
        token = self._peek()
        return token is not None and token[0] == "name" and token[1].lower() == value

    def _or(self, *, top: bool = False) -> Predicate:
        parts = [self._and(top=top)]
        while self._is("or"):
            self._take()
            parts.append(self._and(top=False))
        if len(parts) > 1 and top:
            self.bound = Bound()  # bounds only hold for a pure conjunction
        return parts[0] if len(parts) == 1 else lambda r: any(p(r) for p in parts)

    def _and(self, *, top: bool) -> Predicate:
        parts = [self._unary(top=top)]
        while self._is("and"):
            self._take()
            parts.append(self._unary(top=top))
        return parts[0] if len(parts) == 1 else lambda r: all(p(r) for p in parts)

    def _unary(self, *, top: bool) -> Predicate:
        if self._is("not"):
            self._take()
            inner = self._unary(top=False)
            return lambda r: not inner(r)
        token = self._peek()
        if token is not None and token[1] == "(":
            self._take("(")
            inner = self._or(top=False)
            self._take(")")
            return inner
        if token is not None and token[1].lower() in ("startswith", "endswith"):
            return self._text_function()
        return self._comparison(top=top)

    def _text_function(self) -> Predicate:
        name = self._take()[1].lower()
        self._take("(")
        path = self._property()
        self._take(",")
        literal = self._literal()
        self._take(")")
        needle = str(literal.value).lower()
        test = str.startswith if name == "startswith" else str.endswith
        return lambda r: test(str(_get(r, path) or "").lower(), needle)

    def _property(self) -> str:
        kind, value, position = self._take()
        if kind != "name":
            raise invalid(self.text, position)
        head = value.split("/")[0]
        canonical = {p.lower(): p for p in self.properties}.get(head.lower())
        if canonical is None:
            raise GraphError(
                400,
                "BadRequest",
                f"Could not find a property named '{head}' on "
                f"type 'microsoft.graph.{self.entity}'.",
            )
        return "/".join([canonical, *value.split("/")[1:]])

    def _comparison(self, *, top: bool) -> Predicate:
        path = self._property()
        if path.endswith("/any"):
            return self._any(path[: -len("/any")])
        operator = self._take()[1].lower()
        if operator not in OPERATORS:
            raise invalid(self.text, self.tokens[self.index - 1][2])
        literal = self._literal()
        if path in DATETIME_FIELDS:
            if literal.kind != "datetime":
                raise GraphError(
                    400,
                    "BadRequest",
                    "A binary operator with incompatible types "
                    "was detected. Found operand types 'Edm.DateTimeOffset' and "
                    f"'Edm.{literal.kind.capitalize()}' for operator kind "
                    f"'{_OPERATOR_KIND[operator]}'.",
                )
            if top:
                self._narrow(operator, literal.value)
        return _compare(path, operator, literal)

    def _narrow(self, operator: str, value: float) -> None:
        # Shown timestamps have whole seconds: compare floor(t), so "le X" is "t < floor(X) + 1".
        if operator == "ge":
            self.bound.low = max(self.bound.low, math.ceil(value))
        elif operator == "gt":
            self.bound.low = max(self.bound.low, math.floor(value) + 1)
        elif operator == "le":
            self.bound.high = min(self.bound.high, math.floor(value) + 1)
        elif operator == "lt":
            self.bound.high = min(self.bound.high, math.ceil(value))

    def _any(self, path: str) -> Predicate:
        self._take("(")
        variable = self._take()[1]
        self._take(":")
        if self._take()[1] != variable:
            raise invalid(self.text, self.tokens[self.index - 1][2])
        operator = self._take()[1].lower()
        literal = self._literal()
        self._take(")")
        return lambda r: any(_matches(item, operator, literal) for item in (_get(r, path) or []))

    def _literal(self) -> Literal:
        kind, value, position = self._take()
        if kind == "string":
            return Literal("string", value[1:-1].replace("''", "'"))
        if kind == "datetime":
            try:
                return Literal("datetime", parse_iso(value))
            except ValueError as exc:
                raise invalid(self.text, position) from exc
        if kind == "number":
            return Literal("number", float(value))
        if kind == "date":
            return Literal("date", value)
        if kind == "guid":
            return Literal("guid", value.lower())
        if kind == "name" and value.lower() in ("true", "false", "null"):
            return Literal(
                "null" if value.lower() == "null" else "boolean",
                {"true": True, "false": False}.get(value.lower()),
            )
        raise invalid(self.text, position)


def _get(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _matches(value: Any, operator: str, literal: Literal) -> bool:
    if literal.kind == "datetime" and isinstance(value, str):
        value = math.floor(parse_iso(value))
    target = literal.value
    if isinstance(value, str) and isinstance(target, str):
        value, target = value.lower(), target.lower()
    if operator == "eq":
        return value == target
    if operator == "ne":
        return value != target
    if value is None or target is None:
        return False
    try:
        return {
            "gt": value > target,
            "ge": value >= target,
            "lt": value < target,
            "le": value <= target,
        }[operator]
    except TypeError:
        return False


def _compare(path: str, operator: str, literal: Literal) -> Predicate:
    return lambda r: _matches(_get(r, path), operator, literal)


def compile_filter(
    text: str | None,
    *,
    properties: frozenset[str],
    entity: str,
) -> tuple[Predicate | None, Bound]:
    """(predicate, createdDateTime bounds); (None, unbounded) without a filter."""
    if not text:
        return None, Bound()
    parser = Parser(text, properties=properties, entity=entity)
    return parser.parse(), parser.bound
