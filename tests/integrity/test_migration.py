"""Migration 0010 on a database that a check-then-insert service filled with duplicates: it
resolves them (keeping the access that was given), builds its indexes, and downgrades."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from tests.db.test_migrations import _drop, _scratch_database

from lnob_api.db import create_engine, migrate

SETUP = """
INSERT INTO areas (code, name, level, country_code) VALUES ('ZZ', 'Zed', 'COUNTRY', 'ZZ');
INSERT INTO coalitions (code, slug, name) VALUES ('ZZ', 'zed', 'Zed coalition');
INSERT INTO organisations (slug, name, kind) VALUES ('agency', 'Agency', 'STATISTICS_AGENCY');
INSERT INTO datasets (coalition_id, slug, title, status, published_at, version)
  SELECT id, 'survey', 'Survey', 'PUBLISHED', now(), 1 FROM coalitions;
INSERT INTO datasets (coalition_id, slug, title, status, version, lineage_id)
  SELECT coalition_id, slug, 'Validated', 'COMMUNITY_VALIDATED', 2, id FROM datasets;
INSERT INTO datasets (coalition_id, slug, title, status, version, lineage_id)
  SELECT coalition_id, slug, 'Newest draft', 'DRAFT', 3, id FROM datasets WHERE version = 1;
"""
# Three unrevoked grants of one reach (one expired, one until 2099, one without end) and one
# revoked: the one without end must be the one left live.
GRANTS = """
INSERT INTO grants (coalition_id, organisation_id, expires_at, revoked_at, note)
SELECT c.id, o.id, g.expires_at, g.revoked_at, g.note
FROM coalitions c, organisations o, (VALUES
  (now() - interval '1 day', NULL::timestamptz, 'expired'),
  (timestamptz '2099-01-01', NULL, 'until 2099'),
  (NULL, NULL, 'open-ended'),
  (NULL, now() - interval '2 days', 'revoked')
) AS g(expires_at, revoked_at, note)
"""


@pytest.fixture
async def at_0009(database_url: str) -> AsyncIterator[str]:
    url, name = await _scratch_database(database_url)
    await asyncio.to_thread(migrate.upgrade, url, "0009")
    try:
        yield url
    finally:
        await _drop(database_url, name)


async def _run(url: str, *statements: str) -> list[Any]:
    engine = create_engine(url, pool_size=1)
    rows: list[Any] = []
    async with engine.begin() as conn:
        for statement in statements:
            result = await conn.execute(sa.text(statement))
            if result.returns_rows:
                rows = list(result.all())
    await engine.dispose()
    return rows


class TestMigration0010:
    async def test_duplicates_are_resolved_then_indexed(self, at_0009: str) -> None:
        # given duplicates that the indexes of 0010 forbid
        await _run(at_0009, *[s for s in SETUP.split(";\n") if s.strip()], GRANTS)
        # when
        await asyncio.to_thread(migrate.upgrade, at_0009, "0010")
        # then the open-ended grant is the live one; the expired one closed at its expiry
        grants = await _run(
            at_0009,
            "SELECT note, revoked_at IS NULL, revoked_at = expires_at FROM grants ORDER BY note",
        )
        assert [tuple(g) for g in grants] == [
            ("expired", False, True),
            ("open-ended", True, None),
            ("revoked", False, None),
            ("until 2099", False, False),
        ]
        # and the newest draft stays the lineage's one open version; the other is deleted,
        # with an audit event holding it
        versions = await _run(at_0009, "SELECT version, status FROM datasets ORDER BY version")
        assert [tuple(v) for v in versions] == [(1, "PUBLISHED"), (3, "DRAFT")]
        audit = await _run(at_0009, "SELECT action, before->>'title', request_id FROM audit_events")
        assert [tuple(a) for a in audit] == [("dataset.delete", "Validated", "migration-0010")]
        # and the indexes hold from now on
        with pytest.raises(sa.exc.IntegrityError):
            await _run(at_0009, GRANTS)
        # when downgraded and upgraded again
        await asyncio.to_thread(migrate.downgrade, at_0009, "0009")
        indexes = await _run(
            at_0009,
            "SELECT count(*) FROM pg_indexes WHERE indexname IN ('uq_grants_live_organisation',"
            " 'uq_grants_live_client', 'uq_datasets_open_version')",
        )
        assert indexes[0][0] == 0
        await asyncio.to_thread(migrate.upgrade, at_0009, "0010")
