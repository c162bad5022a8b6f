"""A coalition changing what its audiences see, and mirrors that follow it incrementally.

Everything goes through the public API: datasets are filled by ``observationsUpload`` and
released by ``datasetPublish``; thresholds, grants, visibility, consent, retraction and
corrections are mutations of a coalition admin. A ``Mirror`` keeps what one caller reads:

- ``cells``: observations by id, from ``observations(filter: {updatedSince})`` upserts and
  ``removedObservations`` / ``removedDatasets`` deletions (GraphQL sync);
- ``rows``: the CSV export's rows by their natural key, from ``updatedSince`` pulls, with the
  same tombstones (mapped to natural keys through ``cells``) for deletions;
- ``datasets``: dataset records, from ``datasets(filter: {updatedSince})`` and
  ``removedDatasets`` (a ``listed`` tombstone drops the data only);
- ``sdmx`` (an SDMX mirror, on its own): SDMX-CSV 2.0 rows of the coalition's dataflow by
  series key, period and dataset, from ``updatedAfter`` pulls: ``ACTION`` D deletes, I or R
  upserts.

Deletions are applied before upserts: a correction re-uses the natural keys of the version it
supersedes. After every change the mirror must equal a fresh full pull, cell for cell.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, gql, token_for

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

UPLOAD = """mutation($input: ObservationsUploadInput!) { observationsUpload(input: $input) {
  report { rowsWritten } userErrors { field code message } } }"""
PUBLISH = """mutation($input: DatasetPublishInput!) { datasetPublish(input: $input) {
  dataset { status } userErrors { field code message } } }"""
UPDATE = """mutation($input: DatasetUpdateInput!) { datasetUpdate(input: $input) {
  dataset { id version status } userErrors { field code message } } }"""
RETRACT = """mutation($input: DatasetRetractInput!) { datasetRetract(input: $input) {
  userErrors { field code message } } }"""
VISIBILITY = """mutation($input: DatasetSetVisibilityInput!) { datasetSetVisibility(input: $input) {
  userErrors { field code message } } }"""
GRANT = """mutation($input: GrantCreateInput!) { grantCreate(input: $input) {
  grant { id } userErrors { field code message } } }"""
COALITION = """mutation($input: CoalitionUpdateInput!) { coalitionUpdate(input: $input) {
  userErrors { field code message } } }"""
CONSENT = """mutation($input: ConsentRecordInput!) { consentRecord(input: $input) {
  consent { id rowVersion } userErrors { field code message } } }"""
WITHDRAW = """mutation($input: ConsentWithdrawInput!) { consentWithdraw(input: $input) {
  userErrors { field code message } } }"""
ROW_VERSION = """query($id: ID!) { node(id: $id) {
  ... on Dataset { rowVersion } ... on Coalition { rowVersion } } }"""

OBSERVATIONS = """query($since: DateTime, $after: String) {
  observations(filter: {updatedSince: $since}, first: 100, after: $after) {
    edges { node { id value suppressed confStatus areaCode period sex age disabilityStatus
      urbanisation group dataset { id slug } indicator { code } } }
    pageInfo { hasNextPage endCursor } } }"""
REMOVED_OBSERVATIONS = """query($since: DateTime!, $after: String) {
  removedObservations(since: $since, first: 100, after: $after) {
    edges { node { id datasetId removedAt } } pageInfo { hasNextPage endCursor } } }"""
DATASETS = """query($since: DateTime, $after: String) {
  datasets(filter: {updatedSince: $since}, first: 100, after: $after) {
    edges { node { id title status version dataReadable } }
    pageInfo { hasNextPage endCursor } } }"""
REMOVED_DATASETS = """query($since: DateTime!, $after: String) {
  removedDatasets(since: $since, first: 100, after: $after) {
    edges { node { id reason listed removedAt } } pageInfo { hasNextPage endCursor } } }"""
CSV_URL = "/exports/observations.csv"
CSV_KEY = (
    "dataset",
    "indicator",
    "area",
    "period",
    "sex",
    "age",
    "disability_status",
    "urbanisation",
    "group",
)
PREFLIGHT = {"Apollo-Require-Preflight": "true"}
SDMX_CSV2 = "application/vnd.sdmx.data+csv;version=2.0.0"
SDMX_KEY = (
    "INDICATOR",
    "REF_AREA",
    "SEX",
    "AGE",
    "DISABILITY_STATUS",
    "URBANISATION",
    "GROUP",
    "TIME_PERIOD",
    "DATASET",
)


def number(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def cell_of(node: dict[str, Any]) -> tuple[Any, ...]:
    """What a mirror compares of an observation: value, suppressed, CONF_STATUS."""
    return (number(node["value"]), node["suppressed"], node["confStatus"])


def key_of(node: dict[str, Any]) -> tuple[str, ...]:
    """The CSV natural key of a GraphQL observation."""
    indicator = node["indicator"]["code"] if node["indicator"] else ""
    return (
        node["dataset"]["slug"],
        indicator,
        node["areaCode"],
        node["period"],
        node["sex"],
        node["age"],
        node["disabilityStatus"],
        node["urbanisation"],
        node["group"],
    )


def csv_table(text: str) -> dict[tuple[str, ...], tuple[Any, ...]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    table = {tuple(r[k] for k in CSV_KEY): (number(r["value"]), r["conf_status"]) for r in rows}
    assert len(table) == len(rows), "the CSV natural key is not unique"
    return table


def sdmx_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def sdmx_key(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[k] for k in SDMX_KEY)


def sdmx_cell(row: dict[str, str]) -> tuple[Any, ...]:
    return (number(row["OBS_VALUE"]), row["CONF_STATUS"])


async def stamp() -> datetime:
    """A pull time strictly between what happened before and what happens after."""
    await asyncio.sleep(0.002)
    moment = datetime.now(UTC)
    await asyncio.sleep(0.002)
    return moment


class Mirror:
    """What one caller keeps; ``sdmx`` mirrors follow the SDMX channel only."""

    def __init__(self, world: World, who: str, *, sdmx: bool = False) -> None:
        self.world, self.who, self.sdmx = world, who, sdmx
        self.series: dict[tuple[str, ...], tuple[Any, ...]] = {}
        self.cells: dict[str, dict[str, Any]] = {}
        self.rows: dict[tuple[str, ...], tuple[Any, ...]] = {}
        self.datasets: dict[str, tuple[Any, ...]] = {}
        self.since: datetime | None = None
        self.tombstones: list[dict[str, Any]] = []  # removedDatasets seen, for assertions

    # --- pulls -------------------------------------------------------------------------------

    async def pages(self, query: str, field: str, **variables: Any) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        after = None
        while True:
            found = await self.world.call(query, variables | {"after": after}, self.who)
            conn = found[field]
            nodes += [e["node"] for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                return nodes
            after = conn["pageInfo"]["endCursor"]

    async def csv(self, since: datetime | None = None) -> dict[tuple[str, ...], tuple[Any, ...]]:
        params = {"updatedSince": since.isoformat()} if since is not None else {}
        response = await self.world.client.get(
            CSV_URL, params=params, headers=self.world.headers[self.who]
        )
        assert response.status_code == 200, response.text
        return csv_table(response.text)

    async def sdmx_pull(self, since: datetime | None = None) -> list[dict[str, str]]:
        """SDMX-CSV 2.0 rows of the dataflow (an empty list for SDMX's 404 "No results")."""
        params = {"updatedAfter": since.isoformat()} if since is not None else {}
        response = await self.world.client.get(
            f"/sdmx/data/DF_LNOB_{self.world.coalition['code']}",
            params=params,
            headers=self.world.headers[self.who] | {"Accept": SDMX_CSV2},
        )
        if response.status_code == 404:
            return []
        assert response.status_code == 200, response.text
        return sdmx_rows(response.text)

    async def full(self) -> tuple[dict[Any, Any], ...]:
        """A fresh full pull: cells by id, CSV rows by key, dataset records by id (or the
        SDMX rows by key)."""
        if self.sdmx:
            rows = await self.sdmx_pull()
            assert {r["ACTION"] for r in rows} <= {"I"}, "a full pull deletes nothing"
            table = {sdmx_key(r): sdmx_cell(r) for r in rows}
            assert len(table) == len(rows), "the SDMX key is not unique"
            return (table,)
        cells = {n["id"]: cell_of(n) for n in await self.pages(OBSERVATIONS, "observations")}
        datasets = {n["id"]: tuple(n.values()) for n in await self.pages(DATASETS, "datasets")}
        return cells, await self.csv(), datasets

    def state(self) -> tuple[dict[Any, Any], ...]:
        if self.sdmx:
            return (dict(self.series),)
        return {i: cell_of(n) for i, n in self.cells.items()}, dict(self.rows), self.datasets

    # --- sync --------------------------------------------------------------------------------

    async def start(self) -> None:
        self.since = await stamp()
        if self.sdmx:
            self.series = (await self.full())[0]
            return
        for node in await self.pages(OBSERVATIONS, "observations"):
            self.cells[node["id"]] = node
        self.rows = await self.csv()
        self.datasets = {n["id"]: tuple(n.values()) for n in await self.pages(DATASETS, "datasets")}

    async def sync(self) -> None:
        """One incremental round from the last pull time: deletions, then upserts."""
        assert self.since is not None
        since, self.since = self.since.isoformat(), await stamp()
        if self.sdmx:
            rows = await self.sdmx_pull(datetime.fromisoformat(since))
            for row in rows:  # the deletions' data sets come first; applied first anyway
                if row["ACTION"] == "D":
                    self.series.pop(sdmx_key(row), None)
            for row in rows:
                if row["ACTION"] in ("I", "R"):
                    self.series[sdmx_key(row)] = sdmx_cell(row)
            return
        removed = await self.pages(REMOVED_OBSERVATIONS, "removedObservations", since=since)
        gone_datasets = await self.pages(REMOVED_DATASETS, "removedDatasets", since=since)
        self.tombstones += gone_datasets
        gone = {n["id"] for n in removed}
        dropped = {n["id"] for n in gone_datasets}
        gone |= {i for i, n in self.cells.items() if n["dataset"]["id"] in dropped}
        for cell_id in gone:
            node = self.cells.pop(cell_id, None)
            if node is not None:
                self.rows.pop(key_of(node), None)
        for n in gone_datasets:
            if not n["listed"]:
                self.datasets.pop(n["id"], None)
        for node in await self.pages(OBSERVATIONS, "observations", since=since):
            self.cells[node["id"]] = node
        self.rows.update(await self.csv(datetime.fromisoformat(since)))
        for n in await self.pages(DATASETS, "datasets", since=since):
            self.datasets[n["id"]] = tuple(n.values())

    async def check(self) -> tuple[dict[Any, Any], ...]:
        """Sync, then the mirror equals a fresh full pull on every channel; the full pull."""
        await self.sync()
        fresh = await self.full()
        mine = self.state()
        channels = ("sdmx",) if self.sdmx else ("graphql", "csv", "datasets")
        for channel, got, want in zip(channels, mine, fresh, strict=True):
            assert got == want, f"{self.who} mirror differs from a full pull on {channel}"
        return fresh


class World:
    """A coalition (threshold 5) with an admin, an agency client, and published datasets."""

    def __init__(self, conn: AsyncConnection, client: httpx.AsyncClient, keys: KeyStore) -> None:
        self.conn, self.client, self.keys = conn, client, keys
        self.headers: dict[str, dict[str, str]] = {"anonymous": {}}
        self.datasets: dict[str, dict[str, Any]] = {}

    async def build(self, *, threshold: int = 5) -> World:
        self.coalition = await f.create_coalition(self.conn, suppression_threshold=threshold)
        self.coalition_gid = to_global_id("Coalition", self.coalition["id"])
        org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, org)
        frontend = await f.create_client(self.conn, org)
        self.member_org = org
        # the member organisation's own machine client: an insider of the coalition
        self.headers["member"] = bearer(token_for(self.keys, client=frontend))
        admin = await f.create_user(self.conn)
        await f.give_role(self.conn, admin, self.coalition, "ADMIN")
        scopes = ("data:read", "data:write", "coalition:admin")
        self.headers["admin"] = bearer(
            token_for(self.keys, client=frontend, user=admin, scopes=scopes)
        )
        agency_org = await f.create_organisation(self.conn, kind="STATISTICS_AGENCY")
        self.agency_org = agency_org
        self.agency = await f.create_client(self.conn, agency_org)
        self.headers["agency"] = bearer(token_for(self.keys, client=self.agency))
        areas = await self.conn.execute(
            sa.text(
                "SELECT code FROM areas WHERE country_code = :c AND level = 'SUBDIVISION' "
                "ORDER BY code LIMIT 2"
            ),
            {"c": self.coalition["code"]},
        )
        self.area1, self.area2 = [str(r[0]) for r in areas]
        return self

    async def call(self, query: str, variables: dict[str, Any], who: str) -> dict[str, Any]:
        body = await gql(self.client, query, variables, headers=self.headers[who])
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, query: str, values: dict[str, Any]) -> dict[str, Any]:
        data = await self.call(query, {"input": values}, "admin")
        payload: dict[str, Any] = next(iter(data.values()))
        assert payload["userErrors"] == [], payload
        return payload

    async def row_version(self, gid: str) -> int:
        return int((await self.call(ROW_VERSION, {"id": gid}, "admin"))["node"]["rowVersion"])

    def table(self, period: str, values: tuple[int, ...]) -> str:
        """Counts of people by sex in two areas (F, M, total each)."""
        lines = ["indicator,area,period,unit,sex,value"]
        cells = zip([self.area1] * 3 + [self.area2] * 3, ["F", "M", "_T"] * 2, values, strict=True)
        lines += [f"1.1.1,{area},{period},PERSONS,{sex},{value}" for area, sex, value in cells]
        return "\n".join(lines) + "\n"

    async def upload(self, gid: str, content: str, *, replace: bool = False) -> None:
        variables = {"input": {"datasetId": gid, "file": None, "replace": replace}}
        response = await self.client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": variables}),
                "map": json.dumps({"0": ["variables.input.file"]}),
            },
            files={"0": ("survey.csv", content.encode(), "text/csv")},
            headers=self.headers["admin"] | PREFLIGHT,
        )
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["observationsUpload"]["userErrors"] == [], body

    async def dataset(
        self,
        name: str,
        *,
        visibility: str,
        period: str,
        values: tuple[int, ...] = (),
        release_at: datetime | None = None,
        content: str | None = None,
        **columns: Any,
    ) -> dict[str, Any]:
        """A dataset filled by upload (``values`` for ``table``, or ``content``) and published
        (embargoed until ``release_at``)."""
        row = await f.create_dataset(
            self.conn,
            self.coalition,
            status="DRAFT",
            visibility=visibility,
            title=name,
            **columns,
        )
        ds = {"pk": row["id"], "id": to_global_id("Dataset", row["id"]), "slug": row["slug"]}
        await self.upload(ds["id"], content or self.table(period, values))
        await self.publish(ds["id"], release_at=release_at)
        self.datasets[name] = ds
        return ds

    async def publish(self, gid: str, *, release_at: datetime | None = None) -> None:
        values: dict[str, Any] = {"id": gid, "rowVersion": await self.row_version(gid)}
        if release_at is not None:
            values["releaseAt"] = release_at.isoformat()
        await self.mutate(PUBLISH, values)

    async def set_threshold(self, threshold: int) -> None:
        version = await self.row_version(self.coalition_gid)
        await self.mutate(
            COALITION,
            {"id": self.coalition_gid, "rowVersion": version, "suppressionThreshold": threshold},
        )

    async def grant(
        self, dataset: dict[str, Any] | None = None, *, expires_at: datetime | None = None
    ) -> None:
        """A grant to the agency's client (of one dataset, or of all the coalition's data)."""
        values: dict[str, Any] = {"coalition": self.coalition["code"]}
        values["client"] = self.agency["client_id"]
        if dataset is not None:
            values["dataset"] = dataset["id"]
        if expires_at is not None:
            values["expiresAt"] = expires_at.isoformat()
        payload = await self.mutate(GRANT, values)
        self.last_grant = str(payload["grant"]["id"])

    async def revoke_grant(self) -> None:
        await self.mutate(
            "mutation($input: GrantRevokeInput!) { grantRevoke(input: $input) "
            "{ userErrors { field code message } } }",
            {"id": self.last_grant},
        )

    async def set_visibility(self, dataset: dict[str, Any], visibility: str) -> None:
        version = await self.row_version(dataset["id"])
        await self.mutate(
            VISIBILITY, {"id": dataset["id"], "rowVersion": version, "visibility": visibility}
        )

    async def record_consent(self, dataset: dict[str, Any], scope: str = "PUBLIC") -> Any:
        payload = await self.mutate(
            CONSENT, {"dataset": dataset["id"], "scope": scope, "obtainedOn": "2024-01-10"}
        )
        return payload["consent"]

    async def withdraw_consent(self, consent: dict[str, Any]) -> None:
        await self.mutate(
            WITHDRAW,
            {"id": consent["id"], "rowVersion": consent["rowVersion"], "reason": "the elders"},
        )

    async def retract(self, dataset: dict[str, Any]) -> None:
        version = await self.row_version(dataset["id"])
        await self.mutate(
            RETRACT, {"id": dataset["id"], "rowVersion": version, "reason": "tally errors"}
        )

    async def correct(self, dataset: dict[str, Any], period: str, values: tuple[int, ...]) -> Any:
        """A corrected version: edit (opens the next draft), upload, publish."""
        version = await self.row_version(dataset["id"])
        payload = await self.mutate(
            UPDATE, {"id": dataset["id"], "rowVersion": version, "title": "Corrected"}
        )
        draft = payload["dataset"]
        await self.upload(draft["id"], self.table(period, values), replace=True)
        await self.publish(draft["id"])
        return draft

    async def end_embargo(self, dataset: dict[str, Any]) -> None:
        """The embargo's end, by the database's clock (in a test, ``now()`` is the outer
        transaction's start): the mirrors' pulls all happened before the original end."""
        table = sa.table("datasets", sa.column("id"), sa.column("release_at"))
        await self.conn.execute(
            sa.update(table)
            .where(table.c.id == dataset["pk"])
            .values(release_at=sa.func.now() - sa.text("interval '1 second'"))
        )
