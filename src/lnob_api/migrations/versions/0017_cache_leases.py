"""The data version and the response caches' leases

Create Date: 2026-12-03

``data_versions`` holds the number of the last committed write (one row, moved by every
writing transaction just before it commits); ``cache_listeners`` one row per listening worker:
the highest version it has heard and the end of its lease (``lnob_api.cache.leases``).
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_versions_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_versions")),
    )
    op.execute("INSERT INTO data_versions (id, version) VALUES (1, 0)")
    op.create_table(
        "cache_listeners",
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("heard", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_cache_listeners")),
    )


def downgrade() -> None:
    op.drop_table("cache_listeners")
    op.drop_table("data_versions")
