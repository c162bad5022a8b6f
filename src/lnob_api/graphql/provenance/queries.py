"""Root field: qualityCriteria (coalitions' quality checklists are public metadata)."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.provenance.types import QualityCriterion
from lnob_api.provenance import repository as provenance_repo


def _quality_criteria(coalitions: list[str] | None = None) -> Slice:
    return Slice(where=provenance_repo.criterion_filters(coalition_codes=coalitions))


@strawberry.type
class ProvenanceQueries:
    quality_criteria = connection(
        provenance_repo.CRITERIA,
        QualityCriterion,
        select=_quality_criteria,
        description="Coalitions' quality criteria, by coalition then code (one coalition's: "
        "Coalition.qualityCriteria).",
    )
