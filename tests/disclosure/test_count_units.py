"""A small count is withheld, or shown, the same on every path whatever its unit's spelling.

The attack: an upload whose unit is "persons" with a tab, a newline or a no-break space around
it, or a look-alike letter (a long s, a dotless i, fullwidth letters). The count 2 must be withheld from
outsiders by the GraphQL paths (compiled and Strawberry), the CSV export and SDMX alike, and
secondary suppression must protect it as a count; a unit the two sides would read differently
must never be stored.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.compiled.harness import pair
from tests.disclosure.disclosure_world import PREFLIGHT, UPLOAD, World

from lnob_api.auth.keys import KeyStore
from lnob_api.disclosure.primary import count_unit_sql
from lnob_api.models import units
from lnob_api.models.tables import observations

# (unit as uploaded, unit as stored) of counts.
COUNTS = [
    ("persons\t", "persons"),
    ("\npersons", "persons"),
    ("persons\u00a0", "persons"),
    (" Persons ", "Persons"),
    ("persons", "persons"),
    ("per\u200bsons\u3000", "persons"),
]
LOOK_ALIKES = [
    "PER\u017fONS",
    "\u0131nd\u0131v\u0131duals",
    "\uff30\uff25\uff32\uff33\uff2f\uff2e\uff33",
    "\u0440\u0435rsons",  # Cyrillic er and ie
    "HOU\u0405EHOLDS",  # Cyrillic dze
    "\u03a1\u0395\u039f\u03a1L\u0395",  # Greek capitals
]
QUERY = """query($d: [ID!]) { observations(filter: {datasets: $d}, first: 10) {
  nodes { sex value suppressed unit } } }"""


def survey(area: str, unit: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["indicator", "area", "period", "unit", "sex", "value"])
    for sex, value in (("_T", 50), ("F", 2), ("M", 48)):
        writer.writerow(["1.1.1", area, "2023", unit, sex, value])
    return out.getvalue()


async def published(world: World, unit: str) -> dict[str, Any]:
    """A dataset (the survey's n in its provenance: 100) holding the table in ``unit``."""
    dataset = await world.draft(sample_size=100)
    payload = await world.upload(dataset, survey(world.area1, unit))
    assert payload["report"]["problems"] == []
    await world.publish(dataset)
    return dataset


class TestEveryPathWithholdsTheCount:
    @pytest.mark.parametrize(("uploaded", "stored"), COUNTS)
    async def test_the_count_is_withheld_and_protected_on_every_path(
        self, conn: AsyncConnection, signing_keys: KeyStore, uploaded: str, stored: str
    ) -> None:
        async with pair(conn, signing_keys) as both:
            # given
            world = await World(conn, both.compiled, signing_keys).build()
            dataset = await published(world, uploaded)
            # when GraphQL is read as an outsider on both paths
            variables = {"d": [dataset["id"]]}
            one, two, compiled = await both.both(QUERY, variables)
            # then both paths answer the same, and withhold the 2 and one more cell
            assert compiled and one == two
            nodes = json.loads(one)["data"]["observations"]["nodes"]
            assert {n["unit"] for n in nodes} == {stored}
            hidden = {n["sex"] for n in nodes if n["suppressed"]}
            assert "F" in hidden and len(hidden) == 2, nodes
            assert all(n["value"] is None for n in nodes if n["suppressed"])
            # ... and the CSV export and SDMX withhold the same cells
            _, rows = await world.csv_export("anonymous", dataset["slug"])
            assert {r["sex"] for r in rows if r["conf_status"] == "C"} == hidden
            assert {r["unit"] for r in rows} == {stored}
            for fmt in ("csv", "json"):
                sdmx = world.sdmx_cells(await world.sdmx("anonymous", dataset["slug"], fmt), fmt)
                assert {sex for (_, sex), (_, status) in sdmx.items() if status == "C"} == hidden
            # ... and the stored pattern is a count's: one primary, one secondary
            secondary = await conn.execute(
                sa.select(observations.c.sex).where(
                    observations.c.dataset_id == dataset["pk"], observations.c.secondary_suppressed
                )
            )
            assert {s for (s,) in secondary} == hidden - {"F"}

    @pytest.mark.parametrize("unit", LOOK_ALIKES)
    async def test_a_look_alike_of_a_count_unit_is_refused(
        self, conn: AsyncConnection, signing_keys: KeyStore, unit: str
    ) -> None:
        async with pair(conn, signing_keys) as both:
            # given
            world = await World(conn, both.compiled, signing_keys).build()
            dataset = await world.draft(sample_size=100)
            # when
            variables = {"input": {"datasetId": dataset["id"], "file": None}}
            response = await world.client.post(
                "/graphql",
                data={
                    "operations": json.dumps({"query": UPLOAD, "variables": variables}),
                    "map": json.dumps({"0": ["variables.input.file"]}),
                },
                files={"0": ("survey.csv", survey(world.area1, unit).encode(), "text/csv")},
                headers=world.headers["insider"] | PREFLIGHT,
            )
        # then no row is written, each refused with a clear problem
        payload = response.json()["data"]["observationsUpload"]
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_FILE"]
        report = payload["report"]
        assert report["rowsWritten"] == 0
        assert [p["code"] for p in report["problems"]] == ["INVALID_UNIT"] * 3
        assert "ASCII" in report["problems"][0]["message"]


# Units as a database might hold them from before the canonical form: SQL and Python must
# still read each one the same way.
RAW = [
    "persons",
    "PeOpLe",
    "\u0131nd\u0131v\u0131duals",
    "PER\u017fONS",
    "persönß",
    "Households",
    "COUNT ",
    "number\t",
    "percent",
    "",
]


class TestOneDefinition:
    async def test_sql_and_python_classify_every_unit_alike(self, conn: AsyncConnection) -> None:
        # given
        values = sa.values(sa.column("unit", sa.String), name="u").data([(u,) for u in RAW])
        # when
        found = await conn.execute(sa.select(values.c.unit, count_unit_sql(values.c.unit)))
        # then
        assert {u: c for u, c in found} == {u: units.is_count_unit(u) for u in RAW}

    async def test_sql_and_python_fold_to_the_same_upper_case(self, conn: AsyncConnection) -> None:
        found = await conn.execute(
            sa.text('SELECT upper(:u COLLATE "C")'),
            {"u": "\u0131nd\u0131v\u0131duals PER\u017fONS persönß"},
        )
        assert found.scalar_one() == units.ascii_upper(
            "\u0131nd\u0131v\u0131duals PER\u017fONS persönß"
        )

    def test_the_blank_characters_are_every_current_one(self) -> None:
        # the classes are written out (PostgreSQL reads them too): this Python's Unicode agrees
        for point in range(1, 0x110000):
            char = chr(point)
            category = unicodedata.category(char)
            blank = (category in ("Cc", "Zl", "Zp", "Zs") or char.isspace()) and char != " "
            expected = "a b" if blank else "ab" if category == "Cf" else f"a{char}b"
            found = units.canonical_unit(f"a{char}b")
            # (format characters of a later Unicode are unassigned to an older Python)
            assert found == expected or (found == "ab" and category == "Cn"), hex(point)

    async def test_the_database_and_python_agree_on_the_canonical_form(
        self, conn: AsyncConnection
    ) -> None:
        # given every blank and format character, between letters and at the ends
        odd = [
            chr(p)
            for p in range(1, 0x110000)
            if units.canonical_unit(f"a{chr(p)}b") != "a" + chr(p) + "b"
        ]
        texts = [f"a{c}b" for c in odd] + [" a", "a ", "a  b", "a b", "persons", "km²"]
        values = sa.values(sa.column("t", sa.String), name="t").data([(t,) for t in texts])
        # when
        found = await conn.execute(
            sa.select(values.c.t, values.c.t.regexp_match(units.NOT_CANONICAL))
        )
        # then
        assert {t: bad for t, bad in found} == {t: units.canonical_unit(t) != t for t in texts}

    async def test_no_path_can_store_a_non_canonical_unit(self, conn: AsyncConnection) -> None:
        dataset = await f.create_dataset(conn, await f.create_coalition(conn))
        with pytest.raises(IntegrityError, match="ck_observations_unit_canonical"):
            async with conn.begin_nested():
                await f.create_observation(conn, dataset, unit="persons\t", value=2)
