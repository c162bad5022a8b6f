"""The SDG disaggregation gap report (issue 13): for each coalition and indicator, which
disaggregations the SDG framework expects, which the coalition's data reports (as far as the
caller may read it), which the official reference values of the country report, and so where
community data fills an official gap.

Rows: every (coalition, indicator) pair with community data the caller reads; with
``indicators`` given, every coalition in scope for each of those indicators, data or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api.auth.principal import Principal
from lnob_api.errors import InvalidInput, ValidationFailed
from lnob_api.gaps import repository
from lnob_api.gaps.model import Disaggregation, Expectation, Status, expected
from lnob_api.gaps.repository import Coverage

MAX_CODES = 300


@dataclass(frozen=True, slots=True)
class Gap:
    """One disaggregation of one indicator in one coalition's country."""

    disaggregation: Disaggregation
    expectation: Expectation
    evidence: str | None
    community: Coverage
    official: Coverage

    @property
    def status(self) -> Status:
        return Status.of(self.community.reported, self.official.reported)

    @property
    def asked(self) -> bool:
        """The indicator's title names it (or is about such a group)."""
        return self.expectation is not Expectation.WHERE_RELEVANT


@dataclass(frozen=True, slots=True)
class IndicatorGaps:
    coalition_code: str
    coalition_name: str
    indicator_code: str
    indicator_title: str
    cells: int
    shown_cells: int
    datasets: int
    groups: tuple[str, ...]
    gaps: tuple[Gap, ...]

    def count(self, status: Status, *, asked: bool = True) -> int:
        return sum(1 for g in self.gaps if g.status is status and (g.asked or not asked))

    @property
    def asked(self) -> int:
        return sum(1 for g in self.gaps if g.asked)


def _codes(values: Sequence[str] | None, field: str) -> list[str] | None:
    if values is None:
        return None
    codes = sorted({v.strip() for v in values if v.strip()})
    if len(codes) > MAX_CODES:
        raise InvalidInput(field, f"at most {MAX_CODES} codes", code="TOO_MANY")
    return codes


async def report(
    conn: AsyncConnection | AsyncSession,
    principal: Principal,
    *,
    coalitions: Sequence[str] | None = None,
    indicators: Sequence[str] | None = None,
) -> list[IndicatorGaps]:
    """The gap report, ordered by coalition code and then by indicator."""
    coalition_codes = _codes(coalitions, "coalition")
    indicator_codes = _codes(indicators, "indicator")
    if coalition_codes is not None:
        coalition_codes = [c.upper() for c in coalition_codes]
    known = await repository.coalitions_by_code(conn, coalition_codes)
    problems: list[InvalidInput] = []
    if coalition_codes is not None:
        unknown = sorted(set(coalition_codes) - {str(c.code) for c in known})
        if unknown:
            problems.append(
                InvalidInput(
                    "coalition", f"unknown coalition {', '.join(unknown)}", code="INVALID_CODE"
                )
            )
    named = []
    if indicator_codes is not None:
        named = await repository.indicators_by(conn, codes=indicator_codes)
        unknown = sorted(set(indicator_codes) - {str(i.code) for i in named})
        if unknown:
            problems.append(
                InvalidInput(
                    "indicator", f"unknown indicator {', '.join(unknown)}", code="INVALID_CODE"
                )
            )
    if problems:
        raise ValidationFailed(problems)
    found = await repository.community(
        conn,
        principal,
        coalition_ids=[int(c.id) for c in known],
        indicator_ids=None if indicator_codes is None else [int(i.id) for i in named],
    )
    by_pair = {(f.coalition_id, f.indicator_id): f for f in found}
    pairs = set(by_pair)
    if indicator_codes is not None:
        pairs |= {(int(c.id), int(i.id)) for c in known for i in named}
    about = {
        int(i.id): i
        for i in await repository.indicators_by(conn, ids=sorted({i for _, i in pairs}))
    }
    coalition = {int(c.id): c for c in known}
    official = await repository.official_coverage(
        conn,
        countries=sorted({str(coalition[c].code) for c, _ in pairs}),
        indicator_ids=sorted(about),
    )
    rows: list[tuple[str, str, IndicatorGaps]] = []
    for cid, iid in pairs:
        data = by_pair.get((cid, iid))
        code = str(coalition[cid].code)
        ours = official.get((code, iid), {})
        indicator = about[iid]
        gaps = tuple(
            Gap(
                e.disaggregation,
                e.expectation,
                e.evidence,
                data.by[e.disaggregation] if data else Coverage(),
                ours.get(e.disaggregation, Coverage()),
            )
            for e in expected(str(indicator.title))
        )
        entry = IndicatorGaps(
            coalition_code=code,
            coalition_name=str(coalition[cid].name),
            indicator_code=str(indicator.code),
            indicator_title=str(indicator.title),
            cells=data.cells if data else 0,
            shown_cells=data.shown_cells if data else 0,
            datasets=data.datasets if data else 0,
            groups=tuple(data.groups) if data else (),
            gaps=gaps,
        )
        rows.append((code, str(indicator.sort_key), entry))
    return [entry for _, _, entry in sorted(rows, key=lambda r: (r[0], r[1]))]
