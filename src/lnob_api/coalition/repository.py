"""Coalitions, their member organisations and marginalised groups: sources and relations."""

from __future__ import annotations

import sqlalchemy as sa

from lnob_api.models.tables import coalition_members as members
from lnob_api.models.tables import coalitions, dataset_groups, project_groups
from lnob_api.models.tables import marginalised_groups as groups
from lnob_api.read.relations import Source, Through, ToMany, ToOne, order_by, public

# Every column but the secret the cell keys of perturbation derive from (it never leaves SQL).
_PUBLIC_COLUMNS = tuple(c for c in coalitions.c if c.name != "perturbation_key")
COALITIONS = Source(
    "Coalition",
    coalitions,
    lambda _principal: sa.select(*_PUBLIC_COLUMNS),
    order_by(coalitions, "code"),
)
COALITION_BY_ID = ToOne(COALITIONS)
COALITION_BY_CODE = ToOne(COALITIONS, key="code")
COALITION_BY_SLUG = ToOne(COALITIONS, key="slug")

MEMBERSHIPS = Source(
    "CoalitionMembership",
    members,
    public(members),
    order_by(members, "coalition_id", "organisation_id"),
    key="organisation_id",
)
MEMBERSHIPS_BY_COALITION = ToMany(
    MEMBERSHIPS, "coalition_id", order_by(members, "role", "organisation_id")
)
MEMBERSHIPS_BY_ORGANISATION = ToMany(
    MEMBERSHIPS, "organisation_id", order_by(members, "coalition_id")
)

GROUPS = Source("MarginalisedGroup", groups, public(groups), order_by(groups, "code"))
GROUP_BY_ID = ToOne(GROUPS)
GROUP_BY_CODE = ToOne(GROUPS, key="code")
GROUPS_BY_COALITION = ToMany(GROUPS, "coalition_id")
GROUPS_BY_PROJECT = Through(GROUPS, project_groups, "project_id", "group_id")
GROUPS_BY_DATASET = Through(GROUPS, dataset_groups, "dataset_id", "group_id")
