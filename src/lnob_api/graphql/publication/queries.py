"""Root fields: publications, publication."""

from __future__ import annotations

from enum import Enum

import strawberry

from lnob_api.declare.entities import PUBLICATION
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.declared import filters
from lnob_api.graphql.enums import PublicationKind
from lnob_api.graphql.lookups import by_id_or_slug
from lnob_api.graphql.publication.types import Publication
from lnob_api.publication import repository as publication_repo


@strawberry.enum(
    description="Orders for the publications list: "
    "ID, or PUBLISHED_ON (newest first, undated last)."
)
class PublicationOrder(Enum):
    ID = "ID"
    PUBLISHED_ON = "PUBLISHED_ON"


@strawberry.input(description="Conditions on publications; all given ones must hold.")
@filters(PUBLICATION)  # then the declared ones (declare.entities)
class PublicationFilter:
    coalition: str | None = strawberry.field(
        default=None, description="Country code of a coalition the publication is about."
    )
    kind: PublicationKind | None = None
    language: str | None = strawberry.field(default=None, description="Language code, e.g. en.")
    target: str | None = strawberry.field(default=None, description="SDG target code, e.g. 10.2.")
    search: str | None = strawberry.field(
        default=None, description="Words that title or description contain."
    )


def _publications(
    filter: PublicationFilter | None = None, order_by: PublicationOrder = PublicationOrder.ID
) -> Slice:
    f = filter or PublicationFilter()
    language = PUBLICATION.field("language")
    where = publication_repo.filters(
        coalition_code=f.coalition,
        kind=f.kind.value if f.kind else None,
        language=language.checked(f.language, "filter.language") if f.language else None,
        target_code=f.target,
        search=f.search,
        # the declared ones, by name (declare.entities: ``languages``)
        **{name: getattr(f, name) for name in PUBLICATION.conditions.conditions},
    )
    return Slice(where=where, order=publication_repo.ORDERS[order_by.value])


@strawberry.type
class PublicationQueries:
    publications = connection(
        publication_repo.PUBLICATIONS,
        Publication,
        select=_publications,
        description="Publications the caller may see.",
    )

    publication = by_id_or_slug(
        publication_repo.PUBLICATION_BY_ID,
        publication_repo.PUBLICATION_BY_SLUG,
        Publication,
        description="One publication by global id or slug.",
    )
