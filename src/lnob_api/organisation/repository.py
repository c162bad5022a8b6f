"""Organisations: source and relations."""

from __future__ import annotations

from lnob_api.models.tables import organisations
from lnob_api.read.relations import Source, ToOne, order_by, public

ORGANISATIONS = Source(
    "Organisation", organisations, public(organisations), order_by(organisations, "name", "id")
)
ORGANISATION_BY_ID = ToOne(ORGANISATIONS)
ORGANISATION_BY_SLUG = ToOne(ORGANISATIONS, key="slug")
