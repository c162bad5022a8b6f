"""Issue 9, optional perturbation: a coalition's counts reach outsiders rounded or with cell-key
noise, the same on every path and every read; insiders read exact values.

Each world publishes one table through the public API (upload, publish), sets the coalition's
``perturbation`` with ``coalitionUpdate`` as its admin, and fixes the coalition's secret key so
that the noise (a function of the key) is the same on every run.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.disclosure.disclosure_world import SDMX_FORMATS, World
from tests.helpers import bearer, token_for
from tests.sdmx.test_sdmx_data import DECODE

from lnob_api.auth.keys import KeyStore
from lnob_api.disclosure import perturbation
from lnob_api.graphql.ids import to_global_id

CELL = "id value perturbed suppressed confStatus unit areaCode period sex"
SETTINGS = """
mutation($input: CoalitionUpdateInput!) {
  coalitionUpdate(input: $input) {
    coalition { perturbation rateShare rowVersion }
    userErrors { field code message }
  }
}
"""
ROW_VERSION = "query($code: String!) { coalition(code: $code) { rowVersion } }"
PTABLE = """{ perturbationTable { maxNoise roundingBases
  rows { value noises { noise probability } } } }"""
# A fixed coalition secret: the cell keys, and so the noise, are the same on every run.
KEY = "0123456789abcdef0123456789abcdef"

# (area index, period, sex) -> true value; every count at least the threshold (5) or zero,
# so nothing is withheld except the 3 of 2024.
COUNTS = {
    (1, "2023", "_T"): 57,
    (1, "2023", "F"): 30,
    (1, "2023", "M"): 27,
    (2, "2023", "_T"): 121,
    (2, "2023", "F"): 64,
    (2, "2023", "M"): 57,
    (1, "2022", "_T"): 0,
    (2, "2022", "_T"): 8,
    (1, "2021", "_T"): 13,
    (2, "2021", "_T"): 44,
    (1, "2020", "_T"): 19,
    (2, "2020", "_T"): 6,
}
SMALL = (1, "2024", "_T", 3)
RATE = (2, "2024", "_T", 37.5, 120)


def upload_file(world: World, counts: dict[tuple[int, str, str], int]) -> str:
    areas = {1: world.area1, 2: world.area2}
    lines = ["indicator,area,period,unit,sex,value,sample_size"]
    lines += [
        f"1.1.1,{areas[a]},{period},PERSONS,{sex},{value},"
        for (a, period, sex), value in counts.items()
    ]
    a, period, sex, value = SMALL
    lines.append(f"1.1.1,{areas[a]},{period},PERSONS,{sex},{value},")
    a, period, sex, rate, n = RATE
    lines.append(f"1.1.1,{areas[a]},{period},PERCENT,{sex},{rate},{n}")
    return "\n".join(lines) + "\n"


class Perturbed:
    """A World whose coalition perturbs, with its admin and the true values of its cells."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def build(
        self,
        method: str,
        *,
        threshold: int = 5,
        counts: dict[tuple[int, str, str], int] = COUNTS,
    ) -> Perturbed:
        world = self.world
        await world.build(threshold=threshold)
        org = await f.create_organisation(world.conn)
        frontend = await f.create_client(world.conn, org)
        admin = await f.create_user(world.conn)
        await f.give_role(world.conn, admin, world.coalition, "ADMIN")
        world.headers["admin"] = bearer(
            token_for(world.keys, client=frontend, user=admin, scopes=("coalition:admin",))
        )
        await world.conn.execute(
            sa.text("UPDATE coalitions SET perturbation_key = :k WHERE id = :id"),
            {"k": KEY, "id": world.coalition["id"]},
        )
        self.dataset = await world.draft()
        await world.upload(self.dataset, upload_file(world, counts))
        await world.publish(self.dataset)
        self.truth = {
            (a, period, sex): float(v)
            for (i, period, sex), v in counts.items()
            for a in [world.area1 if i == 1 else world.area2]
        }
        if method != "NONE":
            payload = await self.settings({"perturbation": method})
            assert payload["userErrors"] == [], payload
        return self

    async def settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        code = self.world.coalition["code"]
        version = (await self.world.call(ROW_VERSION, {"code": code}, "admin"))["coalition"]
        gid = to_global_id("Coalition", self.world.coalition["id"])
        variables = {"input": {"id": gid, "rowVersion": version["rowVersion"]} | changes}
        payload: dict[str, Any] = (await self.world.call(SETTINGS, variables, "admin"))[
            "coalitionUpdate"
        ]
        return payload

    async def cells(self, who: str) -> dict[tuple[str, str, str], dict[str, Any]]:
        query = (
            "query($f: ObservationFilter) { observations(filter: $f, first: 100) "
            f"{{ nodes {{ {CELL} }} }} }}"
        )
        found = await self.world.call(query, {"f": {"datasets": [self.dataset["id"]]}}, who)
        return {(n["areaCode"], n["period"], n["sex"]): n for n in found["observations"]["nodes"]}

    async def every_path(self, who: str) -> dict[str, dict[tuple[str, str, str], float | None]]:
        """The count values ``who`` reads on each path, by (area, period, sex)."""
        world, out = self.world, {}
        cells = await self.cells(who)
        out["list"] = {k: n["value"] for k, n in cells.items() if n["unit"] == "PERSONS"}
        sync = await world.observations(who, updatedSince="2000-01-01T00:00:00Z")
        out["sync"] = {
            (n["areaCode"], n["period"], n["sex"]): n["value"]
            for n in sync
            if n["unit"] == "PERSONS"
        }
        nested = await world.call(
            "query($id: ID!) { dataset(id: $id) { observations(first: 100) "
            f"{{ nodes {{ {CELL} }} }} }} }}",
            {"id": self.dataset["id"]},
            who,
        )
        out["nested"] = {
            (n["areaCode"], n["period"], n["sex"]): n["value"]
            for n in nested["dataset"]["observations"]["nodes"]
            if n["unit"] == "PERSONS"
        }
        out["node"] = {}
        for key, n in cells.items():
            if n["unit"] == "PERSONS":
                found = await world.node(who, n["id"])
                out["node"][key] = found["value"]
        series = await world.call(
            'query($a: [String!]) { indicatorSeries(indicator: "1.1.1", areas: $a) {'
            " areaCode sex points { period value perturbed } } }",
            {"a": [world.area1, world.area2]},
            who,
        )
        out["series"] = {
            (s["areaCode"], p["period"], s["sex"]): p["value"]
            for s in series["indicatorSeries"]
            for p in s["points"]
            if (s["areaCode"], p["period"], s["sex"]) in out["list"]
        }
        flags = {
            p["perturbed"]
            for s in series["indicatorSeries"]
            for p in s["points"]
            if (s["areaCode"], p["period"], s["sex"]) in self.truth
        }
        assert flags == {who != "insider"}
        _, rows = await world.csv_export(who, self.dataset["slug"])
        out["csv"] = {
            (r["area"], r["period"], r["sex"]): float(r["value"]) if r["value"] else None
            for r in rows
            if r["unit"] == "PERSONS"
        }
        for fmt in SDMX_FORMATS:
            response = await world.sdmx(who, self.dataset["slug"], fmt)
            assert response.status_code == 200, response.text
            decoded = DECODE[fmt](response.content)
            out[f"sdmx-{fmt}"] = {
                (key[1], key[7], key[2]): value
                for key, (value, _) in decoded.items()
                if (key[1], key[7], key[2]) in out["list"]
            }
        return out


