"""Batched, idempotent writes shared by the seed modules (SQLAlchemy Core, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.db.base import Base
from lnob_api.seed.report import SeedReport

Values = Mapping[str, Any]

# True when INSERT ... ON CONFLICT inserted the row, false when it updated an existing one.
_WAS_INSERTED = sa.literal_column("(xmax = 0)", sa.Boolean).label("was_inserted")


# Timestamp columns set to now() when an upsert really changes a row.
_STAMPED_ON_CHANGE = ("updated_at", "loaded_at")


def table_of(model: type[Base]) -> sa.Table:
    return model.__table__


async def upsert(
    conn: AsyncConnection,
    model: type[Base],
    rows: Sequence[Values],
    *,
    key: Sequence[str],
    update: Sequence[str] | None = None,
    report: SeedReport,
) -> None:
    """Insert ``rows``; on a ``key`` conflict update the ``update`` columns (by default every
    column the rows carry but the key) if any differ.

    Rows whose columns already hold the same values are left alone (not even touched), so a
    second run reports nothing and leaves ``updated_at`` as it was.
    """
    if not rows:
        return
    if update is None:
        update = [name for name in rows[0] if name not in key]
    table = table_of(model)
    stmt = pg_insert(table)
    current = sa.tuple_(*(table.c[name] for name in update))
    incoming = sa.tuple_(*(stmt.excluded[name] for name in update))
    changes: dict[str, Any] = {name: stmt.excluded[name] for name in update}
    for stamp in _STAMPED_ON_CHANGE:
        if stamp in table.c:
            changes[stamp] = sa.func.now()
    if "row_version" in table.c:
        changes["row_version"] = table.c.row_version + 1
    stmt_upsert = stmt.on_conflict_do_update(
        index_elements=list(key), set_=changes, where=current.is_distinct_from(incoming)
    ).returning(_WAS_INSERTED)
    result = await conn.execute(stmt_upsert, list(rows))
    flags = [bool(flag) for flag in result.scalars()]
    inserted = sum(flags)
    report.add(table.name, inserted=inserted, updated=len(flags) - inserted)


async def insert_missing(
    conn: AsyncConnection,
    model: type[Base],
    rows: Sequence[Values],
    *,
    key: Sequence[str],
    report: SeedReport,
) -> None:
    """Insert the ``rows`` whose ``key`` is not present yet; existing rows are left as they are.

    For records that admins may edit after seeding (coalitions, publications, groups).
    """
    if not rows:
        return
    table = table_of(model)
    stmt = (
        pg_insert(table)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(*(table.c[name] for name in key))
    )
    result = await conn.execute(stmt, list(rows))
    report.add(table.name, inserted=len(result.all()))


async def insert_all(
    conn: AsyncConnection,
    model: type[Base],
    rows: Sequence[Values],
    *,
    report: SeedReport,
    returning: Sequence[str] = (),
) -> list[sa.Row[Any]]:
    """Insert every row in batches (no conflict handling); returns the ``returning`` columns.

    Rows come back in the order they were given.
    """
    if not rows:
        return []
    table = table_of(model)
    stmt: Any = sa.insert(table)
    if returning:
        stmt = stmt.returning(*(table.c[name] for name in returning), sort_by_parameter_order=True)
        result = await conn.execute(stmt, list(rows))
        fetched = list(result.all())
    else:
        await conn.execute(stmt, list(rows))
        fetched = []
    report.add(table.name, inserted=len(rows))
    return fetched


async def ids_by(conn: AsyncConnection, model: type[Base], key: str) -> dict[Any, int]:
    """``{key value: id}`` for every row of a table with an ``id`` column."""
    table = table_of(model)
    result = await conn.execute(sa.select(table.c[key], table.c.id))
    return {row[0]: int(row[1]) for row in result}


def links(
    rows: Sequence[sa.Row[Any]], key: str, column: str, values: Iterable[Iterable[Any]]
) -> list[dict[str, Any]]:
    """A link table's rows: each inserted row's ``id`` as ``key`` with each one of its
    ``values`` (one collection per row, in the rows' order) as ``column``."""
    return [
        {key: row.id, column: value} for row, own in zip(rows, values, strict=True) for value in own
    ]
