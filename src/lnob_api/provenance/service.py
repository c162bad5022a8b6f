"""Provenance use cases: coalitions' quality checklists and the marginalised-group
vocabularies with their mapping to standard dimensions. (A dataset's own provenance is edited
with the dataset: ``provenance.dataset``.)

- Quality criteria are a coalition's checklist: its admins (and partnership admins) define
  them. A criterion that dataset versions claim cannot be deleted (it would silently change
  what published data says about itself).
- Marginalised groups: a coalition's editors keep their country's vocabulary; partnership
  admins keep the shared one. A group's code is fixed once created, since observations refer
  to it by code. ``maps_to`` is the owner's statement of which standard dimension codes the
  group corresponds to (people with albinism are not mapped to a disability by default).

Every change writes an audit event in the same transaction; services flush, never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.service import Actor
from lnob_api.auth.principal import Principal, Scope
from lnob_api.coalition import service as coalition_service
from lnob_api.db.rows import assign
from lnob_api.declare.entities import QUALITY_CRITERION
from lnob_api.declare.more import MARGINALISED_GROUP
from lnob_api.domain_kit import writes
from lnob_api.errors import Conflict, InvalidInput, NotFound, ValidationFailed, check_version
from lnob_api.models.enums import CoalitionRole
from lnob_api.models.provenance import StandardDimension
from lnob_api.provenance import repository as repo

__all__ = [
    "Actor",
    "DimensionCode",
    "create_criterion",
    "create_group",
    "delete_criterion",
    "update_criterion",
    "update_group",
]

_CRITERION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]*$")
_GROUP_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
# An SDMX identifier that fits the observation dimension columns (20 characters).
_DIMENSION_CODE = re.compile(r"^[A-Za-z0-9_@$\-]{1,20}$")
TOTAL = "_T"


@dataclass(frozen=True, slots=True)
class DimensionCode:
    dimension: StandardDimension
    code: str


# --- quality criteria --------------------------------------------------------------------------


def _trim_with_code(
    fields: dict[str, Any],
    problems: list[InvalidInput],
    *,
    texts: tuple[str, ...],
    code: re.Pattern[str],
    code_rule: str,
) -> None:
    """Trim the ``texts`` fields (``code`` among them) and upper-case the code, which must
    match ``code`` (``code_rule`` tells the user how)."""
    for name in texts:
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "code" in fields:
        fields["code"] = fields["code"].upper()
        if fields["code"] and not code.fullmatch(fields["code"]):
            problems.append(InvalidInput("code", code_rule, code="INVALID"))


def _criterion_fields(fields: dict[str, Any], problems: list[InvalidInput]) -> dict[str, Any]:
    """Trimmed and checked (its limits: declare.entities.QUALITY_CRITERION)."""
    _trim_with_code(
        fields,
        problems,
        texts=("code", "label", "description"),
        code=_CRITERION_CODE,
        code_rule="capital letters, digits, '.', '-' and '_', such as NSO-1",
    )
    coalition_service.check_required(fields, ("code", "label"), problems)
    QUALITY_CRITERION.check_edits(fields, problems)
    return fields


async def create_criterion(
    session: AsyncSession, actor: Actor, *, coalition_code: str, fields: dict[str, Any]
) -> models.QualityCriterion:
    """Add a criterion to a coalition's checklist (its admins, or partnership admins)."""
    coalition_id = await coalition_service.coalition_id(session, coalition_code)
    checks.require_coalition_admin(actor.principal, coalition_id)
    problems: list[InvalidInput] = []
    fields = _criterion_fields(fields, problems)
    if not problems and await repo.criterion_code_taken(session, coalition_id, fields["code"]):
        problems.append(
            InvalidInput("code", f"the coalition already has {fields['code']}", code="NOT_UNIQUE")
        )
    if problems:
        raise ValidationFailed(problems)
    criterion = models.QualityCriterion(coalition_id=coalition_id, **fields)
    return await writes.created(session, actor, "quality_criterion.create", criterion)


async def _locked_criterion(
    session: AsyncSession, actor: Actor, criterion_id: int, row_version: int | None
) -> models.QualityCriterion:
    criterion = await repo.lock_criterion(session, criterion_id)
    if criterion is None:
        raise NotFound("no such quality criterion")
    checks.require_coalition_admin(actor.principal, criterion.coalition_id)
    check_version("criterion", criterion.row_version, row_version)
    return criterion


async def update_criterion(
    session: AsyncSession,
    actor: Actor,
    *,
    criterion_id: int,
    row_version: int,
    fields: dict[str, Any],
) -> models.QualityCriterion:
    """Edit a criterion's code, label or description."""
    criterion = await _locked_criterion(session, actor, criterion_id, row_version)
    problems: list[InvalidInput] = []
    fields = _criterion_fields(fields, problems)
    code = fields.get("code")
    if (
        not problems
        and code is not None
        and await repo.criterion_code_taken(
            session, criterion.coalition_id, code, except_id=criterion.id
        )
    ):
        problems.append(
            InvalidInput("code", f"the coalition already has {code}", code="NOT_UNIQUE")
        )
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(criterion)
    assign(criterion, fields)
    return await writes.edited(session, actor, "quality_criterion.update", criterion, before)


