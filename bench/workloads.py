"""The read workloads of issue 12 in both dialects: this API's and PostGraphile's (over the
``peer`` views of ``bench/peer/schema.py``), with what makes their answers comparable.

Each workload has several variants (a coalition, an indicator, a dataset per request) so that
a load run does not repeat one request; ``rows_api`` and ``rows_peer`` reduce a response body
to the same plain structure, and the side-by-side checks that they are equal for every variant
before it loads anything.

Dialect translation (PostGraphile 5, Amber preset, simplified inflection):
- a lookup by key is ``dataset(rowId:)`` / ``coalitionByCode(code:)`` / ``indicatorByCode``;
- the API's many-to-many ``indicators`` is the join rows' ``datasetIndicators { nodes {
  indicator } }`` (no many-to-many plugin); its order is not part of either contract, so both
  sides are compared sorted by code;
- connections are ordered by primary key on both sides (the API's default; ``orderBy:
  PRIMARY_KEY_ASC`` spelled out for PostGraphile).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

Rows = Any


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    api: str
    peer: str
    # (API variables, PostGraphile variables) per variant, made from the database
    variants: Callable[[asyncpg.Connection], Any]
    rows_api: Callable[[dict[str, Any]], Rows]
    rows_peer: Callable[[dict[str, Any]], Rows]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


# -- W1 coalition page ----------------------------------------------------------------------

W1_API = """query W1($c: String!) { coalition(code: $c) { projects(first: 10) { nodes {
  title datasets(first: 10) { nodes { slug indicators { code title } } } } } } }"""

W1_PEER = """query W1($c: String!) { coalitionByCode(code: $c) {
  projects(first: 10, orderBy: PRIMARY_KEY_ASC) { nodes {
  title datasets(first: 10, orderBy: PRIMARY_KEY_ASC) { nodes {
  slug datasetIndicators { nodes { indicator { code title } } } } } } } } }"""


def _w1(projects: list[dict[str, Any]], indicators: Callable[[dict[str, Any]], Any]) -> Rows:
    return [
        (
            p["title"],
            [
                (d["slug"], sorted((i["code"], i["title"]) for i in indicators(d)))
                for d in p["datasets"]["nodes"]
            ],
        )
        for p in projects
    ]


def _w1_api(body: dict[str, Any]) -> Rows:
    return _w1(body["data"]["coalition"]["projects"]["nodes"], lambda d: d["indicators"])


def _w1_peer(body: dict[str, Any]) -> Rows:
    return _w1(
        body["data"]["coalitionByCode"]["projects"]["nodes"],
        lambda d: [n["indicator"] for n in d["datasetIndicators"]["nodes"]],
    )


async def _coalitions(conn: asyncpg.Connection) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    codes = await conn.fetch(
        "SELECT DISTINCT c.code FROM coalitions c JOIN projects p ON p.coalition_id = c.id"
        " WHERE p.slug LIKE 'bench-%' ORDER BY c.code"
    )
    return [({"c": r["code"]}, {"c": r["code"]}) for r in codes]


# -- W2 / W2b indicator pull ----------------------------------------------------------------

_W2_FIELDS = "value areaCode period sex age dataset { slug }"


def _w2_api_query(first: int) -> str:
    return (
        f"query W2($i: [String!]) {{ observations(filter: {{indicators: $i}}, first: {first})"
        f" {{ nodes {{ {_W2_FIELDS} }} }} }}"
    )


def _w2_peer_query(first: int) -> str:
    return (
        f"query W2($i: String!) {{ indicatorByCode(code: $i) {{ observations(first: {first},"
        f" orderBy: PRIMARY_KEY_ASC) {{ nodes {{ {_W2_FIELDS} }} }} }} }}"
    )


def _w2(nodes: list[dict[str, Any]]) -> Rows:
    return [
        (_num(n["value"]), n["areaCode"], n["period"], n["sex"], n["age"], n["dataset"]["slug"])
        for n in nodes
    ]


def _w2_api(body: dict[str, Any]) -> Rows:
    return _w2(body["data"]["observations"]["nodes"])


def _w2_peer(body: dict[str, Any]) -> Rows:
    return _w2(body["data"]["indicatorByCode"]["observations"]["nodes"])


async def _indicators(conn: asyncpg.Connection) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    codes = await conn.fetch(
        "SELECT i.code FROM indicators i WHERE EXISTS"
        " (SELECT 1 FROM observations o WHERE o.indicator_id = i.id) ORDER BY i.code"
    )
    return [({"i": [r["code"]]}, {"i": r["code"]}) for r in codes]


# -- W3 lookup ------------------------------------------------------------------------------

W3_API = "query W3($id: ID!) { dataset(id: $id) { title coalition { name } } }"
W3_PEER = "query W3($id: BigInt!) { dataset(rowId: $id) { title coalition { name } } }"


def _w3(dataset: dict[str, Any] | None) -> Rows:
    return None if dataset is None else (dataset["title"], dataset["coalition"]["name"])


async def _datasets(conn: asyncpg.Connection) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    ids = await conn.fetch(
        "SELECT id FROM datasets WHERE slug LIKE 'bench-%' AND slug NOT LIKE 'bench-hidden-%'"
        " ORDER BY id"
    )
    return [
        ({"id": base64.b64encode(f"Dataset:{r['id']}".encode()).decode()}, {"id": str(r["id"])})
        for r in ids
    ]


# -- W4 nested dataset page (bench/run.py's "nested") ----------------------------------------

W4_API = """query W4($c: [String!]) { datasets(filter: {coalitions: $c}, first: 20) {
  totalCount nodes { title coalition { code name } project { title }
  indicators { code title target { code goal { shortTitle } } }
  observations(first: 10) { nodes { value suppressed period sex age area { name } } } } } }"""

W4_PEER = """query W4($c: String!) { coalitionByCode(code: $c) {
  datasets(first: 20, orderBy: PRIMARY_KEY_ASC) { totalCount nodes {
  title coalition { code name } project { title }
  datasetIndicators { nodes { indicator { code title target { code goal { shortTitle } } } } }
  observations(first: 10, orderBy: PRIMARY_KEY_ASC) { nodes {
  value suppressed period sex age area { name } } } } } } }"""


def _w4(connection: dict[str, Any], indicators: Callable[[dict[str, Any]], Any]) -> Rows:
    return (
        connection["totalCount"],
        [
            (
                d["title"],
                (d["coalition"]["code"], d["coalition"]["name"]),
                d["project"] and d["project"]["title"],
                sorted(
                    (i["code"], i["title"], i["target"]["code"], i["target"]["goal"]["shortTitle"])
                    for i in indicators(d)
                ),
                [
                    (
                        _num(o["value"]),
                        o["suppressed"],
                        o["period"],
                        o["sex"],
                        o["age"],
                        o["area"]["name"],
                    )
                    for o in d["observations"]["nodes"]
                ],
            )
            for d in connection["nodes"]
        ],
    )


def _w4_api(body: dict[str, Any]) -> Rows:
    return _w4(body["data"]["datasets"], lambda d: d["indicators"])


def _w4_peer(body: dict[str, Any]) -> Rows:
    return _w4(
        body["data"]["coalitionByCode"]["datasets"],
        lambda d: [n["indicator"] for n in d["datasetIndicators"]["nodes"]],
    )


async def _coalitions_w4(conn: asyncpg.Connection) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [({"c": [a["c"]]}, b) for a, b in await _coalitions(conn)]


WORKLOADS: list[Workload] = [
    Workload("W1", "W1 coalition page", W1_API, W1_PEER, _coalitions, _w1_api, _w1_peer),
    Workload(
        "W2",
        "W2 100 observations of one indicator",
        _w2_api_query(100),
        _w2_peer_query(100),
        _indicators,
        _w2_api,
        _w2_peer,
    ),
    Workload(
        "W2b",
        "W2b 500 observations",
        _w2_api_query(500),
        _w2_peer_query(500),
        _indicators,
        _w2_api,
        _w2_peer,
    ),
    Workload(
        "W3",
        "W3 lookup",
        W3_API,
        W3_PEER,
        _datasets,
        lambda b: _w3(b["data"]["dataset"]),
        lambda b: _w3(b["data"]["dataset"]),
    ),
    Workload("W4", "W4 nested dataset page", W4_API, W4_PEER, _coalitions_w4, _w4_api, _w4_peer),
]

# W2b asks for 500 rows: the API must allow such pages.
MAX_PAGE_SIZE = 500
