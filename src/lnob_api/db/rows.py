"""The steps every write takes on an ORM row: lock it, change it, insert it; and the read of
one row of a Core statement as a record (and the columns that fill it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Row = TypeVar("Row")


class _Keyed(Protocol):
    id: Any


Keyed = TypeVar("Keyed", bound=_Keyed)


async def lock_one(
    session: AsyncSession,
    model: type[Row],
    *where: sa.ColumnElement[bool],
    refresh: bool = True,
) -> Row | None:
    """The ``model`` row matching ``where`` (at most one), locked ``FOR UPDATE`` for the rest of
    the transaction; None when there is none. ``refresh`` (the default) reads the locked columns
    into an object the session already holds, so that version checks see the row as it is now
    (the request sessions do not autoflush: a held object with unflushed changes loses them)."""
    stmt = sa.select(model).where(*where).with_for_update()
    if refresh:
        stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_by_id(
    session: AsyncSession,
    model: type[Keyed],
    row_id: int,
    *where: sa.ColumnElement[bool],
    refresh: bool = True,
) -> Keyed | None:
    """The ``model`` row whose id is ``row_id`` (and that matches ``where``: a visibility),
    locked like :func:`lock_one`; None when there is none."""
    return await lock_one(session, model, model.id == row_id, *where, refresh=refresh)


async def insert(session: AsyncSession, row: Row) -> Row:
    """Write the new ORM ``row`` now and read back what the database filled in (its id, its
    defaults), so that the audit snapshot and the answer show the row as stored."""
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


def assign(row: object, fields: Mapping[str, Any], allowed: Collection[str] | None = None) -> None:
    """Set ``fields`` on the ORM ``row``: those named in ``allowed`` only, when it is given (a
    service's editable columns); callers validate the values first."""
    for name, value in fields.items():
        if allowed is None or name in allowed:
            setattr(row, name, value)


async def first(
    conn: AsyncConnection, stmt: sa.Executable, record: Callable[..., Row]
) -> Row | None:
    """The first row ``stmt`` returns as ``record(**columns)`` (a dataclass whose fields are
    the selected columns); None when there is none."""
    row = (await conn.execute(stmt)).mappings().first()
    return record(**row) if row is not None else None


def columns(
    record: type[Any], *tables: sa.FromClause, **named: sa.ColumnElement[Any]
) -> tuple[sa.ColumnElement[Any], ...]:
    """The columns that fill the dataclass ``record``, in its fields' order: for each field
    the one ``named`` gives it (labelled with the field's name: a joined row's slug), else the
    column of that name in the first of ``tables`` that has one. A field that none gives must
    have a default (something else fills it, or nothing)."""
    assert set(named) <= {f.name for f in dataclasses.fields(record)}, "named: not a field"
    found: list[sa.ColumnElement[Any]] = []
    for field in dataclasses.fields(record):
        if field.name in named:
            found.append(named[field.name].label(field.name))
            continue
        column = next((t.c[field.name] for t in tables if field.name in t.c), None)
        if column is not None:
            found.append(column)
        else:
            assert field.default is not dataclasses.MISSING, f"no column for {field.name}"
    return tuple(found)
