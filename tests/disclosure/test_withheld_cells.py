"""Issue 9, defects 1 and 2: small counts are withheld without a sample size, and a withheld
cell shows only its place in the table, on every read path.

The issue's upload: unit PERSONS, values 4, 1 and 3, no sample_size column; the 1 carries
the comment "two Somali refugee women aged 70+ near the mosque" and a free dimension
ETHNICITY=SOMALI. A second area holds a LANGUAGE breakdown (two values: part of the table's
structure) with one small cell.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.disclosure.disclosure_world import SDMX_FORMATS, World

from lnob_api.auth.keys import KeyStore

COMMENT = "two Somali refugee women aged 70+ near the mosque"
SECRETS = ("somali", "mosque")
OUTSIDERS = ("anonymous", "outsider")


def upload_file(world: World) -> str:
    a, b = world.area1, world.area2
    return "\n".join(
        [
            "indicator,area,period,unit,sex,value,comment,ethnicity,language",
            f"1.1.1,{a},2023,PERSONS,F,4,,,",
            f'1.1.1,{a},2023,PERSONS,M,1,"{COMMENT}",SOMALI,',
            f"1.1.1,{a},2023,PERSONS,_T,3,,,",
            f"1.1.1,{b},2023,PERSONS,_T,50,ward survey,,SWAHILI",
            f"1.1.1,{b},2023,PERSONS,F,2,,,ENGLISH",
            "",
        ]
    )


@pytest.fixture
async def world(conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore) -> Any:
    world = await World(conn, client, signing_keys).build()
    world.dataset = await world.draft()
    payload = await world.upload(
        world.dataset, upload_file(world), dimensions=["ethnicity", "language"]
    )
    assert payload["report"]["rowsWritten"] == 5
    await world.publish(world.dataset)
    return world


def by_cell(nodes: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(n["areaCode"], n["sex"]): n for n in nodes}


def withheld(area: str, sex: str, dims: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """What an outsider may see of a withheld cell."""
    return {
        "value": None,
        "suppressed": True,
        "confStatus": "C",
        "sampleSize": None,
        "comment": "",
        "areaCode": area,
        "sex": sex,
        "unit": "PERSONS",
        "dimensions": dims or [],
        "provenance": {"samplingNote": None},
    }


def shown(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in ("id", "period")}


class TestSmallCountsWithoutSampleSize:
    @pytest.mark.parametrize("who", OUTSIDERS)
    async def test_graphql_lists_withhold_every_count_under_the_threshold(
        self, world: World, who: str
    ) -> None:
        # when the cells are read as a list, nested under the dataset, and for a mirror
        lists = {
            "observations": await world.observations(who, datasets=[world.dataset["id"]]),
            "nested": (await world.nested(who, world.dataset))["observations"]["nodes"],
            "sync": await world.observations(who, updatedSince="2000-01-01T00:00:00Z"),
        }
        a, b = world.area1, world.area2
        for name, nodes in lists.items():
            cells = {k: shown(n) for k, n in by_cell(nodes).items()}
            # then the 4, the 1, the 3 and the 2 are withheld; the 50 is shown
            assert cells[(a, "F")] == withheld(a, "F"), name
            assert cells[(a, "M")] == withheld(a, "M"), name
            assert cells[(a, "_T")] == withheld(a, "_T"), name
            english = [{"name": "LANGUAGE", "value": "ENGLISH"}]
            assert cells[(b, "F")] == withheld(b, "F", english), name
            assert cells[(b, "_T")]["value"] == 50.0, name
            assert cells[(b, "_T")]["comment"] == "ward survey", name
            assert cells[(b, "_T")]["confStatus"] == "F", name

    @pytest.mark.parametrize("who", OUTSIDERS)
    async def test_node_and_series_withhold_the_single_refugee(
        self, world: World, who: str
    ) -> None:
        # given the id of the cell holding one person (read as the coalition does)
        own = by_cell(await world.observations("insider", datasets=[world.dataset["id"]]))
        one = own[(world.area1, "M")]
        assert one["value"] == 1.0 and one["comment"] == COMMENT
        # when
        node = await world.node(who, one["id"])
        series = await world.series(who, [world.area1])
        # then
        assert shown(node) == withheld(world.area1, "M")
        points = {s["sex"]: s["points"] for s in series}
        assert points == {
            sex: [{"value": None, "suppressed": True, "sampleSize": None}]
            for sex in ("F", "M", "_T")
        }

    @pytest.mark.parametrize("who", OUTSIDERS)
    async def test_the_csv_export_withholds_them(self, world: World, who: str) -> None:
        # when
        text, rows = await world.csv_export(who, world.dataset["slug"])
        # then
        cells = {(r["area"], r["sex"]): (r["value"], r["conf_status"]) for r in rows}
        a, b = world.area1, world.area2
        assert cells == {
            (a, "F"): ("", "C"),
            (a, "M"): ("", "C"),
            (a, "_T"): ("", "C"),
            (b, "F"): ("", "C"),
            (b, "_T"): ("50", "F"),
        }
        assert not any(secret in text.lower() for secret in SECRETS)

    @pytest.mark.parametrize("fmt", SDMX_FORMATS)
    @pytest.mark.parametrize("who", OUTSIDERS)
    async def test_every_sdmx_format_withholds_them(self, world: World, who: str, fmt: str) -> None:
        # when
        response = await world.sdmx(who, world.dataset["slug"], fmt)
        # then
        a, b = world.area1, world.area2
        assert world.sdmx_cells(response, fmt) == {
            (a, "F"): (None, "C"),
            (a, "M"): (None, "C"),
            (a, "_T"): (None, "C"),
            (b, "F"): (None, "C"),
            (b, "_T"): (50.0, "F"),
        }
        assert not any(secret in response.text.lower() for secret in SECRETS)


class TestWhatDescribesAWithheldCell:
    @pytest.mark.parametrize("who", OUTSIDERS)
    async def test_no_path_shows_the_comment_or_the_free_dimension(
        self, world: World, who: str
    ) -> None:
        # when every GraphQL path is read in full
        bodies = [
            str(await world.observations(who, datasets=[world.dataset["id"]])),
            str(await world.nested(who, world.dataset)),
            str(await world.observations(who, updatedSince="2000-01-01T00:00:00Z")),
            str(await world.series(who, [world.area1, world.area2])),
        ]
        # then neither the comment nor ETHNICITY=SOMALI appears anywhere
        for body in bodies:
            assert not any(secret in body.lower() for secret in SECRETS), body
            assert "ETHNICITY" not in body

    async def test_the_coalition_sees_everything_and_which_cells_are_small(
        self, world: World
    ) -> None:
        # when
        cells = by_cell(await world.observations("insider", datasets=[world.dataset["id"]]))
        # then
        one = cells[(world.area1, "M")]
        assert (one["value"], one["suppressed"], one["confStatus"]) == (1.0, False, "C")
        assert one["comment"] == COMMENT
        assert one["dimensions"] == [{"name": "ETHNICITY", "value": "SOMALI"}]
        assert cells[(world.area2, "_T")]["confStatus"] == "F"


class TestRatesOfUnknownSize:
    async def test_upload_and_publish_warn_and_outsiders_see_nothing(
        self, conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore
    ) -> None:
        # given percentages without a sample size, in a dataset with no provenance n
        world = await World(conn, client, signing_keys).build()
        dataset = await world.draft()
        content = (
            "indicator,area,period,unit,sex,value,sample_size\n"
            f"1.1.1,{world.area1},2023,PERCENT,F,40,\n"
            f"1.1.1,{world.area1},2023,PERCENT,M,35,\n"
            f"1.1.1,{world.area1},2023,PERCENT,_T,37.5,120\n"
        )
        # when
        uploaded = await world.upload(dataset, content)
        published = await world.publish(dataset)
        # then both warn, about the two of unknown n, and the data is written and released
        for payload in (uploaded["report"], published):
            assert [(w["code"], w["observations"]) for w in payload["warnings"]] == [
                ("UNPROTECTABLE", 2)
            ]
        assert published["dataset"]["status"] == "PUBLISHED"
        cells = by_cell(await world.observations("anonymous", datasets=[dataset["id"]]))
        assert {sex: n["value"] for (_, sex), n in cells.items()} == {
            "F": None,
            "M": None,
            "_T": 37.5,
        }

    async def test_the_dataset_provenance_n_protects_them(
        self, conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore
    ) -> None:
        # given the same percentages, with the survey's n in the dataset's provenance
        world = await World(conn, client, signing_keys).build()
        dataset = await world.draft(sample_size=120)
        content = f"indicator,area,period,unit,value\n1.1.1,{world.area1},2023,PERCENT,40\n"
        # when
        uploaded = await world.upload(dataset, content)
        published = await world.publish(dataset)
        # then nothing to warn about, and the value is shown
        assert uploaded["report"]["warnings"] == published["warnings"] == []
        nodes = await world.observations("anonymous", datasets=[dataset["id"]])
        assert [(n["value"], n["suppressed"]) for n in nodes] == [(40.0, False)]
