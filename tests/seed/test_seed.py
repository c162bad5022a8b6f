"""The seed loader: reference data (committed once per session by conftest) and the demo set."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
from pathlib import Path
from typing import Any

import pycountry
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.models.observation import PERIOD_PATTERN
from lnob_api.observation.periods import period_bounds
from lnob_api.seed import DEFAULT_SEEDS_DIR, SeedReport, seed
from lnob_api.seed.areas import iso_areas

COALITION_COUNTRIES = ("BD", "IN", "KE", "NP", "VN", "MW", "DK")
PILOTS = ("BD", "IN", "KE", "NP", "VN")
AREA_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]+)*$")

TABLES = (
    "sdg_goals",
    "sdg_targets",
    "indicators",
    "areas",
    "coalitions",
    "marginalised_groups",
    "publications",
    "publication_coalitions",
    "reference_data_versions",
)


async def _rows(conn: AsyncConnection, sql: str, **params: Any) -> list[sa.Row[Any]]:
    return list((await conn.execute(sa.text(sql), params)).all())


async def _value(conn: AsyncConnection, sql: str, **params: Any) -> Any:
    return await conn.scalar(sa.text(sql), params)


async def _counts(conn: AsyncConnection) -> dict[str, int]:
    return {table: await _value(conn, f"SELECT count(*) FROM {table}") for table in TABLES}


class TestSdgFramework:
    async def test_loads_goals_targets_and_indicator_rows(self, conn: AsyncConnection) -> None:
        assert await _value(conn, "SELECT count(*) FROM sdg_goals") == 17
        assert await _value(conn, "SELECT count(*) FROM sdg_targets") == 169
        global_rows = "FROM indicators WHERE coalition_id IS NULL"
        assert await _value(conn, f"SELECT count(*) {global_rows}") == 251
        assert await _value(conn, f"SELECT count(DISTINCT unsd_code) {global_rows}") == 235

    async def test_keeps_blank_tiers_null(self, conn: AsyncConnection) -> None:
        rows = await _rows(conn, "SELECT code FROM indicators WHERE tier IS NULL ORDER BY sort_key")
        assert [row.code for row in rows] == [
            "2.2.4",
            "3.b.3",
            "4.6.1",
            "8.9.2",
            "11.c.1",
            "12.7.1",
            "15.9.1",
        ]

    async def test_marks_repeated_indicators_by_unsd_code(self, conn: AsyncConnection) -> None:
        rows = await _rows(
            conn,
            "SELECT code FROM indicators WHERE unsd_code ="
            " (SELECT unsd_code FROM indicators WHERE code = '1.5.1') ORDER BY sort_key",
        )
        assert [row.code for row in rows] == ["1.5.1", "11.5.1", "13.1.1"]

    async def test_records_the_framework_version(self, conn: AsyncConnection) -> None:
        versions = await _rows(conn, "SELECT DISTINCT framework_version FROM indicators")
        assert [row.framework_version for row in versions] == ["2025"]
        label = await _value(
            conn, "SELECT version FROM reference_data_versions WHERE name = 'sdg-framework'"
        )
        assert "E/CN.3/2025/6" in label
        assert "2022-11-30" in label

    async def test_translates_goal_titles(self, conn: AsyncConnection) -> None:
        goal = (await _rows(conn, "SELECT * FROM sdg_goals WHERE code = 1"))[0]
        assert goal.title == "End poverty in all its forms everywhere"
        assert goal.short_title == "No poverty"
        assert goal.title_translations["fr"] == (
            "Éliminer la pauvreté sous toutes ses formes et partout dans le monde"
        )
        assert set(goal.title_translations) == {"fr", "es", "ne", "sw"}
        assert goal.short_title_translations["fr"] == "Pas de pauvreté"
        assert "en" not in goal.short_title_translations

    @pytest.mark.parametrize(
        ("lang", "indicators"), [("fr", 214), ("es", 222), ("ne", 217), ("sw", 217)]
    )
    async def test_covers_each_language(
        self, conn: AsyncConnection, lang: str, indicators: int
    ) -> None:
        # The coverage figures are those of seeds/sdg/SOURCE.md.
        has = "title_translations ? :lang"
        assert await _value(conn, f"SELECT count(*) FROM sdg_goals WHERE {has}", lang=lang) == 17
        assert await _value(conn, f"SELECT count(*) FROM sdg_targets WHERE {has}", lang=lang) == 169
        count = await _value(conn, f"SELECT count(*) FROM indicators WHERE {has}", lang=lang)
        assert count == indicators

    async def test_stores_translations_composed(self, conn: AsyncConnection) -> None:
        # The fr and es source files spell accents as combining marks; the seed composes them.
        for table in ("sdg_goals", "sdg_targets", "indicators"):
            decomposed = await _value(
                conn,
                f"SELECT count(*) FROM {table}"
                " WHERE title_translations::text <> normalize(title_translations::text, NFC)",
            )
            assert decomposed == 0, table

    async def test_orders_targets_naturally_by_sort_key(self, conn: AsyncConnection) -> None:
        rows = await _rows(
            conn, "SELECT code FROM sdg_targets WHERE goal_code = 1 ORDER BY sort_key"
        )
        assert [row.code for row in rows] == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.a", "1.b"]
        rows = await _rows(
            conn, "SELECT code FROM sdg_targets WHERE goal_code = 16 ORDER BY sort_key"
        )
        assert [row.code for row in rows][8:12] == ["16.9", "16.10", "16.a", "16.b"]


class TestAreas:
    async def test_loads_every_iso_country_and_subdivision(self, conn: AsyncConnection) -> None:
        # given
        expected = len(pycountry.countries) + len(pycountry.subdivisions)
        # then
        assert await _value(conn, "SELECT count(*) FROM areas WHERE NOT is_demo") == expected
        assert iso_areas()[1] == 0  # no ISO code breaks the areas table's code format

    @pytest.mark.parametrize("country", COALITION_COUNTRIES)
    async def test_loads_each_coalition_country(self, conn: AsyncConnection, country: str) -> None:
        row = (await _rows(conn, "SELECT * FROM areas WHERE code = :c", c=country))[0]
        assert (row.level, row.type, row.parent_code, row.ancestors) == (
            "COUNTRY",
            "Country",
            None,
            [],
        )
        subdivisions = await _value(
            conn,
            "SELECT count(*) FROM areas WHERE country_code = :c AND level = 'SUBDIVISION'",
            c=country,
        )
        assert subdivisions == len(pycountry.subdivisions.get(country_code=country))

    async def test_loads_kenya_s_47_counties(self, conn: AsyncConnection) -> None:
        rows = await _rows(
            conn, "SELECT DISTINCT type, parent_code FROM areas WHERE code LIKE 'KE-%'"
        )
        assert [tuple(row) for row in rows] == [("County", "KE")]
        assert await _value(conn, "SELECT count(*) FROM areas WHERE code LIKE 'KE-%'") == 47

    async def test_lists_a_district_s_ancestors_nearest_last(self, conn: AsyncConnection) -> None:
        # given: Dhaka district (BD-13) lies in Dhaka division (BD-C)
        assert pycountry.subdivisions.get(code="BD-13").parent_code == "BD-C"
        # when
        row = (await _rows(conn, "SELECT * FROM areas WHERE code = 'BD-13'"))[0]
        # then
        assert (row.level, row.type, row.country_code) == ("SUBDIVISION", "District", "BD")
        assert row.parent_code == "BD-C"
        assert row.ancestors == ["BD", "BD-C"]

    async def test_records_the_pycountry_version(self, conn: AsyncConnection) -> None:
        version = await _value(
            conn, "SELECT version FROM reference_data_versions WHERE name = 'iso-3166'"
        )
        assert version == importlib.metadata.version("pycountry")


class TestPartnership:
    async def test_loads_the_seven_coalitions(self, conn: AsyncConnection) -> None:
        rows = await _rows(conn, "SELECT * FROM coalitions ORDER BY code")
        assert [row.code for row in rows] == sorted(COALITION_COUNTRIES)
        by_code = {row.code: row for row in rows}
        assert by_code["VN"].slug == "vietnam"
        assert by_code["BD"].name == "LNOB Bangladesh coalition"
        assert {code: by_code[code].launched_year for code in ("KE", "MW")} == {
            "KE": 2018,
            "MW": 2021,
        }
        assert {row.code for row in rows if row.cohort == "pilot"} == set(PILOTS)
        assert all(row.suppression_threshold == 5 and row.description for row in rows)
        assert not any(row.is_demo for row in rows)

    async def test_loads_the_global_group_vocabulary(self, conn: AsyncConnection) -> None:
        rows = await _rows(conn, "SELECT * FROM marginalised_groups WHERE coalition_id IS NULL")
        assert {row.code for row in rows} >= {"PERSONS_WITH_DISABILITIES", "DALITS", "REFUGEES"}
        assert len(rows) == 10
        assert all(row.name and row.description for row in rows)

    async def test_loads_publications_without_file_addresses(self, conn: AsyncConnection) -> None:
        rows = await _rows(conn, "SELECT * FROM publications WHERE NOT is_demo")
        assert len(rows) == 7
        assert all(row.file_url is None and row.visibility == "PUBLIC" for row in rows)
        assert sorted(row.kind for row in rows).count("COUNTRY_SUMMARY") == 5

    async def test_links_publications_to_their_coalitions(self, conn: AsyncConnection) -> None:
        rows = await _rows(
            conn,
            "SELECT p.slug, c.code FROM publication_coalitions pc"
            " JOIN publications p ON p.id = pc.publication_id"
            " JOIN coalitions c ON c.id = pc.coalition_id WHERE NOT p.is_demo",
        )
        links: dict[str, set[str]] = {}
        for slug, code in rows:
            links.setdefault(slug, set()).add(code)
        assert links["country-action-summary-kenya"] == {"KE"}
        assert links["leave-no-one-behind-partnership-flyer"] == set(PILOTS)
        assert len(rows) == 15


class TestIdempotency:
    async def test_second_reference_run_changes_nothing(self, conn: AsyncConnection) -> None:
        # given
        before = await _counts(conn)
        # when
        report = await seed(conn, demo=False)
        # then
        assert (report.total_inserted, report.total_updated) == (0, 0)
        assert await _counts(conn) == before
        assert str(report).startswith("seed: 0 inserted; 0 updated")

    async def test_changed_csv_text_updates_titles(
        self, conn: AsyncConnection, tmp_path: Path
    ) -> None:
        # given: a copy of the seeds folder with goal 1's title reworded
        seeds = tmp_path / "seeds"
        shutil.copytree(DEFAULT_SEEDS_DIR, seeds)
        goals = seeds / "sdg" / "goals.csv"
        text = goals.read_text(encoding="utf-8")
        goals.write_text(text.replace("End poverty in all its forms", "End poverty (v2)"), "utf-8")
        # when
        report = await seed(conn, demo=False, seeds_dir=seeds)
        # then
        assert report.updated == {"sdg_goals": 1}
        assert report.total_inserted == 0
        title = await _value(conn, "SELECT title FROM sdg_goals WHERE code = 1")
        assert title == "End poverty (v2) everywhere"


@pytest.fixture
async def demo(conn: AsyncConnection) -> SeedReport:
    """The demo set, loaded inside the test's transaction."""
    return await seed(conn, demo=True)


