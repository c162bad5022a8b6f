"""Access requests and notifications

Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from lnob_api.migrations import ddl

revision: str = "0009"
down_revision: str | None = "0008"

# Frozen copies of the vocabularies (models.AccessRequestStatus, models.NotificationKind).
_STATUSES = ("PENDING", "APPROVED", "DECLINED", "WITHDRAWN")
_KINDS = (
    "ACCESS_REQUEST_CREATED",
    "ACCESS_REQUEST_APPROVED",
    "ACCESS_REQUEST_DECLINED",
    "ACCESS_REQUEST_WITHDRAWN",
)


def upgrade() -> None:
    ddl.keyed_table(
        "access_requests",
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.Column("coalition_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status", ddl.text_enum("status", *_STATUSES), server_default="PENDING", nullable=False
        ),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("requester_name", sa.String(length=200), nullable=True),
        sa.Column("requester_email", sa.String(length=320), nullable=True),
        sa.Column("requester_user_id", sa.BigInteger(), nullable=True),
        sa.Column("requester_client_id", sa.BigInteger(), nullable=True),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("grant_id", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.BigInteger(), nullable=True),
        *ddl.timestamps(),
        ddl.check(
            "access_requests",
            "exactly_one_requester",
            "num_nonnulls(requester_user_id, requester_client_id) = 1",
        ),
        ddl.check("access_requests", "decided_at", "(status = 'PENDING') = (decided_at IS NULL)"),
        ddl.check(
            "access_requests", "expires_at", "(status = 'APPROVED') = (expires_at IS NOT NULL)"
        ),
        ddl.check(
            "access_requests", "decline_reason", "status <> 'DECLINED' OR decision_note IS NOT NULL"
        ),
        ddl.foreign_key("access_requests", "dataset_id", "datasets.id", ondelete="CASCADE"),
        ddl.foreign_key("access_requests", "coalition_id", "coalitions.id", ondelete="CASCADE"),
        ddl.foreign_key("access_requests", "requester_user_id", "users.id", ondelete="CASCADE"),
        ddl.foreign_key(
            "access_requests", "requester_client_id", "oauth_clients.id", ondelete="CASCADE"
        ),
        ddl.foreign_key(
            "access_requests", "organisation_id", "organisations.id", ondelete="CASCADE"
        ),
        ddl.foreign_key("access_requests", "grant_id", "grants.id", ondelete="SET NULL"),
        ddl.foreign_key("access_requests", "decided_by_user_id", "users.id", ondelete="SET NULL"),
    )
    for column in ("dataset_id", "requester_user_id", "requester_client_id", "organisation_id"):
        op.create_index(op.f(f"ix_access_requests_{column}"), "access_requests", [column])
    op.create_index("ix_access_requests_coalition_id_id", "access_requests", ["coalition_id", "id"])
    for who in ("user", "client"):
        op.create_index(
            f"uq_access_requests_pending_{who}",
            "access_requests",
            ["dataset_id", f"requester_{who}_id"],
            unique=True,
            postgresql_where=sa.text(f"status = 'PENDING' AND requester_{who}_id IS NOT NULL"),
        )

    ddl.keyed_table(
        "notifications",
        sa.Column("recipient_user_id", sa.BigInteger(), nullable=True),
        sa.Column("recipient_client_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", ddl.text_enum("kind", *_KINDS), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("access_request_id", sa.BigInteger(), nullable=True),
        ddl.stamped("created_at"),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        ddl.check(
            "notifications",
            "exactly_one_recipient",
            "num_nonnulls(recipient_user_id, recipient_client_id) = 1",
        ),
        ddl.foreign_key("notifications", "recipient_user_id", "users.id", ondelete="CASCADE"),
        ddl.foreign_key(
            "notifications", "recipient_client_id", "oauth_clients.id", ondelete="CASCADE"
        ),
        ddl.foreign_key(
            "notifications", "access_request_id", "access_requests.id", ondelete="CASCADE"
        ),
    )
    ddl.index("notifications", "access_request_id")
    op.create_index(
        "ix_notifications_recipient_user_id_id", "notifications", ["recipient_user_id", "id"]
    )
    op.create_index(
        "ix_notifications_recipient_client_id_id", "notifications", ["recipient_client_id", "id"]
    )


def downgrade() -> None:
    # Indexes and constraints go with their tables.
    op.drop_table("notifications")
    op.drop_table("access_requests")
