"""Integrity: unique constraints for every at-most-one rule, idempotency keys

Create Date: 2026-12-01

Rows that an older, check-then-insert version of the service duplicated under concurrency are
resolved before each index is built:
- grants: of the unrevoked grants with one grantee and reach, the one giving the most (no
  expiry, else the latest expiry, else the oldest) stays; the others are closed: at their
  expiry when that has passed (they count as expired), else now (revoked);
- scorecard criteria whose labels differ only in case: the later ones get " (2)", " (3)"...;
- unreleased dataset versions: of several open versions in one lineage, the newest DRAFT (else
  the newest COMMUNITY_VALIDATED one) stays; the others are deleted, as a draft can be, each with
  an audit event holding the deleted row.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from lnob_api.migrations import ddl

revision: str = "0010"
down_revision: str | None = "0009"

_CLOSE_DUPLICATE_GRANTS = """
WITH ranked AS (
    SELECT id, row_number() OVER (
        PARTITION BY coalition_id, dataset_id, organisation_id, client_id
        ORDER BY expires_at IS NULL DESC, expires_at DESC, id
    ) AS rank
    FROM grants
    WHERE revoked_at IS NULL
)
UPDATE grants g
SET revoked_at = CASE WHEN g.expires_at <= now() THEN g.expires_at ELSE now() END,
    updated_at = now()
FROM ranked
WHERE ranked.id = g.id AND ranked.rank > 1
"""

_OPEN = "status IN ('DRAFT', 'COMMUNITY_VALIDATED')"

# The open versions beyond the one kept per lineage, in a table the next statements read.
_EXTRA_OPEN_VERSIONS = """
CREATE TEMPORARY TABLE extra_open_versions ON COMMIT DROP AS
SELECT id FROM (
    SELECT id, row_number() OVER (
        PARTITION BY lineage_id ORDER BY status = 'DRAFT' DESC, version DESC
    ) AS rank
    FROM datasets
    WHERE status IN ('DRAFT', 'COMMUNITY_VALIDATED')
) ranked
WHERE rank > 1
"""

_AUDIT_DELETED = """
INSERT INTO audit_events (action, entity_type, entity_id, coalition_id, before, request_id)
SELECT 'dataset.delete', 'Dataset', id::text, coalition_id, to_jsonb(datasets), 'migration-0010'
FROM datasets WHERE id IN (SELECT id FROM extra_open_versions)
"""

_DELETE_EXTRA = "DELETE FROM datasets WHERE id IN (SELECT id FROM extra_open_versions)"

_RENAME_CASE_DUPLICATE_LABELS = """
WITH ranked AS (
    SELECT id, row_number() OVER (PARTITION BY scorecard_id, lower(label) ORDER BY id) AS rank
    FROM scorecard_criteria
)
UPDATE scorecard_criteria c
SET label = left(c.label, 290) || ' (' || ranked.rank || ')'
FROM ranked
WHERE ranked.id = c.id AND ranked.rank > 1
"""


def upgrade() -> None:
    op.execute(_CLOSE_DUPLICATE_GRANTS)
    for grantee in ("organisation", "client"):
        op.create_index(
            f"uq_grants_live_{grantee}",
            "grants",
            ["coalition_id", "dataset_id", f"{grantee}_id"],
            unique=True,
            postgresql_where=sa.text(f"revoked_at IS NULL AND {grantee}_id IS NOT NULL"),
            postgresql_nulls_not_distinct=True,
        )
    op.execute(_EXTRA_OPEN_VERSIONS)
    op.execute(_AUDIT_DELETED)
    op.execute(_DELETE_EXTRA)
    op.create_index(
        "uq_datasets_open_version",
        "datasets",
        ["lineage_id"],
        unique=True,
        postgresql_where=sa.text(_OPEN),
    )
    op.execute(_RENAME_CASE_DUPLICATE_LABELS)
    op.drop_constraint("uq_scorecard_criteria_label", "scorecard_criteria", type_="unique")
    op.create_index(
        "uq_scorecard_criteria_label",
        "scorecard_criteria",
        ["scorecard_id", sa.text("lower(label)")],
        unique=True,
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", pg.JSONB(astext_type=sa.Text()), nullable=True),
        ddl.stamped("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        ddl.primary_key("idempotency_keys", "id"),
        sa.UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),
    )
    ddl.index("idempotency_keys", "expires_at")


def downgrade() -> None:
    ddl.drop_index("idempotency_keys", "expires_at")
    op.drop_table("idempotency_keys")
    op.drop_index("uq_scorecard_criteria_label", table_name="scorecard_criteria")
    op.create_unique_constraint(
        "uq_scorecard_criteria_label", "scorecard_criteria", ["scorecard_id", "label"]
    )
    op.drop_index("uq_datasets_open_version", table_name="datasets")
    op.drop_index("uq_grants_live_client", table_name="grants")
    op.drop_index("uq_grants_live_organisation", table_name="grants")