async def delete_criterion(
    session: AsyncSession, actor: Actor, *, criterion_id: int, row_version: int | None
) -> int:
    """Delete a criterion no dataset version claims."""
    criterion = await _locked_criterion(session, actor, criterion_id, row_version)
    uses = await repo.criterion_uses(session, criterion.id)
    if uses:
        raise Conflict(
            f"{uses} dataset version(s) claim to meet {criterion.code}; remove it from their "
            "provenance first (published versions keep what they claimed)"
        )
    await writes.deleted(session, actor, "quality_criterion.delete", criterion)
    return criterion_id


# --- marginalised group vocabularies -----------------------------------------------------------


def _require_vocabulary_editor(principal: Principal, coalition_id: int | None) -> None:
    """Partnership admins keep every vocabulary; a coalition's editors keep their own."""
    if principal.acts_as_partnership_admin:
        return
    if coalition_id is None:
        checks.require_partnership_admin(principal)
        return
    checks.require_scope(principal, Scope.DATA_WRITE)
    checks.require_role(principal, coalition_id, CoalitionRole.EDITOR)


def _maps_to(
    pairs: list[DimensionCode] | None, problems: list[InvalidInput]
) -> list[dict[str, str]] | None:
    """The stored form of a mapping: None for no mapping, one code per dimension."""
    if not pairs:
        return None
    stored: list[dict[str, str]] = []
    seen: set[StandardDimension] = set()
    for i, pair in enumerate(pairs):
        code = pair.code.strip()
        if not _DIMENSION_CODE.fullmatch(code) or code == TOTAL:
            problems.append(
                InvalidInput(
                    f"mapsTo.{i}.code",
                    f"{pair.code!r} is not a {pair.dimension.value} code (an SDMX id, at most 20 "
                    f"characters, not {TOTAL})",
                    code="INVALID_CODE",
                )
            )
        elif pair.dimension in seen:
            problems.append(
                InvalidInput(
                    f"mapsTo.{i}.dimension",
                    f"{pair.dimension.value} is mapped twice; give one code per dimension",
                    code="INVALID",
                )
            )
        seen.add(pair.dimension)
        stored.append({"dimension": pair.dimension.value, "code": code})
    return stored


def _group_fields(fields: dict[str, Any], problems: list[InvalidInput]) -> dict[str, Any]:
    """Trimmed and checked (its limits: declare.more.MARGINALISED_GROUP)."""
    _trim_with_code(
        fields,
        problems,
        texts=("code", "name", "description"),
        code=_GROUP_CODE,
        code_rule="capital letters, digits and '_', starting with a letter, such as NP_MADHESI",
    )
    coalition_service.check_required(fields, ("code", "name"), problems)
    MARGINALISED_GROUP.check_edits(fields, problems)
    if "maps_to" in fields:
        fields["maps_to"] = _maps_to(fields["maps_to"], problems)
    return fields


async def create_group(
    session: AsyncSession, actor: Actor, *, coalition_code: str | None, fields: dict[str, Any]
) -> models.MarginalisedGroup:
    """Add a group to a country's vocabulary (``coalition_code``) or to the shared one."""
    coalition_id = None
    if coalition_code is not None:
        coalition_id = await coalition_service.coalition_id(session, coalition_code)
    _require_vocabulary_editor(actor.principal, coalition_id)
    problems: list[InvalidInput] = []
    fields = _group_fields(fields, problems)
    if not problems and await repo.group_code_taken(session, fields["code"]):
        problems.append(
            InvalidInput("code", f"a group {fields['code']} already exists", code="NOT_UNIQUE")
        )
    if problems:
        raise ValidationFailed(problems)
    group = models.MarginalisedGroup(coalition_id=coalition_id, **fields)
    return await writes.created(session, actor, "marginalised_group.create", group)


async def update_group(
    session: AsyncSession,
    actor: Actor,
    *,
    group_id: int,
    row_version: int,
    fields: dict[str, Any],
) -> models.MarginalisedGroup:
    """Edit a group's name, description or mapping (its code is fixed)."""
    group = await repo.lock_group(session, group_id)
    if group is None:
        raise NotFound("no such marginalised group")
    _require_vocabulary_editor(actor.principal, group.coalition_id)
    check_version("group", group.row_version, row_version)
    problems: list[InvalidInput] = []
    fields = _group_fields({k: v for k, v in fields.items() if k != "code"}, problems)
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(group)
    assign(group, fields)
    return await writes.edited(session, actor, "marginalised_group.update", group, before)
