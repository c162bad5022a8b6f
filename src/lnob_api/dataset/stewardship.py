"""Stewardship use cases: community validation before release, and the community's consent.

Validation: DRAFT -> COMMUNITY_VALIDATED records who validated the findings, when and how (a
validation meeting, a call-back...). Coalitions that require it publish only validated versions.
Consent: what the community agreed to (public, partnership, named agencies), until when; once a
dataset has consent records its data is readable only under an active one, and a withdrawal
takes the data off every path at once (the policy module applies it) and leaves tombstones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.dataset import common
from lnob_api.dataset import write_repository as repo
from lnob_api.domain_kit import writes
from lnob_api.errors import InvalidInput, ValidationFailed
from lnob_api.models.enums import ConsentScope, DatasetStatus, ValidationMethod
from lnob_api.sync import service as sync


async def validate(
    session: AsyncSession,
    actor: Actor,
    *,
    dataset_id: int,
    row_version: int,
    method: ValidationMethod,
    validated_by: str,
    validated_on: date,
    note: str,
) -> models.Dataset:
    dataset = await common.load(session, actor, dataset_id, row_version)
    problems: list[InvalidInput] = []
    if dataset.status != DatasetStatus.DRAFT:
        problems.append(
            InvalidInput(
                "id",
                f"only a draft can be validated; this one is {dataset.status}",
                code="INVALID_STATE",
            )
        )
    if not validated_by.strip():
        problems.append(
            InvalidInput(
                "validatedBy",
                "say who validated (the community group, the facilitators)",
                code="REQUIRED",
            )
        )
    if validated_on > datetime.now(UTC).date():
        problems.append(InvalidInput("validatedOn", "cannot be in the future", code="INVALID"))
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(dataset)
    session.add(
        models.DatasetValidation(
            dataset_id=dataset.id,
            method=method,
            validated_by=validated_by.strip(),
            validated_on=validated_on,
            note=note,
            recorded_by_user_id=actor.principal.user_id,
        )
    )
    dataset.status = DatasetStatus.COMMUNITY_VALIDATED
    dataset.updated_at = datetime.now(UTC)
    dataset.row_version += 1
    await record_change(session, actor, "dataset.validate", dataset, before)
    return dataset


async def record_consent(
    session: AsyncSession,
    actor: Actor,
    *,
    dataset_id: int,
    scope: ConsentScope,
    agency_slugs: list[str],
    obtained_on: date,
    expires_at: datetime | None,
    note: str,
) -> models.Consent:
    dataset = await common.load(session, actor, dataset_id, None, admin=True)
    problems: list[InvalidInput] = []
    agencies = await repo.organisation_ids_by_slug(session, agency_slugs)
    for i, slug in enumerate(agency_slugs):
        if slug not in agencies:
            problems.append(
                InvalidInput(f"agencies.{i}", f"unknown organisation {slug!r}", code="INVALID_CODE")
            )
    if scope == ConsentScope.NAMED_AGENCIES and not agency_slugs:
        problems.append(
            InvalidInput("agencies", "name the agencies the community agreed to", code="REQUIRED")
        )
    if scope != ConsentScope.NAMED_AGENCIES and agency_slugs:
        problems.append(
            InvalidInput("agencies", "agencies go with the NAMED_AGENCIES scope", code="INVALID")
        )
    if expires_at is not None and expires_at <= datetime.now(UTC):
        problems.append(InvalidInput("expiresAt", "must be in the future", code="INVALID"))
    if obtained_on > datetime.now(UTC).date():
        problems.append(InvalidInput("obtainedOn", "cannot be in the future", code="INVALID"))
    if problems:
        raise ValidationFailed(problems)
    consent = models.Consent(
        lineage_id=dataset.lineage_id,
        coalition_id=dataset.coalition_id,
        scope=scope,
        agency_ids=sorted(agencies.values()),
        obtained_on=obtained_on,
        expires_at=expires_at,
        note=note,
    )
    session.add(consent)
    await session.flush()
    # A consent narrows who reads the data (its scope): tombstones for whoever it leaves out;
    # and the record changed for everyone who sees it.
    for version in await repo.lineage_versions(session, consent.lineage_id):
        await sync.dataset_removed(session, version, reason="consent_scope")
    await sync.consent_changed(session, lineage_id=consent.lineage_id)
    await record_change(
        session, actor, "consent.record", consent, None, coalition_id=dataset.coalition_id
    )
    return consent


async def withdraw_consent(
    session: AsyncSession, actor: Actor, *, consent_id: int, row_version: int, reason: str
) -> models.Consent:
    consent = await repo.lock_consent(session, consent_id, actor.principal)
    consent = writes.for_change(consent, "consent", actor.principal, row_version, admin=True)
    if consent.withdrawn_at is not None:
        raise InvalidInput("id", "this consent is already withdrawn", code="INVALID_STATE")
    if not reason.strip():
        raise InvalidInput("reason", "say why the consent is withdrawn", code="REQUIRED")
    before = audit.snapshot(consent)
    # Tombstones go to those the consent admitted: its scope narrows the dataset's audience.
    for version in await repo.lineage_versions(session, consent.lineage_id):
        await sync.dataset_removed(
            session,
            version,
            reason="consent_withdrawn",
            prior_visibility=_narrowest(str(version.visibility), consent.scope),
        )
        for agency_id in consent.agency_ids:
            await sync.record_removal(
                session,
                reason="consent_withdrawn",
                coalition_id=version.coalition_id,
                dataset_id=version.id,
                prior_status=str(version.status),
                prior_visibility="COALITION",
                grant_organisation_id=agency_id,
            )
    consent.withdrawn_at = datetime.now(UTC)
    consent.withdrawal_reason = reason.strip()
    consent.row_version += 1
    await session.flush()
    await sync.consent_changed(session, lineage_id=consent.lineage_id)
    await record_change(session, actor, "consent.withdraw", consent, before)
    return consent


_LEVEL = {"COALITION": 0, "PARTNERSHIP": 1, "PUBLIC": 2}
_SCOPE_LEVEL = {
    ConsentScope.PUBLIC: "PUBLIC",
    ConsentScope.PARTNERSHIP: "PARTNERSHIP",
    ConsentScope.NAMED_AGENCIES: "COALITION",
}


def _narrowest(visibility: str, scope: ConsentScope) -> str:
    return min(visibility, _SCOPE_LEVEL[ConsentScope(scope)], key=_LEVEL.__getitem__)
