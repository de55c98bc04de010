"""Batched writes at the driver's speed: no model object per row, one write statement per batch.

Values are bound as a new Tortoise model object would bind them (same stored format), then
SQLite gets one `executemany` of a prepared INSERT … ON CONFLICT and PostgreSQL a binary COPY into
a session-local staging table followed by one INSERT … SELECT … ON CONFLICT. Everything runs in
the caller's Tortoise transaction, so a batch that fails part-way leaves the store as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

from tortoise import fields, timezone
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.data import CharEnumFieldInstance
from tortoise.models import Model
from tortoise.validators import MaxLengthValidator

from sync_core.store.db import driver

# Tortoise logs each statement it sends here; raw ones are logged alike (statement tallies).
log = logging.getLogger("tortoise.db_client")
MISSING = object()  # a value not given for one row of a column
# Keys looked up per SELECT on SQLite: 3 key columns x 2,000 stays far below its 32,766 variables.
LOOKUP_CHUNK = 2_000
# Variables per SELECT when the lookup also carries the values to compare.
SQLITE_VARIABLES = 30_000
Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class Shape:
    """The columns Tortoise's own insert writes for a model (all but generated ones)."""

    model: type[Model]
    table: str
    names: tuple[str, ...]  # model field names, in insert order
    columns: tuple[str, ...]  # the same, as database columns

    def column(self, name: str) -> str:
        return self.model._meta.fields_db_projection[name]


def shape(model: type[Model]) -> Shape:
    """A model's insert columns (known once Tortoise is initialised: foreign keys' columns)."""
    projection = model._meta.fields_db_projection
    fields_map = model._meta.fields_map
    names = tuple(n for n in projection if not fields_map[n].generated)
    return Shape(model, model._meta.db_table, names, tuple(projection[n] for n in names))


def _exact(field: fields.Field, model: type[Model]) -> Converter:
    """to_python_value then to_db_value, as a new object and bulk_create do for a given value."""
    name = field.model_field_name

    def convert(value: Any) -> Any:
        if value is None and not field.null:
            raise ValueError(f"{name} is non nullable field, but null was passed")
        return field.to_db_value(field.to_python_value(value), model)

    return convert


_NONE = type(None)
_NATIVE = {
    fields.CharField: str,
    fields.TextField: str,
    fields.BooleanField: bool,
    fields.IntField: int,
    fields.DateField: dt.date,
}


def _passes(field: fields.Field, values: Sequence[Any]) -> bool:
    """True when `_exact` would return every value unchanged (checked at C speed, per column)."""
    wanted = _NATIVE.get(type(field))
    if wanted is None or getattr(field, "auto_now", False):
        return False
    if not all(isinstance(v, MaxLengthValidator) for v in field.validators):
        return False
    kinds = set(map(type, values))
    if not kinds <= ({wanted, _NONE} if field.null else {wanted}):
        return False
    limit = getattr(field, "max_length", None)
    return limit is None or max(map(len, filter(None, values)), default=0) <= limit


def _utc(field: fields.Field, values: Sequence[Any]) -> list[Any] | None:
    """Aware datetimes as `_exact` returns them (in the default timezone), else None."""
    if type(field) is not fields.DatetimeField or field.auto_now or field.validators:
        return None
    if not timezone.get_use_tz() or not set(map(type, values)) <= {dt.datetime, _NONE}:
        return None
    zones = set(map(attrgetter("tzinfo"), filter(None, values)))
    if not all(isinstance(z, dt.timezone) for z in zones):  # fixed offsets: always aware
        return None
    if None in values and not field.null:
        return None
    zone = timezone.get_default_timezone()
    return [v if v is None else v.astimezone(zone) for v in values]


def _column(
    field: fields.Field, *, model: type[Model], values: Sequence[Any], fallback: Any
) -> Any:
    """A column of given values bound as `_exact` binds each; `MISSING` stands for `fallback`.

    Values mapping produces (str, bool, int, date, aware datetimes) are checked per column and
    passed through; anything else goes through Tortoise's own conversion, value by value.
    """
    if _passes(field, values):
        return values
    moments = _utc(field, values)
    if moments is not None:
        return moments
    exact = _exact(field, model)
    if isinstance(field, CharEnumFieldInstance):  # a few distinct values: convert each once
        memo = {v: exact(v) for v in set(values) - {MISSING}}
        return [fallback if v is MISSING else memo[v] for v in values]
    return [fallback if v is MISSING else exact(v) for v in values]


