"""A dataset's provenance, edited with the dataset: validated, applied, carried into new
versions. ``dataset.service`` calls these; they import no other service, so no cycle forms.

Provenance columns left NULL mean "not recorded". A new dataset without a method takes the
one its methodology names (MIXED and OTHER name none); nothing else is assumed, in particular
not that a coalition's data is community-driven.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.db.rows import assign
from lnob_api.errors import InvalidInput
from lnob_api.models.enums import Methodology
from lnob_api.models.provenance import ProvenanceMethod
from lnob_api.provenance import repository as repo

DEFAULT_FRAMEWORK = "2025"
NOTE_MAX = 2000
MAX_SAMPLE = 1_000_000_000
COLUMNS = (
    "producer_type",
    "method",
    "sampling",
    "sampling_note",
    "sample_size",
    "washington_group",
    "sdg_framework_version",
)
_FRAMEWORK = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,19}$")

METHOD_OF_METHODOLOGY: dict[Methodology, ProvenanceMethod | None] = {
    Methodology.HOUSEHOLD_SURVEY: ProvenanceMethod.HOUSEHOLD_SURVEY,
    Methodology.COMMUNITY_SCORECARD: ProvenanceMethod.COMMUNITY_SCORECARD,
    Methodology.FOCUS_GROUP: ProvenanceMethod.FOCUS_GROUP,
    Methodology.KEY_INFORMANT_INTERVIEW: ProvenanceMethod.KEY_INFORMANT_INTERVIEW,
    Methodology.COMMUNITY_DIALOGUE: ProvenanceMethod.COMMUNITY_DIALOGUE,
    Methodology.CITIZEN_REPORTING: ProvenanceMethod.CITIZEN_REPORTING,
    Methodology.ADMINISTRATIVE_DATA: ProvenanceMethod.ADMINISTRATIVE,
    Methodology.MIXED: None,
    Methodology.OTHER: None,
}


@dataclass(frozen=True, slots=True)
class ProvenanceChange:
    """Provenance given with a dataset: ``fields`` holds only the columns given (None clears
    one), ``quality_criteria`` the codes of the criteria met (None: leave them as they are)."""

    fields: dict[str, Any] = field(default_factory=dict)
    quality_criteria: list[str] | None = None


def _check_fields(fields: dict[str, Any], at: str, problems: list[InvalidInput]) -> None:
    """Normalise ``fields`` in place; a problem for each bad value."""
    if "sampling_note" in fields:
        note = (fields["sampling_note"] or "").strip()
        fields["sampling_note"] = note or None
        if len(note) > NOTE_MAX:
            problems.append(
                InvalidInput(
                    f"{at}.samplingNote", f"at most {NOTE_MAX} characters", code="TOO_LONG"
                )
            )
    size = fields.get("sample_size")
    if size is not None and not 0 <= size <= MAX_SAMPLE:
        problems.append(InvalidInput(f"{at}.sampleSize", f"from 0 to {MAX_SAMPLE}", code="INVALID"))
    if "sdg_framework_version" in fields:
        version = (fields["sdg_framework_version"] or DEFAULT_FRAMEWORK).strip()
        fields["sdg_framework_version"] = version
        if not _FRAMEWORK.fullmatch(version):
            problems.append(
                InvalidInput(
                    f"{at}.sdgFrameworkVersion",
                    "up to 20 letters, digits, dots, hyphens or underscores, such as 2025",
                    code="INVALID",
                )
            )


async def check(
    session: AsyncSession,
    coalition_id: int,
    change: ProvenanceChange | None,
    problems: list[InvalidInput],
    *,
    at: str = "provenance",
) -> list[int] | None:
    """Validate ``change`` for a dataset of the coalition (normalising its fields); the ids
    of the criteria it names, or None when they are not being changed."""
    if change is None:
        return None
    _check_fields(change.fields, at, problems)
    if change.quality_criteria is None:
        return None
    wanted = [code.strip().upper() for code in change.quality_criteria]
    known = await repo.criteria_by_code(session, coalition_id, wanted)
    ids: list[int] = []
    for i, code in enumerate(wanted):
        if code not in known:
            problems.append(
                InvalidInput(
                    f"{at}.qualityCriteria.{i}",
                    f"the coalition has no quality criterion {change.quality_criteria[i]!r}",
                    code="INVALID_CODE",
                )
            )
        elif known[code] not in ids:
            ids.append(known[code])
    return ids


def apply(dataset: models.Dataset, change: ProvenanceChange | None, *, creating: bool) -> None:
    """Set the given provenance columns on ``dataset``. A new dataset without a method takes
    the one its methodology names (MIXED and OTHER name none)."""
    fields = change.fields if change is not None else {}
    assign(dataset, fields, COLUMNS)
    if creating and "method" not in fields and dataset.methodology is not None:
        dataset.method = METHOD_OF_METHODOLOGY.get(Methodology(dataset.methodology))


async def link_criteria(
    session: AsyncSession, dataset_id: int, criterion_ids: list[int] | None
) -> None:
    if criterion_ids is not None:
        await repo.replace_dataset_criteria(session, dataset_id, criterion_ids)


async def copy_to_version(
    session: AsyncSession, source: models.Dataset, target: models.Dataset
) -> None:
    """A new version starts with its predecessor's provenance and criteria."""
    for name in COLUMNS:
        setattr(target, name, getattr(source, name))
    ids = await repo.dataset_criterion_ids(session, source.id)
    await repo.replace_dataset_criteria(session, target.id, ids)
