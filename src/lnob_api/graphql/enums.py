"""The domain vocabularies as GraphQL enums (same values as the database stores)."""

from __future__ import annotations

import strawberry

from lnob_api import models

Visibility = strawberry.enum(models.Visibility, description="Who may see a record.")
DatasetStatus = strawberry.enum(models.DatasetStatus, description="Where a dataset is in its lifecycle.")
ProjectStatus = strawberry.enum(models.ProjectStatus)
OrganisationKind = strawberry.enum(models.OrganisationKind)
MemberRole = strawberry.enum(models.MemberRole, description="An organisation's role in a coalition.")
CoalitionRole = strawberry.enum(models.CoalitionRole, description="A user's role in a coalition.")
Methodology = strawberry.enum(models.Methodology, description="How a dataset's data were collected.")
PublicationKind = strawberry.enum(models.PublicationKind)
AreaLevel = strawberry.enum(models.AreaLevel)
ObsStatus = strawberry.enum(models.ObsStatus, description="SDMX observation status (CL_OBS_STATUS).")
