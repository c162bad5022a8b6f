"""Sign-in throttling per account and client address; user accounts that can be disabled

The lock-out table (failures per e-mail) becomes a throttle per (account, client address) with
an account-wide row: its rows are short-lived counters, so they are dropped, not converted.
Machine clients (no authorization_code grant) lose a registered ``partnership:admin``: the
token endpoint already ignores it for them; this makes ``clients list`` say so too. Frontend
clients keep it: only flagged users signing in through them get it.

Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from lnob_api.migrations import ddl

revision: str = "0013"
down_revision: str | None = "0012"


def upgrade() -> None:
    op.drop_table("login_throttles")
    op.create_table(
        "login_throttles",
        sa.Column("account", sa.String(length=400), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        ddl.primary_key("login_throttles", "account", "address"),
    )
    ddl.index("login_throttles", "last_failure_at")
    op.execute(
        "UPDATE oauth_clients SET scopes = array_remove(scopes, 'partnership:admin')"
        " WHERE 'partnership:admin' = ANY(scopes)"
        " AND NOT ('authorization_code' = ANY(grant_types))"
    )


def downgrade() -> None:
    # The scope removed from machine clients is not given back: they could never use it.
    ddl.drop_index("login_throttles", "last_failure_at")
    op.drop_table("login_throttles")
    ddl.email_lockouts()
