"""The declared stewardship records of a dataset: the community's consent and its validation
of a version's findings, one line per column (see ``declare``).

Their GraphQL object fields come from here (``graphql.declared.declared``); the global ``id``
of a consent and its ``agencies`` (organisation slugs, a lookup) stay written in the type; a
validation is only its declared columns.
"""

from __future__ import annotations

from lnob_api import models
from lnob_api.declare import Entity, Field

CONSENT = Entity(
    "Consent",
    models.Consent,
    (
        Field("scope"),
        # The organisations a NAMED_AGENCIES consent names (``agencies`` shows their slugs).
        Field("agency_ids", public=False),
        Field("obtained_on"),
        Field("expires_at"),
        Field("withdrawn_at"),
        Field("withdrawal_reason"),
        Field("note"),
        Field("row_version"),
    ),
    description="What a community agreed to for a dataset (all its versions).",
)

DATASET_VALIDATION = Entity(
    "DatasetValidation",
    models.DatasetValidation,
    (
        Field("method"),
        Field("validated_by"),
        Field("validated_on"),
        Field("note"),
        Field("created_at"),
    ),
    description="A community's validation of a dataset version before release.",
)

ENTITIES = (CONSENT, DATASET_VALIDATION)
