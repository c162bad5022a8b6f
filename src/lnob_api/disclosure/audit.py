"""The attacker's linear program: how tightly can an audience bound each withheld quantity?

Pure (no database). The audience's shown quantities are constants; its withheld quantities are
the variables, all >= 0, under the relations of ``relations.build``. A shown quantity the
audience reads perturbed (rounded, or with cell-key noise) is a variable too, bounded by the
interval its shown value allows (``System.fuzz``): the attacker knows no more than that.
For each sensitive (primary) withheld quantity the attacker's interval is ``[min x, max x]``
over that polytope; the quantity is **narrowed** when the interval misses its protection
interval (``model.Protection``) on either side. A shown primary quantity is narrowed to its value.

Scaling: the system splits into connected components over the withheld quantities (shown ones
are constants, so they link nothing); only components holding a sensitive quantity are solved.
Components are independent, so one HiGHS call solves a *batch*: one objective term per
component, block-diagonal constraints. Every solution is a feasible point, and a point at or
beyond a requirement proves that side for every quantity it covers, so most sides are proven
by the first two batches (minimise, then maximise, the sensitive quantities) and only the
others get an LP of their own. The side being maximised is capped at its requirement, which
keeps every batch bounded without changing the verdict.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lnob_api.disclosure.model import Kind, Protection, Q
from lnob_api.disclosure.relations import INF, Relation, System

if TYPE_CHECKING:
    import numpy as np
    from scipy import sparse
    from scipy.optimize import linprog
    from scipy.optimize._highspy import _core  # type: ignore[import-not-found]

# Whether the HiGHS binding scipy ships (what linprog runs) is there: a model kept between
# solves; without it (another scipy layout), linprog without warm starts. Known after _load().
_HIGHS: bool | None = None


def _load() -> None:
    """Import numpy and scipy at the first solve, not with this module: most processes that
    import it never solve (the users and grants commands, serve before an audit), and the
    import is about 0.45 s of their start."""
    global np, sparse, linprog, _core, _HIGHS
    if "linprog" in globals():
        return
    import numpy as np
    from scipy import sparse
    from scipy.optimize import linprog

    try:
        from scipy.optimize._highspy import _core

        found = True
    except ImportError:  # pragma: no cover - another scipy layout
        found = False
    if _HIGHS is None:  # not set by a test comparing both solvers
        _HIGHS = found


_EPS = 1e-6
_DUAL_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Finding:
    """A sensitive quantity the audience's LP narrows below its protection interval."""

    cell_id: int
    kind: Kind
    value: float
    interval: tuple[float, float]
    protection: tuple[float, float]
    constraints: tuple[str, ...]
    # Shown cells in the relations that narrow it: where more suppression helps.
    shown_cells: tuple[int, ...] = ()


@dataclass(slots=True)
class _Component:
    variables: list[Q]
    relations: list[Relation]
    targets: list[Q] = field(default_factory=list)


def components(system: System) -> list[_Component]:
    """Connected components of the withheld quantities, with their relations."""
    system.focus()
    parent: dict[Q, Q] = {}

    def find(q: Q) -> Q:
        while parent.setdefault(q, q) != q:
            parent[q] = parent[parent[q]]
            q = parent[q]
        return q

    withheld = [q for q in system.truth if not system.constant(q)]
    for q in withheld:
        find(q)
    for rel in system.relations:
        free = [q for q, _ in rel.terms if not system.constant(q)]
        for q in free[1:]:
            parent[find(q)] = find(free[0])
    groups: dict[Q, _Component] = {}
    for q in sorted(withheld):
        groups.setdefault(find(q), _Component([], [])).variables.append(q)
    for rel in system.relations:
        free = [q for q, _ in rel.terms if not system.constant(q)]
        if free:
            groups[find(free[0])].relations.append(rel)
    for comp in groups.values():
        comp.targets = [q for q in comp.variables if q in system.primary]
    return [groups[k] for k in sorted(groups)]


