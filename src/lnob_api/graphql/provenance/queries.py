"""Root field: qualityCriteria (coalitions' quality checklists are public metadata)."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import root_page
from lnob_api.graphql.pagination import Connection
from lnob_api.graphql.provenance.types import QualityCriterion
from lnob_api.provenance import repository as provenance_repo


@strawberry.type
class ProvenanceQueries:
    @strawberry.field(
        description="Coalitions' quality criteria, by coalition then code (one coalition's: "
        "Coalition.qualityCriteria)."
    )
    async def quality_criteria(
        self,
        info: Info,
        coalitions: list[str] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[QualityCriterion]:
        return await root_page(
            info,
            provenance_repo.CRITERIA,
            QualityCriterion,
            where=provenance_repo.criterion_filters(coalition_codes=coalitions),
            first=first,
            after=after,
            last=last,
            before=before,
        )