def _default(field: fields.Field, model: type[Model]) -> Any:
    """The bound default a new model object carries for a column not given (e.g. tags=[])."""
    if field.default is None:
        return None
    value = field.default() if callable(field.default) else field.default
    return field.to_db_value(value, model)


def bind(
    model: type[Model], *, given: Mapping[str, Sequence[Any]], common: Mapping[str, Any]
) -> list[tuple]:
    """Rows as bulk_create would bind them, from columns of given values (all the same length).

    A column not given, or a `MISSING` value in one, takes `common`'s value, else the default.
    """
    fields_map = model._meta.fields_map
    count = len(next(iter(given.values())))
    columns = []
    for name in shape(model).names:
        field = fields_map[name]
        fixed = _exact(field, model)(common[name]) if name in common else _default(field, model)
        if name in given:
            columns.append(_column(field, model=model, values=given[name], fallback=fixed))
        else:
            columns.append(repeat(fixed, count))
    return list(zip(*columns, strict=True))


def keyed_columns(
    rows: Mapping[tuple, Mapping[str, Any]], *, keys: Sequence[str]
) -> dict[str, list[Any]]:
    """`bind`'s columns from rows keyed by tuples of `keys`: a row's values win over its key."""
    given: dict[str, list[Any]] = {name: [key[i] for key in rows] for i, name in enumerate(keys)}
    values = list(rows.values())
    names = values[0].keys() if values else set()
    if all(v.keys() == names for v in values):  # every row names the same columns
        given |= {name: [v[name] for v in values] for name in names}
        return given
    for name in {n for v in values for n in v}:
        base = given.get(name) or [MISSING] * len(values)
        given[name] = [v.get(name, b) for v, b in zip(values, base, strict=True)]
    return given


def positions(model: type[Model], *, names: Iterable[str]) -> list[int]:
    """Where the named columns sit in a bound row."""
    order = shape(model).names
    return [order.index(n) for n in names]


def key_getter(model: type[Model], *, keys: Sequence[str]) -> Callable[[tuple], tuple]:
    """A bound row's key columns, as a tuple."""
    at = positions(model, names=keys)
    if len(at) == 1:
        (only,) = at
        return lambda row: (row[only],)
    return itemgetter(*at)


def marks(dialect: str, *, count: int) -> str:
    """`?, ?` on SQLite, `$1, $2` on PostgreSQL."""
    if dialect == "postgres":
        return ", ".join(f"${i}" for i in range(1, count + 1))
    return ", ".join("?" * count)


def conflict_sql(model: type[Model], *, target: Sequence[str], update: Sequence[str]) -> str:
    """ON CONFLICT … DO UPDATE SET each update column from EXCLUDED (DO NOTHING without any)."""
    s = shape(model)
    columns = ", ".join(s.column(c) for c in target)
    if not update:
        return f"ON CONFLICT ({columns}) DO NOTHING"
    sets = ", ".join(f"{s.column(f)} = EXCLUDED.{s.column(f)}" for f in update)
    return f"ON CONFLICT ({columns}) DO UPDATE SET {sets}"


def insert_sql(model: type[Model], *, dialect: str, conflict: str) -> str:
    """A prepared INSERT of every insert column, one row of placeholders, for executemany."""
    s = shape(model)
    values = marks(dialect, count=len(s.columns))
    return f"INSERT INTO {s.table} ({', '.join(s.columns)}) VALUES ({values}) {conflict}"  # noqa: S608 - names from the model


async def sqlite_existing(
    raw: Any, model: type[Model], *, connection: Any, keys: Sequence[str], wanted: list[tuple]
) -> set[tuple]:
    """The key tuples (of `keys`) already stored for a connection, among `wanted`: SQLite.

    A join on VALUES rather than `(a, b) IN (VALUES …)`: SQLite probes the unique index with the
    former and scans the connection's rows with the latter.
    """
    s = shape(model)
    cols = [s.column(k) for k in keys]
    on = " AND ".join(f"t.{c} = v.column{i}" for i, c in enumerate(cols, 1))
    found: set[tuple] = set()
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        part = wanted[start : start + LOOKUP_CHUNK]
        values = ", ".join([f"({marks('sqlite', count=len(keys))})"] * len(part))
        sql = (
            f"SELECT {', '.join(f't.{c}' for c in cols)} FROM (VALUES {values}) AS v "  # noqa: S608 - names from the model
            f"JOIN {s.table} AS t ON t.connection_id = ? AND {on}"
        )
        params = [v for key in part for v in key]
        params.append(connection)
        log.debug("%s: %s", sql, params)
        found.update(tuple(r) for r in await raw.execute_fetchall(sql, params))
    return found


