"""Disclosure control use cases: keep the suppression pattern protecting, audit it, report it.

The pattern is protected against everything outsiders read together: the cells of every
dataset version some outside audience reads (anonymous, any partner, each grantee; embargoed
releases included, since their pattern must hold on the day they open) are protected as one
system (``suppression.protect``): linked datasets, versions, area and period hierarchies. A
coalition's other cells (drafts, coalition-only datasets) keep the per-table pattern
(``secondary``), which only insiders can read anyway.

Relations never cross indicators, so a change to one dataset recomputes the cells of the
indicators its lineage holds, across the coalition (its *affected component*). Call
``recompute(db, dataset_id)`` after a publish, a visibility change or a grant on a dataset,
``recompute_coalition`` after a threshold change or a coalition-wide grant. Both write in the
caller's transaction and never commit; with an ``AsyncSession`` pending ORM changes are flushed
first so that the SQL sees them. The flags are a pure function of the data, so recomputing is
idempotent.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.access import checks
from lnob_api.auth.principal import ANONYMOUS, Principal
from lnob_api.disclosure import repository
from lnob_api.disclosure.audit import Finding, audit
from lnob_api.disclosure.model import AuditCell, Protection
from lnob_api.disclosure.relations import build
from lnob_api.disclosure.repository import Executor
from lnob_api.disclosure.secondary import secondary_suppression
from lnob_api.disclosure.suppression import protect_each_indicator
from lnob_api.errors import InvalidInput, NotFound
from lnob_api.sync import service as sync


@dataclass(frozen=True, slots=True)
class Recomputed:
    """The outcome for one dataset version."""

    dataset_id: int
    flagged: int  # observations secondarily suppressed now
    changed: int  # observations whose flag changed


async def recompute(
    db: Executor, dataset_id: int, *, rate_share: float | None = None
) -> Recomputed:
    """Recompute the pattern of the component a dataset (any version) belongs to; the outcome
    for that dataset version."""
    if isinstance(db, AsyncSession):
        await db.flush()
    coalition_id, indicators = await repository.indicators_of_lineage(db, dataset_id)
    outcomes = await _recompute(db, coalition_id, indicators, rate_share)
    return next((o for o in outcomes if o.dataset_id == dataset_id), Recomputed(dataset_id, 0, 0))


async def recompute_coalition(
    db: Executor, coalition_id: int, *, rate_share: float | None = None
) -> list[Recomputed]:
    """Recompute the pattern of every cell of a coalition."""
    if isinstance(db, AsyncSession):
        await db.flush()
    return await _recompute(db, coalition_id, None, rate_share)


async def recompute_reach(db: Executor, coalition_id: int, dataset_id: int | None) -> None:
    """After a grant is given or revoked: its dataset's component, or the whole coalition."""
    if dataset_id is None:
        await recompute_coalition(db, coalition_id)
    else:
        await recompute(db, dataset_id)


async def _recompute(
    db: Executor, coalition_id: int, indicators: Collection[Any] | None, rate_share: float | None
) -> list[Recomputed]:
    found = await repository.coalition(db, coalition_id=coalition_id)
    if found is None:
        raise NotFound(f"no coalition with id {coalition_id}")
    # Before reading: statements after the lock see what a concurrent recompute committed.
    await repository.lock_recompute(db, coalition_id)
    audiences = [principal for _, principal in await audiences_of(db, coalition_id)]
    cells, others = await repository.scope_cells(db, coalition_id, audiences, indicators=indicators)
    parents = await repository.area_parents(db, {c.area for c in cells})
    provenance = await repository.provenance_n(db, {c.dataset_id for c in cells})
    # Pure CPU work (seconds on a large coalition): off the event loop, so that the worker
    # keeps answering other requests meanwhile.
    result = await asyncio.to_thread(
        partial(protect_each_indicator, parents=parents, provenance_n=provenance),
        cells,
        _protection(found, rate_share),
    )
    changed = Counter(
        await repository.write_cell_flags(db, [c.id for c in cells], result.secondary)
    )
    flagged = Counter(c.dataset_id for c in cells if c.id in result.secondary)
    out = {d: Recomputed(d, flagged[d], changed[d]) for d in {c.dataset_id for c in cells}}
    for dataset_id in others:
        # Readable by insiders only: the per-table pattern, for their CONF_STATUS D.
        table_flags = secondary_suppression(await repository.cells(db, dataset_id))
        count = await repository.write_flags(db, dataset_id, table_flags)
        out[dataset_id] = Recomputed(dataset_id, len(table_flags), count)
    # A new pattern is a sync event of the datasets whose flags changed (their sync time).
    await sync.pattern_changed(db, [d for d, o in out.items() if o.changed])
    return [out[d] for d in sorted(out)]


