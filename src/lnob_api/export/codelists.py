"""The code lists the CSV export's codes refer to, as small CSV files: indicators (with the SDG
targets that target-level observations carry in the ``indicator`` column), areas and groups.

Reference data, the same for everyone: indicators, areas and groups carry no visibility of
their own (a coalition's local areas and custom indicators are named wherever they are used).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.export.repository import FORMULA_STARTS
from lnob_api.models.observation import TOTAL
from lnob_api.models.tables import areas, indicators
from lnob_api.models.tables import marginalised_groups as groups
from lnob_api.models.tables import sdg_targets as targets


@dataclass(frozen=True, slots=True)
class Codelist:
    name: str
    title: str
    columns: tuple[str, ...]


INDICATORS = Codelist(
    "indicators",
    "Indicator codes: SDG and custom indicators, and SDG targets (target-level rows)",
    ("code", "kind", "target", "title"),
)
AREAS = Codelist(
    "areas",
    "Area codes: ISO 3166 countries and subdivisions, local areas",
    ("code", "name", "level", "parent"),
)
GROUPS = Codelist("groups", "Marginalised group codes", ("code", "name"))
CODELISTS = {c.name: c for c in (INDICATORS, AREAS, GROUPS)}


def _coded(table: sa.Table, kind: str, target: sa.Column[Any], part: int) -> sa.Select[Any]:
    """One part of the indicators list: code, kind, SDG target, title; then its order."""
    return sa.select(
        table.c.code,
        sa.literal(kind).label("kind"),
        target,
        table.c.title,
        sa.literal(part).label("part"),
        table.c.sort_key,
    )


def _statement(codelist: Codelist) -> sa.Select[Any]:
    if codelist is INDICATORS:
        listed = sa.union_all(
            _coded(indicators, "indicator", indicators.c.target_code, 1),
            _coded(targets, "target", targets.c.code, 0),
        ).subquery("listed")
        return sa.select(*list(listed.c)[:4]).order_by(listed.c.part, listed.c.sort_key)
    if codelist is AREAS:
        return sa.select(areas.c.code, areas.c.name, areas.c.level, areas.c.parent_code).order_by(
            areas.c.code
        )
    return sa.select(groups.c.code, groups.c.name).order_by(groups.c.code)


async def rows(conn: AsyncConnection, codelist: Codelist) -> list[Sequence[Any]]:
    found: list[Sequence[Any]] = [tuple(r) for r in await conn.execute(_statement(codelist))]
    if codelist is GROUPS and not any(r[0] == TOTAL for r in found):
        found.insert(0, (TOTAL, "Total (no particular group)"))
    return found


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # The export's rule against spreadsheet formulas (export.repository.csv_cell).
    return "'" + text if text and ord(text[0]) in FORMULA_STARTS else text


def as_csv(codelist: Codelist, found: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(codelist.columns)
    writer.writerows([_cell(v) for v in row] for row in found)
    return out.getvalue().encode()
