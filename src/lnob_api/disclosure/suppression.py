"""Secondary suppression that implements the protection model: a modular heuristic with the
exact LP audit behind it.

Pure (no database). Input: every cell some outside audience can read (all its datasets and
readable versions, every area and period level), with the primary (small) cells marked. Steps,
repeated until the audit finds nothing:

1. **Versions**: a cell withheld in one version of a lineage is withheld in every version that
   holds the same population (the superseded version must not show what the new one hides).
2. **Singletons** (the modular step, as in tau-ARGUS's hypercube and sdcTable's heuristics):
   while a relation that pins its terms (an equality) has exactly one withheld quantity, hide
   its cheapest shown cell: no withheld value may follow by subtraction.
3. **Audit** (``audit.audit``): the attacker's LP over everything; for each narrowed cell, hide
   one shown cell among the relations that narrow it, the cheapest that gives enough room (the
   smallest whose size covers the missing width, else the largest).

"Cheapest" is the least information lost: one cell, and the least value (sample size, then
value, then id, for determinism). Components whose withheld set did not change since they were
found clean are not solved again. The result depends only on the cells (not on their order, nor
on earlier flags), so recomputing is idempotent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace

from lnob_api.disclosure.audit import Finding, audit, components
from lnob_api.disclosure.model import AuditCell, Kind, Protection, Q
from lnob_api.disclosure.primary import is_count_unit
from lnob_api.disclosure.relations import Relation, System, build

# A guard: each round hides at least one cell, so this bounds the work on pathological input.
MAX_ROUNDS = 500


@dataclass(frozen=True, slots=True)
class Suppression:
    secondary: frozenset[int]  # cells to withhold besides the primary ones
    unresolved: tuple[Finding, ...]  # narrowed cells nothing more could protect
    rounds: int


def protect(
    cells: Sequence[AuditCell],
    protection: Protection,
    *,
    parents: Mapping[str, str | None],
    provenance_n: Mapping[int, tuple[str | None, int]] | None = None,
) -> Suppression:
    """The secondary cells that leave no primary cell narrowed (``shown`` is ignored)."""
    everyone = sorted((_as_shown(c) for c in cells), key=lambda c: c.id)
    system = build(everyone, parents=parents, provenance_n=provenance_n, keep_all=True)
    primary = {c.id for c in everyone if c.primary}
    for cell_id in primary:
        system.hide(cell_id)
    state = _State(system, everyone)
    state.hide_all(primary)
    clean: set[frozenset[Q]] = set()
    findings: list[Finding] = []
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        state.close()
        comps = components(system)
        todo = [c for c in comps if c.targets and frozenset(c.variables) not in clean]
        findings = audit(system, protection, comps=todo)
        dirty = {f.cell_id for f in findings}
        clean.update(
            frozenset(c.variables) for c in todo if dirty.isdisjoint(q[0] for q in c.variables)
        )
        picks = {p for f in findings if (p := state.pick(f)) is not None}
        if not picks:
            break
        state.hide_all(picks)
    hidden = frozenset(state.hidden - primary)
    return Suppression(hidden, tuple(findings), rounds)


def protect_each_indicator(
    cells: Sequence[AuditCell],
    protection: Protection,
    *,
    parents: Mapping[str, str | None],
    provenance_n: Mapping[int, tuple[str | None, int]] | None = None,
) -> Suppression:
    """``protect`` indicator by indicator: no relation crosses indicators, so the systems are
    independent, and each round's work stays within one indicator's cells."""
    by_indicator: dict[Hashable, list[AuditCell]] = defaultdict(list)
    for cell in cells:
        by_indicator[cell.indicator].append(cell)
    hidden: set[int] = set()
    unresolved: list[Finding] = []
    rounds = 0
    for key in sorted(by_indicator, key=repr):
        part = protect(by_indicator[key], protection, parents=parents, provenance_n=provenance_n)
        hidden |= part.secondary
        unresolved.extend(part.unresolved)
        rounds = max(rounds, part.rounds)
    return Suppression(frozenset(hidden), tuple(unresolved), rounds)


def _as_shown(cell: AuditCell) -> AuditCell:
    return cell if cell.shown else replace(cell, shown=True)


class _State:
    def __init__(self, system: System, cells: Sequence[AuditCell]) -> None:
        self.system = system
        self.cells = {c.id: c for c in cells}
        self.hidden: set[int] = set()
        self.touching: dict[Q, list[Relation]] = defaultdict(list)
        for rel in system.relations:
            for q, _ in rel.terms:
                self.touching[q].append(rel)
        self.versions: dict[Hashable, list[int]] = defaultdict(list)
        for c in cells:
            self.versions[(c.lineage_id, c.population)].append(c.id)
        self.pending: list[int] = []

    def hide_all(self, ids: set[int] | frozenset[int]) -> None:
        for cell_id in sorted(ids):
            self._hide(cell_id)

    def _hide(self, cell_id: int) -> None:
        if cell_id in self.hidden or cell_id < 0:
            return
        self.hidden.add(cell_id)
        self.system.hide(cell_id)
        self.pending.append(cell_id)
        cell = self.cells[cell_id]
        for other in self.versions[(cell.lineage_id, cell.population)]:
            self._hide(other)

    def close(self) -> None:
        """Singletons: until no pinning relation has exactly one withheld quantity."""
        shown = self.system.shown
        while self.pending:
            cell_id = self.pending.pop()
            for kind in Kind:
                for rel in self.touching.get((cell_id, kind), ()):
                    if rel.lower != rel.upper:
                        continue
                    # Perturbed shown terms are not pinned: they leave the relation loose.
                    free = [q for q, _ in rel.terms if not self.system.constant(q)]
                    if len(free) == 1:
                        choice = self._cheapest([q[0] for q, _ in rel.terms if q in shown])
                        if choice is not None:
                            self._hide(choice)

    def _cheapest(self, ids: list[int]) -> int | None:
        real = [i for i in ids if i > 0 and i not in self.hidden]
        return min(real, key=lambda i: _cost(self.cells[i])) if real else None

    def pick(self, finding: Finding) -> int | None:
        """The shown cell to hide for a narrowed one: enough room, least value."""
        candidates = [i for i in finding.shown_cells if i > 0 and i not in self.hidden]
        if not candidates:
            q = (finding.cell_id, finding.kind)
            candidates = sorted(
                {
                    t[0]
                    for rel in self.touching.get(q, ())
                    for t, _ in rel.terms
                    if t in self.system.shown and t[0] > 0
                }
            )
        if not candidates:
            return None
        lo, hi = finding.interval
        need_lo, need_hi = finding.protection
        missing = max(need_hi - hi, lo - need_lo, 0.0)
        enough = [i for i in candidates if _size(self.cells[i]) >= missing]
        if enough:
            return min(enough, key=lambda i: _cost(self.cells[i]))
        return max(candidates, key=lambda i: (_size(self.cells[i]), -i))


def _size(cell: AuditCell) -> float:
    if not is_count_unit(cell.unit) and cell.sample_size is not None:
        return float(cell.sample_size)
    return abs(cell.value or 0.0)


def _cost(cell: AuditCell) -> tuple[float, float, int]:
    return (_size(cell), abs(cell.value or 0.0), cell.id)