class _Batch:
    """Several components stacked into one LP (block-diagonal rows)."""

    def __init__(self, system: System, comps: list[_Component]) -> None:
        _load()  # every solve starts here
        self.comps = comps
        self.column: dict[Q, int] = {}
        for comp in comps:
            for q in comp.variables:
                self.column[q] = len(self.column)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lower: list[float] = []
        upper: list[float] = []
        self.row_relation: list[Relation] = []
        for comp in comps:
            for rel in comp.relations:
                constant = sum(c * system.truth[q] for q, c in rel.terms if system.constant(q))
                r = len(lower)
                for q, c in rel.terms:
                    if not system.constant(q):
                        rows.append(r)
                        cols.append(self.column[q])
                        vals.append(c)
                lower.append(rel.lower - constant)
                upper.append(rel.upper - constant)
                self.row_relation.append(rel)
        n = len(self.column)
        self.matrix = sparse.csr_array((vals, (rows, cols)), shape=(len(lower), n))
        self.lower, self.upper = np.array(lower), np.array(upper)
        # Column bounds: >= 0, and a perturbed shown quantity within what its value reveals.
        self.col_lo, self.col_hi = np.zeros(n), np.full(n, np.inf)
        for q, col in self.column.items():
            if q in system.near:
                self.col_lo[col], self.col_hi[col] = system.fuzz[q]
        self._highs = (
            _highs_model(self.matrix, self.lower, self.upper, self.col_lo, self.col_hi)
            if _HIGHS
            else None
        )
        self._cost = np.zeros(n)
        self._caps: list[int] = []

    def solve(
        self, objective: dict[Q, float], caps: dict[Q, float]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """A minimiser of ``objective`` with ``x[q] <= caps[q]``: (x, row duals), or None
        (unbounded). The HiGHS model is kept between calls: only the costs and the capped
        bounds change, so each solve starts from the previous basis."""
        c = np.zeros(len(self.column))
        for q, w in objective.items():
            c[self.column[q]] = w
        hi = self.col_hi.copy()
        for q, cap in caps.items():
            hi[self.column[q]] = min(cap, hi[self.column[q]])
        if self._highs is None:
            return _linprog(c, self.col_lo, hi, self.matrix, self.lower, self.upper)
        return self._solve_highs(c, hi, caps)

    def _solve_highs(
        self, c: np.ndarray, hi: np.ndarray, caps: dict[Q, float]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        highs = self._highs
        assert highs is not None
        n = len(c)
        if n:
            highs.changeColsCost(n, np.arange(n, dtype=np.int32), c)
        capped = sorted({*self._caps, *(self.column[q] for q in caps)})
        if capped:
            idx = np.array(capped, dtype=np.int32)
            upper = np.where(np.isinf(hi[idx]), _core.kHighsInf, hi[idx])
            highs.changeColsBounds(len(idx), idx, self.col_lo[idx], upper)
        self._caps = [self.column[q] for q in caps]
        highs.run()
        if highs.getModelStatus() != _core.HighsModelStatus.kOptimal:
            return None
        solution = highs.getSolution()
        return np.asarray(solution.col_value), np.asarray(solution.row_dual)


def _highs_model(
    matrix: Any, lower: np.ndarray, upper: np.ndarray, col_lo: np.ndarray, col_hi: np.ndarray
) -> Any:
    """A HiGHS model of ``lower <= matrix x <= upper, col_lo <= x <= col_hi`` (ranged rows
    are native)."""
    inf = _core.kHighsInf
    lp = _core.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_ = np.zeros(lp.num_col_)
    lp.col_lower_ = col_lo.astype(np.float64)
    lp.col_upper_ = np.where(np.isinf(col_hi), inf, col_hi)
    lp.row_lower_ = np.where(np.isinf(lower), -inf, lower)
    lp.row_upper_ = np.where(np.isinf(upper), inf, upper)
    lp.a_matrix_.format_ = _core.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    highs = _core._Highs()
    highs.setOptionValue("output_flag", False)
    # Between solves only costs and the capped bounds change: the basis stays primal
    # feasible, so primal simplex goes on from it (dual simplex, the default, took 3-4x as
    # long once perturbed counts made the LPs wider).
    highs.setOptionValue("simplex_strategy", 4)
    highs.passModel(lp)
    return highs


def _linprog(
    c: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    matrix: Any,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The same solve through ``scipy.optimize.linprog`` (no warm start)."""
    eq = lower == upper
    up = ~eq & np.isfinite(upper)
    low = ~eq & np.isfinite(lower)
    rows = np.concatenate([np.flatnonzero(up), np.flatnonzero(low)])
    sign = np.concatenate([np.ones(up.sum()), -np.ones(low.sum())])
    a_ub: Any = sparse.diags_array(sign) @ matrix[rows] if len(rows) else None
    b_ub = sign * np.where(sign > 0, upper[rows], lower[rows]) if len(rows) else None
    a_eq: Any = matrix[np.flatnonzero(eq)] if eq.any() else None
    result = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=upper[eq] if eq.any() else None,
        bounds=[
            (float(low), None if np.isinf(h) else float(h)) for low, h in zip(lo, hi, strict=True)
        ],
        method="highs",
    )
    if result.status != 0:
        return None
    duals = np.zeros(len(lower))
    if a_eq is not None:
        duals[np.flatnonzero(eq)] = result.eqlin.marginals
    if a_ub is not None:
        np.add.at(duals, rows, np.abs(result.ineqlin.marginals))
    return np.asarray(result.x), duals


def audit(
    system: System, protection: Protection, *, comps: list[_Component] | None = None
) -> list[Finding]:
    """Every sensitive quantity the system narrows below its protection interval (only in
    ``comps`` when given: the caller knows the others are clean)."""
    out = [f for q in sorted(system.primary) if (f := _shown_primary(system, q, protection))]
    if comps is None:
        comps = components(system)
    comps = [c for c in comps if c.targets]
    if comps:
        out.extend(_Auditor(system, comps, protection, exact=False).run())
    return sorted(out, key=lambda f: (f.cell_id, f.kind))


def intervals(system: System, protection: Protection) -> dict[Q, tuple[float, float]]:
    """The attacker's exact interval of every withheld sensitive quantity (one LP per side)."""
    comps = [c for c in components(system) if c.targets]
    auditor = _Auditor(system, comps, protection, exact=True)
    auditor.run()
    return dict(auditor.bounds)


def _shown_primary(system: System, q: Q, protection: Protection) -> Finding | None:
    if q not in system.shown:
        return None
    true = system.truth[q]
    need = protection.interval(q[1], true)
    if q in system.fuzz:  # shown perturbed: narrowed only if its known interval is too narrow
        lo, hi = system.fuzz[q]
        if lo <= need[0] + _EPS and hi >= need[1] - _EPS:
            return None
        return Finding(q[0], q[1], true, (lo, hi), need, ("shown perturbed",))
    return Finding(q[0], q[1], true, (true, true), need, ("shown",))


# Beyond this, an upper bound counts as unbounded (keeps every batch bounded).
_BIG = 1e12


class _Auditor:
    """Settles the lower and upper side of every target, batching one side per component."""

    def __init__(
        self, system: System, comps: list[_Component], protection: Protection, *, exact: bool
    ) -> None:
        self.system, self.comps, self.exact = system, comps, exact
        self.batch = _Batch(system, comps)
        self.need = {
            q: protection.interval(q[1], system.truth[q]) for c in comps for q in c.targets
        }
        self.comp_of = {q: i for i, c in enumerate(comps) for q in c.variables}
        self.row_comp = np.array(
            [self.comp_of[_first_free(system, r)] for r in self.batch.row_relation]
        )
        # Sides still open per component: (q, False) is the lower side, (q, True) the upper.
        self.open = [[(q, up) for q in c.targets for up in (False, True)] for c in comps]
        self.bounds: dict[Q, tuple[float, float]] = {}
        self.binding: dict[Q, set[int]] = defaultdict(set)
        self.narrow: set[Q] = set()
        self.settled: set[tuple[Q, bool]] = set()

    def cap(self, q: Q) -> float:
        return _BIG if self.exact else self.need[q][1]

    def run(self) -> list[Finding]:
        if not self.exact:
            self._joint()
        while True:
            asked = [sides[0] for sides in self.open if sides]
            if not asked:
                break
            objective = {q: (-1.0 if up else 1.0) for q, up in asked}
            caps = {q: self.cap(q) for q, up in asked if up}
            solved = self.batch.solve(objective, caps)
            for q, up in asked:
                one = solved
                if one is None:  # numerical trouble in the batch: this component alone
                    alone = _Batch(self.system, [self.comps[self.comp_of[q]]])
                    one = alone.solve({q: -1.0 if up else 1.0}, {q: self.cap(q)} if up else {})
                    one = None if one is None else self._widen(alone, one)
                self._settle(q, up, one)
            if solved is not None and not self.exact:
                self._close_by(solved[0])
        return [self._finding(q) for q in sorted(self.narrow)]

    def _joint(self) -> None:
        """Prove sides in bulk: minimise (or maximise, capped) the sum of every open side of
        one direction; repeat while a solve proves something."""
        progress = True
        while progress:
            progress = False
            for up in (False, True):
                wanted = [q for sides in self.open for q, side in sides if side == up]
                if not wanted:
                    continue
                before = sum(len(sides) for sides in self.open)
                caps = {q: self.cap(q) for q in wanted} if up else {}
                solved = self.batch.solve({q: -1.0 if up else 1.0 for q in wanted}, caps)
                if solved is not None:
                    self._close_by(solved[0])
                progress |= sum(len(sides) for sides in self.open) < before

    def _widen(
        self, alone: _Batch, solved: tuple[np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """A single component's solution placed in the batch's columns and rows."""
        x = np.zeros(len(self.batch.column))
        for q, col in alone.column.items():
            x[self.batch.column[q]] = solved[0][col]
        duals = np.zeros(len(self.batch.row_relation))
        index = {id(rel): r for r, rel in enumerate(self.batch.row_relation)}
        for r, rel in enumerate(alone.row_relation):
            duals[index[id(rel)]] = solved[1][r]
        return x, duals

    def _close_by(self, x: np.ndarray) -> None:
        col = self.batch.column

        def proven(q: Q, up: bool) -> bool:
            v = x[col[q]]
            return bool(v >= self.need[q][1] - _EPS if up else v <= self.need[q][0] + _EPS)

        self.open = [[s for s in sides if not proven(*s)] for sides in self.open]

    def _settle(self, q: Q, up: bool, solved: tuple[np.ndarray, np.ndarray] | None) -> None:
        sides = self.open[self.comp_of[q]]
        if (q, up) in sides:
            sides.remove((q, up))
        lo, hi = self.bounds.get(q, (0.0, INF))
        if solved is None:  # the true values satisfy every relation: report, do not guess
            bound = self.need[q][0] if not up else self.need[q][1]
            self.narrow.add(q)
        else:
            x, duals = solved
            bound = float(x[self.batch.column[q]])
            rows = np.flatnonzero((np.abs(duals) > _DUAL_EPS) & (self.row_comp == self.comp_of[q]))
            self.binding[q].update(int(r) for r in rows)
        if up and bound >= _BIG * (1 - 1e-9):
            bound = INF
        self.bounds[q] = (lo, bound) if up else (bound, hi)
        need_lo, need_hi = self.need[q]
        if (bound < need_hi - _EPS) if up else (bound > need_lo + _EPS):
            self.narrow.add(q)
            # The finding reports the whole interval: settle the other side exactly too.
            other = (q, not up)
            if other not in sides and other not in self.settled:
                sides.append(other)
        self.settled.add((q, up))

    def _finding(self, q: Q) -> Finding:
        lo, hi = self.bounds.get(q, (0.0, INF))
        rels = [self.batch.row_relation[r] for r in sorted(self.binding.get(q, ()))]
        shown = sorted(
            {t[0] for rel in rels for t, _ in rel.terms if t in self.system.shown and t[0] > 0}
        )
        labels = tuple(sorted({rel.label for rel in rels})) or ("non-negativity",)
        return Finding(
            q[0], q[1], self.system.truth[q], (lo, hi), self.need[q], labels, tuple(shown)
        )


def _first_free(system: System, rel: Relation) -> Q:
    return next(q for q, _ in rel.terms if not system.constant(q))
