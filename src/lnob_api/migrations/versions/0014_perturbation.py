"""Coalition settings for perturbation and the protection share of rates

Create Date: 2026-12-02

``coalitions.perturbation``: NONE (suppression only), ROUND_3, ROUND_5 or CELL_KEY, applied to
the counts outsiders read (``disclosure.perturbation``). ``coalitions.perturbation_key``: the
coalition's secret from which cell keys derive, filled with a random value for every coalition
(existing ones included). ``coalitions.rate_share``: the protection interval of rates and means
as a share of the numerator (was a global 10 %).
"""

import sqlalchemy as sa
from alembic import op

from lnob_api.migrations import ddl

revision: str = "0014"
down_revision: str | None = "0013"


def upgrade() -> None:
    op.add_column(
        "coalitions",
        sa.Column("rate_share", sa.Float(), server_default="0.1", nullable=False),
    )
    op.add_column(
        "coalitions",
        sa.Column(
            "perturbation",
            ddl.text_enum("perturbation", "NONE", "ROUND_3", "ROUND_5", "CELL_KEY"),
            server_default="NONE",
            nullable=False,
        ),
    )
    # A volatile default: every existing row gets its own random key.
    op.add_column(
        "coalitions",
        sa.Column(
            "perturbation_key",
            sa.String(length=64),
            server_default=sa.text("replace(gen_random_uuid()::text, '-', '')"),
            nullable=False,
        ),
    )
    op.create_check_constraint(
        op.f("ck_coalitions_rate_share_range"), "coalitions", "rate_share >= 0 AND rate_share < 1"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_coalitions_rate_share_range"), "coalitions", type_="check")
    op.drop_column("coalitions", "perturbation_key")
    op.drop_column("coalitions", "perturbation")
    op.drop_column("coalitions", "rate_share")
