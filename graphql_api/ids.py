"""Opaque global ids ("App:42" → base64url) and keyset cursors."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from typing import Any

from graphql_api.errors import BadInput


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadInput("malformed id or cursor") from None


def encode_id(kind: str, key: object) -> str:
    """The global id of an object."""
    return _b64(f"{kind}:{key}")


def decode_id(kind: str, value: str) -> str:
    """The key inside a global id of this kind; a foreign or malformed id is bad input."""
    found, _, key = _unb64(value).partition(":")
    if found != kind or not key:
        raise BadInput(f"not a {kind} id")
    return key


def decode_int_id(kind: str, value: str) -> int:
    try:
        return int(decode_id(kind, value))
    except ValueError:
        raise BadInput(f"not a {kind} id") from None


def decode_uuid_id(kind: str, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(decode_id(kind, value))
    except ValueError:
        raise BadInput(f"not a {kind} id") from None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return dt.datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and "u" in value:
        return uuid.UUID(value["u"])
    return value


def encode_cursor(key: tuple) -> str:
    """A cursor for a row's sort key."""
    return _b64(json.dumps([_plain(v) for v in key], separators=(",", ":")))


def decode_cursor(cursor: str | None) -> tuple | None:
    """The sort key inside a cursor; a tampered cursor is bad input."""
    if cursor is None:
        return None
    try:
        values = json.loads(_unb64(cursor))
        if not isinstance(values, list):
            raise ValueError
        return tuple(_typed(v) for v in values)
    except ValueError:
        raise BadInput("malformed cursor") from None
