"""The demo set: invented organisations, projects, datasets and observations.

Every row is flagged ``is_demo`` and every title or name says "(demo)". The set is built from
``random.Random(2018)`` and fixed dates only, so two databases seeded apart hold the same
rows. It is loaded once: if any demo row exists, nothing is written.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api import models
from lnob_api.disclosure import service as disclosure
from lnob_api.models import AreaLevel, PublicationKind
from lnob_api.sdg.codes import sort_key
from lnob_api.seed.demo_catalogue import (
    COUNTRY_NAMES,
    CUSTOM_INDICATORS,
    EXPANSION,
    LOCAL_AREAS,
    ORGANISATIONS,
    PILOTS,
)
from lnob_api.seed.demo_datasets import DATASETS, FICTION, PUBLICATIONS, DemoDataset, at_noon
from lnob_api.seed.demo_observations import load_observations
from lnob_api.seed.demo_projects import PROJECTS
from lnob_api.seed.report import SeedReport
from lnob_api.seed.writes import ids_by, insert_all, links, table_of
from lnob_api.slugs import slugify

RANDOM_SEED = 2018
RETRACTED_AFTER_DAYS = 75

_DEMO_TABLES = (models.Organisation, models.Area, models.Indicator, models.Dataset)


async def load_demo(conn: AsyncConnection, report: SeedReport) -> None:
    """Insert the demo set, unless a demo row is already there."""
    if await _demo_present(conn):
        report.demo_skipped = True
        return
    rng = random.Random(RANDOM_SEED)
    coalitions = await ids_by(conn, models.Coalition, "code")
    groups = await ids_by(conn, models.MarginalisedGroup, "code")
    await _organisations(conn, coalitions, report)
    await _local_areas(conn, coalitions, report)
    await _custom_indicators(conn, coalitions, report)
    projects = await _projects(conn, coalitions, groups, report)
    datasets = await _datasets(conn, coalitions, projects, groups, report)
    await load_observations(conn, rng, datasets, report)
    await _publications(conn, coalitions, datasets, report)
    for coalition_id in coalitions.values():
        await disclosure.recompute_coalition(conn, coalition_id)


async def _demo_present(conn: AsyncConnection) -> bool:
    flagged = [
        sa.select(table_of(model).c.is_demo).where(table_of(model).c.is_demo).exists()
        for model in _DEMO_TABLES
    ]
    return bool(await conn.scalar(sa.select(sa.or_(*flagged))))


async def _organisations(
    conn: AsyncConnection, coalitions: dict[Any, int], report: SeedReport
) -> None:
    rows = [
        {
            "slug": slugify(org.name),
            "name": org.name,
            "kind": org.kind,
            "country_code": org.country_code,
            "description": org.description,
            "is_demo": True,
        }
        for org in ORGANISATIONS
    ]
    ids = await insert_all(conn, models.Organisation, rows, report=report, returning=["id"])
    members = [
        {
            "coalition_id": coalitions[code],
            "organisation_id": row.id,
            "role": role,
            "joined_on": COHORT_START[code],
        }
        for org, row in zip(ORGANISATIONS, ids, strict=True)
        for code, role in org.memberships
    ]
    await insert_all(conn, models.CoalitionMember, members, report=report)


# When demo members joined: the pilots in 2018, Malawi and Denmark in late 2021.
COHORT_START = {code: date(2018, 3, 1) for code in PILOTS} | {
    code: date(2021, 11, 1) for code in EXPANSION
}


async def _local_areas(
    conn: AsyncConnection, coalitions: dict[Any, int], report: SeedReport
) -> None:
    areas = table_of(models.Area)
    parents = {area.parent_code for area in LOCAL_AREAS}
    result = await conn.execute(
        sa.select(areas.c.code, areas.c.ancestors).where(areas.c.code.in_(parents))
    )
    lineage = {code: [*ancestors, code] for code, ancestors in result}
    rows = [
        {
            "code": area.code,
            "name": area.name,
            "level": AreaLevel.LOCAL,
            "type": area.type,
            "country_code": area.code[:2],
            "parent_code": area.parent_code,
            "ancestors": lineage[area.parent_code],
            "coalition_id": coalitions[area.code[:2]],
            "is_demo": True,
        }
        for area in LOCAL_AREAS
    ]
    await insert_all(conn, models.Area, rows, report=report)


async def _custom_indicators(
    conn: AsyncConnection, coalitions: dict[Any, int], report: SeedReport
) -> None:
    rows = [
        {
            "code": ind.code,
            "target_code": ind.target_code,
            "title": ind.title,
            "description": ind.description,
            "unit": ind.unit,
            "coalition_id": coalitions[ind.code[:2]],
            "framework_version": None,
            "sort_key": sort_key(ind.code),
            "is_demo": True,
        }
        for ind in CUSTOM_INDICATORS
    ]
    await insert_all(conn, models.Indicator, rows, report=report)


async def _projects(
    conn: AsyncConnection,
    coalitions: dict[Any, int],
    groups: dict[Any, int],
    report: SeedReport,
) -> dict[str, tuple[int, str]]:
    """Insert the projects; returns ``{project key: (id, coalition code)}``."""
    rows = [
        {
            "coalition_id": coalitions[project.coalition],
            "slug": slugify(project.title),
            "title": project.title,
            "description": f"A project of the {COUNTRY_NAMES[project.coalition]} demo coalition. "
            + FICTION,
            "status": project.status,
            "start_date": project.start,
            "end_date": project.end,
            "visibility": project.visibility,
            "is_demo": True,
        }
        for project in PROJECTS
    ]
    ids = await insert_all(conn, models.Project, rows, report=report, returning=["id"])
    targets = links(ids, "project_id", "target_code", [p.targets for p in PROJECTS])
    await insert_all(conn, models.ProjectTarget, targets, report=report)
    about = [[groups[code] for code in p.groups] for p in PROJECTS]
    await insert_all(
        conn, models.ProjectGroup, links(ids, "project_id", "group_id", about), report=report
    )
    return {
        project.key: (row.id, project.coalition) for project, row in zip(PROJECTS, ids, strict=True)
    }


async def _datasets(
    conn: AsyncConnection,
    coalitions: dict[Any, int],
    projects: dict[str, tuple[int, str]],
    groups: dict[Any, int],
    report: SeedReport,
) -> list[tuple[int, str, DemoDataset]]:
    """Insert the datasets; returns ``(id, coalition code, definition)`` for each."""
    rows = []
    for dataset in DATASETS:
        project_id, country = projects[dataset.project]
        published = at_noon(dataset.published) if dataset.published else None
        rows.append(
            {
                "coalition_id": coalitions[country],
                "project_id": project_id,
                "slug": slugify(dataset.title),
                "title": dataset.title,
                "description": f"Community-driven data from {COUNTRY_NAMES[country]}. {FICTION}",
                "methodology": dataset.methodology,
                "collection_start": dataset.collected[0],
                "collection_end": dataset.collected[1],
                "area_code": country,
                "status": dataset.status,
                "retraction_reason": dataset.retraction_reason,
                "visibility": dataset.visibility,
                "published_at": published,
                "retracted_at": _retracted_at(dataset),
                "is_demo": True,
            }
        )
    ids = await insert_all(conn, models.Dataset, rows, report=report, returning=["id"])
    indicators = await ids_by(conn, models.Indicator, "code")
    covered = [[indicators[code] for code in d.indicators] for d in DATASETS]
    await insert_all(
        conn,
        models.DatasetIndicator,
        links(ids, "dataset_id", "indicator_id", covered),
        report=report,
    )
    about = [[groups[code] for code in d.groups] for d in DATASETS]
    await insert_all(
        conn, models.DatasetGroup, links(ids, "dataset_id", "group_id", about), report=report
    )
    return [
        (row.id, projects[dataset.project][1], dataset)
        for dataset, row in zip(DATASETS, ids, strict=True)
    ]


def _retracted_at(dataset: DemoDataset) -> datetime | None:
    if dataset.retraction_reason is None or dataset.published is None:
        return None
    return at_noon(dataset.published + timedelta(days=RETRACTED_AFTER_DAYS))


async def _publications(
    conn: AsyncConnection,
    coalitions: dict[Any, int],
    datasets: list[tuple[int, str, DemoDataset]],
    report: SeedReport,
) -> None:
    rows = [
        {
            "slug": slugify(publication.title),
            "coalition_id": coalitions[publication.coalition],
            "kind": PublicationKind.REPORT,
            "title": publication.title,
            "description": f"A report of the {COUNTRY_NAMES[publication.coalition]} demo "
            f"coalition. {FICTION}",
            "language": "en",
            "published_on": publication.published_on,
            "file_url": None,
            "visibility": publication.visibility,
            "is_demo": True,
        }
        for publication in PUBLICATIONS
    ]
    ids = await insert_all(conn, models.Publication, rows, report=report, returning=["id"])
    pairs = list(zip(PUBLICATIONS, ids, strict=True))
    by_title = {dataset.title: dataset_id for dataset_id, _, dataset in datasets}
    await insert_all(
        conn,
        models.PublicationCoalition,
        [{"publication_id": row.id, "coalition_id": coalitions[p.coalition]} for p, row in pairs],
        report=report,
    )
    await insert_all(
        conn,
        models.PublicationDataset,
        [
            {"publication_id": row.id, "dataset_id": by_title[title]}
            for p, row in pairs
            for title in p.datasets
        ],
        report=report,
    )
    await insert_all(
        conn,
        models.PublicationTarget,
        [{"publication_id": row.id, "target_code": code} for p, row in pairs for code in p.targets],
        report=report,
    )
