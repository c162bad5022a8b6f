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

strawberry.enum(Visibility, description="Who may see a record.")
strawberry.enum(DatasetStatus, description="Where a dataset is in its lifecycle.")
strawberry.enum(ProjectStatus, description="Where a project stands.")
strawberry.enum(OrganisationKind, description="What kind of body an organisation is.")
strawberry.enum(MemberRole, description="An organisation's role in a coalition.")
strawberry.enum(CoalitionRole, description="A user's role in a coalition.")
strawberry.enum(Methodology, description="How a dataset's data were collected.")
strawberry.enum(PublicationKind, description="What kind of publication this is.")
strawberry.enum(AreaLevel, description="Country, ISO 3166-2 subdivision, or local area.")
strawberry.enum(ObsStatus, description="SDMX observation status (CL_OBS_STATUS).")
strawberry.enum(ValidationMethod, description="How the community validated the findings.")
strawberry.enum(ConsentScope, description="Who the community agreed may use the data.")
strawberry.enum(
    Perturbation,
    description="What a coalition does to the counts outsiders read, beyond suppression:"
    " nothing, unbiased random rounding to base 3 or 5, or cell-key noise from the published"
    " perturbationTable. The same cell always reads the same.",
)

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
