"""Lazy references to the GraphQL types other type modules link to, written once.

A type module that links to another's type (a scorecard's ``coalition``, an observation's
``dataset``) annotates with ``lazy.Coalition``, ``lazy.Dataset``...: strawberry loads the other
module only when it builds the schema, so the two need not import each other (they would, in a
circle); mypy sees the real classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

if TYPE_CHECKING:
    from lnob_api.graphql.access_request.types import AccessRequest
    from lnob_api.graphql.area.types import Area
    from lnob_api.graphql.coalition.types import (
        Coalition,
        CoalitionMembership,
        MarginalisedGroup,
    )
    from lnob_api.graphql.dataset.types import Dataset
    from lnob_api.graphql.observation.types import Observation, ObservationFilter
    from lnob_api.graphql.organisation.types import Organisation
    from lnob_api.graphql.project.types import Project
    from lnob_api.graphql.publication.types import Publication
    from lnob_api.graphql.recommendation.types import Recommendation
    from lnob_api.graphql.sdg.types import Indicator, SdgGoal, SdgTarget
else:

    def _lazy(name: str, package: str) -> Any:
        return Annotated[name, strawberry.lazy(f"lnob_api.graphql.{package}.types")]

    AccessRequest = _lazy("AccessRequest", "access_request")
    Area = _lazy("Area", "area")
    Coalition = _lazy("Coalition", "coalition")
    CoalitionMembership = _lazy("CoalitionMembership", "coalition")
    MarginalisedGroup = _lazy("MarginalisedGroup", "coalition")
    Dataset = _lazy("Dataset", "dataset")
    Observation = _lazy("Observation", "observation")
    ObservationFilter = _lazy("ObservationFilter", "observation")
    Organisation = _lazy("Organisation", "organisation")
    Project = _lazy("Project", "project")
    Publication = _lazy("Publication", "publication")
    Recommendation = _lazy("Recommendation", "recommendation")
    Indicator = _lazy("Indicator", "sdg")
    SdgGoal = _lazy("SdgGoal", "sdg")
    SdgTarget = _lazy("SdgTarget", "sdg")

__all__ = [
    "AccessRequest",
    "Area",
    "Coalition",
    "CoalitionMembership",
    "Dataset",
    "Indicator",
    "MarginalisedGroup",
    "Observation",
    "ObservationFilter",
    "Organisation",
    "Project",
    "Publication",
    "Recommendation",
    "SdgGoal",
    "SdgTarget",
]
