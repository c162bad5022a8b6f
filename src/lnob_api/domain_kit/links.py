"""Link tables (a record's SDG targets, groups, indicators...): filtering by them and
replacing them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession


def linked(
    key: sa.ColumnElement[Any], link_key: sa.ColumnElement[Any], *where: sa.ColumnElement[bool]
) -> sa.ColumnElement[bool]:
    """The filter "linked to": ``key`` (a record's id) is the ``link_key`` of a link row
    matching ``where``."""
    return key.in_(sa.select(link_key).where(*where))


async def replace_link_rows(
    session: AsyncSession,
    table: sa.Table,
    owner: tuple[str, int],
    column: str,
    values: Iterable[Any] | None,
) -> None:
    """Make ``values`` the ``column`` of the rows of the link ``table`` that belong to
    ``owner`` (its column name and id); None leaves them as they are."""
    if values is None:
        return
    name, owner_id = owner
    await session.execute(sa.delete(table).where(table.c[name] == owner_id))
    rows = [{name: owner_id, column: value} for value in values]
    if rows:
        await session.execute(sa.insert(table), rows)
