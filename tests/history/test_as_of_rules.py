"""Today's rules under ``asOf``: the owning coalition sees an embargoed version before its
release (both versions, as it does today), outsiders do not; small cells are withheld and
reported as today. As of the present instant, every caller reads exactly what it reads today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.history.history_world import History
from tests.sync.mirror_world import World, stamp

from lnob_api.auth.keys import KeyStore

# Area 1's F cell (3) is under the threshold of 5.
V1 = (3, 20, 23, 12, 18, 30)
V2 = (11, 21, 32, 13, 19, 32)
READ = """query($t: DateTime, $a: [String!]) {
  observations(asOf: $t, filter: {areas: $a}, first: 50) {
    nodes { period areaCode sex value suppressed confStatus dataset { version } } } }"""


def _rows(data: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {
        (n["dataset"]["version"], n["areaCode"], n["sex"], n["value"], n["suppressed"])
        for n in data["observations"]["nodes"]
    }


async def test_insiders_see_the_embargoed_version_and_small_cells_stay_withheld(
    conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore
) -> None:
    # given: v1 published, v2 published under an embargo that lasts beyond the test
    w = await World(conn, client, signing_keys).build()
    h = History(w)
    await h.publish_new("Lineage", visibility="PUBLIC", period="2019", values=V1)
    before = (await stamp()).isoformat()
    await h.correct("Lineage", V2, release_at=datetime.now(UTC) + timedelta(days=1))
    during = (await stamp()).isoformat()
    area = [w.coalition["code"]]
    read: dict[tuple[str, str | None], set[tuple[Any, ...]]] = {}
    for who in ("anonymous", "member"):
        for at in (before, during, None):
            read[(who, at)] = _rows(await w.call(READ, {"t": at, "a": area}, who))
    # then: as of the present instant, everyone reads what it reads today
    for who in ("anonymous", "member"):
        assert read[(who, during)] == read[(who, None)], who
    # outsiders: v1 only, before and during the embargo, its small cell withheld
    assert {r[0] for r in read[("anonymous", during)]} == {1}
    assert read[("anonymous", before)] == read[("anonymous", during)]
    small = [r for r in read[("anonymous", during)] if r[1] == w.area1 and r[2] == "F"]
    assert small == [(1, w.area1, "F", None, True)]
    # the coalition: v1 before v2 was published; both during its embargo, with exact values
    assert {r[0] for r in read[("member", before)]} == {1}
    assert {r[0] for r in read[("member", during)]} == {1, 2}
    assert (1, w.area1, "F", 3.0, False) in read[("member", during)]
