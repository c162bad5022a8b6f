"""The SQL the domains' repositories share: whether a row exists, the source of a list read
newest first, the rows of a link table (a record's SDG targets, groups, indicators...)
(list filters are declared with ``declare.conditions``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.auth.principal import Principal
from lnob_api.db.rows import Keyed, lock_by_id
from lnob_api.read.relations import Source, order_by, scoped_by


async def exists(session: AsyncSession, *where: ColumnElement[bool]) -> bool:
    """Whether a row matches every condition of ``where``."""
    return bool(await session.scalar(sa.select(sa.exists().where(*where))))


def taken(column: ColumnElement[Any]) -> Callable[[AsyncSession, Any], Awaitable[bool]]:
    """``taken(session, value)``: whether a row has this value in ``column`` (a unique slug or
    code already in use)."""
    return lambda session, value: exists(session, column == value)


Visible = Callable[[Principal], ColumnElement[bool]]


def oldest_first(name: str, table: sa.Table, visible: Visible) -> Source:
    """The source of entity ``name``: the rows of ``table`` a principal sees (``visible``),
    in id order (oldest first)."""
    return Source(name, table, scoped_by(table, visible), order_by(table, "id"))


def newest_first(name: str, table: sa.Table, visible: Visible) -> Source:
    """The source of entity ``name``: the rows of ``table`` a principal sees (``visible``),
    newest (highest id) first."""
    return Source(
        name, table, scoped_by(table, visible), order_by(table, "id", descending=frozenset({"id"}))
    )


def visible_lock(
    model: type[Keyed], visible: Visible, *, refresh: bool = True
) -> Callable[[AsyncSession, Principal, int], Awaitable[Keyed | None]]:
    """``lock(session, principal, row_id)``: the ``model`` row with this id if the principal
    sees it (``visible``), locked for the rest of the transaction (``db.rows.lock_by_id``);
    None when it is missing or hidden, alike."""

    async def lock(session: AsyncSession, principal: Principal, row_id: int) -> Keyed | None:
        return await lock_by_id(session, model, row_id, visible(principal), refresh=refresh)

    return lock


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


class Links:
    """A kind of record's link tables: ``owner``, the column that names the record in each of
    them, and by the name its values are given under, each link table and its value column:
    ``Links("project_id", target_codes=(project_targets, "target_code"), ...)``."""

    def __init__(self, owner: str, **links: tuple[sa.Table, str]) -> None:
        self.owner = owner
        self.links = links

    async def replace(self, session: AsyncSession, owner_id: int, **values: Any) -> None:
        """Make the given values the record's links (None, or not given: left as they are),
        one link table after the other in declaration order (``replace_link_rows``)."""
        unknown = values.keys() - self.links.keys()
        if unknown:
            raise TypeError(f"no such link: {', '.join(sorted(unknown))}")
        for name, (table, column) in self.links.items():
            await replace_link_rows(
                session, table, (self.owner, owner_id), column, values.get(name)
            )