@dataclass(frozen=True)
class Written:
    """What an upsert did, by key tuple (of `keys`, as bound)."""

    created: set[tuple]
    # Rows that existed and differed in a compared column: a no-op refresh is not a change.
    changed: set[tuple]


def _by_kind(found: list[tuple], kind: str) -> set[tuple]:
    return {tuple(row[1:]) for row in found if row[0] == kind}


async def sqlite_lookup(
    raw: Any,
    model: type[Model],
    *,
    connection: Any,
    keys: Sequence[str],
    bound: list[tuple],
    compare: Sequence[str],
) -> tuple[set[tuple], set[tuple]]:
    """(stored keys, stored keys whose compared columns differ from `bound`'s): SQLite.

    The comparison runs in SQLite on values bound as the write binds them, so the stored format
    (datetimes as text, booleans as integers, JSON as text) never has to be re-derived here.
    """
    s = shape(model)
    cols = [s.column(k) for k in keys]
    at = positions(model, names=[*keys, *compare])
    width = len(at)
    on = " AND ".join(f"t.{c} = v.column{i}" for i, c in enumerate(cols, 1))
    new = {c: f"v.column{i}" for i, c in enumerate(compare, len(keys) + 1)}
    differs = " OR ".join(f"t.{s.column(c)} IS NOT {new[c]}" for c in compare) or "0"
    chunk = max(1, min(LOOKUP_CHUNK, SQLITE_VARIABLES // width))
    found: set[tuple] = set()
    changed: set[tuple] = set()
    for start in range(0, len(bound), chunk):
        part = bound[start : start + chunk]
        values = ", ".join([f"({marks('sqlite', count=width)})"] * len(part))
        sql = (
            f"SELECT {', '.join(f't.{c}' for c in cols)}, {differs} FROM (VALUES {values}) AS v "  # noqa: S608 - names from the model
            f"JOIN {s.table} AS t ON t.connection_id = ? AND {on}"
        )
        params = [row[i] for row in part for i in at]
        params.append(connection)
        log.debug("%s: %s", sql, params)
        for *key, differ in await raw.execute_fetchall(sql, params):
            found.add(tuple(key))
            if differ:
                changed.add(tuple(key))
    return found, changed


async def sqlite_write(raw: Any, *, sql: str, rows: list[tuple]) -> None:
    """One executemany (the caller's transaction is open)."""
    log.debug("%s: %s", sql, rows)
    await raw.executemany(sql, rows)


def stage_name(model: type[Model]) -> str:
    return f"appventory_stage_{shape(model).table}"


async def pg_stage(
    raw: Any, *, model: type[Model], rows: list[tuple], extra: Sequence[tuple[str, str]] = ()
) -> str:
    """COPY bound rows, numbered in order, into the model's staging table; returns its name.

    The staging table lives in this session's temporary schema, is created on first use with
    the target's column types (plus `extra` (name, type) columns, last in each row), and is
    emptied at each commit.
    """
    s = shape(model)
    name = stage_name(model)
    more = "".join(f", NULL::{kind} AS {column}" for column, kind in extra)
    # The store plans every statement afresh (db.py), which also re-plans the foreign-key check
    # of each inserted row (the checks took ~3x as long): cached plans for this transaction.
    prepare = (
        "SET LOCAL plan_cache_mode = auto; "  # noqa: S608 - names from the model
        f"CREATE TEMP TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS AS "
        f"SELECT 0 AS n, {', '.join(s.columns)}{more} FROM {s.table} WITH NO DATA"
    )
    log.debug("%s", prepare)
    await raw.execute(prepare)  # one round trip: no arguments, so the simple query protocol
    columns = ["n", *s.columns, *(column for column, _ in extra)]
    log.debug("COPY %s (%s): %s", name, ", ".join(columns), rows)
    await raw.copy_records_to_table(
        name,
        schema_name="pg_temp",
        columns=columns,
        records=[(n, *row) for n, row in enumerate(rows)],
    )
    return name


def pg_upsert_sql(
    model: type[Model], *, keys: Sequence[str], update: Sequence[str], compare: Sequence[str]
) -> str:
    """Staged rows upserted in their order; returns ("c", *key) for each row it created and
    ("u", *key) for each stored row whose `compare` columns it changed.

    New rows are inserted first (DO NOTHING), then the others update theirs (DO UPDATE): both
    find conflicts through the unique index itself, never through a plan the planner could turn
    into a scan of the whole table while its statistics lag a growing tenant. The staging table
    is emptied by the same statement (a nested transaction may stage again before the commit).
    Every part of the statement sees the rows as they were before it, so `changed` compares the
    stored values with the staged ones; it probes the unique index row by row (LATERAL … LIMIT 1)
    for the same reason.
    """
    s = shape(model)
    stage = f"pg_temp.{stage_name(model)}"
    cols = ", ".join(s.columns)
    target = ["connection_id", *keys]
    names = ", ".join(s.column(k) for k in keys)
    same = " AND ".join(f"c.{s.column(k)} = s.{s.column(k)}" for k in keys)
    return (
        f"WITH created AS (INSERT INTO {s.table} ({cols}) SELECT {cols} FROM {stage} ORDER BY n "  # noqa: S608 - names from the model
        f"{conflict_sql(model, target=target, update=())} RETURNING {names}), "
        f"updated AS (INSERT INTO {s.table} ({cols}) SELECT {cols} FROM {stage} AS s "
        f"WHERE NOT EXISTS (SELECT FROM created AS c WHERE {same}) ORDER BY n "
        f"{conflict_sql(model, target=target, update=update)}), "
        f"changed AS ({_pg_changed_sql(model, keys=keys, compare=compare, stage=stage)}), "
        f"cleared AS (DELETE FROM {stage}) "
        "SELECT 'c', * FROM created UNION ALL SELECT 'u', * FROM changed"
    )


def _pg_changed_sql(
    model: type[Model], *, keys: Sequence[str], compare: Sequence[str], stage: str
) -> str:
    """The staged keys whose stored row differs in a compared column (NULL-safe)."""
    s = shape(model)
    same = " AND ".join(f"t.{s.column(k)} = s.{s.column(k)}" for k in keys)
    differs = " OR ".join(f"t.{s.column(c)} IS DISTINCT FROM s.{s.column(c)}" for c in compare)
    return (
        f"SELECT {', '.join(f's.{s.column(k)}' for k in keys)} FROM {stage} AS s "  # noqa: S608 - names from the model
        f"CROSS JOIN LATERAL (SELECT 1 FROM {s.table} AS t WHERE t.connection_id = s.connection_id "
        f"AND {same} AND ({differs or 'FALSE'}) LIMIT 1) AS x"
    )


async def pg_fetch(raw: Any, *, sql: str) -> list[tuple]:
    log.debug("%s", sql)
    return [tuple(r) for r in await raw.fetch(sql)]


async def upsert(
    conn: BaseDBAsyncClient,
    *,
    model: type[Model],
    keys: Sequence[str],
    bound: list[tuple],
    update: Sequence[str],
    compare: Sequence[str] = (),
) -> Written:
    """Insert or update bound rows keyed by (connection, *keys) in the open transaction `conn`.

    Returns the keys of the rows this write created, and of the stored rows whose `compare`
    columns held other values than the ones written.
    """
    if not bound:
        return Written(set(), set())
    key_of = key_getter(model, keys=keys)
    async with driver(conn) as raw:
        if conn.capabilities.dialect == "postgres":
            await pg_stage(raw, model=model, rows=bound)
            sql = pg_upsert_sql(model, keys=keys, update=update, compare=compare)
            found = await pg_fetch(raw, sql=sql)
            return Written(_by_kind(found, "c"), _by_kind(found, "u"))
        (at,) = positions(model, names=["connection_id"])
        connection = bound[0][at]  # common to the batch
        existing, changed = await sqlite_lookup(
            raw, model, connection=connection, keys=keys, bound=bound, compare=compare
        )
        conflict = conflict_sql(model, target=["connection_id", *keys], update=update)
        await sqlite_write(
            raw, sql=insert_sql(model, dialect="sqlite", conflict=conflict), rows=bound
        )
        return Written(set(map(key_of, bound)) - existing, changed)
