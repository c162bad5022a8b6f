"""Countries (ISO 3166-1) and their subdivisions (ISO 3166-2), from ``pycountry``."""

from __future__ import annotations

import importlib.metadata
import re
from typing import Any

import pycountry
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api import models
from lnob_api.models import AreaLevel
from lnob_api.seed.reference import record_version
from lnob_api.seed.report import SeedReport
from lnob_api.seed.writes import upsert

ISO_3166 = "iso-3166"
ISO_3166_SOURCE = (
    "ISO 3166-1 countries and ISO 3166-2 subdivisions from the pycountry package "
    "(data from Debian iso-codes)"
)

# Same pattern as the areas table's CHECK constraint.
AREA_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]+)*$")


def iso_areas() -> tuple[list[dict[str, Any]], int]:
    """Every country and subdivision as area rows, parents before children, and how many
    ISO codes were left out because the areas table would refuse them."""
    rows: list[dict[str, Any]] = []
    skipped = 0
    for country in pycountry.countries:
        if not AREA_CODE.match(country.alpha_2):
            skipped += 1
            continue
        rows.append(
            {
                "code": country.alpha_2,
                "name": country.name,
                "level": AreaLevel.COUNTRY,
                "type": "Country",
                "country_code": country.alpha_2,
                "parent_code": None,
                "ancestors": [],
            }
        )
    countries = {row["code"] for row in rows}
    subdivisions = {sub.code: sub for sub in pycountry.subdivisions}
    by_depth: list[tuple[int, dict[str, Any]]] = []
    for sub in subdivisions.values():
        ancestors = _ancestors(sub, subdivisions)
        if ancestors is None or ancestors[0] not in countries:
            skipped += 1
            continue
        by_depth.append(
            (
                len(ancestors),
                {
                    "code": sub.code,
                    "name": sub.name,
                    "level": AreaLevel.SUBDIVISION,
                    "type": sub.type,
                    "country_code": sub.country_code,
                    "parent_code": ancestors[-1],
                    "ancestors": ancestors,
                },
            )
        )
    # The parent foreign key is checked statement by statement: parents go first.
    by_depth.sort(key=lambda item: (item[0], item[1]["code"]))
    rows.extend(row for _, row in by_depth)
    return rows, skipped


def _ancestors(sub: Any, subdivisions: dict[str, Any]) -> list[str] | None:
    """Codes from the country down to the parent (nearest last); None if any code is bad."""
    chain: list[str] = []
    current = sub
    while True:
        if not AREA_CODE.match(current.code):
            return None
        parent = current.parent_code
        if not parent:
            break
        if parent not in subdivisions:
            return None
        chain.append(parent)
        current = subdivisions[parent]
    chain.append(sub.country_code)
    chain.reverse()
    return chain


async def load_areas(conn: AsyncConnection, report: SeedReport) -> None:
    """Upsert every ISO country and subdivision, and record the pycountry version."""
    rows, skipped = iso_areas()
    await upsert(conn, models.Area, rows, key=["code"], report=report)
    report.add("areas", skipped=skipped)
    await record_version(
        conn,
        ISO_3166,
        version=importlib.metadata.version("pycountry"),
        source=ISO_3166_SOURCE,
        report=report,
    )
