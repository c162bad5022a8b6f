"""Seed data: the reference data every installation needs, and an optional demo set.

``seed(conn)`` is idempotent: a second run inserts and updates nothing. It writes through the
caller's connection and never commits: the caller owns the transaction.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.seed.areas import load_areas
from lnob_api.seed.demo import load_demo
from lnob_api.seed.files import DEFAULT_SEEDS_DIR, SeedFiles
from lnob_api.seed.reference import (
    load_coalitions,
    load_marginalised_groups,
    load_publications,
    load_sdg_framework,
)
from lnob_api.seed.report import SeedReport

__all__ = ["DEFAULT_SEEDS_DIR", "SeedReport", "seed"]


async def seed(
    conn: AsyncConnection, *, demo: bool = True, seeds_dir: Path | None = None
) -> SeedReport:
    """Load the reference data (SDG framework, areas, coalitions, groups, publications) and,
    when ``demo`` is true, the demo set (every row flagged ``is_demo``; loaded only once)."""
    files = SeedFiles(seeds_dir or DEFAULT_SEEDS_DIR)
    report = SeedReport()
    await load_sdg_framework(conn, files, report)
    await load_areas(conn, report)
    await load_coalitions(conn, files, report)
    await load_marginalised_groups(conn, report)
    await load_publications(conn, files, report)
    if demo:
        await load_demo(conn, report)
    return report
