"""SDMX 2.1 REST completeness: dataset selection by slug or global id, error messages,
availability, first/last observations, structures' validators and stubs."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.export.export_world import build_world
from tests.sdmx.sdmx_errors import CODES, COMMON, error_of

import sdmx
from lnob_api import models
from lnob_api.auth.keys import KeyStore


def gid(pk: int) -> str:
    return base64.b64encode(f"Dataset:{pk}".encode()).decode()


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    """The export world, plus a dataset of coalition A with two published versions."""
    w = await build_world(conn, signing_keys)
    a = w["a"]
    v1 = await f.create_dataset(conn, a, slug="two-versions", title="Two versions")
    await f.create_observation(conn, v1, area_code=a["code"], period="2018", value=1.0)
    v2 = await f.create_dataset(
        conn, a, slug="two-versions", title="Two versions", lineage_id=v1["id"], version=2
    )
    await f.create_observation(conn, v2, area_code=a["code"], period="2018", value=2.0)
    table = models.Dataset.__table__
    await conn.execute(
        sa.update(table)
        .where(table.c.id == v1["id"])
        .values(superseded_at=datetime(2022, 1, 1, tzinfo=UTC))
    )
    w["versions"] = (v1, v2)
    w["flow"] = f"DF_LNOB_{a['code']}"
    return w


class TestDatasetParameter:
    @pytest.mark.parametrize("which", ["slug", "v1", "v2"])
    async def test_current_version_by_slug_or_any_versions_id(
        self, client: httpx.AsyncClient, world: dict[str, Any], which: str
    ) -> None:
        v1, v2 = world["versions"]
        value = {"slug": "two-versions", "v1": gid(v1["id"]), "v2": gid(v2["id"])}[which]
        rows = rows_of(
            await client.get(
                f"/sdmx/data/{world['flow']}", params={"dataset": value, "format": "csvdata"}
            )
        )
        assert [(r["DATASET"], r["TIME_PERIOD"], r["OBS_VALUE"]) for r in rows] == [
            ("two-versions", "2018", "2")
        ]

    async def test_hidden_or_foreign_dataset_is_unknown(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        for value in (
            gid(world["datasets"]["coal"]["id"]),  # coalition-only: hidden from anonymous
            gid(world["datasets"]["other"]["id"]),  # coalition B's, not in this flow
            world["datasets"]["other"]["slug"],
        ):
            response = await client.get(f"/sdmx/data/{world['flow']}", params={"dataset": value})
            assert response.status_code == 404, value
            assert f"unknown dataset {value}" in response.text
        inside = await client.get(
            f"/sdmx/data/{world['flow']}",
            params={"dataset": gid(world["datasets"]["coal"]["id"])},
            headers=world["headers"]["insider"],
        )
        assert inside.status_code == 200


class TestErrorMessages:
    async def test_sdmx_json_error_when_json_is_preferred(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(
            f"/sdmx/data/{world['flow']}/9_9_9......",
            headers={"Accept": "application/vnd.sdmx.data+json;version=1.0.0"},
        )
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/json")
        assert error_of(response) == (100, "unknown code 9_9_9 for INDICATOR")
        assert response.json()["errors"][0]["title"] == "No results found"

    async def test_sdmx_ml_error_otherwise(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(f"/sdmx/data/{world['flow']}/1_1_1")
        assert response.status_code == 400
        assert response.headers["cache-control"] == "no-store"
        code, text = error_of(response)
        assert code == 140 and text.startswith("key: 1 dimensions given")


def cube_of(response: httpx.Response) -> tuple[dict[str, set[str]], int]:
    """(codes per dimension, obs_count) of an availability answer, as sdmx1 reads it."""
    assert response.status_code == 200, response.text
    message = sdmx.read_sdmx(io.BytesIO(response.content))
    (found,) = message.constraint.values()
    assert str(found.role.role) == "ConstraintRoleType.actual"
    (region,) = found.data_content_region
    codes = {
        dim.id: {str(v.value) for v in member.values}
        for dim, member in region.member.items()
        if dim.id != "TIME_PERIOD"
    }
    (count,) = [a for a in found.annotations if a.id == "obs_count"]
    return codes, int(str(count.title))


class TestAvailability:
    @pytest.mark.parametrize("who", ["anonymous", "insider"])
    async def test_exact_codes_and_count_of_readable_rows(
        self, client: httpx.AsyncClient, world: dict[str, Any], who: str
    ) -> None:
        response = await client.get(
            f"/sdmx/availableconstraint/{world['flow']}/all/all/all",
            headers=world["headers"][who],
        )
        codes, count = cube_of(response)
        a = world["a"]["code"]
        assert codes["INDICATOR"] == {"1_1_1", "4_1_1"}
        assert codes["REF_AREA"] == {a, world["sub"]}
        assert codes["SEX"] == {"F", "M", "_T"}
        assert codes["AGE"] == {"_T", "Y15T24"}
        # 6 public rows and the current version of the two-version dataset; the insider
        # also reads the coalition-only row
        assert count == (8 if who == "insider" else 7)
        root = etree.fromstring(response.content)
        time = root.find(f".//{COMMON}KeyValue[@id='TIME_PERIOD']/{COMMON}TimeRange")
        assert time is not None
        assert time.findtext(f"{COMMON}StartPeriod") == "2018-01-01"
        assert time.findtext(f"{COMMON}EndPeriod") == "2021-12-31"

    async def test_available_mode_ignores_a_dimensions_own_selection(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        url = f"/sdmx/availableconstraint/{world['flow']}/1_1_1.{world['a']['code']}.F...."
        exact, exact_count = cube_of(await client.get(url))
        available, available_count = cube_of(await client.get(url, params={"mode": "available"}))
        assert exact["SEX"] == {"F"} and available["SEX"] == {"F", "M", "_T"}
        assert exact["INDICATOR"] == available["INDICATOR"] == {"1_1_1"}
        assert exact_count == available_count == 2

    async def test_one_component_and_failures(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        base = f"/sdmx/availableconstraint/{world['flow']}"
        codes, _ = cube_of(await client.get(f"{base}/all/all/SEX"))
        assert set(codes) == {"SEX"}
        for path, params, status in [
            ("/all/all/COLOUR", {}, 404),
            ("/9_9_9......", {}, 404),
            ("/all", {"mode": "guess"}, 400),
            ("/all/ECB", {}, 404),
            ("/1_1_1.ZW.F....", {}, 404),  # a known area without data: no results
        ]:
            response = await client.get(base + path, params=params)
            assert response.status_code == status, (path, response.text)
            assert error_of(response)[0] == CODES[status]

    async def test_references_bring_the_structure(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(
            f"/sdmx/availableconstraint/{world['flow']}", params={"references": "all"}
        )
        message = sdmx.read_sdmx(io.BytesIO(response.content))
        assert world["flow"] in message.dataflow
        assert "DSD_LNOB" in message.structure and "CL_SEX" in message.codelist


async def dsd_of(client: httpx.AsyncClient) -> Any:
    response = await client.get(
        "/sdmx/datastructure/LNOB/DSD_LNOB/1.0", params={"references": "all"}
    )
    return sdmx.read_sdmx(io.BytesIO(response.content)).structure["DSD_LNOB"]


def observations_of(message: Any) -> set[tuple[str, ...]]:
    found = set()
    for data_set in message.data:
        for obs in data_set.obs:
            values = {k: str(v.value) for k, v in obs.key.values.items()}
            if obs.series_key is not None:
                values |= {k: str(v.value) for k, v in obs.series_key.values.items()}
            found.add((*(values[k] for k in sorted(values)), str(obs.value)))
    return found


class TestDimensionAtObservation:
    async def test_sdmx1_reads_any_dimension_at_observation(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        dsd = await dsd_of(client)
        url = f"/sdmx/data/{world['flow']}"
        default = observations_of(
            sdmx.read_sdmx(io.BytesIO((await client.get(url)).content), structure=dsd)
        )
        by_area = await client.get(url, params={"dimensionAtObservation": "REF_AREA"})
        message = sdmx.read_sdmx(io.BytesIO(by_area.content), structure=dsd)
        assert message.observation_dimension.id == "REF_AREA"
        assert observations_of(message) == default and len(default) == 7


class TestFirstLastObservations:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"lastNObservations": "1"}, {("F", "2020"), ("M", "2021")}),
            ({"firstNObservations": "1"}, {("F", "2019"), ("M", "2020")}),
            (
                {"firstNObservations": "1", "lastNObservations": "1"},
                {("F", "2019"), ("F", "2020"), ("M", "2020"), ("M", "2021")},
            ),
        ],
    )
    async def test_per_series(
        self,
        client: httpx.AsyncClient,
        world: dict[str, Any],
        params: dict[str, str],
        expected: set[tuple[str, str]],
    ) -> None:
        slug = world["datasets"]["pub"]["slug"]
        rows = rows_of(
            await client.get(
                f"/sdmx/data/{world['flow']}/1_1_1.{world['a']['code']}.F+M....",
                params=params | {"format": "csvdata", "dataset": slug},
            )
        )
        assert {(r["SEX"], r["TIME_PERIOD"]) for r in rows} == expected

    async def test_one_per_series_of_the_flow_read_by_sdmx1(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(
            f"/sdmx/data/{world['flow']}", params={"lastNObservations": "1"}
        )
        message = sdmx.read_sdmx(io.BytesIO(response.content), structure=await dsd_of(client))
        series = [s for data_set in message.data for s in data_set.series.values()]
        assert len(series) == 5 and all(len(obs) == 1 for obs in series)
        assert response.headers["x-row-count"] == "5"


class TestLabels:
    @pytest.mark.parametrize("fmt", ["csvdata", "csv2"])
    async def test_code_and_label(
        self, client: httpx.AsyncClient, world: dict[str, Any], fmt: str
    ) -> None:
        response = await client.get(
            f"/sdmx/data/{world['flow']}/4_1_1......", params={"format": fmt, "labels": "both"}
        )
        (row,) = rows_of(response)
        assert row["INDICATOR: SDG or community-defined indicator"].startswith("4_1_1: ")
        assert row["AGE: Age"] == "Y15T24: 15 to 24 years"
        assert row["DISABILITY_STATUS: Disability status"] == "PD: Persons with disability"
        assert row["CONF_STATUS: Confidentiality status"].startswith("F: Free")
        assert row["TIME_PERIOD"] == "2021" and row["OBS_VALUE"] == "42"
        plain = rows_of(
            await client.get(f"/sdmx/data/{world['flow']}/4_1_1......", params={"format": fmt})
        )
        assert [r["AGE"] for r in plain] == ["Y15T24"]

    async def test_labels_are_for_csv(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(f"/sdmx/data/{world['flow']}", params={"labels": "both"})
        assert response.status_code == 400
        assert error_of(response)[1].startswith("labels: labels=both is for SDMX-CSV")
        bad = await client.get(
            f"/sdmx/data/{world['flow']}", params={"labels": "name", "format": "csv2"}
        )
        assert bad.status_code == 400


STRUCTURE = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure}"


class TestStructures:
    async def test_all_stubs(self, client: httpx.AsyncClient, world: dict[str, Any]) -> None:
        response = await client.get(
            f"/sdmx/dataflow/LNOB/{world['flow']}",
            params={"references": "all", "detail": "allstubs"},
        )
        assert response.status_code == 200, response.text
        root = etree.fromstring(response.content)
        artefacts = [
            e for e in root.iter() if isinstance(e.tag, str) and e.get("isExternalReference")
        ]
        kinds = {etree.QName(e).localname for e in artefacts}
        assert kinds == {
            "Dataflow",
            "Codelist",
            "ConceptScheme",
            "DataStructure",
            "CategoryScheme",
            "Categorisation",
        }
        assert all(
            e.get("structureURL", "").startswith("http://testserver/sdmx/") for e in artefacts
        )
        assert root.find(f".//{STRUCTURE}Code") is None
        message = sdmx.read_sdmx(io.BytesIO(response.content))
        assert message.dataflow[world["flow"]].is_external_reference

    async def test_reference_stubs(self, client: httpx.AsyncClient, world: dict[str, Any]) -> None:
        response = await client.get(
            "/sdmx/codelist/LNOB/CL_SEX",
            params={"references": "parents", "detail": "referencestubs"},
        )
        root = etree.fromstring(response.content)
        codelist = root.find(f".//{STRUCTURE}Codelist")
        dsd = root.find(f".//{STRUCTURE}DataStructure")
        assert codelist is not None and codelist.get("isExternalReference") is None
        assert codelist.find(f"{STRUCTURE}Code") is not None
        assert dsd is not None and dsd.get("isExternalReference") == "true"
        assert dsd.get("structureURL") == "http://testserver/sdmx/datastructure/LNOB/DSD_LNOB/1.0"

    async def test_validators_and_304(
        self, client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        url = "/sdmx/codelist/LNOB/CL_AGE"
        first = await client.get(url)
        assert first.headers["etag"] and first.headers["last-modified"]
        again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        since = await client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
        assert since.status_code == 304
        # a new age group in readable data: a new code, a new tag
        await f.create_observation(
            conn,
            world["datasets"]["pub"],
            area_code=world["a"]["code"],
            age="Y_GE65",
            updated_at=datetime.now(UTC),
        )
        changed = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert changed.status_code == 200 and b'id="Y_GE65"' in changed.content
        assert changed.headers["etag"] != first.headers["etag"]
        flows = await client.get("/sdmx/dataflow")
        assert flows.headers["etag"] and "last-modified" not in flows.headers
        assert (
            await client.get("/sdmx/dataflow", headers={"If-None-Match": flows.headers["etag"]})
        ).status_code == 304


class TestCategories:
    async def test_goals_and_categorisations_read_by_sdmx1(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(
            "/sdmx/categoryscheme/LNOB/SDG_GOALS/1.0", params={"references": "parentsandsiblings"}
        )
        assert response.status_code == 200, response.text
        message = sdmx.read_sdmx(io.BytesIO(response.content))
        scheme = message.category_scheme["SDG_GOALS"]
        assert [c.id for c in scheme] == [str(n) for n in range(1, 18)]
        pairs = {(c.artefact.id, c.category.id) for c in message.categorisation.values()}
        # coalition A's datasets link 1.1.1 and 4.1.1; B's 1.1.1
        flow_b = f"DF_LNOB_{world['b']['code']}"
        assert {p for p in pairs if p[0] in (world["flow"], flow_b)} == {
            (world["flow"], "1"),
            (world["flow"], "4"),
            (flow_b, "1"),
        }
        assert world["flow"] in message.dataflow

    async def test_categorisations_of_one_flow(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(
            f"/sdmx/dataflow/LNOB/{world['flow']}", params={"references": "categorisation"}
        )
        message = sdmx.read_sdmx(io.BytesIO(response.content))
        assert set(message.categorisation) == {f"CAT_{world['flow']}_1", f"CAT_{world['flow']}_4"}
        one = await client.get(
            f"/sdmx/categorisation/LNOB/CAT_{world['flow']}_4", params={"references": "all"}
        )
        message = sdmx.read_sdmx(io.BytesIO(one.content))
        assert list(message.categorisation) == [f"CAT_{world['flow']}_4"]
        assert "SDG_GOALS" in message.category_scheme and world["flow"] in message.dataflow
        missing = await client.get(f"/sdmx/categorisation/LNOB/CAT_{world['flow']}_9")
        assert missing.status_code == 404

    async def test_hidden_datasets_categorise_nothing(
        self, client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        # a coalition-only dataset on goal 5 categorises the flow for insiders only
        await f.link_indicator(conn, world["datasets"]["coal"], "5.1.1")
        url = f"/sdmx/dataflow/LNOB/{world['flow']}"
        params = {"references": "categorisation"}
        outside = sdmx.read_sdmx(io.BytesIO((await client.get(url, params=params)).content))
        inside = sdmx.read_sdmx(
            io.BytesIO(
                (await client.get(url, params=params, headers=world["headers"]["insider"])).content
            )
        )
        assert f"CAT_{world['flow']}_5" not in outside.categorisation
        assert f"CAT_{world['flow']}_5" in inside.categorisation

    async def test_content_constraints(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(f"/sdmx/contentconstraint/LNOB/CC_{world['flow']}")
        codes, count = cube_of(response)
        assert count == 7 and codes["INDICATOR"] == {"1_1_1", "4_1_1"}
        every = sdmx.read_sdmx(io.BytesIO((await client.get("/sdmx/contentconstraint")).content))
        assert f"CC_{world['flow']}" in every.constraint
        assert (await client.get("/sdmx/contentconstraint/LNOB/CC_DF_LNOB_ZZ")).status_code == 404
