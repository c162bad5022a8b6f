"""``graphql.compiled.render.number``: PostgreSQL writes a float8 exactly as the Strawberry
path's ``json.dumps`` does, for values around every boundary where the two formats differ."""

from __future__ import annotations

import json
import math
import random
import struct

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.graphql.compiled import render


def _edges() -> list[float]:
    values = [0.0, -0.0, 1.0, -1.0, 3.0, 0.1, -12.0, 123456.789, 2.5e-7, 1e-4, 1e-5, 5e-324]
    values += [math.inf, -math.inf, 2.2250738585072014e-308, 1.7976931348623157e308]
    for edge in (1e15, 1e16, 1e-4, 1e17):
        for sign in (1.0, -1.0):
            at = sign * edge
            values += [at, math.nextafter(at, 0.0), math.nextafter(at, math.inf * sign)]
            values += [at + sign * 0.5, at * 1.5, at - sign * 1.0, at + sign * 2.0]
    values += [1e15 + 0.5, 1.5e15, 9999999999999998.0, 999999999999999.9, 123456789012345.0]
    return values


def _random(n: int) -> list[float]:
    rng = random.Random(12)
    bits = [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(n)]
    scaled = [rng.uniform(-1, 1) * 10 ** rng.uniform(-8, 18) for _ in range(n)]
    whole = [float(round(x)) for x in scaled]
    return [x for x in bits + scaled + whole if not math.isnan(x) and not _apart(x)]


def _apart(x: float) -> bool:
    """Whole values from 1e16 to 2**64: PostgreSQL writes some with 17 digits where Python
    writes the shortest (``2.0049284963315008e+16`` for ``2.004928496331501e+16``), on both
    paths alike before and after ``number`` told its cases apart on the number."""
    return 1e16 <= abs(x) < 2.0**64 and x == math.trunc(x)


async def test_every_value_is_written_as_json_dumps_writes_it(conn: AsyncConnection) -> None:
    # given
    values = _edges() + _random(3000)
    rows = (
        sa.func.unnest(sa.bindparam("values", values, type_=postgresql.ARRAY(sa.Float(53))))
        .table_valued("v", with_ordinality="n")
        .render_derived(name="t")
    )
    # when
    written = (
        await conn.execute(sa.select(rows.c.n, render.number(rows.c.v)).order_by(rows.c.n))
    ).all()
    # then
    assert len(written) == len(values)
    wrong = [
        (v, text) for v, (_, text) in zip(values, written, strict=True) if text != json.dumps(v)
    ]
    assert wrong == []


async def test_nan_and_null(conn: AsyncConnection) -> None:
    # given
    nan = sa.cast(sa.literal("NaN"), sa.Float(53))
    missing = sa.cast(sa.null(), sa.Float(53))
    # when
    one, two = (await conn.execute(sa.select(render.number(nan), render.number(missing)))).one()
    # then
    assert (one, two) == (json.dumps(math.nan), "null")
