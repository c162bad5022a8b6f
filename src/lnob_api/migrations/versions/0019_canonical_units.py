"""Observation units are canonical: SQL and Python tell a count the same way

Create Date: 2026-12-03

``ck_observations_unit_canonical``: no control, format or separator character but the space,
and no space at either end or twice (``models.units``). Units stored before are rewritten
first, each distinct one as ``canonical_unit`` writes it; one that reads as a count unit only
through non-ASCII letters (a long s, a dotless i: the database's glibc ``upper`` took them
for counts) becomes that count unit, so that no cell suppressed as a count before is shown now.
Rewritten rows have their ``updated_at`` moved, so that incremental sync sends them again. The
unit is no part of ``uq_observations_key``: a rewrite cannot collide.
"""

import sqlalchemy as sa
from alembic import op

from lnob_api.models.units import NOT_CANONICAL, canonical_unit, looks_like_count

revision: str = "0019"
down_revision: str | None = "0018"


def upgrade() -> None:
    conn = op.get_bind()
    found = conn.execute(sa.text("SELECT DISTINCT unit FROM observations")).scalars().all()
    for unit in found:
        canonical = canonical_unit(unit)
        canonical = looks_like_count(canonical) or canonical
        if canonical != unit:
            conn.execute(
                sa.text(
                    "UPDATE observations SET unit = :new, updated_at = now() WHERE unit = :old"
                ),
                {"new": canonical, "old": unit},
            )
    op.create_check_constraint(
        op.f("ck_observations_unit_canonical"), "observations", f"unit !~ '{NOT_CANONICAL}'"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_observations_unit_canonical"), "observations", type_="check")
