"""Disclosure control: protection model settings and suppression state

Create Date: 2026-12-01

``datasets.breakdown_dimensions``: the free extra dimensions that form the breakdown of a
released dataset version (a key that takes two or more values among its cells). A withheld
cell shows outsiders only those; any other extra dimension is a note about the cell and is
withheld with its value. Filled here for versions already released, and at publish from now on.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0012"
down_revision: str | None = "0011"

FILL = """
UPDATE datasets d SET breakdown_dimensions = coalesce((
    SELECT array_agg(k.key ORDER BY k.key) FROM (
        SELECT e.key FROM observations o CROSS JOIN LATERAL jsonb_each(o.dimensions) e
        WHERE o.dataset_id = d.id GROUP BY e.key HAVING count(DISTINCT e.value) >= 2
    ) k
), '{}')
WHERE d.status NOT IN ('DRAFT', 'COMMUNITY_VALIDATED')
"""


def upgrade() -> None:
    op.add_column("datasets", sa.Column("breakdown_dimensions", pg.ARRAY(sa.Text)))
    op.execute(FILL)


def downgrade() -> None:
    op.drop_column("datasets", "breakdown_dimensions")
