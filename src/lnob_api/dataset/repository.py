"""Datasets: scoped source, relations, filters and orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.read.relations import Source, Through, ToMany, ToOne, order_by, scoped_by

datasets = models.Dataset.__table__
dataset_indicators = models.DatasetIndicator.__table__
dataset_groups = models.DatasetGroup.__table__
indicators = models.Indicator.__table__
targets = models.SdgTarget.__table__
groups = models.MarginalisedGroup.__table__
coalitions = models.Coalition.__table__
publication_datasets = models.PublicationDataset.__table__

ORDERS = {
    "ID": order_by(datasets, "id"),
    "TITLE": order_by(datasets, "title", "id"),
    "UPDATED_AT": order_by(datasets, "updated_at", "id"),
    "RECENTLY_UPDATED": order_by(
        datasets, "updated_at", "id", descending=frozenset({"updated_at", "id"})
    ),
}


def _current(principal: Principal) -> ColumnElement[bool]:
    """Visible datasets that no newer published version has superseded."""
    return sa.and_(visibility.dataset_visible(principal), datasets.c.superseded_at.is_(None))


# Every version a principal may see: the face of ``node(id)``, ``dataset(id)`` and ``versions``.
DATASET_VERSIONS = Source(
    "Dataset", datasets, scoped_by(datasets, visibility.dataset_visible), ORDERS["ID"]
)
# Current versions: what lists and nested relations show.
DATASETS = Source("Dataset", datasets, scoped_by(datasets, _current), ORDERS["ID"])
DATASET_BY_ID = ToOne(DATASET_VERSIONS)
DATASET_VERSIONS_BY_LINEAGE = ToMany(DATASET_VERSIONS, "lineage_id", order_by(datasets, "version"))
DATASET_BY_SLUG = ToOne(DATASETS, key="slug", prefer=order_by(datasets, "version"))
DATASETS_BY_COALITION = ToMany(DATASETS, "coalition_id")
DATASETS_BY_PROJECT = ToMany(DATASETS, "project_id")
DATASETS_BY_INDICATOR = Through(DATASETS, dataset_indicators, "indicator_id", "dataset_id")
DATASETS_BY_GROUP = Through(DATASETS, dataset_groups, "group_id", "dataset_id")
DATASETS_BY_PUBLICATION = Through(DATASETS, publication_datasets, "publication_id", "dataset_id")


def _with_indicator(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return datasets.c.id.in_(
        sa.select(dataset_indicators.c.dataset_id)
        .join(indicators, indicators.c.id == dataset_indicators.c.indicator_id)
        .join(targets, targets.c.code == indicators.c.target_code)
        .where(condition)
    )


def filters(
    *,
    coalition_codes: list[str] | None = None,
    project_ids: list[int] | None = None,
    goal_codes: list[int] | None = None,
    target_codes: list[str] | None = None,
    indicator_codes: list[str] | None = None,
    statuses: list[str] | None = None,
    group_codes: list[str] | None = None,
    search: str | None = None,
    updated_since: datetime | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the ``datasets`` filter input (all given conditions must hold)."""
    where: list[ColumnElement[Any]] = []
    if coalition_codes is not None:
        codes = [c.upper() for c in coalition_codes]
        where.append(
            datasets.c.coalition_id.in_(
                sa.select(coalitions.c.id).where(coalitions.c.code.in_(codes))
            )
        )
    if project_ids is not None:
        where.append(datasets.c.project_id.in_(project_ids))
    if goal_codes is not None:
        where.append(_with_indicator(targets.c.goal_code.in_(goal_codes)))
    if target_codes is not None:
        where.append(_with_indicator(targets.c.code.in_(target_codes)))
    if indicator_codes is not None:
        where.append(_with_indicator(indicators.c.code.in_(indicator_codes)))
    if statuses is not None:
        where.append(datasets.c.status.in_(statuses))
    if group_codes is not None:
        where.append(
            datasets.c.id.in_(
                sa.select(dataset_groups.c.dataset_id)
                .join(groups, groups.c.id == dataset_groups.c.group_id)
                .where(groups.c.code.in_(group_codes))
            )
        )
    if search:
        haystack = sa.func.lower(datasets.c.title + " " + datasets.c.description)
        for word in search.lower().split():
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(haystack.like(f"%{escaped}%", escape="\\"))
    if updated_since is not None:
        where.append(
            sa.or_(
                datasets.c.updated_at > updated_since, datasets.c.access_changed_at > updated_since
            )
        )
    return where
