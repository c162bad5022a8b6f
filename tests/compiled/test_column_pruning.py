"""``graphql.compiled.prune``: the subqueries built for a statement keep only the columns read
from them; shared selects, DISTINCT and GROUP BY keep theirs."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lnob_api.graphql.compiled import prune

_META = sa.MetaData()
_T = sa.Table(
    "t", _META, sa.Column("id", sa.Integer), sa.Column("a", sa.Integer), sa.Column("b", sa.Integer)
)


def _sql(stmt: sa.Select) -> str:
    return str(stmt.compile(dialect=postgresql.dialect()))


def test_a_lateral_keeps_the_columns_read_and_its_order() -> None:
    page = sa.select(_T).where(_T.c.b > 1).order_by(_T.c.b).limit(3).lateral("page1")
    stmt = sa.select(page.c.a)
    prune.prune(stmt, prune.aliases(stmt))
    sql = _sql(stmt)
    assert "SELECT t.a AS a" in sql
    assert "t.id AS id" not in sql and "t.b AS b" not in sql
    assert "ORDER BY t.b" in sql and "WHERE t.b >" in sql


def test_the_windowed_union_and_its_cte_are_narrowed_through_select_star() -> None:
    head = sa.select(_T).where(_T.c.a > 1).limit(3).cte("head")
    rest = sa.select(_T).where(_T.c.b > 1).limit(3)
    both = sa.union_all(sa.select(head), rest).subquery("both")
    rows = sa.select(both).order_by(both.c.id).limit(2).lateral("page2")
    stmt = sa.select(rows.c.a)
    prune.prune(stmt, prune.aliases(stmt))
    sql = _sql(stmt)
    assert "head.b" not in sql and "t.b AS b" not in sql
    assert "(SELECT t.id AS id, t.a AS a" in sql  # the CTE: the order key and the column read


def test_what_is_not_fresh_distinct_and_unread_subqueries() -> None:
    shared = sa.select(_T).subquery("shared")
    distinct = sa.select(_T).distinct().subquery("distinct_rows")
    counted = sa.select(_T).where(_T.c.a > 1).subquery("counted")
    stmt = sa.select(
        shared.c.a,
        distinct.c.a,
        sa.select(sa.func.count()).select_from(counted).scalar_subquery(),
    )
    prune.prune(stmt, prune.aliases(stmt) - {id(shared)})
    sql = _sql(stmt)
    assert "(SELECT t.id AS id, t.a AS a, t.b AS b \nFROM t) AS shared" in sql
    assert "SELECT DISTINCT t.id AS id, t.a AS a, t.b AS b" in sql
    # Nothing read from it: one column stays (a select needs one), its rows unchanged.
    assert "(SELECT t.id AS id \nFROM t \nWHERE t.a >" in sql
