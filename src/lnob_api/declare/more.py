"""More declared entities, one line per column (see ``declare``): marginalised groups,
recommendation status changes and audit events.

Their GraphQL object fields come from here (``graphql.declared.declared_node``); the non-column
fields (``recordedBy``), the JSON columns (``before``, ``after``: GraphQL ``JSON``) with the
fields after them, the resolvers and the links stay written in the types.
"""

from __future__ import annotations

from lnob_api import models
from lnob_api.declare import DESCRIPTION_MAX, Edit, Entity, Field

ROW_VERSION = "Changes on every edit; send it back with an update (optimistic locking)."

MARGINALISED_GROUP = Entity(
    "MarginalisedGroup",
    models.MarginalisedGroup,
    (
        Field(
            "code",
            editable=Edit(
                limit=40, update=False, created="Capital letters, digits, _; fixed once created."
            ),
        ),
        Field("name", editable=Edit(limit=200)),
        Field("description", editable=Edit(limit=DESCRIPTION_MAX)),
        Field("coalition_id", public=False),
        # The standard dimension codes it corresponds to (the inputs' ``mapsTo``, a list).
        Field("maps_to", public=False, editable=True),
        Field("row_version", ROW_VERSION),
    ),
    description="A group at risk of being left behind (people with disabilities, Dalits...).",
)

# The columns before the non-column ``recordedBy`` (written in the type, with what follows it).
RECOMMENDATION_STATUS_CHANGE = Entity(
    "RecommendationStatusChange",
    models.RecommendationStatusChange,
    (
        Field("recommendation_id", public=False),
        Field("response_id", public=False),
        Field("status"),
        Field("changed_on", "When the status changed."),
        Field("note"),
    ),
    description="One change of a recommendation's status.",
)

# The columns before the JSON ``before`` and ``after`` (written in the type, GraphQL ``JSON``,
# with what follows them).
AUDIT_EVENT = Entity(
    "AuditEvent",
    models.AuditEvent,
    (
        Field("occurred_at"),
        Field("user_id", public=False),
        Field("client_id", "The OAuth client used."),
        Field("action", "What happened, e.g. dataset.publish."),
        Field("entity_type"),
        Field("entity_id", "The record's key in its table."),
        Field("coalition_id", public=False),
    ),
    description="Who did what to which record, when, with before and after values.",
)

ENTITIES = (MARGINALISED_GROUP, RECOMMENDATION_STATUS_CHANGE, AUDIT_EVENT)
