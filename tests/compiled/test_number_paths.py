"""Both read paths write an observation's value with the same text, byte for byte, for the
numbers where PostgreSQL's own shortest digits are longer than Python's (``render._halfway``)
and for drawn doubles (``test_number_text._drawn``, a share of the profile's count)."""

from __future__ import annotations

import base64
import json

from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.compiled.harness import pair
from tests.compiled.test_differential import same
from tests.compiled.test_number_text import _drawn
from tests.helpers import examples

from lnob_api.auth.keys import KeyStore

HALFWAY = [2.004928496331501e16, -1e23, 4.161816980146712e17, 5.78558485356088e17, 2.0**64]
QUERY = "query($d: [ID!]) { observations(filter: {datasets: $d}, first: 50) { nodes { value } } }"


async def test_values_read_through_both_paths_are_the_same_text(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given
    values = (HALFWAY + _drawn(examples(0.1, least=5)))[:50]
    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition)
    for n, value in enumerate(values):
        await f.create_observation(
            conn, dataset, value=value, sample_size=100, period=str(1000 + n)
        )
    gid = base64.b64encode(f"Dataset:{dataset['id']}".encode()).decode()
    async with pair(conn, signing_keys) as both:
        # when
        one, two, compiled = await both.both(QUERY, {"d": [gid]})
    # then
    assert compiled
    assert same(one, two), (one, two)
    nodes = json.loads(one)["data"]["observations"]["nodes"]
    assert sorted(n["value"] for n in nodes) == sorted(values)
    assert b"2.004928496331501e+16" in one and b"-1e+23" in one
