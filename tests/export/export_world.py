"""Fixture data shared by the export, SDMX, catalog and series tests.

One coalition A with a public dataset (small cells among its rows), a coalition-only dataset
and a draft; a coalition B with a public dataset. Two callers with real tokens: an insider of
A (a client of one of its member organisations) and an outsider (a statistics agency's client
without a grant), plus anonymous.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore

SMALL = 3  # under the default threshold of 5

OBSERVATIONS_QUERY = """
query($filter: ObservationFilter, $after: String) {
  observations(filter: $filter, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      dataset { slug } indicator { code } areaCode period value unit obsStatus suppressed
      confStatus sampleSize sex age disabilityStatus urbanisation group updatedAt
    }
  }
}
"""


async def subdivision_of(conn: AsyncConnection, country: str) -> str:
    areas = models.Area.__table__
    stmt = (
        sa.select(areas.c.code)
        .where(areas.c.parent_code == country)
        .order_by(areas.c.code)
        .limit(1)
    )
    return str((await conn.execute(stmt)).scalar_one())


async def build_world(conn: AsyncConnection, keys: KeyStore) -> dict[str, Any]:
    a = await f.create_coalition(conn)
    b = await f.create_coalition(conn)
    sub = await subdivision_of(conn, a["code"])
    # The survey's provenance n protects its percentages that give no sample size of their
    # own (a rate of unknown n would be withheld as unprotectable).
    pub = await f.create_dataset(
        conn, a, title="Export survey of households", description="A", sample_size=200
    )
    coal = await f.create_dataset(conn, a, visibility="COALITION", title="Coalition-only")
    draft = await f.create_dataset(conn, a, status="DRAFT", title="Draft")
    other = await f.create_dataset(conn, b, title="Other coalition survey")
    for ds in (pub, coal, draft, other):
        await f.link_indicator(conn, ds, "1.1.1")
    await f.link_indicator(conn, pub, "4.1.1")
    code = a["code"]
    rows = [
        (pub, {"area_code": code, "period": "2019", "sex": "F", "value": 10.5}),
        (
            pub,
            {"area_code": code, "period": "2020", "sex": "F", "value": 11.25, "sample_size": SMALL},
        ),
        (pub, {"area_code": code, "period": "2020", "sex": "M", "value": 9.0, "obs_status": "E"}),
        (pub, {"area_code": code, "period": "2021", "sex": "M", "value": 8.5}),
        (
            pub,
            {
                "area_code": sub,
                "period": "2020",
                "value": 7.0,
                "unit": "percent of households",
                "sample_size": None,
            },
        ),
        (
            pub,
            {
                "indicator": "4.1.1",
                "area_code": code,
                "period": "2021",
                "value": 42.0,
                "sample_size": 20,
                "age": "Y15T24",
                "disability_status": "PD",
                "urbanisation": "R",
                "group_code": "PERSONS_WITH_DISABILITIES",
            },
        ),
        (coal, {"area_code": code, "period": "2020", "sex": "F", "value": 99.0, "sample_size": 2}),
        (draft, {"area_code": code, "period": "2020", "value": 55.0}),
        (other, {"area_code": b["code"], "period": "2020", "value": 1.0, "sample_size": 1}),
    ]
    created = [await f.create_observation(conn, ds, **values) for ds, values in rows]
    member = await f.create_organisation(conn)
    await f.add_member(conn, a, member)
    insider_client = await f.create_client(conn, member)
    agency = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    outsider_client = await f.create_client(conn, agency)
    return {
        "a": a,
        "b": b,
        "sub": sub,
        "datasets": {"pub": pub, "coal": coal, "draft": draft, "other": other},
        "observations": created,
        "headers": {
            "anonymous": {},
            "insider": bearer(token_for(keys, client=insider_client)),
            "outsider": bearer(token_for(keys, client=outsider_client)),
        },
    }


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def number(text: str) -> float | None:
    return float(text) if text not in ("", "NaN") else None
