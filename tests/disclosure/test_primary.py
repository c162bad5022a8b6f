"""The primary-suppression rule: its Python and SQL forms agree on every kind of cell."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.disclosure.primary import is_primary, is_unprotectable, primary_sql

UNITS = ["PERSONS", " households ", "number", "PERCENT", "MEAN_YEARS", ""]
VALUES = [None, 0.0, 1.0, 4.0, 4.5, 5.0, 120.0]
SIZES = [None, 0, 3, 5, 80]


class TestRule:
    def test_a_small_count_without_sample_size_is_primary(self) -> None:
        # given the upload: PERSONS 4, 1 and 3, no sample size; threshold 5
        # then every one of them is a small group
        assert [is_primary("PERSONS", v, None, 5) for v in (4.0, 1.0, 3.0)] == [True] * 3
        assert not is_primary("PERSONS", 5.0, None, 5)

    def test_a_zero_count_is_an_empty_cell(self) -> None:
        assert not is_primary("PERSONS", 0.0, None, 5)

    def test_a_rate_uses_its_sample_size_then_the_dataset_provenance(self) -> None:
        assert is_primary("PERCENT", 2.5, 4, 5, provenance_n=120)
        assert not is_primary("PERCENT", 2.5, None, 5, provenance_n=120)
        assert is_primary("PERCENT", 2.5, None, 5, provenance_n=4)

    def test_a_rate_of_unknown_n_is_unprotectable_and_withheld(self) -> None:
        assert is_primary("PERCENT", 40.0, None, 5)
        assert is_unprotectable("PERCENT", 40.0, None, None)
        assert not is_unprotectable("PERSONS", 40.0, None, None)
        assert not is_primary("PERCENT", None, None, 5)


class TestSqlAgrees:
    async def test_every_combination(self, conn: AsyncConnection) -> None:
        # given every combination of unit, value, sample size and provenance n
        combos = list(itertools.product(UNITS, VALUES, SIZES, SIZES))
        cells = sa.values(
            sa.column("unit", sa.String),
            sa.column("value", sa.Double),
            sa.column("sample_size", sa.Integer),
            sa.column("provenance_n", sa.Integer),
            name="cells",
        ).data(combos)
        rule = primary_sql(
            unit=cells.c.unit,
            value=cells.c.value,
            sample_size=cells.c.sample_size,
            threshold=sa.literal(5),
            provenance_n=cells.c.provenance_n,
        )
        # when PostgreSQL evaluates the SQL form
        rows = (await conn.execute(sa.select(*cells.c, rule.label("primary")))).all()
        # then it matches the Python form, and is never NULL
        assert len(rows) == len(combos)
        for unit, value, n, prov, primary in rows:
            assert primary is not None
            assert primary == is_primary(unit, value, n, 5, prov), (unit, value, n, prov)
