"""The attacker's LP (disclosure.audit) and its relations (disclosure.relations) on the attack
classes of issue 9, without a database."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from lnob_api.disclosure.audit import audit, components, intervals
from lnob_api.disclosure.model import AuditCell, Kind, Protection
from lnob_api.disclosure.relations import build, period_parents

PROTECT = Protection(threshold=5)
_ids = itertools.count(1)


def cell(**given: Any) -> AuditCell:
    """A shown count cell of dataset 1 unless told otherwise."""
    values: dict[str, Any] = {
        "id": next(_ids),
        "dataset_id": 1,
        "lineage_id": 1,
        "version": 1,
        "indicator": "1.1.1",
        "area": "KE",
        "period": "2020",
        "unit": "PERSONS",
        "dimensions": (),
        "value": 10.0,
        "sample_size": None,
        "shown": True,
        "primary": False,
    }
    return AuditCell(**(values | given))


def small(**given: Any) -> AuditCell:
    return cell(shown=False, primary=True, **given)


PARENTS = {"KE": None, "KE-30": "KE", "KE-30-A": "KE-30", "KE-30-B": "KE-30", "KE-30-C": "KE-30"}


def findings_of(cells: list[AuditCell], **kw: Any) -> dict[int, Any]:
    system = build(cells, parents=PARENTS, **kw)
    return {f.cell_id: f for f in audit(system, PROTECT)}


class TestAttackClasses:
    def test_a_ward_follows_from_its_district_and_two_shown_wards(self) -> None:
        # given
        ward = small(area="KE-30-C", value=4.0)
        cells = [
            cell(area="KE-30", value=50.0),
            cell(area="KE-30-A", value=20.0),
            cell(area="KE-30-B", value=26.0),
            ward,
        ]
        # when
        found = findings_of(cells)
        # then
        assert set(found) == {ward.id}
        assert found[ward.id].interval == pytest.approx((4.0, 4.0))
        assert any("area KE-30" in c for c in found[ward.id].constraints)
        assert set(found[ward.id].shown_cells) == {cells[0].id, cells[1].id, cells[2].id}

    def test_a_quarter_follows_from_its_year_and_three_quarters(self) -> None:
        q4 = small(period="2020-Q4", value=3.0)
        cells = [
            cell(period="2020", value=40.0),
            *(cell(period=f"2020-Q{q}", value=v) for q, v in ((1, 10.0), (2, 12.0), (3, 15.0))),
            q4,
        ]
        found = findings_of(cells)
        assert set(found) == {q4.id}
        assert found[q4.id].interval == pytest.approx((3.0, 3.0))

    def test_a_linked_dataset_on_the_same_population_gives_117_of_120(self) -> None:
        disabled = small(dimensions=(("disability_status", "D"),), value=3.0)
        first = [
            cell(value=120.0),
            disabled,
            cell(dimensions=(("disability_status", "ND"),), value=117.0, shown=False),
        ]
        second = [
            cell(dataset_id=2, lineage_id=2, value=120.0),
            cell(
                dataset_id=2, lineage_id=2, dimensions=(("disability_status", "ND"),), value=117.0
            ),
        ]
        assert set(findings_of(first)) == set()
        found = findings_of(first + second)
        assert set(found) == {disabled.id}
        assert found[disabled.id].interval == pytest.approx((3.0, 3.0))
        assert any("linked datasets" in c for c in found[disabled.id].constraints)

    def test_an_older_version_shows_what_the_new_one_withholds(self) -> None:
        withheld = small(dataset_id=2, version=2, value=3.0)
        older = cell(dataset_id=1, version=1, value=3.0)
        found = findings_of([older, withheld])
        assert set(found) == {withheld.id}
        assert "versions" in found[withheld.id].constraints[0]

    def test_a_corrected_version_still_bounds_the_cell_closely(self) -> None:
        withheld = small(dataset_id=2, version=2, value=4.0)
        found = findings_of([cell(dataset_id=1, version=1, value=3.0), withheld])
        assert found[withheld.id].interval == pytest.approx((2.0, 4.0))

    def test_non_negativity_bounds_cells_of_a_row_summing_to_one(self) -> None:
        # Two unknowns in one relation: exact linear algebra determines neither.
        a = small(dimensions=(("sex", "F"),), value=1.0)
        b = small(dimensions=(("sex", "M"),), value=0.0)
        found = findings_of([cell(value=1.0), a, b])
        assert set(found) == {a.id, b.id}
        assert found[a.id].interval == pytest.approx((0.0, 1.0))

    def test_a_share_with_its_n_gives_the_count(self) -> None:
        count = small(value=3.0, dimensions=(("disability_status", "D"),))
        share = cell(
            unit="PERCENT", value=2.5, sample_size=120, dimensions=(("disability_status", "D"),)
        )
        found = findings_of([count, share])
        assert set(found) == {count.id}
        assert found[count.id].interval == pytest.approx((3.0, 3.0))
        assert "share x n" in found[count.id].constraints[0]

    def test_a_recorded_sample_size_gives_the_n_of_the_last_category(self) -> None:
        # given: a percentage table without a total n; the dataset's provenance says 80
        hidden = small(unit="PERCENT", value=50.0, sample_size=4, dimensions=(("sex", "F"),))
        shown = cell(unit="PERCENT", value=20.0, sample_size=76, dimensions=(("sex", "M"),))
        # when / then
        assert findings_of([hidden, shown]) == {}
        found = findings_of([hidden, shown], provenance_n={1: ("KE", 80)})
        assert (hidden.id, Kind.SAMPLE_SIZE) in {(f.cell_id, f.kind) for f in found.values()}
        assert found[hidden.id].interval == pytest.approx((4.0, 4.0))


class TestProtected:
    def test_a_hidden_complement_large_enough_protects(self) -> None:
        f = small(dimensions=(("sex", "F"),), value=3.0)
        m = cell(dimensions=(("sex", "M"),), value=97.0, shown=False)
        assert findings_of([cell(value=100.0), f, m]) == {}

    def test_a_complement_too_small_does_not(self) -> None:
        # 3 + 2 = 5: the attacker learns the cell lies in [0, 5], short of 3 + 5 = 8.
        f = small(dimensions=(("sex", "F"),), value=3.0)
        o = cell(dimensions=(("sex", "O"),), value=2.0, shown=False)
        m = cell(dimensions=(("sex", "M"),), value=95.0)
        found = findings_of([cell(value=100.0), f, o, m])
        assert set(found) == {f.id}
        assert found[f.id].interval == pytest.approx((0.0, 5.0))
        assert found[f.id].protection == (0.0, 8.0)

    def test_a_shown_primary_cell_is_reported(self) -> None:
        leaked = cell(primary=True, value=2.0)
        found = findings_of([leaked])
        assert found[leaked.id].interval == (2.0, 2.0)

    def test_relations_that_do_not_hold_are_not_used(self) -> None:
        # The categories add up to more than the total: the data contradict the relation.
        f = small(dimensions=(("sex", "F"),), value=3.0)
        m = cell(dimensions=(("sex", "M"),), value=99.0)
        assert findings_of([cell(value=100.0), f, m]) == {}

    def test_missing_categories_still_give_total_above_the_parts(self) -> None:
        # Total 100, shown 40; withheld 3 is bounded by 60 only (the other 57 are not shown).
        f = small(dimensions=(("sex", "F"),), value=3.0)
        system = build(
            [cell(value=100.0), f, cell(dimensions=(("sex", "M"),), value=40.0)], parents={}
        )
        lo, hi = intervals(system, PROTECT)[(f.id, Kind.VALUE)]
        assert (lo, hi) == pytest.approx((0.0, 60.0))


class TestRates:
    def test_a_rate_protects_its_n_and_its_numerator(self) -> None:
        total = cell(unit="PERCENT", value=30.0, sample_size=120)
        d = small(unit="PERCENT", value=100 / 3, sample_size=3, dimensions=(("sex", "F"),))
        nd = cell(unit="PERCENT", value=35 / 117 * 100, sample_size=117, dimensions=(("sex", "M"),))
        found = findings_of([total, d, nd])
        assert {(f.cell_id, f.kind) for f in found.values()} == {(d.id, Kind.SAMPLE_SIZE)}
        system = build([total, d, nd], parents={})
        bounds = intervals(system, PROTECT)
        assert bounds[(d.id, Kind.SAMPLE_SIZE)] == pytest.approx((3.0, 3.0))
        assert bounds[(d.id, Kind.NUMERATOR)] == pytest.approx((1.0, 1.0), abs=0.5)

    def test_a_percentage_numerator_is_capped_by_its_n(self) -> None:
        d = small(unit="PERCENT", value=50.0, sample_size=4, dimensions=(("sex", "F"),))
        m = cell(
            unit="PERCENT", value=10.0, sample_size=96, dimensions=(("sex", "M"),), shown=False
        )
        total = cell(unit="PERCENT", value=11.6, sample_size=100)
        bounds = intervals(build([total, d, m], parents={}), PROTECT)
        lo, hi = bounds[(d.id, Kind.NUMERATOR)]
        assert lo == pytest.approx(0.0, abs=0.2)
        assert hi == pytest.approx(11.6, rel=0.02)


class TestStructure:
    def test_components_split_on_shown_cells(self) -> None:
        a = small(area="KE-30-A", value=2.0)
        b = small(period="2019", value=2.0)
        system = build([a, b, cell(area="KE-30", value=9.0)], parents=PARENTS)
        assert len(components(system)) == 2

    def test_periods_add_up_into_every_coarser_level(self) -> None:
        assert period_parents("2020-Q3") == [("2020", "Q"), ("2020-S2", "Q")]
        assert period_parents("2020-05") == [("2020", "M"), ("2020-S1", "M"), ("2020-Q2", "M")]
        assert period_parents("2020-W07") == [("2020", "W")]
        assert period_parents("2020") == []

    def test_an_isolated_withheld_cell_is_unbounded(self) -> None:
        lone = small(value=1.0)
        bounds = intervals(build([lone], parents={}), PROTECT)
        assert bounds[(lone.id, Kind.VALUE)] == (0.0, math.inf)


class TestSolvers:
    def test_linprog_and_the_kept_highs_model_agree(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # given: a table where several hidden cells bound each other
        from lnob_api.disclosure import audit as audit_module

        cells = [
            cell(value=30.0),
            small(dimensions=(("sex", "F"),), value=2.0),
            cell(dimensions=(("sex", "M"),), value=20.0, shown=False),
            cell(dimensions=(("sex", "O"),), value=8.0),
            small(area="KE-30", value=3.0),
            cell(area="KE-30-A", value=1.0),
        ]
        system = build(cells, parents=PARENTS)
        # when
        kept = intervals(system, PROTECT)
        monkeypatch.setattr(audit_module, "_HIGHS", False)
        plain = intervals(system, PROTECT)
        # then
        assert kept.keys() == plain.keys()
        for q in kept:
            assert kept[q] == pytest.approx(plain[q])
