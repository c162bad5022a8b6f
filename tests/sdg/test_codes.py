"""Shapes and natural order of SDG codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lnob_api.sdg.codes import (
    is_custom_indicator_code,
    is_goal_code,
    is_sdg_indicator_code,
    is_target_code,
    sort_key,
)

SDG_SEEDS = Path(__file__).resolve().parents[2] / "src" / "lnob_api" / "seeds" / "sdg"


def _codes(name: str) -> list[str]:
    with (SDG_SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


class TestSortKey:
    def test_pads_numbers_to_three_digits(self) -> None:
        assert sort_key("1") == "001"
        assert sort_key("1.2") == "001.002"
        assert sort_key("16.10.2") == "016.010.002"

    def test_prefixes_letters_with_a_tilde(self) -> None:
        assert sort_key("1.a") == "001.~a"
        assert sort_key("17.b.1") == "017.~b.001"

    def test_orders_targets_naturally(self) -> None:
        # given
        codes = ["1.b", "1.10", "1.a", "1.2", "1.5", "1.1", "10.1", "2.1"]
        # when
        ordered = sorted(codes, key=sort_key)
        # then
        assert ordered == ["1.1", "1.2", "1.5", "1.10", "1.a", "1.b", "2.1", "10.1"]

    def test_orders_indicators_naturally(self) -> None:
        codes = ["1.a.2", "1.10.1", "1.2.1", "1.a.1", "1.1.1", "11.1.1", "1.5.10", "1.5.2"]
        ordered = sorted(codes, key=sort_key)
        assert ordered == [
            "1.1.1",
            "1.2.1",
            "1.5.2",
            "1.5.10",
            "1.10.1",
            "1.a.1",
            "1.a.2",
            "11.1.1",
        ]

    def test_places_custom_indicators_after_every_sdg_code(self) -> None:
        # given
        codes = ["KE-C-0002", "17.19.2", "BD-C-0001", "1.1.1", "KE-C-0001"]
        # when
        ordered = sorted(codes, key=sort_key)
        # then
        assert ordered == ["1.1.1", "17.19.2", "BD-C-0001", "KE-C-0001", "KE-C-0002"]
        assert sort_key("KE-C-0001") == "~~KE-C-0001"

    def test_matches_the_order_of_the_official_lists(self) -> None:
        # The CSV files list targets and indicators in the framework's own order.
        for name in ("targets.csv", "indicators.csv"):
            codes = _codes(name)
            assert sorted(codes, key=sort_key) == codes

    def test_gives_every_seeded_code_its_own_key(self) -> None:
        codes = _codes("targets.csv") + _codes("indicators.csv")
        assert len({sort_key(code) for code in codes}) == len(codes)


class TestCodeShapes:
    @pytest.mark.parametrize("code", ["1", "9", "10", "17"])
    def test_accepts_goals(self, code: str) -> None:
        assert is_goal_code(code)

    @pytest.mark.parametrize("code", ["0", "18", "01", "1.1", ""])
    def test_rejects_other_goal_codes(self, code: str) -> None:
        assert not is_goal_code(code)

    @pytest.mark.parametrize("code", ["1.1", "1.10", "10.2", "1.a", "17.19"])
    def test_accepts_targets(self, code: str) -> None:
        assert is_target_code(code)

    @pytest.mark.parametrize("code", ["1", "1.1.1", "18.1", "1.0", "1.A", "1.ab", " 1.1", "1.1 "])
    def test_rejects_other_target_codes(self, code: str) -> None:
        assert not is_target_code(code)

    @pytest.mark.parametrize("code", ["1.1.1", "16.10.2", "17.b.1", "3.b.3"])
    def test_accepts_indicators(self, code: str) -> None:
        assert is_sdg_indicator_code(code)

    @pytest.mark.parametrize("code", ["1.1", "1.1.a", "18.1.1", "1.1.1.1", "KE-C-0001", "1.1.0"])
    def test_rejects_other_indicator_codes(self, code: str) -> None:
        assert not is_sdg_indicator_code(code)

    def test_accepts_every_seeded_code(self) -> None:
        assert all(is_target_code(code) for code in _codes("targets.csv"))
        assert all(is_sdg_indicator_code(code) for code in _codes("indicators.csv"))
        assert all(is_goal_code(code) for code in _codes("goals.csv"))

    @pytest.mark.parametrize(
        ("code", "expected"),
        [("KE-C-0001", True), ("BD-C-9999", True), ("ke-C-0001", False), ("KE-C-001", False)],
    )
    def test_recognises_custom_indicators(self, code: str, expected: bool) -> None:
        assert is_custom_indicator_code(code) is expected
