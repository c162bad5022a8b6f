"""Local area use cases: a coalition's editors register wards, villages and the like.

A local area lies under an ISO 3166-2 subdivision (or another local area) of the coalition's
country; its code is the parent's code, a hyphen and an upper-case alphanumeric part
(``KE-30-W001``), so that it matches the areas' code format. ISO areas are reference data and
read-only. Areas carry no row version: ``updatedAt`` is their optimistic lock. Every change
writes an audit event in the same transaction; services flush, never commit.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import checks
from lnob_api.area import write_repository as repo
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.coalition import service as coalition_service
from lnob_api.db.rows import assign
from lnob_api.declare.entities import AREA
from lnob_api.domain_kit import writes
from lnob_api.errors import InvalidInput, NotFound, ValidationFailed, check_version
from lnob_api.models.enums import AreaLevel, CoalitionRole

__all__ = ["Actor", "create_local", "update_local"]

LOCAL_PART = re.compile(r"^[A-Z0-9]+$")
CODE_MAX = 40
# What a create and an update store, and their limits (declare.entities.AREA); the code and
# the place are the create's own arguments.
CREATED = AREA.names(create=True)
EDITABLE = AREA.names(create=False)
# The texts stripped (an omitted or null one is blank).
TEXTS = ("name", "type")


def _check_fields(fields: dict[str, Any], problems: list[InvalidInput]) -> None:
    for name in TEXTS:
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    coalition_service.check_required(fields, ("name",), problems)
    AREA.check_edits(fields, problems)


async def _parent(
    session: AsyncSession, wanted: str, country: str, problems: list[InvalidInput]
) -> models.Area | None:
    parent = await repo.area(session, wanted.strip().upper())
    if parent is None:
        problems.append(InvalidInput("parent", f"unknown area {wanted!r}", code="INVALID_CODE"))
        return None
    if parent.level == AreaLevel.COUNTRY or parent.country_code != country:
        problems.append(
            InvalidInput(
                "parent",
                f"{parent.code} is not a subdivision or local area of {country}",
                code="INVALID",
            )
        )
        return None
    return parent


async def _code(
    session: AsyncSession, parent: models.Area | None, wanted: str, problems: list[InvalidInput]
) -> str:
    local = wanted.strip().upper()
    if not LOCAL_PART.match(local):
        problems.append(
            InvalidInput(
                "code", "use upper-case letters and digits only, e.g. W001", code="INVALID_CODE"
            )
        )
        return local
    if parent is None:
        return local
    code = f"{parent.code}-{local}"
    if len(code) > CODE_MAX:
        problems.append(
            InvalidInput("code", f"{code} is longer than {CODE_MAX} characters", code="TOO_LONG")
        )
    elif await repo.code_taken(session, code):
        problems.append(InvalidInput("code", f"{code} already exists", code="NOT_UNIQUE"))
    return code


async def create_local(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str,
    parent_code: str,
    code: str,
    fields: dict[str, Any],
) -> models.Area:
    """Register a local area under a subdivision (or local area) of the coalition's country."""
    coalition_id = await coalition_service.coalition_id(session, coalition_code)
    checks.require_role(actor.principal, coalition_id, CoalitionRole.EDITOR)
    country = coalition_code.strip().upper()
    problems: list[InvalidInput] = []
    parent = await _parent(session, parent_code, country, problems)
    full_code = await _code(session, parent, code, problems)
    _check_fields(fields, problems)
    if problems or parent is None:
        raise ValidationFailed(problems)
    area = models.Area(
        code=full_code,
        level=AreaLevel.LOCAL,
        country_code=country,
        parent_code=parent.code,
        ancestors=[*parent.ancestors, parent.code],
        coalition_id=coalition_id,
        **{k: v for k, v in fields.items() if k in CREATED},
    )
    return await writes.created(session, actor, "area.create", area)


async def update_local(
    session: AsyncSession,
    actor: Actor,
    *,
    code: str,
    updated_at: datetime,
    fields: dict[str, Any],
) -> models.Area:
    """Rename a local area or change its kind; codes and places never change."""
    area = await repo.area(session, code, lock=True)
    if area is None:
        raise NotFound("no such area")
    if area.level != AreaLevel.LOCAL or area.coalition_id is None:
        raise InvalidInput(
            "id",
            f"{area.code} is an ISO area: reference data cannot be edited",
            code="INVALID_STATE",
        )
    checks.require_role(actor.principal, area.coalition_id, CoalitionRole.EDITOR)
    check_version("area", area.updated_at, updated_at)
    problems: list[InvalidInput] = []
    _check_fields(fields, problems)
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(area)
    assign(area, fields, EDITABLE)
    area.updated_at = coalition_service.now()
    await record_change(session, actor, "area.update", area, before)
    return area
