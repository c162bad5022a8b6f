"""Vocabularies stored as text with CHECK constraints (simple to migrate, readable in psql)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import MappedColumn, mapped_column

E = TypeVar("E", bound=StrEnum)


class Visibility(StrEnum):
    PUBLIC = "PUBLIC"
    PARTNERSHIP = "PARTNERSHIP"
    COALITION = "COALITION"


class DatasetStatus(StrEnum):
    DRAFT = "DRAFT"
    COMMUNITY_VALIDATED = "COMMUNITY_VALIDATED"
    PUBLISHED = "PUBLISHED"
    RETRACTED = "RETRACTED"


class ProjectStatus(StrEnum):
    PLANNED = "PLANNED"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"


class OrganisationKind(StrEnum):
    ICSO = "ICSO"
    NATIONAL_NGO = "NATIONAL_NGO"
    CIVIC_PLATFORM = "CIVIC_PLATFORM"
    COMMUNITY_BASED_ORGANISATION = "COMMUNITY_BASED_ORGANISATION"
    STATISTICS_AGENCY = "STATISTICS_AGENCY"
    LOCAL_AUTHORITY = "LOCAL_AUTHORITY"
    OTHER = "OTHER"


class MemberRole(StrEnum):
    """An organisation's place in a coalition."""

    LEAD = "LEAD"
    MEMBER = "MEMBER"
    OBSERVER = "OBSERVER"


class CoalitionRole(StrEnum):
    """A user's role in a coalition, in increasing power."""

    VIEWER = "VIEWER"
    EDITOR = "EDITOR"
    ADMIN = "ADMIN"


class Methodology(StrEnum):
    HOUSEHOLD_SURVEY = "HOUSEHOLD_SURVEY"
    COMMUNITY_SCORECARD = "COMMUNITY_SCORECARD"
    FOCUS_GROUP = "FOCUS_GROUP"
    KEY_INFORMANT_INTERVIEW = "KEY_INFORMANT_INTERVIEW"
    COMMUNITY_DIALOGUE = "COMMUNITY_DIALOGUE"
    CITIZEN_REPORTING = "CITIZEN_REPORTING"
    ADMINISTRATIVE_DATA = "ADMINISTRATIVE_DATA"
    MIXED = "MIXED"
    OTHER = "OTHER"


class PublicationKind(StrEnum):
    FLYER = "FLYER"
    COUNTRY_SUMMARY = "COUNTRY_SUMMARY"
    RECOMMENDATIONS = "RECOMMENDATIONS"
    REPORT = "REPORT"
    POLICY_BRIEF = "POLICY_BRIEF"
    OTHER = "OTHER"


class AreaLevel(StrEnum):
    COUNTRY = "COUNTRY"
    SUBDIVISION = "SUBDIVISION"
    LOCAL = "LOCAL"


class ObsStatus(StrEnum):
    """SDMX observation status (CL_OBS_STATUS)."""

    A = "A"  # normal value
    B = "B"  # time series break
    E = "E"  # estimated
    F = "F"  # forecast
    I = "I"  # imputed  # noqa: E741
    M = "M"  # missing value, not applicable
    O = "O"  # missing value  # noqa: E741
    P = "P"  # provisional


def enum_type(enum: type[StrEnum], name: str) -> sa.Enum:
    """A VARCHAR column type with a CHECK constraint over the enum's values."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def enum_column(enum: type[E], name: str, default: E | None = None) -> MappedColumn[E]:
    """A required column ``name`` of ``enum``'s values (``enum_type``); ``default``: what the
    database writes when an insert leaves it out."""
    server_default = None if default is None else default.value
    return mapped_column(enum_type(enum, name), nullable=False, server_default=server_default)


# Statuses before release: seen by the owning coalition's editors and admins only.
PRE_RELEASE = (DatasetStatus.DRAFT, DatasetStatus.COMMUNITY_VALIDATED)


class ValidationMethod(StrEnum):
    """How the community validated findings before release."""

    VALIDATION_MEETING = "VALIDATION_MEETING"
    CALL_BACK = "CALL_BACK"
    COMMUNITY_REVIEW = "COMMUNITY_REVIEW"
    OTHER = "OTHER"


class ConsentScope(StrEnum):
    """Who the community agreed may use the data."""

    PUBLIC = "PUBLIC"
    PARTNERSHIP = "PARTNERSHIP"
    NAMED_AGENCIES = "NAMED_AGENCIES"


class Perturbation(StrEnum):
    """What a coalition does to the counts outsiders read, beyond suppression
    (``disclosure.perturbation``)."""

    NONE = "NONE"
    ROUND_3 = "ROUND_3"  # unbiased random rounding to base 3, the same for the same cell
    ROUND_5 = "ROUND_5"
    CELL_KEY = "CELL_KEY"  # cell-key noise from the published perturbation table
