"""Root fields: organisations, organisation."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.connections import connection
from lnob_api.graphql.lookups import by_slug
from lnob_api.graphql.organisation.types import Organisation
from lnob_api.organisation import repository as organisation_repo


@strawberry.type
class OrganisationQueries:
    organisations = connection(
        organisation_repo.ORGANISATIONS, Organisation, description="Organisations, by name."
    )

    organisation = by_slug(
        organisation_repo.ORGANISATION_BY_SLUG,
        Organisation,
        description="One organisation by slug.",
    )
