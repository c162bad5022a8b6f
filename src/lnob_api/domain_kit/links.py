"""Link tables: the rows that link a record to its SDG targets, groups, indicators..."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession


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