class TestDemoSet:
    async def test_reports_what_it_inserted(self, demo: SeedReport) -> None:
        assert demo.inserted["datasets"] >= 12
        assert 2000 <= demo.inserted["observations"] <= 5000
        assert demo.total_updated == 0
        assert "observations" in str(demo)

    async def test_covers_every_visibility_and_status(
        self, conn: AsyncConnection, demo: SeedReport
    ) -> None:
        rows = await _rows(conn, "SELECT * FROM datasets WHERE is_demo")
        assert {row.visibility for row in rows} == {"PUBLIC", "PARTNERSHIP", "COALITION"}
        assert {row.status for row in rows} == {"DRAFT", "PUBLISHED", "RETRACTED"}
        for row in rows:
            assert (row.status == "RETRACTED") == (row.retraction_reason is not None)
            assert (row.status == "DRAFT") == (row.published_at is None)
        assert {row.coalition_id for row in rows} == set(
            (await conn.scalars(sa.text("SELECT id FROM coalitions"))).all()
        )

    async def test_says_demo_in_every_name(self, conn: AsyncConnection, demo: SeedReport) -> None:
        for table, column in [
            ("datasets", "title"),
            ("projects", "title"),
            ("publications", "title"),
            ("organisations", "name"),
            ("areas", "name"),
            ("indicators", "title"),
        ]:
            names = await conn.scalars(sa.text(f"SELECT {column} FROM {table} WHERE is_demo"))
            listed = names.all()
            assert listed, table
            assert all("(demo)" in name for name in listed), table

    async def test_keeps_observations_plausible(
        self, conn: AsyncConnection, demo: SeedReport
    ) -> None:
        rows = await _rows(
            conn,
            "SELECT o.* FROM observations o JOIN datasets d ON d.id = o.dataset_id WHERE d.is_demo",
        )
        assert 2000 <= len(rows) <= 5000
        small = [row for row in rows if row.sample_size < 5]
        assert 0.02 * len(rows) <= len(small) <= 0.1 * len(rows)
        assert {row.obs_status for row in rows} == {"A", "E"}
        assert {row.sex for row in rows} == {"F", "M", "_T"}
        assert {row.disability_status for row in rows} == {"PD", "PND", "_T"}
        assert {row.urbanisation for row in rows} == {"U", "R", "_T"}
        assert {"Y15T24", "Y25T64", "Y_GE65", "_T"} == {row.age for row in rows}
        assert {"DALITS", "_T"} <= {row.group_code for row in rows}
        for row in rows:
            assert re.fullmatch(PERIOD_PATTERN, row.period)
            assert (row.period_start, row.period_end) == period_bounds(row.period)
            assert 2018 <= row.period_start.year <= 2022
            if row.unit == "PERCENT":
                assert 0 <= row.value <= 100

    async def test_uses_only_the_dataset_s_indicators_and_areas(
        self, conn: AsyncConnection, demo: SeedReport
    ) -> None:
        strays = await _value(
            conn,
            "SELECT count(*) FROM observations o JOIN datasets d ON d.id = o.dataset_id"
            " JOIN areas a ON a.code = o.area_code"
            " WHERE NOT EXISTS (SELECT 1 FROM dataset_indicators di"
            "   WHERE di.dataset_id = o.dataset_id AND di.indicator_id = o.indicator_id)"
            " OR (a.code <> d.area_code AND NOT d.area_code = ANY(a.ancestors))",
        )
        assert strays == 0

    async def test_places_local_areas_under_real_subdivisions(
        self, conn: AsyncConnection, demo: SeedReport
    ) -> None:
        rows = await _rows(conn, "SELECT * FROM areas WHERE level = 'LOCAL'")
        assert {row.country_code for row in rows} >= {"KE", "NP", "BD"}
        for row in rows:
            assert AREA_CODE.fullmatch(row.code)
            assert row.is_demo and row.coalition_id is not None
            parent = (await _rows(conn, "SELECT * FROM areas WHERE code = :c", c=row.parent_code))[
                0
            ]
            assert parent.level == "SUBDIVISION"
            assert row.ancestors == [*parent.ancestors, parent.code]

    async def test_defines_custom_indicators_after_the_sdg_ones(
        self, conn: AsyncConnection, demo: SeedReport
    ) -> None:
        rows = await _rows(conn, "SELECT * FROM indicators ORDER BY sort_key")
        custom = [row for row in rows if row.coalition_id is not None]
        assert {"KE-C-0001", "NP-C-0001", "BD-C-0001"} <= {row.code for row in custom}
        assert rows[-len(custom) :] == custom
        assert all(row.unit and row.framework_version is None for row in custom)

    async def test_keeps_the_statistics_office_outside_every_coalition(
        self, conn: AsyncConnection, demo: SeedReport
    ) -> None:
        rows = await _rows(
            conn,
            "SELECT o.kind, count(m.coalition_id) AS coalitions FROM organisations o"
            " LEFT JOIN coalition_members m ON m.organisation_id = o.id"
            " WHERE o.is_demo GROUP BY o.id, o.kind",
        )
        agencies = [row for row in rows if row.kind == "STATISTICS_AGENCY"]
        assert [row.coalitions for row in agencies] == [0]
        assert sorted(row.coalitions for row in rows if row.kind == "ICSO") == [4, 5]
        leads = await _value(conn, "SELECT count(*) FROM coalition_members WHERE role = 'LEAD'")
        assert leads == 7

    async def test_links_demo_reports_to_datasets_and_targets(
        self, conn: AsyncConnection, demo: SeedReport
    ) -> None:
        rows = await _rows(conn, "SELECT * FROM publications WHERE is_demo")
        assert {row.visibility for row in rows} == {"PUBLIC", "COALITION"}
        ids = [row.id for row in rows]
        datasets = "SELECT count(*) FROM publication_datasets WHERE publication_id = ANY(:ids)"
        targets = "SELECT count(*) FROM publication_targets WHERE publication_id = ANY(:ids)"
        assert await _value(conn, datasets, ids=ids) == 4
        assert await _value(conn, targets, ids=ids) == 6

    async def test_second_demo_run_inserts_nothing(
        self, conn: AsyncConnection, demo: SeedReport
    ) -> None:
        # when
        again = await seed(conn, demo=True)
        # then
        assert (again.total_inserted, again.total_updated) == (0, 0)
        assert again.demo_skipped

    async def test_builds_the_same_rows_every_time(
        self, conn: AsyncConnection, demo: SeedReport
    ) -> None:
        # given
        digest = (
            "SELECT md5(string_agg(concat_ws('|', d.slug, i.code, o.area_code, o.period, o.sex,"
            " o.age, o.disability_status, o.urbanisation, o.group_code, o.value, o.sample_size,"
            " o.obs_status), ',' ORDER BY d.slug, i.code, o.area_code, o.period, o.sex, o.age,"
            " o.disability_status, o.urbanisation, o.group_code))"
            " FROM observations o JOIN datasets d ON d.id = o.dataset_id"
            " JOIN indicators i ON i.id = o.indicator_id WHERE d.is_demo"
        )
        first = await _value(conn, digest)
        # when: the demo set is removed and loaded again
        for table in (
            "publications",
            "datasets",
            "projects",
            "indicators",
            "areas",
            "organisations",
        ):
            await conn.execute(sa.text(f"DELETE FROM {table} WHERE is_demo"))
        await seed(conn, demo=True)
        # then
        assert await _value(conn, digest) == first