async def audiences_of(db: Executor, coalition_id: int) -> list[tuple[str, Principal]]:
    """Everyone outside the coalition who may read some of its data, as principals."""
    return [
        ("anonymous", ANONYMOUS),
        ("partnership", repository.PARTNER),
        *await repository.grantee_principals(db, coalition_id),
    ]


@dataclass(frozen=True, slots=True)
class AudienceAudit:
    audience: str
    cells: int  # cells the audience reads
    withheld: int  # of which withheld
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class CoalitionAudit:
    coalition: str
    threshold: int
    rate_share: float
    audiences: tuple[AudienceAudit, ...]

    @property
    def clean(self) -> bool:
        return not any(a.findings for a in self.audiences)


def _protection(found: Any, rate_share: float | None) -> Protection:
    """The coalition's protection levels: its threshold, and its rate share unless one is
    given (``rate_share``, e.g. to try another in an audit)."""
    share = float(found.rate_share) if rate_share is None else rate_share
    return Protection(int(found.suppression_threshold), share)


async def audit_coalition(
    db: Executor, coalition_code: str, *, rate_share: float | None = None
) -> CoalitionAudit:
    """The attacker's LP for every outside audience over everything it reads."""
    found = await repository.coalition(db, code=coalition_code)
    if found is None:
        raise NotFound(f"no coalition with code {coalition_code.strip().upper()!r}")
    if rate_share is not None and not 0 <= rate_share < 1:
        raise InvalidInput("rateShare", "must be at least 0 and less than 1", code="INVALID")
    protection = _protection(found, rate_share)
    results = []
    for name, principal in await audiences_of(db, int(found.id)):
        cells = await repository.audience_cells(db, int(found.id), principal)
        parents = await repository.area_parents(db, {c.area for c in cells})
        provenance = await repository.provenance_n(db, {c.dataset_id for c in cells})
        findings = await asyncio.to_thread(_audit, cells, parents, provenance, protection)
        withheld = sum(not c.shown for c in cells)
        results.append(AudienceAudit(name, len(cells), withheld, tuple(findings)))
    return CoalitionAudit(
        str(found.code), protection.threshold, protection.rate_share, tuple(results)
    )


def _audit(
    cells: list[AuditCell],
    parents: dict[str, str | None],
    provenance: dict[int, tuple[str | None, int]],
    protection: Protection,
) -> list[Finding]:
    return audit(build(cells, parents=parents, provenance_n=provenance), protection)


async def coalition_codes(db: Executor) -> list[str]:
    return await repository.coalition_codes(db)


@dataclass(frozen=True, slots=True)
class DatasetLoss:
    """Information withheld from outsiders in one dataset version."""

    dataset_id: int
    slug: str
    version: int
    cells: int
    withheld: int
    value: float
    withheld_value: float

    @property
    def cell_share(self) -> float:
        return self.withheld / self.cells if self.cells else 0.0

    @property
    def value_share(self) -> float:
        return self.withheld_value / self.value if self.value else 0.0


async def information_loss(db: Executor, coalition_id: int) -> list[DatasetLoss]:
    """Per dataset version: the share of cells and of total (absolute) value withheld."""
    return [
        DatasetLoss(
            int(r["id"]),
            str(r["slug"]),
            int(r["version"]),
            int(r["cells"]),
            int(r["withheld"]),
            float(r["value"]),
            float(r["withheld_value"]),
        )
        for r in await repository.information_loss(db, coalition_id)
    ]


async def admin_report(
    db: Executor, principal: Principal, coalition_code: str, *, rate_share: float | None = None
) -> tuple[CoalitionAudit, list[DatasetLoss]]:
    """The audit and the information loss of a coalition, for its admins (and partnership
    admins) only."""
    found = await repository.coalition(db, code=coalition_code)
    if found is None:
        raise NotFound(f"no coalition with code {coalition_code.strip().upper()!r}")
    checks.require_coalition_admin(principal, int(found.id))
    report = await audit_coalition(db, coalition_code, rate_share=rate_share)
    return report, await information_loss(db, int(found.id))
