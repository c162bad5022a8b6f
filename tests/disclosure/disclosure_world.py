"""A coalition that publishes through the public API, and readers on every read path.

Datasets are filled by ``observationsUpload`` (a real multipart request) and released with
``datasetPublish``; reads go through GraphQL, the CSV export and SDMX in each format, as an
anonymous caller, an outsider (a member of another coalition) or an insider.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, gql, token_for
from tests.sdmx.test_sdmx_data import ACCEPT, DECODE

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

UPLOAD = """
mutation($input: ObservationsUploadInput!) {
  observationsUpload(input: $input) {
    report { rowsWritten problemCount problems { row code message }
      warnings { code message observations } }
    userErrors { field code message }
  }
}
"""
PUBLISH = """
mutation($input: DatasetPublishInput!) {
  datasetPublish(input: $input) {
    dataset { status rowVersion } warnings { code observations }
    userErrors { field code message }
  }
}
"""
ROW_VERSION = "query($id: ID!) { dataset(id: $id) { rowVersion } }"
CELL = """id value suppressed confStatus sampleSize comment areaCode period sex unit
  dimensions { name value } provenance { samplingNote }"""
PREFLIGHT = {"Apollo-Require-Preflight": "true"}
SDMX_FORMATS = tuple(ACCEPT)


class World:
    def __init__(self, conn: AsyncConnection, client: httpx.AsyncClient, keys: KeyStore) -> None:
        self.conn, self.client, self.keys = conn, client, keys
        self.headers: dict[str, dict[str, str]] = {"anonymous": {}}

    async def build(self, *, threshold: int = 5) -> World:
        self.coalition = await f.create_coalition(self.conn, suppression_threshold=threshold)
        org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, org)
        frontend = await f.create_client(self.conn, org)
        editor = await f.create_user(self.conn)
        await f.give_role(self.conn, editor, self.coalition, "EDITOR")
        self.headers["insider"] = bearer(
            token_for(self.keys, client=frontend, user=editor, scopes=("data:read", "data:write"))
        )
        other = await f.create_coalition(self.conn)
        outsider = await f.create_user(self.conn)
        await f.give_role(self.conn, outsider, other, "ADMIN")
        self.headers["outsider"] = bearer(
            token_for(self.keys, client=frontend, user=outsider, scopes=("data:read",))
        )
        areas = await self.conn.execute(
            sa.text(
                "SELECT code FROM areas WHERE country_code = :c AND level = 'SUBDIVISION' "
                "ORDER BY code LIMIT 2"
            ),
            {"c": self.coalition["code"]},
        )
        self.area1, self.area2 = [str(r[0]) for r in areas]
        return self

    async def draft(self, **overrides: Any) -> dict[str, Any]:
        values = {"status": "DRAFT", "visibility": "PUBLIC"} | overrides
        row = await f.create_dataset(self.conn, self.coalition, **values)
        return {"pk": row["id"], "id": to_global_id("Dataset", row["id"]), "slug": row["slug"]}

    async def upload(
        self, dataset: dict[str, Any], content: str, *, dimensions: list[str] | None = None
    ) -> dict[str, Any]:
        mapping = {"dimensions": dimensions} if dimensions else None
        variables = {"input": {"datasetId": dataset["id"], "file": None, "mapping": mapping}}
        response = await self.client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": variables}),
                "map": json.dumps({"0": ["variables.input.file"]}),
            },
            files={"0": ("survey.csv", content.encode(), "text/csv")},
            headers=self.headers["insider"] | PREFLIGHT,
        )
        body = response.json()
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"]["observationsUpload"]
        assert payload["userErrors"] == [], payload
        return payload

    async def call(self, query: str, variables: dict[str, Any], who: str) -> dict[str, Any]:
        body = await gql(self.client, query, variables, headers=self.headers[who])
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def row_version(self, dataset: dict[str, Any]) -> int:
        found = await self.call(ROW_VERSION, {"id": dataset["id"]}, "insider")
        return int(found["dataset"]["rowVersion"])

    async def publish(self, dataset: dict[str, Any]) -> dict[str, Any]:
        version = await self.row_version(dataset)
        variables = {"input": {"id": dataset["id"], "rowVersion": version}}
        payload: dict[str, Any] = (await self.call(PUBLISH, variables, "insider"))["datasetPublish"]
        assert payload["userErrors"] == [], payload
        return payload

    # --- every read path, as ``who`` ---------------------------------------------------------

    async def observations(self, who: str, **filter: Any) -> list[dict[str, Any]]:
        query = (
            "query($f: ObservationFilter) { observations(filter: $f, first: 100) "
            f"{{ nodes {{ {CELL} }} }} }}"
        )
        found = await self.call(query, {"f": filter}, who)
        nodes: list[dict[str, Any]] = found["observations"]["nodes"]
        return nodes

    async def nested(self, who: str, dataset: dict[str, Any], version: int | None = None) -> Any:
        query = (
            "query($id: ID!, $v: Int) { dataset(id: $id) { status dataReadable "
            f"observations(first: 100, version: $v) {{ nodes {{ {CELL} }} }} }} }}"
        )
        return (await self.call(query, {"id": dataset["id"], "v": version}, who))["dataset"]

    async def node(self, who: str, gid: str) -> Any:
        query = f"query($id: ID!) {{ node(id: $id) {{ ... on Observation {{ {CELL} }} }} }}"
        return (await self.call(query, {"id": gid}, who))["node"]

    async def series(self, who: str, areas: list[str]) -> list[dict[str, Any]]:
        query = """query($a: [String!]) { indicatorSeries(indicator: "1.1.1", areas: $a) {
          areaCode sex points { value suppressed sampleSize } } }"""
        found: list[dict[str, Any]] = (await self.call(query, {"a": areas}, who))["indicatorSeries"]
        return found

    async def csv_export(self, who: str, slug: str) -> tuple[str, list[dict[str, str]]]:
        response = await self.client.get(
            "/exports/observations.csv", params={"dataset": slug}, headers=self.headers[who]
        )
        assert response.status_code == 200, response.text
        return response.text, list(csv.DictReader(io.StringIO(response.text)))

    async def sdmx(self, who: str, slug: str, fmt: str) -> httpx.Response:
        return await self.client.get(
            f"/sdmx/data/DF_LNOB_{self.coalition['code']}",
            params={"dataset": slug},
            headers=self.headers[who] | {"Accept": ACCEPT[fmt]},
        )

    def sdmx_cells(self, response: httpx.Response, fmt: str) -> dict[tuple[str, ...], Any]:
        """(REF_AREA, SEX) -> (value, CONF_STATUS) of an SDMX data message."""
        assert response.status_code == 200, response.text
        return {(key[1], key[2]): found for key, found in DECODE[fmt](response.content).items()}
