"""SQL of disclosure control: a dataset version's cells, and their secondary suppression flags.

Small cells are read with the very predicate the read paths apply to outsiders
(``visibility.suppressed`` for an anonymous principal), so the flags are computed against
exactly what outsiders will have withheld.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import ANONYMOUS
from lnob_api.disclosure.secondary import BUILT_IN_DIMENSIONS, Cell, cell_from_row

observations = models.Observation.__table__
datasets = models.Dataset.__table__
coalitions = models.Coalition.__table__

Executor = AsyncSession | AsyncConnection

# What makes a table, besides the dataset version and the unit (``secondary.cell_from_row``);
# target_code where observations may target an SDG target instead of an indicator.
_TABLE_COLUMNS = tuple(
    name
    for name in ("indicator_id", "target_code", "area_code", "period")
    if name in observations.c
)


def _small() -> ColumnElement[bool]:
    """Primary suppression as every principal outside the owning coalition gets it."""
    return visibility.suppressed(
        ANONYMOUS,
        observations.c.sample_size,
        datasets.c.coalition_id,
        coalitions.c.suppression_threshold,
        secondary=sa.false(),
    )


async def cells(db: Executor, dataset_id: int) -> list[Cell]:
    """Every observation of one dataset version, as the algorithm's cells."""
    stmt = (
        sa.select(
            observations.c.id,
            *(observations.c[name] for name in _TABLE_COLUMNS),
            observations.c.unit,
            *(observations.c[name] for name in BUILT_IN_DIMENSIONS),
            observations.c.dimensions,
            observations.c.value,
            observations.c.sample_size,
            _small().label("primary"),
        )
        .select_from(
            observations.join(datasets, datasets.c.id == observations.c.dataset_id).join(
                coalitions, coalitions.c.id == datasets.c.coalition_id
            )
        )
        .where(observations.c.dataset_id == dataset_id)
    )
    return [cell_from_row(row) for row in (await db.execute(stmt)).mappings()]


async def write_flags(db: Executor, dataset_id: int, flagged: Collection[int]) -> int:
    """Set ``secondary_suppressed`` on exactly the ``flagged`` observations of the dataset
    version; rows whose flag changes get a new ``updated_at`` (incremental sync resends them).
    Returns how many rows changed."""
    ids = sa.bindparam("flagged", sorted(flagged), type_=pg.ARRAY(sa.BigInteger))
    wanted = observations.c.id == sa.any_(ids)
    stmt = (
        sa.update(observations)
        .where(
            observations.c.dataset_id == dataset_id,
            observations.c.secondary_suppressed.is_distinct_from(wanted),
        )
        .values(secondary_suppressed=wanted, updated_at=sa.func.now())
        .returning(observations.c.id)
    )
    return len((await db.execute(stmt)).all())


async def coalition_dataset_ids(db: Executor, coalition_id: int) -> list[int]:
    """Every dataset version of the coalition, drafts and superseded versions included."""
    stmt = (
        sa.select(datasets.c.id)
        .where(datasets.c.coalition_id == coalition_id)
        .order_by(datasets.c.id)
    )
    return [int(i) for i in (await db.execute(stmt)).scalars()]


def conf_status(
    suppressed: ColumnElement[bool], secondary_suppressed: ColumnElement[bool]
) -> ColumnElement[str]:
    """SDMX CONF_STATUS telling the two kinds apart, for exports that want to: F (free), C
    (confidential: a small cell) or D (secondary confidentiality: hidden so that a small cell
    cannot be derived). ``suppressed`` is the principal's masked flag of the scoped select, so
    insiders get F for everything they read."""
    return sa.case(
        (sa.and_(suppressed, secondary_suppressed), sa.literal("D")),
        (suppressed, sa.literal("C")),
        else_=sa.literal("F"),
    )