@pytest.fixture
def world(conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore) -> World:
    return World(conn, client, signing_keys)


class TestCellKey:
    async def test_every_path_shows_the_same_noisy_value_for_the_same_cell(
        self, world: World
    ) -> None:
        # given a coalition that perturbs with the cell-key method
        table = await Perturbed(world).build("CELL_KEY")
        # when an outsider reads every path, then an anonymous caller does
        first = await table.every_path("outsider")
        again = await table.every_path("anonymous")
        # then every path and every read agrees, cell for cell
        reference = first["list"]
        for name, values in [*first.items(), *again.items()]:
            assert values == reference, name
        # and the values are the truth plus the published noise, not all of them exact
        shown = {k: v for k, v in reference.items() if v is not None}
        assert set(shown) == set(table.truth)
        for key, value in shown.items():
            assert value >= 0 and abs(value - table.truth[key]) <= perturbation.MAX_NOISE, key
        assert any(shown[k] != table.truth[k] for k in shown)
        # a zero stays zero; the small cell stays withheld
        assert shown[(world.area1, "2022", "_T")] == 0.0
        assert reference[(world.area1, "2024", "_T")] is None

    async def test_outsiders_are_told_insiders_read_exact_values(self, world: World) -> None:
        # given
        table = await Perturbed(world).build("CELL_KEY")
        # when
        outside = await table.cells("outsider")
        inside = await table.cells("insider")
        # then every shown count is marked perturbed for outsiders, nothing for insiders
        for key, cell in outside.items():
            count = cell["unit"] == "PERSONS" and not cell["suppressed"]
            assert cell["perturbed"] is count, key
        assert not any(cell["perturbed"] for cell in inside.values())
        for key, value in table.truth.items():
            assert inside[key]["value"] == value, key
        # rates stay exact for everyone
        rate = (world.area2, RATE[1], RATE[2])
        assert outside[rate]["value"] == inside[rate]["value"] == RATE[3]
        # and the CSV export says so in its perturbed column
        _, rows = await world.csv_export("outsider", table.dataset["slug"])
        flags = {(r["area"], r["period"], r["sex"]): r["perturbed"] for r in rows}
        assert flags[(world.area1, "2023", "F")] == "true"
        assert flags[rate] == "false"
        _, own = await world.csv_export("insider", table.dataset["slug"])
        assert {r["perturbed"] for r in own} == {"false"}

    async def test_small_counts_are_never_shown_exact(self, world: World) -> None:
        # given a coalition that suppresses nothing (threshold 0) but perturbs, with many
        # counts from 1 to 4
        counts = {(a, str(2000 + y), "_T"): 1 + (a + y) % 4 for a in (1, 2) for y in range(12)}
        table = await Perturbed(world).build("CELL_KEY", threshold=0, counts=counts)
        # when
        shown = {k: n["value"] for k, n in (await table.cells("anonymous")).items()}
        # then none of them is its true value
        for key, truth in table.truth.items():
            assert shown[key] is not None and shown[key] != truth and shown[key] >= 0, key

    async def test_the_published_table_is_public_and_unbiased(self, world: World) -> None:
        # when
        found = (await world.call(PTABLE, {}, "anonymous"))["perturbationTable"]
        # then it is the table the read paths use; each row sums to 1 and has mean 0, and no
        # row of a count from 1 to 4 has a zero noise
        rows = {
            r["value"]: [(e["noise"], e["probability"]) for e in r["noises"]] for r in found["rows"]
        }
        assert rows == {k: list(v) for k, v in perturbation.PTABLE.items()}
        assert found["maxNoise"] == 2 and found["roundingBases"] == [3, 5]
        for value, entries in rows.items():
            assert sum(p for _, p in entries) == pytest.approx(1.0)
            assert sum(j * p for j, p in entries) == pytest.approx(0.0)
            if 1 <= value <= 4:
                assert all(j != 0 for j, _ in entries)

    async def test_the_same_cell_in_another_dataset_gets_the_same_noise(self, world: World) -> None:
        # given a second dataset of the coalition on the same population
        table = await Perturbed(world).build("CELL_KEY")
        second = await world.draft()
        await world.upload(second, upload_file(world, COUNTS))
        await world.publish(second)
        # when
        first = await table.cells("anonymous")
        table.dataset = second
        other = await table.cells("anonymous")
        # then an attacker who reads both learns nothing more from the second
        assert {k: n["value"] for k, n in first.items()} == {
            k: n["value"] for k, n in other.items()
        }


