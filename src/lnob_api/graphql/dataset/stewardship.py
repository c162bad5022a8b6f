"""Stewardship mutations and types: community validation, consent records."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import strawberry

from lnob_api.dataset import repository as dataset_repo
from lnob_api.dataset import stewardship
from lnob_api.declare.entities import DATASET
from lnob_api.declare.stewardship import CONSENT
from lnob_api.graphql.context import Info
from lnob_api.graphql.dataset.types import Dataset
from lnob_api.graphql.declared import Declared, declared, on_row
from lnob_api.graphql.enums import ConsentScope, ValidationMethod
from lnob_api.graphql.ids import to_global_id
from lnob_api.graphql.ids_input import Versioned, pk_of
from lnob_api.graphql.loading import load_one
from lnob_api.graphql.mutations import (
    COALITION_ADMIN,
    WRITE,
    calls,
    payload,
    row_payload,
    shown_payload,
)
from lnob_api.graphql.node import copied


@strawberry.type(description=CONSENT.description)
@declared(CONSENT)
class Consent:
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (declared, private)
        agency_ids: list[int]
    id: strawberry.ID
    # The declared columns (declare.stewardship.CONSENT): scope ... rowVersion.
    declared: ClassVar[Declared]

    @classmethod
    def from_row(cls, row: Any) -> Consent:
        return copied(
            cls,
            row,
            id=strawberry.ID(to_global_id("Consent", row["id"])),
            agency_ids=list(row["agency_ids"]),
        )

    @strawberry.field(description="Organisation slugs named by a NAMED_AGENCIES consent.")
    async def agencies(self, info: Info) -> list[str]:
        from lnob_api.graphql.organisation.types import Organisation
        from lnob_api.organisation import repository as organisation_repo

        found = [
            await load_one(info, organisation_repo.ORGANISATION_BY_ID, pk, Organisation)
            for pk in self.agency_ids
        ]
        return [o.slug for o in found if o is not None]


@strawberry.input
class DatasetValidateInput(Versioned):
    method: ValidationMethod
    validated_by: str = strawberry.field(description="Who validated: the community group, ...")
    validated_on: date
    note: str = ""


DatasetValidatePayload = payload("DatasetValidatePayload", dataset=Dataset)


@strawberry.input
class ConsentRecordInput:
    dataset: strawberry.ID
    scope: ConsentScope
    agencies: list[str] = strawberry.field(
        default_factory=list, description="Organisation slugs, for NAMED_AGENCIES."
    )
    obtained_on: date
    expires_at: datetime | None = None
    note: str = ""


ConsentRecordPayload = payload("ConsentRecordPayload", consent=Consent)


@strawberry.input
class ConsentWithdrawInput(Versioned):
    reason: str


ConsentWithdrawPayload = payload("ConsentWithdrawPayload", consent=Consent)


def _consent(obj: Any) -> Consent:
    return Consent.from_row({c.name: getattr(obj, c.key) for c in obj.__table__.columns})


_dataset_run = row_payload("dataset", dataset_repo.DATASET_BY_ID, Dataset)
_consent_run = shown_payload("consent", lambda consent: consent)


@strawberry.type
class StewardshipMutations:
    dataset_validate = on_row(
        DATASET,
        stewardship.validate,
        DatasetValidateInput,
        DatasetValidatePayload,
        _dataset_run,
        permission_classes=WRITE,
        description="Record the community's validation of a draft (DRAFT -> COMMUNITY_VALIDATED).",
    )
    consent_record = calls(
        stewardship.record_consent,
        ConsentRecordInput,
        ConsentRecordPayload,
        _consent_run,
        permission_classes=COALITION_ADMIN,
        description="Record what the community agreed to. Coalition admins only.",
        args=lambda i: {
            "dataset_id": pk_of(i.dataset, "Dataset", "dataset"),
            "agency_slugs": i.agencies,
        },
        returns=_consent,
    )
    consent_withdraw = calls(
        stewardship.withdraw_consent,
        ConsentWithdrawInput,
        ConsentWithdrawPayload,
        _consent_run,
        permission_classes=COALITION_ADMIN,
        description="Withdraw a consent: the data leaves every path at once. Coalition admins.",
        row="Consent",
        returns=_consent,
    )
