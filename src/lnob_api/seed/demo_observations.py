"""Plausible, deterministic observations for the demo datasets.

Each (indicator, area, period) cell gets a total row and a few disaggregated rows (sex, age,
disability, urbanisation, group and some crossings), so that filters, aggregates and
small-cell suppression all have something to show. About one row in twenty has a sample
under 5.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api import models
from lnob_api.models import AreaLevel, ObsStatus
from lnob_api.models.observation import TOTAL
from lnob_api.observation.periods import period_bounds
from lnob_api.seed.demo_catalogue import COUNTRY_NAMES, LOCAL_AREAS, NUMBER, PERCENT
from lnob_api.seed.demo_datasets import DemoDataset
from lnob_api.seed.report import SeedReport
from lnob_api.seed.writes import insert_all, table_of

# Rows aimed at per dataset; the number of breakdowns per cell follows from it.
ROWS_PER_DATASET = 260
SMALL_SAMPLE_SHARE = 0.05
SUBDIVISIONS_PER_DATASET = 3
ESTIMATED_SHARE = 0.08

# A disaggregation and how far (in percentage points) it typically sits from the total.
Breakdown = tuple[dict[str, str], float]

BREAKDOWNS: tuple[Breakdown, ...] = (
    ({"sex": "F"}, -2.5),
    ({"sex": "M"}, 2.0),
    ({"age": "Y15T24"}, -3.0),
    ({"age": "Y25T64"}, 1.0),
    ({"age": "Y_GE65"}, -5.0),
    ({"disability_status": "PD"}, -9.0),
    ({"disability_status": "PND"}, 1.5),
    ({"urbanisation": "U"}, 4.0),
    ({"urbanisation": "R"}, -4.0),
    ({"sex": "F", "disability_status": "PD"}, -11.0),
    ({"sex": "M", "disability_status": "PD"}, -7.0),
    ({"sex": "F", "age": "Y_GE65"}, -7.0),
)
DIMENSIONS = ("sex", "age", "disability_status", "urbanisation", "group_code")


@dataclass(frozen=True)
class IndicatorRef:
    id: int
    unit: str  # PERCENT or NUMBER


def observations(
    rng: random.Random,
    *,
    dataset_id: int,
    indicators: list[IndicatorRef],
    areas: list[str],
    periods: tuple[str, ...],
    groups: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Rows for the observations table: every cell of indicators x areas x periods."""
    breakdowns = list(BREAKDOWNS)
    for group in groups:
        breakdowns.append(({"group_code": group}, -6.0))
        breakdowns.append(({"group_code": group, "sex": "F"}, -8.0))
    rng.shuffle(breakdowns)
    cells = len(indicators) * len(areas) * len(periods)
    per_cell = max(1, min(len(breakdowns), ROWS_PER_DATASET // cells - 1))
    chosen: list[Breakdown] = [({}, 0.0), *breakdowns[:per_cell]]
    bounds = {period: period_bounds(period) for period in periods}

    rows: list[dict[str, Any]] = []
    for indicator in indicators:
        for area in areas:
            level = rng.uniform(15.0, 75.0) if indicator.unit == PERCENT else rng.randint(20, 150)
            drift = rng.uniform(-1.5, 2.5)
            for step, period in enumerate(periods):
                start, end = bounds[period]
                for dims, effect in chosen:
                    value = _value(rng, indicator.unit, level + drift * step, effect, bool(dims))
                    rows.append(
                        {
                            "dataset_id": dataset_id,
                            "indicator_id": indicator.id,
                            "area_code": area,
                            "period": period,
                            "period_start": start,
                            "period_end": end,
                            "value": value,
                            "unit": indicator.unit,
                            "obs_status": _status(rng),
                            "sample_size": _sample_size(rng),
                            **{name: dims.get(name, TOTAL) for name in DIMENSIONS},
                            "dimensions": {},
                            "comment": "",
                        }
                    )
    return rows


def _value(rng: random.Random, unit: str, level: float, effect: float, part: bool) -> float:
    if unit == NUMBER:
        share = rng.uniform(0.2, 0.6) if part else 1.0
        return float(max(0, round(level * share)))
    value = level + effect + rng.gauss(0.0, 2.0)
    return round(min(99.5, max(0.5, value)), 1)


def _status(rng: random.Random) -> ObsStatus:
    return ObsStatus.E if rng.random() < ESTIMATED_SHARE else ObsStatus.A


def _sample_size(rng: random.Random) -> int:
    if rng.random() < SMALL_SAMPLE_SHARE:
        return rng.randint(1, 4)  # a small cell: suppressed outside the coalition
    return rng.randint(20, 400)


async def load_observations(
    conn: AsyncConnection,
    rng: random.Random,
    datasets: list[tuple[int, str, DemoDataset]],
    report: SeedReport,
) -> None:
    """Generate and insert the observations of every demo dataset, in one batched insert."""
    indicators = table_of(models.Indicator)
    found = await conn.execute(sa.select(indicators.c.code, indicators.c.id, indicators.c.unit))
    # Global indicators have no unit of their own; the demo's global ones are all proportions.
    refs = {code: IndicatorRef(pk, unit or PERCENT) for code, pk, unit in found}
    areas = table_of(models.Area)
    listed = await conn.execute(
        sa.select(areas.c.country_code, areas.c.code)
        .where(areas.c.level == AreaLevel.SUBDIVISION)
        .where(areas.c.country_code.in_(COUNTRY_NAMES))
        .order_by(areas.c.code)
    )
    subdivisions: dict[str, list[str]] = {}
    for country, code in listed:
        subdivisions.setdefault(country, []).append(code)
    rows: list[dict[str, Any]] = []
    for dataset_id, country, dataset in datasets:
        rows += observations(
            rng,
            dataset_id=dataset_id,
            indicators=[refs[code] for code in dataset.indicators],
            areas=_dataset_areas(rng, country, subdivisions[country]),
            periods=dataset.periods,
            groups=dataset.groups,
        )
    await insert_all(conn, models.Observation, rows, report=report)


def _dataset_areas(rng: random.Random, country: str, subdivisions: list[str]) -> list[str]:
    """The country, a few subdivisions (the local areas' parents first) and its local areas."""
    local = [area for area in LOCAL_AREAS if area.code.startswith(f"{country}-")]
    chosen = list(dict.fromkeys(area.parent_code for area in local))
    others = [code for code in subdivisions if code not in chosen]
    chosen += rng.sample(others, max(0, SUBDIVISIONS_PER_DATASET - len(chosen)))
    return [country, *chosen, *(area.code for area in local)]