class TestRounding:
    @pytest.mark.parametrize(("method", "base"), [("ROUND_3", 3), ("ROUND_5", 5)])
    async def test_counts_are_multiples_of_the_base_on_every_path(
        self, world: World, method: str, base: int
    ) -> None:
        # given
        table = await Perturbed(world).build(method)
        # when
        paths = await table.every_path("anonymous")
        # then
        reference = paths["list"]
        for name, values in paths.items():
            assert values == reference, name
        for key, truth in table.truth.items():
            value = reference[key]
            assert value is not None and value % base == 0, key
            assert abs(value - truth) < base, key
        assert any(reference[k] != v for k, v in table.truth.items())
        inside = await table.cells("insider")
        assert {k: inside[k]["value"] for k in table.truth} == table.truth


class TestSettings:
    async def test_the_coalition_admin_sets_perturbation_and_rate_share(self, world: World) -> None:
        # given
        table = await Perturbed(world).build("NONE")
        before = await table.cells("anonymous")
        # when
        payload = await table.settings({"perturbation": "ROUND_5", "rateShare": 0.2})
        # then the settings read back, the change is audited without the coalition's secret
        assert payload["userErrors"] == []
        assert (payload["coalition"]["perturbation"], payload["coalition"]["rateShare"]) == (
            "ROUND_5",
            0.2,
        )
        events = await world.conn.execute(
            sa.text(
                "SELECT before, after FROM audit_events WHERE entity_type = 'Coalition' "
                "AND action = 'coalition.update' AND coalition_id = :id"
            ),
            {"id": world.coalition["id"]},
        )
        [(old, new)] = list(events)
        assert (old["perturbation"], new["perturbation"]) == ("NONE", "ROUND_5")
        assert (old["rate_share"], new["rate_share"]) == (0.1, 0.2)
        assert "perturbation_key" not in old and "perturbation_key" not in new
        assert KEY not in str(old) + str(new)
        # and outsiders' reads change from exact to rounded
        assert {k: before[k]["value"] for k in table.truth} == table.truth
        after = await table.cells("anonymous")
        assert all(after[k]["value"] % 5 == 0 for k in table.truth)

    async def test_a_mirror_gets_every_count_again_after_a_change(self, world: World) -> None:
        # given a mirror that synchronised after the publish
        table = await Perturbed(world).build("NONE")
        since = await world.conn.scalar(sa.text("SELECT clock_timestamp()"))
        before = await world.observations("anonymous", updatedSince=since.isoformat())
        # when the coalition starts rounding
        assert (await table.settings({"perturbation": "ROUND_3"}))["userErrors"] == []
        after = await world.observations("anonymous", updatedSince=since.isoformat())
        # then every count it reads comes again, rounded
        assert before == []
        counts = {
            (n["areaCode"], n["period"], n["sex"]): n["value"]
            for n in after
            if n["unit"] == "PERSONS" and not n["suppressed"]
        }
        assert set(counts) == set(table.truth)
        assert all(v % 3 == 0 for v in counts.values())

    async def test_the_audit_uses_the_coalitions_rate_share(self, world: World) -> None:
        # given
        table = await Perturbed(world).build("NONE")
        assert (await table.settings({"rateShare": 0.25}))["userErrors"] == []
        query = "query($c: String!) { disclosureAudit(coalition: $c) { rateShare threshold } }"
        code = world.coalition["code"]
        # when
        default = (await world.call(query, {"c": code}, "admin"))["disclosureAudit"]
        tried = await world.call(
            "query($c: String!) { disclosureAudit(coalition: $c, rateShare: 0.05) { rateShare } }",
            {"c": code},
            "admin",
        )
        # then
        assert default == {"rateShare": 0.25, "threshold": 5}
        assert tried["disclosureAudit"]["rateShare"] == 0.05

    @pytest.mark.parametrize(
        ("changes", "field", "code"),
        [
            ({"rateShare": 1.0}, "rateShare", "INVALID"),
            ({"rateShare": -0.1}, "rateShare", "INVALID"),
            ({"rateShare": None}, "rateShare", "REQUIRED"),
            ({"perturbation": None}, "perturbation", "REQUIRED"),
        ],
    )
    async def test_bad_settings_are_refused(
        self, world: World, changes: dict[str, Any], field: str, code: str
    ) -> None:
        # given
        table = await Perturbed(world).build("NONE")
        # when
        payload = await table.settings(changes)
        # then
        assert payload["coalition"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", field], code)
        ]

    async def test_an_unknown_method_is_a_graphql_error(self, world: World) -> None:
        # given
        table = await Perturbed(world).build("NONE")
        gid = to_global_id("Coalition", world.coalition["id"])
        variables = {"input": {"id": gid, "rowVersion": 1, "perturbation": "NOISE"}}
        # when
        body = await world.client.post(
            "/graphql",
            json={"query": SETTINGS, "variables": variables},
            headers=world.headers["admin"],
        )
        # then
        errors = body.json()["errors"]
        assert "NOISE" in errors[0]["message"] and "Perturbation" in errors[0]["message"]
        assert table.dataset

    async def test_an_editor_may_not_change_them(self, world: World) -> None:
        # given
        table = await Perturbed(world).build("NONE")
        gid = to_global_id("Coalition", world.coalition["id"])
        variables = {"input": {"id": gid, "rowVersion": 1, "perturbation": "CELL_KEY"}}
        # when
        response = await world.client.post(
            "/graphql",
            json={"query": SETTINGS, "variables": variables},
            headers=world.headers["insider"],
        )
        # then
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        cells = await table.cells("anonymous")
        assert {k: cells[k]["value"] for k in table.truth} == table.truth
