"""Organisation mutations: create, update, delete (partnership admins)."""

from __future__ import annotations

import strawberry

from lnob_api.declare.entities import ORGANISATION
from lnob_api.errors import InvalidInput
from lnob_api.graphql.declared import (
    create_input,
    created,
    deleted_payload,
    on_row,
    row_payloads,
    update_input,
    updated,
)
from lnob_api.graphql.ids import from_global_id
from lnob_api.graphql.ids_input import row_input
from lnob_api.graphql.mutations import PARTNERSHIP_ADMIN, calls
from lnob_api.graphql.organisation.types import Organisation
from lnob_api.organisation import service


def organisation_ref(value: str, field: str) -> service.OrganisationRef:
    """An organisation named in an input by its global id or by its slug."""
    try:
        type_name, key = from_global_id(value, field)
    except InvalidInput:  # not a global id: a slug
        return value
    if type_name == "Organisation" and key.isdigit():
        return int(key)
    return value


@strawberry.input(description="A new organisation.")
@create_input(ORGANISATION)  # the declared fields (declare.entities)
class OrganisationCreateInput:
    pass


@strawberry.input(description="Changes to an organisation; omitted fields stay as they are.")
@update_input(ORGANISATION)
class OrganisationUpdateInput:
    pass


OrganisationDeleteInput = row_input("OrganisationDeleteInput")


OrganisationCreatePayload, OrganisationUpdatePayload = row_payloads(
    Organisation, "organisation", "Create", "Update"
)
OrganisationDeletePayload = deleted_payload("OrganisationDeletePayload")


@strawberry.type
class OrganisationMutations:
    organisation_create = calls(
        service.create,
        OrganisationCreateInput,
        OrganisationCreatePayload,
        permission_classes=PARTNERSHIP_ADMIN,
        description="Add an organisation.",
        args=lambda i: created(ORGANISATION, i, every=True, by_input=True),
    )

    organisation_update = on_row(
        ORGANISATION,
        service.update,
        OrganisationUpdateInput,
        OrganisationUpdatePayload,
        permission_classes=PARTNERSHIP_ADMIN,
        description="Edit an organisation.",
        args=lambda i: {"fields": updated(ORGANISATION, i, by_input=True).fields},
    )
    organisation_delete = on_row(
        ORGANISATION,
        service.delete,
        OrganisationDeleteInput,
        OrganisationDeletePayload,
        permission_classes=PARTNERSHIP_ADMIN,
        description="Delete an organisation without users, clients, grants or memberships.",
        gone=True,
    )
