"""The language of a dataset

Create Date: 2026-12-02

``datasets.language``: the BCP 47 tag of the title and description (``en`` for the datasets
that exist, as their texts are), checked to be in canonical form.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"

PATTERN = "^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$"


def upgrade() -> None:
    op.add_column(
        "datasets",
        sa.Column("language", sa.String(35), server_default="en", nullable=False),
    )
    op.create_check_constraint("language", "datasets", f"language ~ '{PATTERN}'")


def downgrade() -> None:
    op.drop_column("datasets", "language")  # and its check
