"""Provenance through GraphQL: round trips via dataset mutations, an observation's fallback to
its dataset's provenance, filters on datasets and observations, and no N+1."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.graphql.provenance.provenance_world import World, errors, mutation
from tests.helpers import gql

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

PROVENANCE = (
    "provenance { producerType method sampling samplingNote sampleSize washingtonGroup "
    "sdgFrameworkVersion qualityCriteria { code label } }"
)
DATASET = f"dataset {{ id version status rowVersion {PROVENANCE} }}"
CREATE = mutation("datasetCreate", DATASET)
UPDATE = mutation("datasetUpdate", DATASET)
PUBLISH = mutation("datasetPublish", DATASET)

DATASET_BY_ID = f"query($id: ID!) {{ dataset(id: $id) {{ version {PROVENANCE} }} }}"

OBSERVATIONS = f"""
query($filter: ObservationFilter) {{
  observations(filter: $filter, first: 100) {{ nodes {{ id {PROVENANCE} }} }}
}}
"""

DATASETS = """
query($filter: DatasetFilter) { datasets(filter: $filter, first: 100) { nodes { slug } } }
"""

NESTED = f"""
query($codes: [String!]) {{
  datasets(filter: {{coalitions: $codes}}, first: 10) {{ nodes {{
    {PROVENANCE}
    observations(first: 10) {{ nodes {{ value {PROVENANCE} dataset {{ slug }} }} }}
  }} }}
}}
"""

FULL = {
    "producerType": "COMMUNITY_DRIVEN",
    "method": "FOCUS_GROUP",
    "sampling": "PURPOSIVE",
    "samplingNote": "Women-headed households named by ward committees",
    "sampleSize": 240,
    "washingtonGroup": True,
    "sdgFrameworkVersion": "2020",
}


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await World(client, conn, signing_keys).build()


def _provenance(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload["userErrors"]
    found: dict[str, Any] = payload["dataset"]["provenance"]
    return found


class TestDatasetProvenance:
    async def test_create_round_trip(self, world: World) -> None:
        # given
        await world.criterion("NSO-1", label="Documented method")
        await world.criterion("NSO-2", label="Community validated")
        input = {
            "coalition": world.coalition["code"],
            "title": "Disability scorecard 2024",
            "provenance": FULL | {"qualityCriteria": ["nso-2", "NSO-1"]},
        }
        # when
        created = await world.payload(CREATE, input, "EDITOR")
        read = await world.data(DATASET_BY_ID, {"id": created["dataset"]["id"]})
        # then
        expected = FULL | {
            "qualityCriteria": [
                {"code": "NSO-1", "label": "Documented method"},
                {"code": "NSO-2", "label": "Community validated"},
            ]
        }
        assert _provenance(created) == expected
        assert read["dataset"]["provenance"] == expected
        [(action, _, after)] = await world.audit("Dataset")
        assert (action, after["producer_type"], after["sample_size"]) == (
            "dataset.create",
            "COMMUNITY_DRIVEN",
            240,
        )

    async def test_defaults_record_nothing_but_the_methodology(self, world: World) -> None:
        # when
        created = await world.payload(
            CREATE,
            {"coalition": world.coalition["code"], "title": "t", "methodology": "HOUSEHOLD_SURVEY"},
            "EDITOR",
        )
        # then: no producer type is assumed; the method follows the methodology
        assert _provenance(created) == {
            "producerType": None,
            "method": "HOUSEHOLD_SURVEY",
            "sampling": None,
            "samplingNote": None,
            "sampleSize": None,
            "washingtonGroup": None,
            "sdgFrameworkVersion": "2025",
            "qualityCriteria": [],
        }

    async def test_mixed_methodology_names_no_method(self, world: World) -> None:
        created = await world.payload(
            CREATE,
            {"coalition": world.coalition["code"], "title": "t", "methodology": "MIXED"},
            "EDITOR",
        )
        assert _provenance(created)["method"] is None

    async def test_update_changes_only_what_is_given(self, world: World) -> None:
        # given
        await world.criterion("NSO-1")
        created = await world.payload(
            CREATE,
            {
                "coalition": world.coalition["code"],
                "title": "t",
                "provenance": FULL | {"qualityCriteria": ["NSO-1"]},
            },
            "EDITOR",
        )
        dataset = created["dataset"]
        # when: a new size, producer type cleared, criteria emptied
        updated = await world.payload(
            UPDATE,
            {
                "id": dataset["id"],
                "rowVersion": dataset["rowVersion"],
                "provenance": {"sampleSize": 300, "producerType": None, "qualityCriteria": []},
            },
            "EDITOR",
        )
        # then
        assert _provenance(updated) == FULL | {
            "sampleSize": 300,
            "producerType": None,
            "qualityCriteria": [],
        }
        assert updated["dataset"]["rowVersion"] == dataset["rowVersion"] + 1

    async def test_a_new_version_keeps_the_provenance(self, world: World) -> None:
        # given a published dataset with provenance
        await world.criterion("NSO-1")
        await world.criterion("NSO-2")
        created = await world.payload(
            CREATE,
            {
                "coalition": world.coalition["code"],
                "title": "t",
                "provenance": FULL | {"qualityCriteria": ["NSO-1"]},
            },
            "EDITOR",
        )
        first = created["dataset"]
        published = await world.payload(
            PUBLISH, {"id": first["id"], "rowVersion": first["rowVersion"]}, "EDITOR"
        )
        # when: editing the published version opens version 2
        draft = await world.payload(
            UPDATE,
            {
                "id": first["id"],
                "rowVersion": published["dataset"]["rowVersion"],
                "provenance": {"qualityCriteria": ["NSO-1", "NSO-2"]},
            },
            "EDITOR",
        )
        # then: version 2 inherits everything and changes only the criteria
        assert draft["dataset"]["version"] == 2
        provenance = _provenance(draft)
        assert {k: provenance[k] for k in FULL} == FULL
        assert [c["code"] for c in provenance["qualityCriteria"]] == ["NSO-1", "NSO-2"]
        old = await world.data(DATASET_BY_ID, {"id": first["id"]})
        assert [c["code"] for c in old["dataset"]["provenance"]["qualityCriteria"]] == ["NSO-1"]

    async def test_user_errors_name_each_field(self, world: World) -> None:
        # given a criterion of another coalition
        await world.criterion("NSO-9", coalition=world.other)
        # when
        body = await world.call(
            CREATE,
            {
                "input": {
                    "coalition": world.coalition["code"],
                    "title": "t",
                    "provenance": {
                        "sampleSize": -1,
                        "sdgFrameworkVersion": "twenty twenty",
                        "samplingNote": "x" * 2001,
                        "qualityCriteria": ["NSO-9"],
                    },
                }
            },
        )
        # then
        payload = body["data"]["datasetCreate"]
        assert payload["dataset"] is None
        assert errors(payload) == {
            (("input", "provenance", "sampleSize"), "INVALID"),
            (("input", "provenance", "sdgFrameworkVersion"), "INVALID"),
            (("input", "provenance", "samplingNote"), "TOO_LONG"),
            (("input", "provenance", "qualityCriteria", "0"), "INVALID_CODE"),
        }


class TestObservationProvenance:
    async def test_an_observation_falls_back_to_its_dataset(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given a public dataset with provenance and two observations, one with overrides
        coalition = await f.create_coalition(conn)
        dataset = await f.create_dataset(
            conn,
            coalition,
            producer_type="COMMUNITY_DRIVEN",
            method="HOUSEHOLD_SURVEY",
            sampling="RANDOM",
            sampling_note="Two-stage cluster sample",
            sample_size=1200,
            washington_group=True,
        )
        plain = await f.create_observation(conn, dataset, sex="F")
        official = await f.create_observation(
            conn,
            dataset,
            sex="M",
            producer_type="OFFICIAL",
            method="ADMINISTRATIVE",
            sampling="CENSUS",
            washington_group=False,
        )
        # when
        body = await gql(client, OBSERVATIONS, {"filter": {"datasets": [_gid(dataset)]}})
        # then
        assert "errors" not in body, body
        found = {n["id"]: n["provenance"] for n in body["data"]["observations"]["nodes"]}
        assert found[to_global_id("Observation", plain["id"])] == {
            "producerType": "COMMUNITY_DRIVEN",
            "method": "HOUSEHOLD_SURVEY",
            "sampling": "RANDOM",
            "samplingNote": "Two-stage cluster sample",
            "sampleSize": 1200,
            "washingtonGroup": True,
            "sdgFrameworkVersion": "2025",
            "qualityCriteria": [],
        }
        # the sampling note goes with the sampling it describes: not inherited here
        assert found[to_global_id("Observation", official["id"])] == {
            "producerType": "OFFICIAL",
            "method": "ADMINISTRATIVE",
            "sampling": "CENSUS",
            "samplingNote": None,
            "sampleSize": 1200,
            "washingtonGroup": False,
            "sdgFrameworkVersion": "2025",
            "qualityCriteria": [],
        }

    async def test_nested_provenance_costs_constant_statements(
        self, conn: AsyncConnection, client: httpx.AsyncClient, world: World, statements: Any
    ) -> None:
        # given two coalitions of different sizes, every dataset meeting a criterion
        async def build(n: int) -> Any:
            coalition = await f.create_coalition(conn)
            criterion = await world.criterion("NSO-1", coalition=coalition)
            for i in range(n):
                dataset = await f.create_dataset(conn, coalition, producer_type="OTHER")
                await world.meets(dataset, criterion)
                for sex in ("F", "M", "_T"):
                    await f.create_observation(conn, dataset, sex=sex, period=str(2010 + i))
            return coalition

        small, large = await build(1), await build(6)
        # when
        statements.count = 0
        small_body = await gql(client, NESTED, {"codes": [small["code"]]})
        small_count = statements.count
        statements.count = 0
        large_body = await gql(client, NESTED, {"codes": [large["code"]]})
        large_count = statements.count
        # then
        assert "errors" not in large_body, large_body
        nodes = large_body["data"]["datasets"]["nodes"]
        assert len(nodes) == 6
        observed = [o for n in nodes for o in n["observations"]["nodes"]]
        assert len(observed) == 18
        assert {o["provenance"]["qualityCriteria"][0]["code"] for o in observed} == {"NSO-1"}
        assert "errors" not in small_body
        assert large_count == small_count


def _gid(row: Any) -> str:
    return to_global_id("Dataset", row["id"])


class TestFilters:
    async def _datasets(self, client: httpx.AsyncClient, filter: dict[str, Any]) -> set[str]:
        body = await gql(client, DATASETS, {"filter": filter})
        assert "errors" not in body, body
        return {n["slug"] for n in body["data"]["datasets"]["nodes"]}

    async def _observations(self, client: httpx.AsyncClient, filter: dict[str, Any]) -> set[Any]:
        body = await gql(client, OBSERVATIONS, {"filter": filter})
        assert "errors" not in body, body
        return {n["id"] for n in body["data"]["observations"]["nodes"]}

    async def test_datasets_by_provenance(
        self, conn: AsyncConnection, client: httpx.AsyncClient, world: World
    ) -> None:
        # given
        coalition = world.coalition
        one, two = await world.criterion("NSO-1"), await world.criterion("NSO-2")
        community = await f.create_dataset(
            conn, coalition, producer_type="COMMUNITY_DRIVEN", method="FOCUS_GROUP"
        )
        citizen = await f.create_dataset(
            conn, coalition, producer_type="CITIZEN_GENERATED", washington_group=True
        )
        unknown = await f.create_dataset(conn, coalition)
        await world.meets(community, one, two)
        await world.meets(citizen, one)
        scope = {"coalitions": [coalition["code"]]}
        # when / then
        assert await self._datasets(client, scope | {"producerTypes": ["COMMUNITY_DRIVEN"]}) == {
            community["slug"]
        }
        assert await self._datasets(
            client, scope | {"producerTypes": ["COMMUNITY_DRIVEN", "CITIZEN_GENERATED"]}
        ) == {community["slug"], citizen["slug"]}
        assert await self._datasets(client, scope | {"methods": ["FOCUS_GROUP"]}) == {
            community["slug"]
        }
        assert await self._datasets(client, scope | {"washingtonGroup": True}) == {citizen["slug"]}
        # false means "said no", not "did not say"
        assert await self._datasets(client, scope | {"washingtonGroup": False}) == set()
        assert await self._datasets(client, scope | {"meetsCriteria": ["NSO-1"]}) == {
            community["slug"],
            citizen["slug"],
        }
        assert await self._datasets(client, scope | {"meetsCriteria": ["nso-1", "NSO-2"]}) == {
            community["slug"]
        }
        assert await self._datasets(client, scope | {"meetsCriteria": ["NSO-3"]}) == set()
        assert unknown["slug"] in await self._datasets(client, scope)

    async def test_observations_by_effective_provenance(
        self, conn: AsyncConnection, client: httpx.AsyncClient, world: World
    ) -> None:
        # given a community dataset holding one official value, and a citizen dataset
        criterion = await world.criterion("NSO-1")
        community = await f.create_dataset(
            conn, world.coalition, producer_type="COMMUNITY_DRIVEN", washington_group=True
        )
        citizen = await f.create_dataset(conn, world.coalition, producer_type="CITIZEN_GENERATED")
        await world.meets(citizen, criterion)
        own = await f.create_observation(conn, community, sex="F")
        official = await f.create_observation(
            conn, community, sex="M", producer_type="OFFICIAL", washington_group=False
        )
        reported = await f.create_observation(conn, citizen, method="CITIZEN_REPORTING")
        ids = {
            name: to_global_id("Observation", row["id"])
            for name, row in (("own", own), ("official", official), ("reported", reported))
        }
        scope = {"datasets": [_gid(community), _gid(citizen)]}

        async def found(extra: dict[str, Any]) -> set[str]:
            got = await self._observations(client, scope | extra)
            return {name for name, gid in ids.items() if gid in got}

        # when / then
        assert await found({"producerTypes": ["COMMUNITY_DRIVEN"]}) == {"own"}
        assert await found({"producerTypes": ["OFFICIAL"]}) == {"official"}
        assert await found({"producerTypes": ["CITIZEN_GENERATED", "OFFICIAL"]}) == {
            "official",
            "reported",
        }
        assert await found({"methods": ["CITIZEN_REPORTING"]}) == {"reported"}
        assert await found({"washingtonGroup": True}) == {"own"}
        assert await found({"washingtonGroup": False}) == {"official"}
        assert await found({"meetsCriteria": ["NSO-1"]}) == {"reported"}
        assert await found({"producerTypes": ["OFFICIAL"], "meetsCriteria": ["NSO-1"]}) == set()

    async def test_nested_observations_take_the_filter(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await f.create_coalition(conn)
        dataset = await f.create_dataset(conn, coalition, producer_type="COMMUNITY_DRIVEN")
        await f.create_observation(conn, dataset, sex="F")
        await f.create_observation(conn, dataset, sex="M", producer_type="OFFICIAL")
        query = """
        query($slug: String!) { dataset(slug: $slug) {
          observations(filter: {producerTypes: [OFFICIAL]}) { nodes { sex } }
        } }
        """
        # when
        body = await gql(client, query, {"slug": dataset["slug"]})
        # then
        assert "errors" not in body, body
        assert body["data"]["dataset"]["observations"]["nodes"] == [{"sex": "M"}]
