"""Publications: scoped source, relations, filters and orders."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.coalition import repository as coalition_repo
from lnob_api.domain_kit.sql import linked_to_target
from lnob_api.models.tables import (
    coalitions,
    publication_coalitions,
    publication_datasets,
    publication_targets,
    publications,
)
from lnob_api.read.keyset import Order, OrderKey
from lnob_api.read.relations import Source, Through, ToOne, order_by
from lnob_api.read.search import ESCAPE, word_patterns

# ``published_on`` is often unknown (the seeded material has no dates). A keyset cursor cannot
# seek past a NULL, so "newest first" sorts on the date with undated ones last, as a labelled
# expression that every scoped row carries.
PUBLISHED_SORT = "published_sort"
_published_sort = sa.func.coalesce(publications.c.published_on, sa.literal(date.min, sa.Date))


def _scoped(principal: Principal) -> sa.Select[Any]:
    return sa.select(publications, _published_sort.label(PUBLISHED_SORT)).where(
        visibility.publication_visible(principal)
    )


ORDERS: dict[str, Order] = {
    "ID": order_by(publications, "id"),
    "PUBLISHED_ON": (
        OrderKey(_published_sort, PUBLISHED_SORT, descending=True),
        OrderKey(publications.c.id, "id", descending=True),
    ),
}

PUBLICATIONS = Source("Publication", publications, _scoped, ORDERS["ID"])
PUBLICATION_BY_ID = ToOne(PUBLICATIONS)
PUBLICATION_BY_SLUG = ToOne(PUBLICATIONS, key="slug")
PUBLICATIONS_BY_COALITION = Through(
    PUBLICATIONS, publication_coalitions, "coalition_id", "publication_id"
)
PUBLICATIONS_BY_DATASET = Through(
    PUBLICATIONS, publication_datasets, "dataset_id", "publication_id"
)
PUBLICATIONS_BY_TARGET = Through(PUBLICATIONS, publication_targets, "target_code", "publication_id")

# The coalitions a publication is about (public reference rows, so no scope to add).
COALITIONS_BY_PUBLICATION = Through(
    coalition_repo.COALITIONS, publication_coalitions, "publication_id", "coalition_id"
)


def filters(
    *,
    coalition_code: str | None = None,
    kind: str | None = None,
    language: str | None = None,
    target_code: str | None = None,
    search: str | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the ``publications`` list filter (all given conditions must hold)."""
    where: list[ColumnElement[Any]] = []
    if coalition_code is not None:
        where.append(
            publications.c.id.in_(
                sa.select(publication_coalitions.c.publication_id)
                .join(coalitions, coalitions.c.id == publication_coalitions.c.coalition_id)
                .where(coalitions.c.code == coalition_code.strip().upper())
            )
        )
    if kind is not None:
        where.append(publications.c.kind == kind)
    if language is not None:  # a canonical tag (declare.language)
        where.append(publications.c.language == language)
    if target_code is not None:
        where.append(
            linked_to_target(publications.c.id, publication_targets, "publication_id", target_code)
        )
    if search:
        haystack = sa.func.lower(publications.c.title + " " + publications.c.description)
        for pattern in word_patterns(search):
            where.append(haystack.like(pattern, escape=ESCAPE))
    return where
