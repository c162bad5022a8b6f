"""The domain vocabularies as GraphQL enums (same values as the database stores).

``strawberry.enum`` registers each model enum class in place, so the classes imported here are
both the Python types resolvers use and the GraphQL enums.
"""

from __future__ import annotations

import strawberry

from lnob_api.models.enums import (
    AreaLevel,
    CoalitionRole,
    ConsentScope,
    DatasetStatus,
    MemberRole,
    Methodology,
    ObsStatus,
    OrganisationKind,
    Perturbation,
    ProjectStatus,
    PublicationKind,
    ValidationMethod,
    Visibility,
)

DESCRIPTIONS = {
    Visibility: "Who may see a record.",
    DatasetStatus: "Where a dataset is in its lifecycle.",
    ProjectStatus: "Where a project stands.",
    OrganisationKind: "What kind of body an organisation is.",
    MemberRole: "An organisation's role in a coalition.",
    CoalitionRole: "A user's role in a coalition.",
    Methodology: "How a dataset's data were collected.",
    PublicationKind: "What kind of publication this is.",
    AreaLevel: "Country, ISO 3166-2 subdivision, or local area.",
    ObsStatus: "SDMX observation status (CL_OBS_STATUS).",
    ValidationMethod: "How the community validated the findings.",
    ConsentScope: "Who the community agreed may use the data.",
    Perturbation: "What a coalition does to the counts outsiders read, beyond suppression:"
    " nothing, unbiased random rounding to base 3 or 5, or cell-key noise from the published"
    " perturbationTable. The same cell always reads the same.",
}
for vocabulary, description in DESCRIPTIONS.items():
    strawberry.enum(vocabulary, description=description)

__all__ = [
    "AreaLevel",
    "CoalitionRole",
    "ConsentScope",
    "DatasetStatus",
    "MemberRole",
    "Methodology",
    "ObsStatus",
    "OrganisationKind",
    "Perturbation",
    "ProjectStatus",
    "PublicationKind",
    "ValidationMethod",
    "Visibility",
]
