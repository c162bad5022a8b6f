"""Provenance of community data: who produced it, how, and a coalition's quality checklist.

Datasets carry provenance for all their observations; an observation may override a value
(its column set) or inherit it (NULL). NULL on a dataset means "not recorded": no default
claims that a coalition's data is community-driven, since a coalition also holds official
reference values and citizen reports.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import blank_text, identity_key, reference
from lnob_api.models.common import Timestamped, Versioned, link_key
from lnob_api.models.enums import enum_type


class ProducerType(StrEnum):
    """Who produced the data."""

    COMMUNITY_DRIVEN = "COMMUNITY_DRIVEN"
    CITIZEN_GENERATED = "CITIZEN_GENERATED"
    OFFICIAL = "OFFICIAL"
    OTHER = "OTHER"


class ProvenanceMethod(StrEnum):
    """How the data were collected."""

    HOUSEHOLD_SURVEY = "HOUSEHOLD_SURVEY"
    COMMUNITY_SCORECARD = "COMMUNITY_SCORECARD"
    FOCUS_GROUP = "FOCUS_GROUP"
    KEY_INFORMANT_INTERVIEW = "KEY_INFORMANT_INTERVIEW"
    COMMUNITY_DIALOGUE = "COMMUNITY_DIALOGUE"
    CITIZEN_REPORTING = "CITIZEN_REPORTING"
    ADMINISTRATIVE = "ADMINISTRATIVE"
    OTHER = "OTHER"


class Sampling(StrEnum):
    """How respondents were chosen (details go in the sampling note)."""

    PURPOSIVE = "PURPOSIVE"
    CENSUS = "CENSUS"
    RANDOM = "RANDOM"
    SNOWBALL = "SNOWBALL"
    CONVENIENCE = "CONVENIENCE"
    OTHER = "OTHER"


class StandardDimension(StrEnum):
    """The SDG disaggregation dimensions a marginalised group may be mapped to (``maps_to``)."""

    SEX = "SEX"
    AGE = "AGE"
    DISABILITY_STATUS = "DISABILITY_STATUS"
    URBANISATION = "URBANISATION"


class Provenance:
    """Who produced data and how, on datasets and on observations. A dataset's values are the
    defaults of its observations (NULL: not recorded; nothing is assumed about who produced a
    coalition's data); an observation's override them (NULL: its dataset's)."""

    producer_type: Mapped[ProducerType | None] = mapped_column(
        enum_type(ProducerType, "producer_type")
    )
    method: Mapped[ProvenanceMethod | None] = mapped_column(enum_type(ProvenanceMethod, "method"))
    sampling: Mapped[Sampling | None] = mapped_column(enum_type(Sampling, "sampling"))
    sampling_note: Mapped[str | None] = mapped_column(sa.Text)
    # Whether disability was asked with the Washington Group Short Set of questions.
    washington_group: Mapped[bool | None] = mapped_column(sa.Boolean)


class QualityCriterion(Timestamped, Versioned, Base):
    """One item of a coalition's quality checklist, such as a statistics office's criteria
    for citizen-generated data."""

    __tablename__ = "quality_criteria"

    id: Mapped[int] = identity_key()
    coalition_id: Mapped[int] = reference("coalitions.id", ondelete="CASCADE")
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    label: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = blank_text()

    __table_args__ = (
        sa.UniqueConstraint("coalition_id", "code"),
        sa.CheckConstraint("code ~ '^[A-Z0-9][A-Z0-9_.-]*$'", name="code_format"),
    )


class DatasetQualityCriterion(Base):
    """A criterion a dataset version meets. RESTRICT: a criterion that datasets claim cannot
    vanish from under them."""

    __tablename__ = "dataset_quality_criteria"

    dataset_id: Mapped[int] = link_key("datasets.id")
    criterion_id: Mapped[int] = link_key("quality_criteria.id", ondelete="RESTRICT", index=True)
