"""Access requests to a dataset's data, and the notifications that tell people about them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import identity_key, reference, stamped
from lnob_api.models.common import Timestamped
from lnob_api.models.enums import enum_column


class AccessRequestStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    WITHDRAWN = "WITHDRAWN"


class NotificationKind(StrEnum):
    ACCESS_REQUEST_CREATED = "ACCESS_REQUEST_CREATED"
    ACCESS_REQUEST_APPROVED = "ACCESS_REQUEST_APPROVED"
    ACCESS_REQUEST_DECLINED = "ACCESS_REQUEST_DECLINED"
    ACCESS_REQUEST_WITHDRAWN = "ACCESS_REQUEST_WITHDRAWN"


class AccessRequest(Timestamped, Base):
    """A caller who sees a dataset's metadata asks its coalition for the data.

    The requester is a user (acting for ``organisation_id``, one of their organisations) or a
    machine client (``requester_client_id``; ``organisation_id`` is then the client's own).
    Approval opens the dataset through a grant (``grant_id``) until ``expires_at``.
    """

    __tablename__ = "access_requests"

    id: Mapped[int] = identity_key()
    dataset_id: Mapped[int] = reference("datasets.id", ondelete="CASCADE", index=True)
    # The dataset's coalition, kept here so that scoping and filters need no join.
    coalition_id: Mapped[int] = reference("coalitions.id", ondelete="CASCADE")
    status: Mapped[AccessRequestStatus] = enum_column(
        AccessRequestStatus, "status", AccessRequestStatus.PENDING
    )
    purpose: Mapped[str] = mapped_column(sa.Text, nullable=False)
    requester_name: Mapped[str | None] = mapped_column(sa.String(200))
    requester_email: Mapped[str | None] = mapped_column(sa.String(320))
    requester_user_id: Mapped[int | None] = reference("users.id", ondelete="CASCADE", index=True)
    requester_client_id: Mapped[int | None] = reference(
        "oauth_clients.id", ondelete="CASCADE", index=True
    )
    organisation_id: Mapped[int] = reference("organisations.id", ondelete="CASCADE", index=True)
    grant_id: Mapped[int | None] = reference("grants.id", ondelete="SET NULL")
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The approver's note, or the reason for declining.
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    # When the request left PENDING: approved, declined or withdrawn.
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by_user_id: Mapped[int | None] = reference("users.id", ondelete="SET NULL")

    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(requester_user_id, requester_client_id) = 1",
            name="exactly_one_requester",
        ),
        sa.CheckConstraint("(status = 'PENDING') = (decided_at IS NULL)", name="decided_at"),
        sa.CheckConstraint("(status = 'APPROVED') = (expires_at IS NOT NULL)", name="expires_at"),
        sa.CheckConstraint(
            "status <> 'DECLINED' OR decision_note IS NOT NULL", name="decline_reason"
        ),
        sa.Index("ix_access_requests_coalition_id_id", "coalition_id", "id"),
        # One open request per requester and dataset.
        sa.Index(
            "uq_access_requests_pending_user",
            "dataset_id",
            "requester_user_id",
            unique=True,
            postgresql_where=sa.text("status = 'PENDING' AND requester_user_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_access_requests_pending_client",
            "dataset_id",
            "requester_client_id",
            unique=True,
            postgresql_where=sa.text("status = 'PENDING' AND requester_client_id IS NOT NULL"),
        ),
    )


class Notification(Base):
    """A message to one user or one machine client, read through the API."""

    __tablename__ = "notifications"

    id: Mapped[int] = identity_key()
    recipient_user_id: Mapped[int | None] = reference("users.id", ondelete="CASCADE")
    recipient_client_id: Mapped[int | None] = reference("oauth_clients.id", ondelete="CASCADE")
    kind: Mapped[NotificationKind] = enum_column(NotificationKind, "kind")
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    access_request_id: Mapped[int | None] = reference(
        "access_requests.id", ondelete="CASCADE", index=True
    )
    created_at: Mapped[datetime] = stamped()
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(recipient_user_id, recipient_client_id) = 1",
            name="exactly_one_recipient",
        ),
        sa.Index("ix_notifications_recipient_user_id_id", "recipient_user_id", "id"),
        sa.Index("ix_notifications_recipient_client_id_id", "recipient_client_id", "id"),
    )
