"""Secondary suppression flags on observations

Create Date: 2026-11-25

Adds ``observations.secondary_suppressed`` and computes it for the data already there, so that
no published small cell stays derivable between this migration and the next publish.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lnob_api.disclosure.secondary import cell_from_row, secondary_suppression
from lnob_api.migrations import ddl

revision: str = "0005"
down_revision: str | None = "0004"

# The tables as they are at this revision (not as the models will be later).
_observations = sa.table(
    "observations",
    *(
        sa.column(name)
        for name in (
            "id",
            "dataset_id",
            "indicator_id",
            "area_code",
            "period",
            "unit",
            *ddl.BREAKDOWNS,
            "value",
            "sample_size",
        )
    ),
    sa.column("dimensions", postgresql.JSONB()),
    sa.column("secondary_suppressed", sa.Boolean()),
)
_datasets = sa.table("datasets", sa.column("id"), sa.column("coalition_id"))
_coalitions = sa.table("coalitions", sa.column("id"), sa.column("suppression_threshold"))


def upgrade() -> None:
    op.add_column(
        "observations",
        sa.Column(
            "secondary_suppressed", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Flags for every dataset version holding a small cell (others need none)."""
    o, d, c = _observations, _datasets, _coalitions
    small = sa.and_(o.c.sample_size.is_not(None), o.c.sample_size < c.c.suppression_threshold)
    joined = o.join(d, d.c.id == o.c.dataset_id).join(c, c.c.id == d.c.coalition_id)
    with_small = sa.select(o.c.dataset_id).select_from(joined).where(small).distinct()
    for dataset_id in sorted(conn.execute(with_small).scalars()):
        rows = conn.execute(
            sa.select(*(col for col in o.c if col.name != "secondary_suppressed"))
            .add_columns(small.label("primary"))
            .select_from(joined)
            .where(o.c.dataset_id == dataset_id)
        ).mappings()
        flagged = sorted(secondary_suppression(cell_from_row(row) for row in rows))
        if flagged:
            ids = sa.bindparam("ids", flagged, type_=postgresql.ARRAY(sa.BigInteger()))
            conn.execute(
                sa.update(o).where(o.c.id == sa.any_(ids)).values(secondary_suppressed=True)
            )


def downgrade() -> None:
    op.drop_column("observations", "secondary_suppressed")
