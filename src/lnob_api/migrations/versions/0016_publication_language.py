"""Publication languages are canonical BCP 47 tags

Create Date: 2026-12-02

``publications.language`` held a lower-cased code (``en``, ``sw-ke``); it is now a BCP 47 tag
in canonical case (``sw-KE``), as ``datasets.language`` is, and checked to be one. Existing
values are rewritten in canonical case; the few the old check let through that are no such
tag (``en-x-private``) keep their primary language only.
"""

import re

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"

PATTERN = "^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$"
_TAG = re.compile(r"([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?", re.IGNORECASE)


def canonical(value: str) -> str:
    """The tag in canonical case; its primary language alone when it is no such tag."""
    text = value.strip()
    match = _TAG.fullmatch(text)
    if match is None:
        primary = re.match(r"[a-z]{2,3}", text, re.IGNORECASE)
        return primary.group(0).lower() if primary else "en"
    language, script, region = match.groups()
    parts = [language.lower(), script.title() if script else "", region.upper() if region else ""]
    return "-".join(p for p in parts if p)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, language FROM publications WHERE language !~ :pattern"),
        {"pattern": PATTERN},
    ).all()
    for row in rows:
        bind.execute(
            sa.text("UPDATE publications SET language = :language WHERE id = :id"),
            {"language": canonical(row.language), "id": row.id},
        )
    op.create_check_constraint("language", "publications", f"language ~ '{PATTERN}'")


def downgrade() -> None:
    op.drop_constraint("language", "publications", type_="check")
