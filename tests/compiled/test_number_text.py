"""``graphql.compiled.render.number``: PostgreSQL writes a float8 exactly as the Strawberry
path's ``json.dumps`` does, for values around every boundary where the two formats differ, the
whole numbers halfway to a neighbour (where PostgreSQL's shortest digits are not the shortest:
``render._halfway``), and finite doubles drawn by hypothesis (the profile's count)."""

from __future__ import annotations

import json
import math
import random
import struct

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.helpers import examples

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
    values += [2.004928496331501e16, 1e23, 2.0**64, 2.0**63, 1e39, 9.999999999999999e38]
    values += [2.0**k for k in range(-1074, 1024)]
    return values


def _random(n: int) -> list[float]:
    rng = random.Random(12)
    bits = [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(n)]
    scaled = [rng.uniform(-1, 1) * 10 ** rng.uniform(-8, 18) for _ in range(n)]
    whole = [float(round(x)) for x in scaled]
    return [x for x in bits + scaled + whole if not math.isnan(x)]


@st.composite
def _halfway(draw: st.DrawFn) -> list[float]:
    """The two doubles around a number of few digits halfway between them (``u * 5**t *
    2**s``, odd, between 2**53 and 2**54 before the shift): one of them (the even one) is
    written as that number by Python (``1e+23``), the other not."""
    t = draw(st.integers(0, 23))
    u = draw(st.integers(2**53 // 5**t + 1, (2**54 - 1) // 5**t).filter(lambda n: n % 2 == 1))
    s = draw(st.integers(t, t + 4))
    odd = u * 5**t
    return [float((odd - 1) * 2**s), float((odd + 1) * 2**s)]


def _drawn(count: int) -> list[float]:
    """Finite doubles and both signs of whole numbers from 1e16, halfway cases among them."""
    found: list[float] = []
    values = st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).map(lambda x: [x]),
        st.integers(10**16, 10**40).map(lambda n: [float(n)]),
        _halfway(),
    )

    @settings(
        max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(st.lists(values, min_size=1, max_size=20), st.booleans())
    def collect(drawn: list[list[float]], negative: bool) -> None:
        found.extend(-x if negative else x for each in drawn for x in each)

    collect()
    return found


async def _written(conn: AsyncConnection, values: list[float]) -> list[tuple[float, str, str]]:
    """Each value with ``render.number``'s text and PostgreSQL's own (``float8out``)."""
    rows = (
        sa.func.unnest(sa.bindparam("values", values, type_=postgresql.ARRAY(sa.Float(53))))
        .table_valued("v", with_ordinality="n")
        .render_derived(name="t")
    )
    written = (
        await conn.execute(
            sa.select(render.number(rows.c.v), sa.cast(rows.c.v, sa.Text)).order_by(rows.c.n)
        )
    ).all()
    assert len(written) == len(values)
    return [(v, text, own) for v, (text, own) in zip(values, written, strict=True)]


def _wrong(written: list[tuple[float, str, str]]) -> list[tuple[float, str]]:
    return [(v, text) for v, text, _ in written if text != json.dumps(v)]


def _digits(text: str) -> str:
    return text.lstrip("-").split("e")[0].replace(".", "").strip("0")


async def test_every_value_is_written_as_json_dumps_writes_it(conn: AsyncConnection) -> None:
    # given
    values = _edges() + _random(3000)
    # when
    written = await _written(conn, values)
    # then
    assert _wrong(written) == []


async def test_drawn_doubles_are_written_as_json_dumps_writes_them(
    conn: AsyncConnection,
) -> None:
    # given
    values = _drawn(examples())
    # when
    written = await _written(conn, values)
    # then
    longer = [v for v, _, own in written if len(_digits(own)) > len(_digits(repr(v)))]
    assert longer, "some draws are numbers PostgreSQL's own text writes with more digits"
    assert _wrong(written) == []


async def test_nan_and_null(conn: AsyncConnection) -> None:
    # given
    nan = sa.cast(sa.literal("NaN"), sa.Float(53))
    missing = sa.cast(sa.null(), sa.Float(53))
    # when
    one, two = (await conn.execute(sa.select(render.number(nan), render.number(missing)))).one()
    # then
    assert (one, two) == (json.dumps(math.nan), "null")
