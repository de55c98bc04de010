"""Opaque global ids ("App:42" → base64url) and keyset cursors.

Both come back from clients, so decoding checks everything a tampered value could carry: the
base64, the JSON, the shape of the key, and that every integer fits the 64-bit columns it is
compared with (SQLite raises OverflowError beyond them, PostgreSQL a DataError).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from typing import Any

from graphql_api.errors import BadInput

# The types each position of a cursor's key may hold, e.g. ((str, NoneType), (int,)).
Shape = tuple[tuple[type, ...], ...]
NAME_AND_ID: Shape = ((str,), (int,))
NULLABLE_NAME_AND_ID: Shape = ((str, type(None)), (int,))
CREATED_AND_UUID: Shape = ((dt.datetime,), (uuid.UUID,))
ID_ONLY: Shape = ((int,),)
ENTRA_ID_ONLY: Shape = ((str,),)
BIGINT = 2**63  # our ids are BIGINT columns: 1 ≤ id < 2**63


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def encode_id(kind: str, key: object) -> str:
    """The global id of an object."""
    return _b64(f"{kind}:{key}")


def decode_id(kind: str, value: str, *, argument: str = "id") -> str:
    """The key inside a global id of this kind; a foreign or malformed id is bad input."""
    found, _, key = (_unb64(value) or "").partition(":")
    if found != kind or not key:
        raise BadInput(f"{argument}: not a {kind} id")
    return key


def decode_int_id(kind: str, value: str, *, argument: str = "id") -> int:
    """The integer key of a global id; one no row can have (beyond 64 bits) is bad input."""
    try:
        key = int(decode_id(kind, value, argument=argument))
    except ValueError:  # not digits, or more than Python's 4300-digit conversion limit
        raise BadInput(f"{argument}: not a {kind} id") from None
    if not 0 < key < BIGINT:
        raise BadInput(f"{argument}: not a {kind} id (out of range)")
    return key


def decode_uuid_id(kind: str, value: str, *, argument: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(decode_id(kind, value, argument=argument))
    except ValueError:
        raise BadInput(f"{argument}: not a {kind} id") from None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    return value


def _typed(value: Any) -> Any:
    """A key value as encoded by _plain; raises ValueError for anything else in a dict."""
    if not isinstance(value, dict):
        return value
    if set(value) == {"t"} and isinstance(value["t"], str):
        moment = dt.datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:  # we only ever encode aware datetimes
            raise ValueError("naive datetime")
        return moment
    if set(value) == {"u"} and isinstance(value["u"], str):
        return uuid.UUID(value["u"])
    raise ValueError("unknown encoded value")


def _fits(value: Any, allowed: tuple[type, ...]) -> bool:
    """Whether a decoded key value is one of the allowed types and storable as such."""
    if isinstance(value, bool) or not isinstance(value, allowed):
        return False
    if isinstance(value, int):
        return -BIGINT <= value < BIGINT
    if isinstance(value, str):
        return "\x00" not in value  # PostgreSQL text cannot hold NUL
    return True


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def encode_cursor(key: tuple) -> str:
    """A cursor for a row's sort key."""
    return _b64(json.dumps([_plain(v) for v in key], separators=(",", ":")))


def decode_cursor(cursor: str | None, *, shape: Shape, argument: str = "after") -> tuple | None:
    """The sort key inside a cursor, checked against the key's shape; anything else is bad
    input naming the argument."""
    if cursor is None:
        return None
    bad = BadInput(f"{argument}: not a cursor this field returned")
    text = _unb64(cursor)
    if text is None:
        raise bad
    try:
        values = json.loads(text, parse_constant=_refuse_constant)
        if not isinstance(values, list) or len(values) != len(shape):
            raise bad
        key = tuple(_typed(v) for v in values)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise bad from None
    if not all(_fits(v, allowed) for v, allowed in zip(key, shape, strict=True)):
        raise bad
    return key
