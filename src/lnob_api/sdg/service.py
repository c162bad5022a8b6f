"""Custom indicator use cases: a coalition's editors define and edit community indicators.

A custom indicator is linked to an SDG target and coded ``<CC>-C-<NNNN>`` with the next free
number of the coalition; the global SDG indicators are reference data and read-only. Every
change writes an audit event in the same transaction; services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.service import Actor
from lnob_api.coalition import service as coalition_service
from lnob_api.db.rows import assign
from lnob_api.declare.entities import INDICATOR
from lnob_api.domain_kit import writes
from lnob_api.errors import InvalidInput, ValidationFailed
from lnob_api.models.enums import CoalitionRole
from lnob_api.sdg import write_repository as repo
from lnob_api.sdg.codes import is_target_code, sort_key

__all__ = ["Actor", "create_custom", "resolve_targets", "update_custom"]

# What a create and an update store, and their limits (declare.entities.INDICATOR).
CREATED = INDICATOR.names(create=True)
EDITABLE = INDICATOR.names(create=False)
LAST_NUMBER = 9999


async def existing_targets(session: AsyncSession, codes: Iterable[str]) -> set[str]:
    """Those of ``codes`` that are SDG target codes (as given: no normalising)."""
    return await repo.existing_targets(session, codes)


async def resolve_targets(
    session: AsyncSession, codes: list[str], problems: list[InvalidInput], *, field: str
) -> list[str]:
    """The SDG target codes among ``codes`` (normalised, without repeats); an INVALID_CODE
    problem on ``field.<index>`` for each unknown one."""
    wanted = [code.strip().lower() for code in codes]
    known = await repo.existing_targets(session, [c for c in wanted if is_target_code(c)])
    for i, code in enumerate(wanted):
        if code not in known:
            problems.append(
                InvalidInput(
                    f"{field}.{i}", f"unknown SDG target {codes[i]!r}", code="INVALID_CODE"
                )
            )
    return list(dict.fromkeys(c for c in wanted if c in known))


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    for name in ("title", "description"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "unit" in fields:
        fields["unit"] = (fields["unit"] or "").strip() or None
    return fields


async def _validate(
    session: AsyncSession, fields: dict[str, Any], problems: list[InvalidInput]
) -> None:
    coalition_service.check_required(fields, ("title",), problems)
    INDICATOR.check_edits(fields, problems)
    if "target_code" in fields:
        wanted = fields["target_code"] or ""
        code = wanted.strip().lower()
        if not (is_target_code(code) and await repo.existing_targets(session, [code])):
            problems.append(
                InvalidInput("target", f"unknown SDG target {wanted!r}", code="INVALID_CODE")
            )
        fields["target_code"] = code


async def create_custom(
    session: AsyncSession, actor: Actor, *, coalition_code: str, fields: dict[str, Any]
) -> models.Indicator:
    """Define a coalition's indicator under an SDG target, with the next free code."""
    coalition_id = await coalition_service.coalition_id(session, coalition_code)
    checks.require_role(actor.principal, coalition_id, CoalitionRole.EDITOR)
    problems: list[InvalidInput] = []
    fields = _normalise(fields)
    await _validate(session, fields, problems)
    if problems:
        raise ValidationFailed(problems)
    # The coalition's row lock serialises code numbering within the coalition.
    coalition = await coalition_service.lock(session, coalition_id)
    assert coalition is not None
    number = await repo.last_custom_number(session, coalition.code) + 1
    if number > LAST_NUMBER:
        raise InvalidInput(
            "coalition", "the coalition has used every custom indicator code", code="INVALID_STATE"
        )
    code = f"{coalition.code}-C-{number:04d}"
    indicator = models.Indicator(
        code=code,
        coalition_id=coalition_id,
        sort_key=sort_key(code),
        **{k: v for k, v in fields.items() if k in CREATED},
    )
    return await writes.created(session, actor, "indicator.create", indicator)


async def update_custom(
    session: AsyncSession,
    actor: Actor,
    *,
    indicator_id: int,
    row_version: int,
    fields: dict[str, Any],
) -> models.Indicator:
    """Edit a custom indicator's title, unit, description or target."""
    indicator = await repo.lock_indicator(session, indicator_id)
    if indicator is not None and indicator.coalition_id is None:
        raise InvalidInput(
            "id",
            f"{indicator.code} is a global SDG indicator: reference data cannot be edited",
            code="INVALID_STATE",
        )
    indicator = writes.for_change(indicator, "indicator", actor.principal, row_version)
    problems: list[InvalidInput] = []
    fields = _normalise(fields)
    await _validate(session, fields, problems)
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(indicator)
    assign(indicator, fields, EDITABLE)
    return await writes.edited(session, actor, "indicator.update", indicator, before)
