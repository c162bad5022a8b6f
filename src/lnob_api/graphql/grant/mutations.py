"""Grant mutations: coalition admins open their data to an organisation or a client, and
revoke such access."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from lnob_api.grant import service
from lnob_api.graphql.declared import row_payloads
from lnob_api.graphql.grant.types import Grant
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import COALITION_ADMIN, calls, itself, shown_payload
from lnob_api.graphql.organisation.mutations import organisation_ref


@strawberry.input(
    description="Open one dataset, or all of a coalition's data, to exactly one grantee: an"
    " organisation or an OAuth client."
)
class GrantCreateInput:
    coalition: str = strawberry.field(description="Country code of the granting coalition.")
    organisation: str | None = strawberry.field(
        default=None, description="The organisation granted: its id or slug."
    )
    client: str | None = strawberry.field(
        default=None, description="The OAuth client granted: its client id."
    )
    dataset: strawberry.ID | None = strawberry.field(
        default=None, description="One dataset of the coalition; default: all its data."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the access ends (in the future); default: never."
    )
    note: str = strawberry.field(default="", description="Why; for the coalition's records.")


@strawberry.input
class GrantRevokeInput:
    id: strawberry.ID


GrantCreatePayload, GrantRevokePayload = row_payloads(Grant, "grant", "Create", "Revoke")


def _grant(found: service.GrantRecord | None) -> Grant | None:
    return Grant.from_record(found) if found is not None else None


_grant_run = shown_payload("grant", _grant)


def _grantee(data: GrantCreateInput) -> dict[str, Any]:
    """The grantee and the dataset a create input names (none: the coalition's data)."""
    organisation, dataset = data.organisation, data.dataset
    return {
        "organisation": (
            organisation_ref(organisation, "organisation") if organisation is not None else None
        ),
        "client_id": data.client,
        "dataset_id": pk_of(dataset, "Dataset", "dataset") if dataset is not None else None,
    }


@strawberry.type
class GrantMutations:
    grant_create = calls(
        service.create,
        GrantCreateInput,
        GrantCreatePayload,
        _grant_run,
        permission_classes=COALITION_ADMIN,
        description="Open a coalition's data to an organisation or a client. Coalition admins.",
        args=_grantee,
        returns=itself,
    )
    grant_revoke = calls(
        service.revoke,
        GrantRevokeInput,
        GrantRevokePayload,
        _grant_run,
        permission_classes=COALITION_ADMIN,
        description="Revoke a grant; the access ends with this request. Coalition admins.",
        args=lambda i: {"grant_id": pk_of(i.id, "Grant", "id")},
        returns=itself,
    )
