"""``sdmx1`` against the running service, anonymously and with a statistics agency's token
(``world["headers"]["outsider"]``: an agency's client without a grant, so the public view):
data with keys and periods, ``lastNObservations``, ``updatedAfter``, categorisations and
availability in 2.1, and an SDMX 3.0 structure message read by its SDMX-ML 3.0 reader (the
pieces ``test_sdmx_client`` does not already cover for both callers). sdmx1 2.28 cannot read
the 3.0 availability: its SDMX-ML 3.0 reader has no parser for a DataConstraint's
``structure:TimeRange`` (NotImplementedError); pysdmx reads it (``test_sdmx_pysdmx``)."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

# sdmx1's SDMX-ML 3.0 reader must be imported before any 2.1 data is read (see test_sdmx_v3).
from sdmx.reader.xml import v30 as _sdmx_ml_30  # noqa: F401
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.sdmx.test_sdmx_client import _client, _database_values, _values, base_url, world

import sdmx

__all__ = ["base_url", "world"]  # fixtures


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
async def test_sdmx1_queries_for_both_callers(
    base_url: str, conn: AsyncConnection, world: dict[str, Any], who: str
) -> None:
    flow = f"DF_LNOB_{world['a']['code']}"
    expected = await _database_values(conn, world["a"]["id"], insider=False)
    client = _client(base_url, world["headers"][who])
    await asyncio.sleep(1.1)  # updatedAfter below: later than every row of the world
    since = datetime.now(UTC).isoformat()

    def read() -> dict[str, Any]:
        dsd = client.dataflow(flow).structure["DSD_LNOB"]
        v30 = f"{base_url}/sdmx/3.0"
        return {
            "period": client.data(
                flow,
                key={"INDICATOR": "1_1_1"},
                params={"startPeriod": "2020", "endPeriod": "2020"},
                dsd=dsd,
            ),
            "last": client.data(flow, key={}, params={"lastNObservations": 1}, dsd=dsd),
            "since": client.session.get(
                f"{base_url}/sdmx/data/{flow}", params={"updatedAfter": since}
            ),
            "categorisations": client.categorisation(),
            "available": client.availableconstraint(flow),
            "structure_30": sdmx.read_sdmx(
                _bytes(
                    client.session.get(f"{v30}/structure/dataflow/LNOB/{flow}/1.0?references=all")
                )
            ),
        }

    got = await asyncio.to_thread(read)
    # keys and periods
    assert _values(got["period"]) == Counter(
        {k: n for k, n in expected.items() if k[0][0] == "1_1_1" and k[0][7] == "2020"}
    )
    # the last observation of each series
    series = [s for ds in got["last"].data for s in ds.series.values()]
    assert series and all(len(obs) == 1 for obs in series)
    # nothing changed since: SDMX's "no results" (404)
    assert got["since"].status_code == 404
    # categorisations of every flow under SDG goals; availability with its count
    assert f"CAT_{flow}_1" in got["categorisations"].categorisation
    (constraint,) = got["available"].constraint.values()
    count = next(a for a in constraint.annotations if a.id == "obs_count")
    assert int(str(count.title)) == sum(expected.values())
    # SDMX 3.0 messages read by sdmx1's SDMX-ML 3.0 reader
    dsd_30 = got["structure_30"].structure["DSD_LNOB"]
    assert [d.id for d in dsd_30.dimensions][-1] == "TIME_PERIOD"
    assert world["sub"] in got["structure_30"].codelist["CL_AREA"]


def _bytes(response: Any) -> io.BytesIO:
    assert response.status_code == 200, response.text
    return io.BytesIO(response.content)
