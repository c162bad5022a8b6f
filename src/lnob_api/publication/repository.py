"""Publications: scoped source, relations, filters and orders."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.coalition import repository as coalition_repo
from lnob_api.declare.conditions import Conditions, equal, linked_to_target, words
from lnob_api.declare.entities import PUBLICATION
from lnob_api.models.tables import (
    coalitions,
    publication_coalitions,
    publication_datasets,
    publication_targets,
    publications,
)
from lnob_api.read.keyset import Order, OrderKey
from lnob_api.read.relations import Source, Through, ToOne, order_by

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


def _about_coalition(code: str) -> ColumnElement[bool]:
    return publications.c.id.in_(
        sa.select(publication_coalitions.c.publication_id)
        .join(coalitions, coalitions.c.id == publication_coalitions.c.coalition_id)
        .where(coalitions.c.code == code.strip().upper())
    )


# The ``publications`` list filter (all given conditions must hold); ``language`` is a
# canonical tag (declare.language); one spec with the declared filters (PUBLICATION).
filters = Conditions(
    coalition_code=_about_coalition,
    kind=equal(publications.c.kind),
    language=equal(publications.c.language),
    target_code=linked_to_target(publications.c.id, publication_targets, "publication_id"),
    search=words(publications.c.title + " " + publications.c.description, lower=True),
    **PUBLICATION.conditions.conditions,  # the declared ones: ``languages``
)
